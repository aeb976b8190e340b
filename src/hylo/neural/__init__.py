"""Neural modules as typed primitives, and hybrid programs that mix them with algorithmic ones.

This package is the only one in hylo that imports torch, and it does so in its submodules only:
`hylo.neural` and `hylo.neural.names` stay importable without torch, so the rest of hylo can
read the names of neural primitives (`nn:classify@v1`, `nn:new:classify`) and their types.

- `names`     the spelling of neural primitives in program text, and the module kinds' types
- `kinds`     the module kinds (`classify`, `regress`, `mlp`): builders, specs, safetensors I/O
- `dist`      exact operations on independent categorical distributions (sum by convolution, ...)
- `hybrid`    a program with neural parts compiled to a `torch.nn.Module`, in three modes:
              soft (distributions, differentiable), hard (argmax), sample (for REINFORCE)
- `symbolic`  the plain per-example reference evaluator the batched modes are tested against
- `train`     gradient, REINFORCE and separable CMA-ES training of a hybrid model
- `search`    typed enumeration of hybrid candidates, ranked by successive halving
- `baseline`  standalone end-to-end baselines (encoder plus sum-pool or LSTM head)
"""
