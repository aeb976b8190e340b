"""Neural modules as typed primitives, and hybrid programs that mix them with algorithmic ones.

This package is the only one in hylo that imports torch, and it does so in its submodules only:
`hylo.neural` and `hylo.neural.names` stay importable without torch, so the rest of hylo can
read the names of neural primitives (`nn:classify@v1`, `nn:new:classify`) and their types.

- `names`     the spelling of neural primitives in program text, and the module kinds' types
- `kinds`     the module kinds (`classify`, `regress`, `mlp`): builders, specs, safetensors I/O
- `dist`      exact operations on independent categorical distributions (sum by convolution, ...)
- `hybrid`    a program with neural parts compiled to a `torch.nn.Module`, in three modes:
              soft (distributions, differentiable; each primitive's meaning from the domain's
              `soft_semantics`), hard (argmax), sample (for REINFORCE)
- `candidates` the DSL with neural primitives (their symbolic meaning: bound modules, run by
              core's evaluator) and its candidates from the core enumerator, by description
              length, pruned by general rules and the domain's algebraic facts (no torch)
- `train`     gradient, REINFORCE and separable CMA-ES training of a hybrid model
- `select`    successive halving over the candidates (`HybridConfig`, `search_hybrid`)
- `baseline`  standalone end-to-end baselines (encoder plus sum-pool or LSTM head)
"""
