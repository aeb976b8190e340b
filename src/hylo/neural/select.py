"""Search over hybrid programs: typed enumeration of candidates, ranked by successive halving.

Candidates. `enumerate_programs` lists the closed programs of a requested type, smallest first,
over a table of typed primitives in which the neural modules are primitives too: every library
module of a fitting type (`nn:classify@v1 : image -> int`) and a fresh hole of each kind
(`nn:new:classify : image -> int`). Generation is top-down and eta-long, then eta-reduced; it
prunes what can never be a useful model: functions that ignore their argument, the identity,
applications whose arguments are all closed (constant expressions such as `(+ 3 4)`), `x op x`
for comparisons, and the mirror image of commutative `+` and `eq`.

Ranking. A candidate without trainable weights (algorithmic primitives and frozen library
modules only) is scored at once: its accuracy on the validation split. Candidates with weights to
train (fresh holes, and library modules opened for fine-tuning) share the training budget by
successive halving (our own loop, deterministic): each surviving candidate is trained up to
`min_steps * eta**r` steps at rung r, scored by its validation negative log-likelihood (soft
semantics), and the best `1/eta` go on; the last survivor alone competes with the candidates
that had nothing to train. The winner is the best validation accuracy, less `size_penalty` per
program node (an Occam prior: a larger program must fit the validation split visibly better);
ties go to the candidate with fewer trainable weights, then to the smaller program. A trainable
winner then finishes its training (`final_steps`) on train + validation.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from hylo.core.program import App, Lam, Prim, Program, Var, free_indices, shift, show, size, spine
from hylo.core.types import (
    Subst,
    TCon,
    Type,
    UnificationError,
    apply,
    arguments,
    instantiate,
    is_arrow,
    returns,
    unify,
)
from hylo.neural.hybrid import CompileOptions, Data, HybridModel, Resolver, compile_program
from hylo.neural.train import TrainConfig, accuracy, fit_gradient

COMMUTATIVE = frozenset({"+", "eq"})
COMPARISONS = frozenset({"eq", "gt"})
#: (outer, inner): `(outer (inner f xs))` equals a smaller program, e.g. `(length (map f xs))`
#: is `(length xs)`; such candidates are skipped.
REDUNDANT = frozenset({("length", "map")})


# ----------------------------------------------------------------------------- enumeration
def _fresh_counter() -> Iterator[int]:
    return itertools.count(10_000)


def enumerate_programs(primitives: Mapping[str, Type], request: Type, max_size: int,
                       limit: int | None = None) -> list[Program]:
    """Closed, pruned, eta-reduced programs of type `request`, by increasing size (ties by text),
    at most `limit` of them. Results are memoised per (primitives, request, size, limit)."""
    key = (tuple(sorted(primitives.items(), key=lambda kv: kv[0])), request, max_size, limit)
    if key not in _ENUM_CACHE:
        if len(_ENUM_CACHE) > 64:
            _ENUM_CACHE.clear()
        _ENUM_CACHE[key] = _enumerate(primitives, request, max_size, limit)
    return list(_ENUM_CACHE[key])


_ENUM_CACHE: dict[tuple, list[Program]] = {}


def _enumerate(primitives: Mapping[str, Type], request: Type, max_size: int,
               limit: int | None) -> list[Program]:
    counter = _fresh_counter()
    seen: set[str] = set()
    out: list[Program] = []
    for target in range(1, max_size + 1):
        batch: list[Program] = []
        for p, _ in _gen(primitives, request, (), {}, target, counter):
            q = eta_reduce(p)
            text = show(q)
            if text not in seen:
                seen.add(text)
                batch.append(q)
        batch.sort(key=show)
        out.extend(batch)
        if limit is not None and len(out) >= limit:
            return out[:limit]
    return out


def _gen(prims: Mapping[str, Type], t: Type, ctx: tuple[Type, ...], s: Subst, n: int,
         counter: Iterator[int]) -> Iterator[tuple[Program, Subst]]:
    t = apply(t, s)
    if n <= 0:
        return
    if is_arrow(t):
        arg, ret = t.args
        for body, s2 in _gen(prims, ret, (arg, *ctx), s, n - 1, counter):
            if 0 in free_indices(body) and body != Var(0):
                yield Lam(body), s2
        return
    heads: list[tuple[Program, Type]] = [(Var(i), ct) for i, ct in enumerate(ctx)]
    for name, pt in prims.items():
        r = returns(pt)
        if isinstance(t, TCon) and isinstance(r, TCon) and r.name != t.name:
            continue  # cannot produce the wanted constructor: skip before instantiating
        fresh, _ = instantiate(pt, next(counter) * 100)
        heads.append((Prim(name), fresh))
    for head, ht in heads:
        args = arguments(apply(ht, s)) if isinstance(head, Var) else arguments(ht)
        if len(args) + 1 > n:
            continue
        ret = returns(apply(ht, s)) if isinstance(head, Var) else returns(ht)
        try:
            s1 = unify(ret, t, s)
        except UnificationError:
            continue
        if not args:
            if n == 1:
                yield head, s1
            continue
        for argv, s2 in _gen_args(prims, args, ctx, s1, n - 1, counter):
            if _pruned(head, argv):
                continue
            p: Program = head
            for a in argv:
                p = App(p, a)
            yield p, s2


def _gen_args(prims: Mapping[str, Type], types: list[Type], ctx: tuple[Type, ...], s: Subst,
              n: int, counter: Iterator[int]) -> Iterator[tuple[list[Program], Subst]]:
    if not types:
        if n == 0:
            yield [], s
        return
    first, rest = types[0], types[1:]
    for k in range(1, n - len(rest) + 1):
        for a, s1 in _gen(prims, first, ctx, s, k, counter):
            for more, s2 in _gen_args(prims, rest, ctx, s1, n - k, counter):
                yield [a, *more], s2


def _pruned(head: Program, args: list[Program]) -> bool:
    if isinstance(head, Prim):
        if all(not free_indices(a) for a in args):
            return True
        if head.name in COMPARISONS and len(args) == 2 and args[0] == args[1]:
            return True
        if args and isinstance(spine(args[-1])[0], Prim):
            if (head.name, spine(args[-1])[0].name) in REDUNDANT:
                return True
        if head.name in COMMUTATIVE and len(args) == 2 and show(args[0]) > show(args[1]):
            return True
        if head.name == "+" and len(args) == 2:
            if Prim("0") in args:
                return True  # x + 0
            for a, b in (args, args[::-1]):
                inner, inner_args = spine(a)
                if (_literal(b) and inner == Prim("+")
                        and any(_literal(x) for x in inner_args)):
                    return True  # (x + k1) + k2: one constant would do
    return False


def _literal(p: Program) -> bool:
    return isinstance(p, Prim) and p.name.isdigit()


def eta_reduce(p: Program) -> Program:
    """`(lam (f $0))` -> `f` wherever `$0` is not free in `f`, bottom-up."""
    if isinstance(p, App):
        return App(eta_reduce(p.f), eta_reduce(p.x))
    if isinstance(p, Lam):
        body = eta_reduce(p.body)
        if isinstance(body, App) and body.x == Var(0) and 0 not in free_indices(body.f):
            return shift(body.f, -1)
        return Lam(body)
    return p


# ----------------------------------------------------------------------------- ranking
@dataclass
class SearchConfig:
    max_size: int = 8
    max_programs: int = 4000
    max_trainable: int = 12  # trainable candidates entering successive halving (smallest first)
    finetune_top: int = 2  # the best frozen library candidates also tried fine-tuned
    eta: int = 3
    min_steps: int = 16
    rung_batch: int = 32  # minibatch while ranking (the final training uses `train.batch_size`)
    size_penalty: float = 0.01
    final_steps: int = 1000
    train: TrainConfig = field(default_factory=TrainConfig)
    fresh_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    seed: int = 0


@dataclass
class Arm:
    program: Program
    finetune: bool
    model: HybridModel | None = None
    score: float = -1.0
    steps: int = 0
    n_trainable: int = 0
    error: str | None = None
    penalty: float = 0.0
    nll: float = math.inf

    @property
    def text(self) -> str:
        return show(self.program)

    def key(self) -> tuple:
        n = size(self.program)
        return (-(self.score - self.penalty * n), self.n_trainable, n, self.text, self.finetune)

    def rung_key(self) -> tuple:
        """Successive halving ranks partly trained candidates by validation likelihood, which
        separates them long before their accuracies leave chance level."""
        nll = self.nll if not math.isnan(self.nll) else math.inf
        return (nll, -self.score, self.n_trainable, size(self.program), self.text)


@dataclass
class SearchResult:
    program: Program
    model: HybridModel
    finetune: bool
    val_accuracy: float
    candidates: int
    trained: int
    rungs: list[dict[str, Any]]
    seconds: float
    leaderboard: list[dict[str, Any]]

    @property
    def text(self) -> str:
        return show(self.program)


def _compile(program: Program, request: Type, resolve: Resolver | None, finetune: bool,
             library: Mapping[str, nn.Module], cfg: SearchConfig, index: int) -> HybridModel:
    options = CompileOptions(fresh_specs=cfg.fresh_specs, finetune=finetune,
                             seed=cfg.seed * 7919 + index)
    return compile_program(program, request, resolve, options, preloaded=library,
                           share_frozen=True)


def search(request: Type, train: Data, val: Data, primitives: Mapping[str, Type],
           resolve: Resolver | None = None, library: Mapping[str, nn.Module] | None = None,
           cfg: SearchConfig | None = None,
           progress: Callable[[str, float], None] | None = None) -> SearchResult:
    """Find and train the hybrid program of type `request` that best fits `train`, judged on
    `val`. `primitives` includes the neural ones (library references and fresh holes);
    `library` maps a library reference to its module, built once and shared by frozen
    candidates."""
    cfg = cfg or SearchConfig()
    library = dict(library or {})
    t0 = time.perf_counter()
    programs = enumerate_programs(primitives, request, cfg.max_size, cfg.max_programs)
    val_values = val.values()
    cache: dict = {}

    def score(arm: Arm, with_nll: bool = False) -> None:
        arm.model.eval()
        arm.model.cache = cache if not arm.finetune else None
        arm.score = _val_accuracy(arm.model, val, val_values)
        if with_nll:
            arm.nll = _val_nll(arm.model, val, val_values)
        arm.model.cache = None

    frozen: list[Arm] = []
    trainable: list[Arm] = []
    for i, p in enumerate(programs):
        arm = Arm(p, finetune=False, penalty=cfg.size_penalty)
        try:
            arm.model = _compile(p, request, resolve, False, library, cfg, i)
        except (KeyError, ValueError) as error:
            arm.error = str(error)
            continue
        arm.n_trainable = sum(q.numel() for q in arm.model.trainable())
        if arm.n_trainable == 0:
            score(arm)
            frozen.append(arm)
        elif len(trainable) < cfg.max_trainable:
            trainable.append(arm)
    frozen.sort(key=Arm.key)
    for arm in [a for a in frozen if a.model.slots][: cfg.finetune_top]:
        tuned = Arm(arm.program, finetune=True, penalty=cfg.size_penalty)
        tuned.model = _compile(arm.program, request, resolve, True, library, cfg, len(programs))
        tuned.n_trainable = sum(q.numel() for q in tuned.model.trainable())
        trainable.append(tuned)
    if progress:
        progress(f"{len(programs)} candidates, {len(trainable)} to train", 0.0)

    rungs: list[dict[str, Any]] = []
    alive = list(trainable)
    rung = 0
    total_rungs = max(1, math.ceil(math.log(max(len(alive), 1), cfg.eta)) + 1)
    while alive:
        steps = cfg.min_steps * cfg.eta**rung
        for arm in alive:
            tc = _with(cfg.train, steps=steps - arm.steps, seed=cfg.train.seed + rung,
                       batch_size=cfg.rung_batch)
            fit_gradient(arm.model, train, tc)
            arm.steps = steps
            score(arm, with_nll=True)
        alive.sort(key=Arm.rung_key)
        rungs.append({"rung": rung, "steps": steps,
                      "scores": [(a.text + (" [finetune]" if a.finetune else ""), a.score,
                                  a.nll) for a in alive]})
        rung += 1
        if progress:
            progress(f"rung {rung}: best {alive[0].score:.3f}", min(1.0, rung / total_rungs))
        if len(alive) == 1:
            break
        alive = alive[: max(1, math.ceil(len(alive) / cfg.eta))]

    # trainable candidates dropped at an early rung are out: only the last survivor competes
    # with the candidates that had nothing to train
    everything = sorted(frozen + alive[:1], key=Arm.key)
    if not everything:
        raise RuntimeError(f"no candidate program of type {request} could be built")
    best = everything[0]
    if best.n_trainable and cfg.final_steps > best.steps:
        both = _concat(train, val)
        fit_gradient(best.model, both, _with(cfg.train, steps=cfg.final_steps - best.steps))
    best.model.eval()
    board = [{"program": a.text, "finetune": a.finetune, "val_accuracy": a.score,
              "trainable": a.n_trainable, "steps": a.steps} for a in everything[:10]]
    return SearchResult(best.program, best.model, best.finetune, best.score, len(programs),
                        len(trainable), rungs, time.perf_counter() - t0, board)


def _val_accuracy(model: HybridModel, val: Data, values: list[Any]) -> float:
    import torch

    from hylo.neural.hybrid import decide

    if len(val) == 0:
        return 0.0
    with torch.no_grad():
        try:
            out = decide(model(values, "hard"), len(val))
        except (TypeError, RuntimeError, KeyError):
            return 0.0
    return float((out == val.y.long()).float().mean())


def _val_nll(model: HybridModel, val: Data, values: list[Any]) -> float:
    import torch

    from hylo.neural.hybrid import nll

    if len(val) == 0:
        return math.inf
    with torch.no_grad():
        try:
            return float(nll(model(values, "soft"), val.y).mean())
        except (TypeError, RuntimeError, KeyError):
            return math.inf


def _with(cfg: TrainConfig, **changes: Any) -> TrainConfig:
    from dataclasses import replace

    return replace(cfg, **changes)


def _concat(a: Data, b: Data) -> Data:
    import torch

    from hylo.neural.hybrid import Column

    cols = []
    for ca, cb in zip(a.columns, b.columns, strict=True):
        mask = None if ca.mask is None else torch.cat([ca.mask, cb.mask])
        cols.append(Column(torch.cat([ca.x, cb.x]), mask))
    return Data(a.request, cols, torch.cat([a.y, b.y]))


__all__ = ["Arm", "SearchConfig", "SearchResult", "accuracy", "enumerate_programs", "eta_reduce",
           "search"]
