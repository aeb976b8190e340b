"""The recognition model: a task's examples in, the grammar's weights for that task out.

DreamCoder's recognition model, on hylo's grammar. A domain's task encoder
(`hylo.neural.encoders`) reads the examples; a head turns the encoding into log-weights over
the library's names (and `$variable`), as offsets from the library grammar's own weights: the
last layer starts at zero, so an untrained model is the library grammar exactly.

- **unigram**: one weight per name for the whole program (`Grammar.with_weights`).
- **contextual**: DreamCoder's bigram model: a weight per (parent, argument position, child),
  one row of weights per context (`ROOT` for the program's own hole, each argument of each
  name), plus a unigram row for holes outside them (sent as the grammar's own weights). The
  rows travel to workers in the grammar's compact `$contexts` form.

Training maximises the likelihood of programs under the predicted grammar: replays (the
solutions of training tasks) and dreams (programs sampled from the library, run on sampled
inputs: `hylo.learn.dreams`). A program's likelihood is a sum over the choices of its
derivation (`hylo.core.derivation`): the chosen name's weight minus the log-sum of the weights
the hole could choose from. Names the model does not predict (a task's constants) keep their
fixed weight in both terms.

The model is stored in the library as a module (`kind="recognition"`, name
`recognition:<domain>`) with its spec (vocabulary, base weights, encoder spec) as JSON and its
weights as safetensors, one version per learning iteration (`save_model`, `load_model`).
"""

from __future__ import annotations

import math
import random
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import nn

from hylo.core.derivation import VARIABLE, Choice, choices
from hylo.core.grammar import CONTEXTS_KEY, ROOT, Grammar, NotDerivable
from hylo.core.program import Program
from hylo.core.task import Task
from hylo.core.types import arguments

KIND = "recognition"
MODES = ("unigram", "contextual")


def vocabulary(grammar: Grammar) -> list[str]:
    """The names a model predicts weights for: `$variable`, then the DSL's names in order."""
    return [VARIABLE, *grammar.dsl.names()]


def base_weights(grammar: Grammar, vocab: Sequence[str],
                 context: tuple[str, int] | None = None) -> list[float]:
    """The grammar's weights of `vocab` (in `context`, where the grammar weighs it apart)."""
    local = grammar.contexts.get(context, {}) if context is not None else {}
    return [local.get(n, grammar.log_variable if n == VARIABLE else grammar.log_weights[n])
            for n in vocab]


def grammar_contexts(grammar: Grammar) -> list[tuple[str, int]]:
    """Every context a contextual model predicts: the root, then each argument of each name
    that takes arguments."""
    out = [ROOT]
    for name in grammar.dsl.names():
        for k in range(len(arguments(grammar.dsl.type_of(name)))):
            out.append((name, k))
    return out


class RecognitionModel(nn.Module):
    """Encoder + head; `forward(batch)` gives (tasks, rows, vocabulary) log-weights: one row
    (the unigram) or one per context and a last unigram row (contextual)."""

    def __init__(self, spec: dict[str, Any], encoder: nn.Module) -> None:
        super().__init__()
        if spec.get("mode", "unigram") not in MODES:
            raise ValueError(f"unknown recognition mode {spec.get('mode')!r}; modes: {MODES}")
        self.spec = dict(spec)
        self.vocab: list[str] = list(spec["vocab"])
        self.index = {n: i for i, n in enumerate(self.vocab)}
        self.encoder = encoder
        self.contexts: list[tuple[str, int]] = [(str(p), int(k)) for p, k in
                                                spec.get("contexts", [])]
        self.row = {c: i for i, c in enumerate(self.contexts)}
        self.unigram_row = len(self.contexts)  # holes outside the contexts (and the unigram)
        self.rows = len(self.contexts) + 1
        hidden = int(spec.get("hidden", 64))
        v = len(self.vocab)
        # factored (contextual models from now on): the head predicts the task's unigram change
        # only; a context's row adds a table learned over all tasks (a bigram grammar) and a
        # rank-`rank` task-dependent term. A full head (a row per context per task: rows x V
        # outputs from 98 training programs) fitted the held-out replays best after one epoch
        # and fell far below the grammar after.
        self.factored = bool(self.contexts) and bool(spec.get("factored", False))
        rank = int(spec.get("rank", 0)) if self.factored else 0
        outputs = v if self.factored else self.rows * v
        self.head = nn.Sequential(nn.Linear(encoder.dim, hidden), nn.ReLU(),  # type: ignore[arg-type]
                                  nn.Linear(hidden, outputs))
        if self.factored:
            self.table = nn.Parameter(torch.zeros(len(self.contexts), v))
            self.mix = nn.Linear(hidden, rank) if rank else None
            self.low = nn.Parameter(torch.zeros(rank, len(self.contexts), v)) if rank else None
        last = self.head[-1]
        nn.init.zeros_(last.weight)  # type: ignore[arg-type]
        nn.init.zeros_(last.bias)  # type: ignore[arg-type]
        base = torch.tensor(spec["base"], dtype=torch.float32)
        if base.dim() == 1:
            base = base.expand(self.rows, -1).clone()
        self.register_buffer("base", base)  # (rows, vocabulary)

    @property
    def mode(self) -> str:
        return str(self.spec.get("mode", "unigram"))

    def forward(self, batch: Any) -> torch.Tensor:
        if not self.factored:
            delta = self.head(self.encoder(batch)).view(-1, self.rows, len(self.vocab))
            return self.base + delta
        hidden = self.head[:-1](self.encoder(batch))
        uni = self.head[-1](hidden)[:, None, :]  # (tasks, 1, V)
        ctx = uni + self.table[None]  # a context the data never shows: the task's unigram
        if self.low is not None and self.mix is not None:
            ctx = ctx + torch.einsum("tr,rcv->tcv", self.mix(hidden), self.low)
        return self.base + torch.cat([ctx, uni], dim=1)

    def context_row(self, parent: str | None, position: int) -> int:
        """The row of a choice's hole (the unigram row outside the model's contexts)."""
        if not self.contexts:
            return 0
        return self.row.get((parent or "", position), self.unigram_row)

    def device(self) -> torch.device:
        return self.base.device  # type: ignore[no-any-return]

    @torch.no_grad()
    def predict(self, tasks: Sequence[Task], batch_size: int = 64) -> list[dict[str, float]]:
        """Per task: name -> log-weight (`$variable` included), for `Grammar.with_weights`."""
        self.eval()
        out: list[dict[str, float]] = []
        for k in range(0, len(tasks), batch_size):
            part = tasks[k : k + batch_size]
            batch = _to(self.encoder.collate([self.encoder.features(t) for t in part]),
                        self.device())
            for rows in self(batch).cpu().tolist():
                weights: dict[str, Any] = {n: float(w) for n, w in
                                           zip(self.vocab, rows[-1], strict=True)}
                if self.contexts:
                    weights[CONTEXTS_KEY] = {
                        "names": list(self.vocab),
                        "rows": [[p, k, [round(w, 4) for w in rows[i]]]
                                 for i, (p, k) in enumerate(self.contexts)]}
                out.append(weights)
        return out


def build_model(grammar: Grammar, encoder_factory: Callable[[dict | None], nn.Module],
                domain: str, mode: str = "unigram", hidden: int = 64,
                encoder_spec: dict | None = None, seed: int = 0,
                rank: int = 2) -> RecognitionModel:
    """A fresh model for `grammar`'s names; it predicts the grammar itself until trained."""
    vocab = vocabulary(grammar)
    contexts = grammar_contexts(grammar) if mode == "contextual" else []
    base = [base_weights(grammar, vocab, c) for c in contexts] + [base_weights(grammar, vocab)]
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        encoder = encoder_factory(encoder_spec)
        spec = {"mode": mode, "vocab": vocab, "base": base, "hidden": hidden,
                "contexts": [list(c) for c in contexts], "encoder": encoder.spec,
                "domain": domain, "factored": True, "rank": rank}
        return RecognitionModel(spec, encoder)


def warm_start(model: RecognitionModel, previous: RecognitionModel) -> bool:
    """Start `model` from `previous` (the last iteration's, same mode and shape, or a unigram
    model for a factored contextual one): the encoder
    and hidden layer as they are, and every output weight of a (context, name) both know;
    names new to the library start at zero (the grammar's weight). Training then continues
    across iterations instead of starting over (measured on lists: the loop's later
    iterations leave the dream phase 5-6 s, 7-11 epochs, where a model peaks after about 15).
    False, changing nothing, when the two do not fit."""
    same = ("encoder", "hidden")
    if any(previous.spec.get(k) != model.spec.get(k) for k in same):
        return False
    # a factored contextual model also starts from a unigram one: its head is the same shape,
    # and its context table starts at zero (the unigram's predictions)
    from_unigram = model.factored and not previous.contexts
    if not from_unigram and any(previous.spec.get(k) != model.spec.get(k)
                                for k in ("mode", "factored", "rank")):
        return False
    pairs = [(j, previous.index[n]) for n, j in model.index.items() if n in previous.index]
    new_j = torch.tensor([j for j, _ in pairs], dtype=torch.long)
    old_k = torch.tensor([k for _, k in pairs], dtype=torch.long)
    old_rows = {c: i for i, c in enumerate(previous.contexts)}
    # (new context row, old context row) of the contexts both have
    ctx_pairs = [(r, old_rows[c]) for r, c in enumerate(model.contexts) if c in old_rows]
    with torch.no_grad():
        model.encoder.load_state_dict(previous.encoder.state_dict())
        model.head[0].load_state_dict(previous.head[0].state_dict())
        last, old_last = model.head[-1], previous.head[-1]
        v_new, v_old = len(model.vocab), len(previous.vocab)
        if model.factored:
            last.weight[new_j] = old_last.weight[old_k]
            last.bias[new_j] = old_last.bias[old_k]
            if from_unigram:
                return True
            if model.mix is not None and previous.mix is not None:
                model.mix.load_state_dict(previous.mix.state_dict())
            for r, o in ctx_pairs:
                model.table[r, new_j] = previous.table[o, old_k]
                if model.low is not None and previous.low is not None:
                    model.low[:, r, new_j] = previous.low[:, o, old_k]
        else:
            rows = [*ctx_pairs, (model.unigram_row, previous.unigram_row)]
            for r, o in rows:
                last.weight[r * v_new + new_j] = old_last.weight[o * v_old + old_k]
                last.bias[r * v_new + new_j] = old_last.bias[o * v_old + old_k]
    return True


# ------------------------------------------------------------------------------ data
@dataclass
class Item:
    """One training program: its task's features and its derivation's choices as indices."""

    task: str
    features: Any
    row: torch.Tensor  # (k,) the model's row of each choice's context
    chosen: torch.Tensor  # (k,) vocabulary index, -1 for a fixed-weight name
    chosen_fixed: torch.Tensor  # (k,) the fixed weight where chosen is -1
    cand: torch.Tensor  # (k, V) log-counts of learned candidates (-inf: not a candidate)
    fixed: torch.Tensor  # (k,) log-mass of fixed-weight candidates (-inf: none)
    weight: float = 1.0
    source: str = "replay"


@dataclass
class Dataset:
    items: list[Item] = field(default_factory=list)
    skipped: int = 0  # programs the grammar could not derive


def make_items(model: RecognitionModel, grammar: Grammar,
               programs: Sequence[tuple[Task, Program]], source: str = "replay",
               features: dict[str, Any] | None = None) -> Dataset:
    """Items for `programs` (task, program) under `grammar` (a task's constants join it at
    their fixed weight, as `Grammar.with_literals` scores them)."""
    cache = features if features is not None else {}
    data = Dataset()
    v = len(model.vocab)
    for task, program in programs:
        g = grammar.with_literals(program)
        try:
            cs = choices(g, program, task.request)
        except (NotDerivable, RecursionError):
            data.skipped += 1
            continue
        if task.name not in cache:
            cache[task.name] = model.encoder.features(task)
        data.items.append(_item(model, g, task.name, cache[task.name], cs, v, source))
    return data


def _item(model: RecognitionModel, g: Grammar, name: str, feats: Any, cs: list[Choice],
          v: int, source: str) -> Item:
    k = len(cs)
    row = torch.tensor([model.context_row(c.parent, c.position) for c in cs], dtype=torch.long)
    chosen = torch.full((k,), -1, dtype=torch.long)
    chosen_fixed = torch.zeros(k)
    cand = torch.full((k, v), -math.inf)
    fixed = torch.full((k,), -math.inf)

    def fixed_weight(n: str) -> float:
        return g.log_variable if n == VARIABLE else g.log_weights[n]

    for r, c in enumerate(cs):
        if c.chosen in model.index:
            chosen[r] = model.index[c.chosen]
        else:
            chosen_fixed[r] = fixed_weight(c.chosen)
        extra = []
        for n, count in c.candidates:
            if n in model.index:
                cand[r, model.index[n]] = math.log(count)
            else:
                extra.append(fixed_weight(n) + math.log(count))
        if extra:
            fixed[r] = torch.logsumexp(torch.tensor(extra), 0)
    return Item(name, feats, row, chosen, chosen_fixed, cand, fixed, source=source)


def log_likelihoods(logits: torch.Tensor, items: Sequence[Item]) -> torch.Tensor:
    """(items,) log-likelihood of each item's program under its task's `logits` (items,
    rows, vocabulary): each choice reads the row of its context."""
    owner = torch.cat([torch.full((len(it.chosen),), i, dtype=torch.long)
                       for i, it in enumerate(items)]).to(logits.device)
    row = torch.cat([it.row for it in items]).to(logits.device)
    chosen = torch.cat([it.chosen for it in items]).to(logits.device)
    chosen_fixed = torch.cat([it.chosen_fixed for it in items]).to(logits.device)
    cand = torch.cat([it.cand for it in items]).to(logits.device)
    fixed = torch.cat([it.fixed for it in items]).to(logits.device)
    rows = logits[owner, row]
    # a hole whose candidates are all fixed-weight names (a task's literals) has no learned
    # candidate: its logsumexp over nothing is -inf, and its gradient NaN (measured: the grids
    # model's loss went NaN at the first step), so such rows are summed over zeros and dropped
    learned = torch.isfinite(cand).any(dim=1)
    scores = torch.where(learned[:, None], rows + cand, torch.zeros_like(cand))
    lse = torch.where(learned, torch.logsumexp(scores, dim=1),
                      torch.full_like(fixed, -math.inf))
    norm = torch.logaddexp(lse, fixed)
    picked = torch.where(chosen >= 0, rows.gather(1, chosen.clamp(min=0)[:, None])[:, 0],
                         chosen_fixed)
    per_choice = picked - norm
    return torch.zeros(len(items), device=logits.device).index_add_(0, owner, per_choice)


# ------------------------------------------------------------------------------ training
@dataclass
class TrainConfig:
    seconds: float = 60.0  # wall-clock budget of the training loop
    max_epochs: int = 2000
    patience: int = 25  # epochs without a better held-out likelihood before stopping
    batch_size: int = 16
    lr: float = 5e-3
    weight_decay: float = 1e-4
    valid_share: float = 0.1  # of the replays, held out for early stopping and the report
    replay_share: float = 0.5  # of each epoch's programs (dreams make up the rest)
    threads: int = 1  # torch threads on CPU (small models: one is fastest)
    seed: int = 0


def train_model(model: RecognitionModel, replays: Dataset, dreams: Dataset,
                config: TrainConfig, progress: Callable[[str], None] | None = None) -> dict:
    """Fit the model to replays and dreams; keeps the epoch with the best held-out replay
    likelihood (all of them when too few replays to hold some out). Returns metrics."""
    rng = random.Random(config.seed)
    # held out by a stable hash of the task's name, so a model warm-started from the last
    # iteration's is judged on tasks that one never trained on either
    reps = sorted(replays.items, key=lambda it: (zlib.crc32(it.task.encode()), it.task))
    n_valid = int(len(reps) * config.valid_share) if len(reps) >= 10 else 0
    valid, replay = reps[:n_valid], reps[n_valid:]
    rng.shuffle(replay)
    dream_items = list(dreams.items)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(max(1, config.threads))
    model.to(device)
    metrics: dict[str, Any] = {"replays": len(replays.items), "dreams": len(dreams.items),
                               "valid": len(valid), "skipped": replays.skipped + dreams.skipped,
                               "device": device.type}
    try:
        if not replay and not dream_items:
            metrics.update(epochs=0, seconds=0.0)
            return metrics
        opt = torch.optim.Adam(model.parameters(), lr=config.lr,
                               weight_decay=config.weight_decay)
        t0 = time.perf_counter()
        start = _state(model)
        best = (_valid_loss(model, valid) if valid else math.inf, start, 0)
        epoch = skipped_steps = 0
        rng.shuffle(dream_items)
        cursor = [0]
        while (epoch < config.max_epochs and time.perf_counter() - t0 < config.seconds
               and epoch - best[2] <= config.patience):
            model.train()
            train = _epoch(replay, dream_items, config.replay_share, rng, cursor)
            total = 0.0
            for k in range(0, len(train), config.batch_size):
                part = train[k : k + config.batch_size]
                batch = _to(model.encoder.collate([it.features for it in part]), device)
                ll = log_likelihoods(model(batch), part)
                loss = -ll.mean()
                if not torch.isfinite(loss):  # never let one bad batch poison the weights
                    skipped_steps += 1
                    continue
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(part)
                if time.perf_counter() - t0 > config.seconds:
                    break
            epoch += 1
            if valid:
                v = _valid_loss(model, valid)
                if v < best[0]:
                    best = (v, _state(model), epoch)
            else:
                best = (math.inf, _state(model), epoch)
            if progress is not None:
                progress(f"recognition epoch {epoch}: train loss {total / len(train):.3f}"
                         + (f", held-out {v:.3f}" if valid else ""))
        model.load_state_dict(best[1])
        if valid and best[2] != 0 and not _significant(model, start, valid):
            model.load_state_dict(start)
            metrics["undone"] = f"held-out gain of epoch {best[2]} within noise"
            best = (best[0], start, 0)
        metrics.update(epochs=epoch, best_epoch=best[2], skipped_steps=skipped_steps,
                       seconds=round(time.perf_counter() - t0, 2))
        if valid:
            metrics["valid_log_likelihood"] = round(-_valid_loss(model, valid), 4)
            metrics["valid_log_likelihood_grammar"] = round(-_valid_loss(model, valid,
                                                                         base=True), 4)
        return metrics
    finally:
        model.to("cpu")
        model.eval()
        torch.set_num_threads(threads)


def _epoch(replay: list[Item], dreams: list[Item], share: float, rng: random.Random,
           cursor: list[int]) -> list[Item]:
    """One epoch's programs, shuffled: every replay once and the next dreams of the pool
    (`cursor` walks it round) making up `1 - share` of the whole, as DreamCoder mixes replays
    and fantasies. Replays are never repeated within an epoch: drawn again to match a big dream
    pool they were fitted many times between two held-out checks (measured: the held-out
    likelihood peaked after one such epoch and fell below the grammar's by the third)."""
    if not replay:
        return rng.sample(dreams, len(dreams))
    want = min(len(dreams), round(len(replay) * (1.0 - share) / max(1e-9, share)))
    out = list(replay)
    for _ in range(want):
        out.append(dreams[cursor[0] % len(dreams)])
        cursor[0] += 1
    rng.shuffle(out)
    return out


@torch.no_grad()
def _valid_loss(model: RecognitionModel, items: Sequence[Item], base: bool = False) -> float:
    """Mean negative log-likelihood per program of `items` (under the base grammar: `base`)."""
    return -float(_item_lls(model, items, base).mean()) if items else 0.0


@torch.no_grad()
def _item_lls(model: RecognitionModel, items: Sequence[Item], base: bool = False) -> torch.Tensor:
    """Each item's log-likelihood (under the base grammar: `base`)."""
    model.eval()
    out = []
    for k in range(0, len(items), 64):
        part = items[k : k + 64]
        if base:
            logits = model.base.expand(len(part), -1, -1)  # type: ignore[operator]
        else:
            logits = model(_to(model.encoder.collate([it.features for it in part]),
                               model.device()))
        out.append(log_likelihoods(logits, part).cpu())
    return torch.cat(out) if out else torch.zeros(0)


#: the kept epoch must beat the starting model on the held-out replays by this many standard
#: errors of the mean per-program gain, else training is undone (a gain within noise moves
#: search off a grammar for nothing: the grids model, 0.08 nats better on 17 held-out ARC
#: programs, solved 107 training tasks at 1 s where the grammar solved 115)
MIN_GAIN_SE = 2.0


def _significant(model: RecognitionModel, start: dict, items: Sequence[Item]) -> bool:
    """Whether `model` beats the state `start` on `items` by MIN_GAIN_SE standard errors."""
    after = _item_lls(model, items)
    trained = _state(model)
    model.load_state_dict(start)
    before = _item_lls(model, items)
    model.load_state_dict(trained)
    gain = after - before
    if len(gain) < 2:
        return False
    se = float(gain.std()) / math.sqrt(len(gain))
    return float(gain.mean()) > MIN_GAIN_SE * se


def mean_log_likelihood(model: RecognitionModel, grammar: Grammar,
                        programs: Sequence[tuple[Task, Program]]) -> dict:
    """Mean log-likelihood per program under the model's predictions and under the grammar
    the model was built on (the unguided library), over the derivable `programs`."""
    data = make_items(model, grammar, programs, source="held-out")
    if not data.items:
        return {"programs": 0}
    return {"programs": len(data.items),
            "model": round(-_valid_loss(model, data.items), 4),
            "grammar": round(-_valid_loss(model, data.items, base=True), 4)}


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _to(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, dict):
        return {k: v.to(device) for k, v in batch.items()}
    return batch.to(device)


# ------------------------------------------------------------------------------ storage
def to_bytes(model: RecognitionModel) -> bytes:
    return st_save({k: v.detach().contiguous().cpu().clone()
                    for k, v in model.state_dict().items()})


#: bounds on a stored spec, checked before anything is allocated: a library file is untrusted
MAX_OUTPUTS = 4_000_000  # rows x vocabulary
MAX_WIDTH = 4096  # any layer's width, vocabulary of tokens, channels


def check_spec(spec: Mapping[str, Any]) -> None:
    """ValueError unless `spec` is a model of sane size (before building it)."""
    vocab, contexts = spec.get("vocab"), spec.get("contexts", [])
    if not isinstance(vocab, list) or not isinstance(contexts, list) or not vocab:
        raise ValueError("a recognition spec needs a vocabulary and a list of contexts")
    if len(vocab) * (len(contexts) + 1) > MAX_OUTPUTS:
        raise ValueError(f"a recognition model of {len(vocab)} names x {len(contexts) + 1} "
                         f"rows exceeds {MAX_OUTPUTS} outputs")
    rank = spec.get("rank", 0)
    if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank <= 64:
        raise ValueError(f"a recognition spec's rank must be an integer in 0..64, got {rank!r}")
    sizes = [spec.get("hidden", 64)]
    enc = spec.get("encoder")
    if not isinstance(enc, Mapping):
        raise ValueError("a recognition spec needs its encoder's spec")
    for key in ("vocab", "embed", "hidden", "size", "colours", "max_tokens", "max_examples",
                "max_pairs"):
        if key in enc:
            sizes.append(enc[key])
    sizes += list(enc.get("channels", []))
    for v in sizes:
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v <= MAX_WIDTH:
            raise ValueError(f"a recognition spec size must be an integer in 1..{MAX_WIDTH}, "
                             f"got {v!r}")


def from_record(spec: Mapping[str, Any], weights: bytes,
                encoder_factory: Callable[[dict | None], nn.Module]) -> RecognitionModel:
    """Rebuild a stored model (strict: every weight must fit the spec; sizes are checked
    first, `check_spec`)."""
    check_spec(spec)
    model = RecognitionModel(dict(spec), encoder_factory(dict(spec["encoder"])))
    model.load_state_dict(st_load(weights), strict=True)
    model.eval()
    return model
