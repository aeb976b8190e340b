"""Choosing and training the hybrid program of a task: successive halving over candidates.

Candidates come from `hylo.neural.candidates` (the core enumerator over the domain's DSL plus
neural primitives, by description length under the grammar, pruned by general rules and the
domain's algebraic facts).

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

With an objective (`HybridConfig.objective`, an engineer's `f(predictions, targets, model)`,
lower is better; see `hylo.neural.objectives`), the objective replaces accuracy and likelihood:
the winner has the lowest objective of its decisions on the validation split (plus
`size_penalty` per node), training adds it to the likelihood where it has a gradient, and the
rungs rank by that sum on the validation split (the likelihood plus the objective of the soft
outputs, an expected cost say). Without one, nothing changes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from hylo.core.grammar import Grammar
from hylo.core.program import Program, show, size
from hylo.core.types import Type
from hylo.neural.candidates import Prune, candidates
from hylo.neural.hybrid import (
    CompileOptions,
    Data,
    HybridModel,
    Resolver,
    Semantics,
    compile_program,
)
from hylo.neural.objectives import Objective, fit_gradient_with
from hylo.neural.objectives import evaluate as evaluate_objective
from hylo.neural.train import TrainConfig


# ----------------------------------------------------------------------------- ranking
@dataclass
class HybridConfig:
    max_size: int = 8
    max_programs: int = 4000
    max_nodes: int = 60_000  # the enumerator's node budget (see `hylo.neural.candidates`)
    max_trainable: int = 12  # trainable candidates entering successive halving (first by DL)
    finetune_top: int = 2  # the best frozen library candidates also tried fine-tuned
    eta: int = 3
    min_steps: int = 16
    rung_batch: int = 32  # minibatch while ranking (the final training uses `train.batch_size`)
    size_penalty: float = 0.01
    final_steps: int = 1000
    train: TrainConfig = field(default_factory=TrainConfig)
    fresh_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    seed: int = 0
    objective: Objective | None = None  # lower is better; None: accuracy and likelihood


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
    objective: float | None = None  # of the decisions on validation, with an objective
    soft_objective: float | None = None  # of the soft outputs (ranks the rungs)

    @property
    def text(self) -> str:
        return show(self.program)

    def key(self) -> tuple:
        n = size(self.program)
        if self.objective is not None:
            return (self.objective + self.penalty * n, self.n_trainable, n, self.text,
                    self.finetune)
        return (-(self.score - self.penalty * n), self.n_trainable, n, self.text, self.finetune)

    def rung_key(self) -> tuple:
        """Successive halving ranks partly trained candidates by validation likelihood, which
        separates them long before their accuracies leave chance level."""
        nll = self.nll if not math.isnan(self.nll) else math.inf
        if self.soft_objective is not None:
            # what training minimises: an objective alone would favour, early on, programs
            # that cannot fit the labels at all but avoid the costly outputs
            return (nll + self.soft_objective, -self.score, self.n_trainable,
                    size(self.program), self.text)
        return (nll, -self.score, self.n_trainable, size(self.program), self.text)


@dataclass
class HybridResult:
    program: Program
    model: HybridModel
    finetune: bool
    val_accuracy: float
    candidates: int
    trained: int
    rungs: list[dict[str, Any]]
    seconds: float
    leaderboard: list[dict[str, Any]]
    description_length: float  # nats, under the search's grammar
    val_objective: float | None = None  # the winner's, with an objective

    @property
    def text(self) -> str:
        return show(self.program)


def _compile(program: Program, request: Type, resolve: Resolver | None, finetune: bool,
             library: Mapping[str, nn.Module], cfg: HybridConfig, index: int,
             semantics: Semantics) -> HybridModel:
    options = CompileOptions(semantics=semantics, fresh_specs=cfg.fresh_specs,
                             finetune=finetune, seed=cfg.seed * 7919 + index)
    return compile_program(program, request, resolve, options, preloaded=library,
                           share_frozen=True)


def search_hybrid(request: Type, train: Data, val: Data, grammar: Grammar, semantics: Semantics,
                  rules: Prune | None = None, resolve: Resolver | None = None,
                  library: Mapping[str, nn.Module] | None = None,
                  cfg: HybridConfig | None = None,
                  progress: Callable[[str, float], None] | None = None) -> HybridResult:
    """Find and train the hybrid program of type `request` that best fits `train`, judged on
    `val`. `grammar`'s DSL includes the neural primitives (library references and fresh holes,
    see `hylo.neural.candidates.with_neural`); `semantics` is the domain's differentiable
    meaning of the others; `library` maps a library reference to its module, built once and
    shared by frozen candidates."""
    cfg = cfg or HybridConfig()
    library = dict(library or {})
    t0 = time.perf_counter()
    found = candidates(grammar, request, rules, cfg.max_size, cfg.max_programs,
                       max_nodes=cfg.max_nodes)
    programs = [c.program for c in found]
    lengths = {c.program: c.description_length for c in found}
    val_values = val.values()
    cache: dict = {}

    def score(arm: Arm, with_nll: bool = False) -> None:
        arm.model.eval()
        arm.model.cache = cache if not arm.finetune else None
        arm.score = _val_accuracy(arm.model, val, val_values)
        if with_nll:
            arm.nll = _val_nll(arm.model, val, val_values)
        if cfg.objective is not None:
            arm.objective = evaluate_objective(cfg.objective, arm.model, val, "hard",
                                               val_values)
            if with_nll:
                arm.soft_objective = evaluate_objective(cfg.objective, arm.model, val, "soft",
                                                        val_values)
        arm.model.cache = None

    frozen: list[Arm] = []
    trainable: list[Arm] = []
    for i, p in enumerate(programs):
        arm = Arm(p, finetune=False, penalty=cfg.size_penalty)
        try:
            arm.model = _compile(p, request, resolve, False, library, cfg, i, semantics)
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
        tuned.model = _compile(arm.program, request, resolve, True, library, cfg, len(programs),
                               semantics)
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
            fit_gradient_with(arm.model, train, tc, cfg.objective)
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
        fit_gradient_with(best.model, both, _with(cfg.train, steps=cfg.final_steps - best.steps),
                          cfg.objective)
    best.model.eval()
    board = [{"program": a.text, "finetune": a.finetune, "val_accuracy": a.score,
              "trainable": a.n_trainable, "steps": a.steps} for a in everything[:10]]
    if cfg.objective is not None:
        for row, arm in zip(board, everything, strict=False):
            row["val_objective"] = arm.objective
    return HybridResult(best.program, best.model, best.finetune, best.score, len(programs),
                        len(trainable), rungs, time.perf_counter() - t0, board,
                        lengths[best.program], best.objective)


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


__all__ = ["Arm", "HybridConfig", "HybridResult", "search_hybrid"]
