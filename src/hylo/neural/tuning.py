"""Tuning a neural hole: its architecture and training hyper-parameters, by Optuna.

A *space* is declared per module kind (`space`): a table of `Param`s, each a list of values
(ordered, except where the order means nothing) or a log-scaled real range, each active only
when its condition on the parameters drawn before it holds (the width of the third conv layer
exists only with three conv layers). `to_spec` turns a draw into the kind's spec, checked by
`hylo.neural.kinds.full_spec`, and `to_train` into a `TrainConfig`. The defaults of
`hylo.neural.kinds` and `TrainConfig` are one point of every space (`default_params`).

A *problem* (`Problem`) is a program with one fresh hole of the kind (`(lam (sum (map
nn:new:classify $0)))`), its training and validation splits, and the domain's semantics. A
trial compiles the program with the trial's spec, trains it with the trial's settings on the
training split and is judged by its mean validation NLL (soft semantics): the objective.

`tune` runs a study by ask/tell with one of two samplers over the same space:

- `tpe`: Optuna's TPE, seeded (a resumed study reseeds it from the seed and the trials done,
  so a run depends on its seed and the stored study only).
- `evolution`: regularized (aging) evolution, Real et al. 2019 (`AgingEvolution`): the
  population is the last `population` finished trials, so the oldest leaves as each child
  arrives; a child copies the best of `sample` members drawn at random and redraws one of its
  parameters. It is an Optuna sampler, so it shares storage, pruning, resume and warm start.

Pruning: each trial reports its validation NLL at checkpoints of `reduction**r` resource units
(one unit is `unit_examples` training examples), and Optuna's `SuccessiveHalvingPruner` stops
it when it is not in the best `1/reduction` of the trials that reached that rung. This takes
the place, for specs, of the successive halving `hylo.neural.select` runs over programs.

Storage: a study lives in Optuna's RDB storage on SQLite beside the library
(`<library>.optuna.db`, `storage_for`); in memory without a library. `tune` resumes a study of
the same name (`load_if_exists`): trials a killed run left `RUNNING` are marked failed and their
parameters queued again, and only the missing trials run. A fresh study is warm-started: the
default point and the best parameters of up to `warm_start` earlier studies of the same kind
(newest first) are queued before anything is sampled. One tuner per study at a time.
"""

from __future__ import annotations

import math
import operator
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution
from optuna.samplers import BaseSampler, TPESampler
from optuna.trial import FrozenTrial, TrialState

from hylo.core.program import Program, show
from hylo.core.types import Type
from hylo.neural import kinds
from hylo.neural.hybrid import CompileOptions, Data, HybridModel, Semantics, compile_program
from hylo.neural.names import fresh_name
from hylo.neural.train import TrainConfig, accuracy, fit_gradient, mean_nll

#: Bump when a space changes meaning; studies record it and warm starts read only their own.
SPACE_VERSION = 1
SEARCHERS = ("tpe", "evolution")
#: A diverged trial's loss (NaN or above this) is this, so it ranks last and stays a number.
LOSS_CAP = 100.0


# ----------------------------------------------------------------------------- the space
@dataclass(frozen=True)
class Param:
    """One dimension: `values` (ordered unless `ordered` is False) or a log-real range."""

    name: str
    values: tuple = ()
    low: float = 0.0
    high: float = 0.0
    ordered: bool = True
    when: Callable[[Mapping[str, Any]], bool] | None = None

    def active(self, drawn: Mapping[str, Any]) -> bool:
        return self.when is None or self.when(drawn)

    def distribution(self) -> BaseDistribution:
        if self.values:
            return CategoricalDistribution(self.values)
        return FloatDistribution(self.low, self.high, log=True)

    def contains(self, value: Any) -> bool:
        if self.values:
            return any(type(value) is type(v) and value == v for v in self.values)
        return (isinstance(value, float) and math.isfinite(value)
                and self.low <= value <= self.high)

    def draw(self, rng: np.random.Generator) -> Any:
        if self.values:
            return self.values[int(rng.integers(len(self.values)))]
        return self._clip(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def _clip(self, x: float) -> float:
        # exp(log(high)) may round past `high`
        return float(min(max(x, self.low), self.high))

    def mutate(self, value: Any, rng: np.random.Generator) -> Any:
        """A different value near `value`: a neighbour of an ordered list, any other choice of
        an unordered one, a log-normal step (a sixth of the range) for a real."""
        if not self.values:
            span = math.log(self.high) - math.log(self.low)
            moved = math.log(value) + rng.normal(0.0, span / 6)
            return self._clip(math.exp(moved))
        i = self.values.index(value) if self.contains(value) else 0
        if self.ordered:
            steps = [j for j in (i - 1, i + 1) if 0 <= j < len(self.values)]
        else:
            steps = [j for j in range(len(self.values)) if j != i]
        return self.values[steps[int(rng.integers(len(steps)))]] if steps else value


@dataclass(frozen=True)
class Space:
    """A module kind's search space: its parameters in drawing order and the spec they fix
    beneath `base` (keys no parameter sets, e.g. `classes`, `shape`)."""

    kind: str
    params: tuple[Param, ...]
    base: Mapping[str, Any] = field(default_factory=dict)
    examples: int | None = None  # a fixed training budget: steps = examples / batch size
    # Feature selection: input positions best first (a filter's ranking of a tabular row's
    # columns); the parameter `keep` then takes the best fraction of them (`inputs`).
    ranking: tuple[int, ...] = ()

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def sample(self, suggest: Callable[[Param], Any]) -> dict[str, Any]:
        """Draw the active parameters in order, each by `suggest` (a trial, a generator)."""
        drawn: dict[str, Any] = {}
        for p in self.params:
            if p.active(drawn):
                drawn[p.name] = suggest(p)
        return drawn

    def to_spec(self, params: Mapping[str, Any]) -> dict[str, Any]:
        spec = {**self.base, **_SPEC_OF[self.kind](params)}
        keep = params.get("keep", 1.0)
        if self.ranking and keep < 1.0:
            n = max(1, math.ceil(keep * len(self.ranking)))
            spec["inputs"] = sorted(self.ranking[:n])
        return kinds.full_spec(self.kind, spec)

    def to_train(self, params: Mapping[str, Any], base: TrainConfig) -> TrainConfig:
        batch = int(params["batch_size"])
        steps = (math.ceil(self.examples / batch) if self.examples is not None
                 else int(params["steps"]))
        return replace(base, lr=float(params["lr"]), weight_decay=float(params["weight_decay"]),
                       batch_size=batch, steps=steps)

    def valid(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The entries of `params` that this space can take (queued before sampling)."""
        out = {k: v for k, v in params.items()
               if (p := self.param(k)) is not None and p.contains(v)}
        return out


def _conv(i: int) -> Callable[[Mapping[str, Any]], bool]:
    return lambda d: d.get("arch") == "cnn" and d.get("n_conv", 0) > i


def _hidden(d: Mapping[str, Any]) -> bool:
    return d.get("depth", 0) > 0


def _training(examples: int | None) -> tuple[Param, ...]:
    out = (Param("lr", low=3e-4, high=1e-2), Param("weight_decay", low=1e-6, high=1e-2),
           Param("batch_size", (16, 32, 64, 128)))
    return out if examples is not None else (*out, Param("steps", (250, 500, 1000, 2000)))


def _head(hidden: tuple[int, ...]) -> tuple[Param, ...]:
    return (Param("depth", (0, 1, 2, 3)), Param("hidden", hidden, when=_hidden))


def space(kind: str, archs: tuple[str, ...] | None = None, examples: int | None = None,
          base: Mapping[str, Any] | None = None, ranking: Sequence[int] = ()) -> Space:
    """The declared space of `kind` (`classify`: `archs` among `cnn`, `mlp`; `regress`, `mlp`);
    `examples` fixes each trial's training budget (steps = examples / batch size) instead of
    tuning the steps; `base` holds the spec keys no parameter sets. With `ranking` (input
    positions, best first; `classify` of arch `mlp` only) a parameter `keep` (the fraction of
    the ranked inputs the module reads: 1, 3/4, 1/2, 1/4) is tuned with the rest."""
    base = dict(base or {})
    archs = tuple(archs or ("cnn", "mlp"))
    if kind == "classify":
        if not archs or any(a not in ("cnn", "mlp") for a in archs):
            raise ValueError(f"classify archs are among ('cnn', 'mlp'), got {archs!r}")
        if "arch" not in base and kinds.DEFAULT_SPECS[kind]["arch"] not in archs:
            base["arch"] = archs[0]  # so that the default point is in the space
        if base.get("arch", "cnn") not in archs:
            raise ValueError(f"the base arch {base['arch']!r:.40} is not among {archs}")
    kinds.full_spec(kind, base)  # refuse a hostile base before anything else
    ranking = _ranking(kind, archs, base, ranking)
    if kind == "classify":
        params: tuple[Param, ...] = (Param("arch", archs, ordered=False),
                                     Param("n_conv", (1, 2, 3),
                                           when=lambda d: d.get("arch") == "cnn"))
        for i in range(3):
            params += (Param(f"c{i}", (8, 16, 32, 64), when=_conv(i)),
                       Param(f"k{i}", (3, 5), when=_conv(i)))
        params += (Param("pool", ("last", "first", "each", "none"), ordered=False,
                         when=lambda d: d.get("arch") == "cnn"),
                   *_head((32, 64, 128, 256)),
                   Param("dropout", (0.0, 0.1, 0.25), when=_hidden))
    elif kind in ("regress", "mlp"):
        params = _head((16, 32, 64, 128, 256))
    else:
        raise ValueError(f"no tuning space for module kind {kind!r}")
    if ranking:
        params = (Param("keep", (1.0, 0.75, 0.5, 0.25)), *params)
    return Space(kind, params + _training(examples), base, examples, ranking)


def _ranking(kind: str, archs: tuple[str, ...], base: Mapping[str, Any],
             ranking: Sequence[int]) -> tuple[int, ...]:
    """`ranking` checked: a permutation of the input positions, for an MLP classifier."""
    if not len(ranking):
        return ()
    if kind != "classify" or archs != ("mlp",):
        raise ValueError("feature selection (a ranking) is tuned for a classify hole of arch "
                         f"mlp only, got {kind} with archs {archs}")
    h, w = kinds.full_spec(kind, dict(base))["shape"]
    try:
        out = tuple(operator.index(i) for i in ranking)
    except TypeError:
        raise ValueError("a ranking holds input positions (integers)") from None
    if sorted(out) != list(range(h * w)):
        raise ValueError(f"a ranking orders all {h * w} input positions once each")
    return out


def _classify_spec(p: Mapping[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {"arch": p["arch"], "depth": p["depth"]}
    if p["arch"] == "cnn":
        n = p["n_conv"]
        spec |= {"channels": [p[f"c{i}"] for i in range(n)],
                 "kernel": [p[f"k{i}"] for i in range(n)], "pool": p["pool"]}
    if p["depth"] > 0:
        spec |= {"hidden": p["hidden"], "dropout": p["dropout"]}
    return spec


def _head_spec(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"depth": p["depth"], **({"hidden": p["hidden"]} if p["depth"] > 0 else {})}


_SPEC_OF: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "classify": _classify_spec, "regress": _head_spec, "mlp": _head_spec}


def default_params(sp: Space, train: TrainConfig | None = None) -> dict[str, Any]:
    """The point of `sp` that is the kind's default spec (beneath `sp.base`) trained with
    `train`'s settings (default: `TrainConfig()`)."""
    spec = kinds.full_spec(sp.kind, dict(sp.base))
    tc = train or TrainConfig()
    known: dict[str, Any] = {"keep": 1.0, "depth": spec["depth"], "hidden": spec["hidden"],
                             "lr": tc.lr, "weight_decay": tc.weight_decay,
                             "batch_size": tc.batch_size, "steps": tc.steps}
    if sp.kind == "classify":
        known |= {"arch": spec["arch"], "pool": spec.get("pool"), "dropout": spec["dropout"]}
        if spec["arch"] == "cnn":
            sizes = kinds._kernels(spec)
            known["n_conv"] = len(spec["channels"])
            for i, (c, k) in enumerate(zip(spec["channels"], sizes, strict=True)):
                known |= {f"c{i}": c, f"k{i}": k}
    drawn = sp.sample(lambda p: known.get(p.name))
    bad = [p.name for p in sp.params if p.name in drawn and not p.contains(drawn[p.name])]
    if bad:
        raise ValueError(f"the default of {sp.kind} is outside its space at {bad}")
    return drawn


def random_params(sp: Space, rng: np.random.Generator) -> dict[str, Any]:
    return sp.sample(lambda p: p.draw(rng))


# ----------------------------------------------------------------------------- evolution
class AgingEvolution(BaseSampler):
    """Regularized evolution (Real et al. 2019) as an Optuna sampler over a `Space`.

    Until `population` trials have finished, a trial is drawn at random. Then the population
    is the `population` most recent finished trials (complete, or pruned with the value it
    reached): `sample` of them are drawn at random, the best is the parent, and the child is
    the parent with one active parameter mutated (`Param.mutate`); parameters the mutation
    activates are drawn at random. Every draw comes from a generator seeded by `(seed, trial
    number)`, so a study is reproduced from its seed (and the values its trials reach)."""

    def __init__(self, sp: Space, population: int = 8, sample: int = 3, seed: int = 0):
        if not 1 <= sample <= population:
            raise ValueError("evolution needs 1 <= sample <= population")
        self.space, self.population, self.sample, self.seed = sp, population, sample, seed
        self._children: dict[int, dict[str, Any]] = {}

    def infer_relative_search_space(self, study: optuna.Study,
                                    trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(self, study: optuna.Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        return {}

    def sample_independent(self, study: optuna.Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        if trial.number not in self._children:
            self._children[trial.number] = self.child(study, trial.number)
        value = self._children[trial.number].get(param_name)
        p = self.space.param(param_name)
        if value is not None and p is not None and p.contains(value):
            return value
        rng = np.random.default_rng([self.seed, trial.number, zlib.crc32(param_name.encode())])
        if p is not None:
            return p.draw(rng)
        return optuna.samplers.RandomSampler(seed=int(rng.integers(2**31))).sample_independent(
            study, trial, param_name, param_distribution)

    def after_trial(self, study: optuna.Study, trial: FrozenTrial, state: TrialState,
                    values: Any) -> None:
        self._children.pop(trial.number, None)

    def child(self, study: optuna.Study, number: int) -> dict[str, Any]:
        """The parameters trial `number` inherits (empty while the population fills)."""
        done = [t for t in study.get_trials(deepcopy=False,
                                            states=(TrialState.COMPLETE, TrialState.PRUNED))
                if t.value is not None and t.number < number]
        if len(done) < self.population:
            return {}
        rng = np.random.default_rng([self.seed, number])
        members = sorted(done, key=lambda t: t.number)[-self.population:]
        picked = rng.choice(len(members), size=self.sample, replace=False)
        parent = min((members[int(i)] for i in picked), key=lambda t: (t.value, t.number))
        return mutate(self.space, dict(parent.params), rng)


def mutate(sp: Space, params: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """`params` with one active, mutable parameter changed."""
    mutable = [p for p in sp.params if p.name in params and (not p.values or len(p.values) > 1)]
    if not mutable:
        return params
    p = mutable[int(rng.integers(len(mutable)))]
    return {**params, p.name: p.mutate(params[p.name], rng)}


# ----------------------------------------------------------------------------- the problem
@dataclass
class Problem:
    """What a trial trains: `program` (one fresh hole of `space.kind`) on `train`, judged by
    its mean NLL on `val`. `train_config` holds what the space does not set (augmentation)."""

    program: Program
    request: Type
    space: Space
    train: Data
    val: Data
    semantics: Semantics = field(default_factory=dict)
    train_config: TrainConfig = field(default_factory=TrainConfig)
    unit_examples: int = 2370  # one resource unit of the pruner: 64,000 / 27 examples

    def build(self, params: Mapping[str, Any], seed: int) -> HybridModel:
        spec = self.space.to_spec(params)
        options = CompileOptions(semantics=self.semantics, fresh_specs={self.space.kind: spec},
                                 seed=seed)
        model = compile_program(self.program, self.request, options=options)
        if fresh_name(self.space.kind) not in model.slots:
            raise ValueError(f"{show(self.program)} has no hole {fresh_name(self.space.kind)}")
        return model


def val_loss(model: HybridModel, val: Data) -> float:
    try:
        loss = mean_nll(model, val)
    except (RuntimeError, TypeError, ValueError):
        return LOSS_CAP
    return loss if math.isfinite(loss) and loss < LOSS_CAP else LOSS_CAP


def checkpoints(tc: TrainConfig, unit: int, reduction: int, first: int = 1) -> dict[int, int]:
    """Step -> resource (in units of `unit` examples) at which a trial reports: at `first`,
    `first * reduction`, ... units while they fit, and at its last step."""
    out: dict[int, int] = {}
    resource = first
    while resource * unit < tc.steps * tc.batch_size:
        out[max(1, math.ceil(resource * unit / tc.batch_size))] = resource
        resource *= reduction
    out[tc.steps] = max(1, math.ceil(tc.steps * tc.batch_size / unit))
    return out


def run_trial(problem: Problem, trial: optuna.Trial, seed: int, reduction: int,
              first: int = 1) -> float:
    """Draw the trial's parameters, train, report at the checkpoints; the final validation NLL
    (`optuna.TrialPruned` when the pruner stops it)."""
    params = problem.space.sample(lambda p: _suggest(trial, p))
    t0 = time.perf_counter()
    try:
        model = problem.build(params, seed)
    except ValueError as error:  # a draw outside the caps: the worst loss, not a crash
        trial.set_user_attr("error", str(error)[:200])
        return LOSS_CAP
    tc = replace(problem.space.to_train(params, problem.train_config), seed=seed)
    marks = checkpoints(tc, problem.unit_examples, reduction, first)
    state = {"pruned": False, "loss": LOSS_CAP}

    def after(step: int) -> bool:
        if step not in marks:
            return False
        state["loss"] = val_loss(model, problem.val)
        trial.report(state["loss"], marks[step])
        state["pruned"] = step < tc.steps and trial.should_prune()
        return bool(state["pruned"]) or state["loss"] >= LOSS_CAP

    hist = _fit(model, problem.train, tc, after)
    trial.set_user_attr("steps", int(hist["steps"]))
    trial.set_user_attr("seconds", time.perf_counter() - t0)
    trial.set_user_attr("val_accuracy", accuracy(model, problem.val))
    if state["pruned"]:
        raise optuna.TrialPruned()
    return float(state["loss"]) if hist["steps"] else val_loss(model, problem.val)


def _fit(model: HybridModel, data: Data, tc: TrainConfig,
         after: Callable[[int], bool] | None = None) -> dict[str, Any]:
    """`fit_gradient` with torch's global generator seeded too: dropout draws from it."""
    import torch

    with torch.random.fork_rng():
        torch.manual_seed(tc.seed)
        return fit_gradient(model, data, tc, after_step=after)


def _suggest(trial: optuna.Trial, p: Param) -> Any:
    if p.values:
        return trial.suggest_categorical(p.name, p.values)
    return trial.suggest_float(p.name, p.low, p.high, log=True)


# ----------------------------------------------------------------------------- studies
def storage_for(library: Path | str | None) -> optuna.storages.BaseStorage:
    """The studies of a library: SQLite `<library>.optuna.db` beside it; in memory without."""
    if library is None:
        return optuna.storages.InMemoryStorage()
    path = Path(f"{library}.optuna.db").resolve()
    return optuna.storages.RDBStorage(f"sqlite:///{path}")


@dataclass
class TuneConfig:
    trials: int = 20  # finished trials the study should hold (a resumed study runs the rest)
    searcher: str = "tpe"
    seed: int = 0
    population: int = 8  # evolution
    sample: int = 3  # evolution
    startup: int | None = None  # TPE's random trials (default: a third of the trials, 3..10)
    pruner_kind: str = "halving"  # Optuna's SuccessiveHalvingPruner; "median"; "none"
    reduction: int = 3  # successive halving's reduction factor (rungs 3, 9, 27 ... units)
    min_resource: int = 3  # the first rung, in resource units (`Problem.unit_examples`)
    enqueue_default: bool = True
    warm_start: int = 1  # earlier studies of the same kind whose best params are queued
    # Confirmation (`confirm`): the `confirm_top` best complete trials and the default point
    # are retrained on `confirm_folds` fresh train/validation splits of train + validation,
    # and the lowest mean validation NLL wins. 0: the study's best trial is the answer.
    confirm_folds: int = 0
    confirm_top: int = 3

    def sampler(self, sp: Space, done: int) -> BaseSampler:
        if self.searcher == "tpe":
            startup = self.startup or min(10, max(3, self.trials // 3))
            # reseeded by the trials already done, so a resumed study is reproducible
            return TPESampler(seed=self.seed + 1_000_003 * done, n_startup_trials=startup)
        if self.searcher == "evolution":
            return AgingEvolution(sp, self.population, self.sample, self.seed)
        raise ValueError(f"searcher must be one of {SEARCHERS}, got {self.searcher!r}")

    def pruner(self) -> optuna.pruners.BasePruner:
        if self.pruner_kind == "halving":
            return optuna.pruners.SuccessiveHalvingPruner(min_resource=self.min_resource,
                                                          reduction_factor=self.reduction)
        if self.pruner_kind == "median":
            # a trial stops where it is worse than the median of earlier trials at that rung
            return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0)
        if self.pruner_kind == "none":
            return optuna.pruners.NopPruner()
        raise ValueError(f"pruner must be halving, median or none, got {self.pruner_kind!r}")


@dataclass
class TuneResult:
    study_name: str
    searcher: str
    best_params: dict[str, Any]
    best_spec: dict[str, Any]
    best_train: TrainConfig
    best_value: float
    trials: int  # finished (complete or pruned) in the study
    pruned: int
    steps: int  # training steps of every trial in the study
    seconds: float  # training seconds of every trial in the study
    new_trials: int  # run by this call
    wall_seconds: float  # this call
    queued: list[dict[str, Any]]  # what a fresh study was warm-started with
    confirmation: dict[str, Any] | None = None  # `confirm`'s report, when it ran

    def as_dict(self) -> dict[str, Any]:
        return {"study": self.study_name, "searcher": self.searcher,
                "best_params": self.best_params, "best_spec": self.best_spec,
                "best_train": {k: getattr(self.best_train, k)
                               for k in ("steps", "batch_size", "lr", "weight_decay")},
                "best_val_loss": self.best_value, "trials": self.trials,
                "pruned": self.pruned, "steps": self.steps, "seconds": self.seconds,
                "new_trials": self.new_trials, "wall_seconds": self.wall_seconds,
                "queued": self.queued, "confirmation": self.confirmation}


def earlier_best(storage: optuna.storages.BaseStorage, kind: str,
                 exclude: str) -> list[dict[str, Any]]:
    """The best parameters of each earlier study of `kind` in `storage`, newest first."""
    found = []
    for summary in optuna.get_all_study_summaries(storage, include_best_trial=True):
        attrs = summary.user_attrs
        if (summary.study_name == exclude or attrs.get("kind") != kind
                or attrs.get("space_version") != SPACE_VERSION or summary.best_trial is None):
            continue
        start = summary.datetime_start.timestamp() if summary.datetime_start else 0.0
        found.append((start, summary.study_name, summary.best_trial.params))
    found.sort(key=lambda x: (x[0], x[1]), reverse=True)
    return [params for _, _, params in found]


def _recover(study: optuna.Study, storage: optuna.storages.BaseStorage) -> None:
    """Trials a killed run left running fail, and their parameters are queued again."""
    waiting = [t.params for t in study.get_trials(deepcopy=False, states=(TrialState.WAITING,))]
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        if t.params and t.params not in waiting:
            study.enqueue_trial(dict(t.params), user_attrs={"requeued_from": t.number})


def _warm_start(study: optuna.Study, storage: optuna.storages.BaseStorage, problem: Problem,
                cfg: TuneConfig, name: str) -> list[dict[str, Any]]:
    sp = problem.space
    queue: list[dict[str, Any]] = []
    if cfg.enqueue_default:
        queue.append(default_params(sp, problem.train_config))
    if cfg.warm_start > 0:
        for params in earlier_best(storage, sp.kind, name)[: cfg.warm_start]:
            queue.append(sp.valid(params))
    kept: list[dict[str, Any]] = []
    for params in queue:
        if params and params not in kept:
            kept.append(params)
            study.enqueue_trial(params)
    return kept


def tune(problem: Problem, cfg: TuneConfig | None = None,
         storage: optuna.storages.BaseStorage | None = None, study_name: str = "hylo",
         attrs: Mapping[str, Any] | None = None,
         progress: Callable[[str], None] | None = None) -> TuneResult:
    """Run (or resume) the study `study_name` until it holds `cfg.trials` finished trials."""
    cfg = cfg or TuneConfig()
    if cfg.searcher not in SEARCHERS:
        raise ValueError(f"searcher must be one of {SEARCHERS}, got {cfg.searcher!r}")
    if cfg.trials < 1:
        raise ValueError("tuning needs at least one trial")
    storage = storage or optuna.storages.InMemoryStorage()
    t0 = time.perf_counter()
    study = optuna.create_study(storage=storage, study_name=study_name, direction="minimize",
                                load_if_exists=True, pruner=cfg.pruner())
    fresh = not study.get_trials(deepcopy=False)
    queued: list[dict[str, Any]] = []
    if fresh:
        for key, value in {"kind": problem.space.kind, "space_version": SPACE_VERSION,
                           "searcher": cfg.searcher, "seed": cfg.seed,
                           "program": show(problem.program), **(attrs or {})}.items():
            study.set_user_attr(key, value)
        queued = _warm_start(study, storage, problem, cfg, study_name)
    else:
        _recover(study, storage)
    finished = (TrialState.COMPLETE, TrialState.PRUNED)
    done = len(study.get_trials(deepcopy=False, states=finished))
    study.sampler = cfg.sampler(problem.space, done)
    new = 0
    while done < cfg.trials:
        trial = study.ask()
        try:
            value = run_trial(problem, trial, cfg.seed, cfg.reduction,
                              cfg.min_resource)
        except optuna.TrialPruned:
            study.tell(trial, state=TrialState.PRUNED)
            outcome = "pruned"
        else:
            study.tell(trial, value)
            outcome = f"val loss {value:.3f}"
        done, new = done + 1, new + 1
        if progress:
            progress(f"{cfg.searcher} trial {trial.number}: {outcome}")
    result = _result(study, problem, cfg, new, time.perf_counter() - t0, queued)
    if cfg.confirm_folds > 0:
        result = _confirmed(study, problem, cfg, result, progress)
    return result


def folds(data: Data, n_val: int, k: int, seed: int) -> list[tuple[Data, Data]]:
    """`k` (train, validation) splits of `data`, validation parts of `n_val` examples drawn
    without overlap from one seeded permutation (fewer when `data` has too few examples)."""
    import torch

    k = min(k, len(data) // max(1, n_val))
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    out = []
    for j in range(k):
        val = order[j * n_val:(j + 1) * n_val]
        rest = torch.cat([order[: j * n_val], order[(j + 1) * n_val:]])
        out.append((data.take(rest), data.take(val)))
    return out


def confirmation_splits(problem: Problem, k: int, seed: int) -> list[tuple[Data, Data]]:
    """The `k` fresh (train, validation) splits of train + validation that candidates are
    compared on (`confirm`, and a reused procedure's check)."""
    return folds(joined(problem.train, problem.val), len(problem.val), k, seed + 7919)


def fold_seed(seed: int, j: int) -> int:
    """The seed of the model trained on confirmation split `j`: the same for every candidate,
    so that they differ by their parameters only."""
    return seed + 104_729 * (j + 1)


def confirm(problem: Problem, candidates: list[dict[str, Any]], k: int, seed: int,
            progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Retrain every candidate (parameters) on `k` fresh splits of train + validation, each
    from a fresh seed, and pick the lowest mean validation NLL (the first on a tie).

    Why: a study's best trial won one training run judged on one small validation split, so
    its value is biased low (it was chosen for it) and noisy; fresh splits and seeds give every
    candidate the same, unbiased test before it replaces the default."""
    splits = confirmation_splits(problem, k, seed)
    rows, steps, t0 = [], 0, time.perf_counter()
    for i, params in enumerate(candidates):
        losses = []
        for j, (train, val) in enumerate(splits):
            try:
                model = problem.build(params, fold_seed(seed, j))
            except ValueError:
                losses.append(LOSS_CAP)
                continue
            tc = replace(problem.space.to_train(params, problem.train_config),
                         seed=fold_seed(seed, j))
            steps += int(_fit(model, train, tc)["steps"])
            losses.append(min(LOSS_CAP, val_loss(model, val)))
        rows.append({"params": dict(params), "losses": losses,
                     "mean": sum(losses) / max(1, len(losses))})
        if progress:
            progress(f"confirm candidate {i}: mean val loss {rows[-1]['mean']:.3f}")
    best = min(range(len(rows)), key=lambda i: (rows[i]["mean"], i))
    return {"folds": len(splits), "candidates": rows, "chosen": best, "steps": steps,
            "seconds": time.perf_counter() - t0}


def _stored_report(report: Any) -> dict[str, Any] | None:
    """A confirmation report read back from the study file, or None when it is not one (the
    file is input like any other: a malformed entry is recomputed, not trusted)."""
    try:
        chosen = report["chosen"]
        row = report["candidates"][chosen]
        ok = (isinstance(chosen, int) and isinstance(row["params"], dict)
              and math.isfinite(float(row["mean"])) and int(report["steps"]) >= 0
              and math.isfinite(float(report["seconds"])))
    except (KeyError, TypeError, IndexError, ValueError):
        return None
    return report if ok else None


def _confirmed(study: optuna.Study, problem: Problem, cfg: TuneConfig, result: TuneResult,
               progress: Callable[[str], None] | None) -> TuneResult:
    """`result` with the confirmed choice; the report is kept in the study, so a resumed or
    repeated run does not train the candidates again."""
    sp = problem.space
    key = f"confirm/{cfg.confirm_folds}/{cfg.confirm_top}"
    report = _stored_report(study.user_attrs.get(key))
    if report is None:
        default = default_params(sp, problem.train_config)
        done = sorted((t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                       if t.value is not None), key=lambda t: (t.value, t.number))
        candidates = [default]  # first: a tie keeps the default
        for t in done:
            if len(candidates) > cfg.confirm_top:
                break
            if dict(t.params) not in candidates:
                candidates.append(dict(t.params))
        report = confirm(problem, candidates, cfg.confirm_folds, cfg.seed, progress)
        study.set_user_attr(key, report)
    params = sp.valid(report["candidates"][report["chosen"]]["params"])
    return replace(result, best_params=params, best_spec=sp.to_spec(params),
                   best_train=sp.to_train(params, problem.train_config),
                   best_value=float(report["candidates"][report["chosen"]]["mean"]),
                   steps=result.steps + int(report["steps"]),
                   seconds=result.seconds + float(report["seconds"]),
                   confirmation={**report, "chosen_is_default": report["chosen"] == 0})


def _result(study: optuna.Study, problem: Problem, cfg: TuneConfig, new: int, wall: float,
            queued: list[dict[str, Any]]) -> TuneResult:
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    best = study.best_trial
    value = LOSS_CAP if best.value is None else float(best.value)
    sp = problem.space
    return TuneResult(
        study.study_name, cfg.searcher, dict(best.params), sp.to_spec(best.params),
        sp.to_train(best.params, problem.train_config), value, len(trials),
        sum(t.state == TrialState.PRUNED for t in trials),
        sum(int(t.user_attrs.get("steps", 0)) for t in trials),
        sum(float(t.user_attrs.get("seconds", 0.0)) for t in trials), new, wall, queued)


def joined(a: Data, b: Data) -> Data:
    """The examples of `a` then those of `b` (train + validation for a final model)."""
    import torch

    from hylo.neural.hybrid import Column

    cols = [Column(torch.cat([ca.x, cb.x]), None if ca.mask is None or cb.mask is None
                   else torch.cat([ca.mask, cb.mask]))
            for ca, cb in zip(a.columns, b.columns, strict=True)]
    return Data(a.request, cols, torch.cat([a.y, b.y]))


def train_final(problem: Problem, params: Mapping[str, Any], data: Data, seed: int,
                examples: int | None = None) -> HybridModel:
    """The program with `params`' spec, trained on `data` (train + validation) by `params`'
    settings; `examples` overrides the budget (steps = examples / batch size)."""
    model = problem.build(params, seed)
    tc = replace(problem.space.to_train(params, problem.train_config), seed=seed)
    if examples is not None:
        tc = replace(tc, steps=math.ceil(examples / tc.batch_size))
    _fit(model, data, tc)
    model.eval()
    return model


__all__ = ["AgingEvolution", "Param", "Problem", "Space", "TuneConfig", "TuneResult",
           "confirm", "default_params", "earlier_best", "folds", "joined", "mutate",
           "random_params", "space", "storage_for", "train_final", "tune"]
