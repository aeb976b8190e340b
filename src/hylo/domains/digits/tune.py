"""`hylo bench tune`: what tuning a neural hole buys, at an equal training budget.

Per digits task and budget (training-set size), the task's program with a fresh hole (the
program hylo's search finds for it without a library, `PROGRAMS`) is trained twice from scratch
on the budget's train + validation examples and tested: with the default `classify` spec and
`TrainConfig`, and with the spec and settings a study chose (`hylo.neural.tuning`). Both final
models see the same number of training examples (`examples`, default 1,000 steps of 64): the
tuned batch size sets the steps. Each study tunes on the training split and is judged on the
validation split only; the test split is read once per final model.

TPE and regularized evolution run the same number of trials on the same problem, so they are
compared at an equal number of trained candidates (pruned ones included).

Tabular: scikit-learn's wine and breast-cancer sets (bundled, no download). The model is
feature selection then an MLP: a lone fresh `classify` hole of arch `mlp` whose "image" is the
standardized feature row (1 x F, no augmentation) and which reads only the columns it selects
(`inputs`). The columns are ranked once by a filter, their ANOVA F statistic against the label
on the training split, and the study tunes how many of the best it keeps (`keep`: all, 3/4,
1/2, 1/4) together with the MLP's architecture and training: the discrete choice by search, the
weights by gradient. Beside it: scikit-learn's `MLPClassifier` and
`GradientBoostingClassifier` with their defaults on the same splits (all features).

Library (`library`, a hylo library file): each tuned arm's final model (its first repeat's)
is saved there as an ordinary module of its kind, named `tuned_<task>_b<budget>_<searcher>`
(`tuned_<set>_<searcher>` for tabular sets), with the tuned spec and a procedure that records
the tuned hyperparameters, the study (name, storage, searcher, trials) and its metrics.

Reuse (`reuse_from`): beside the default arm, each other digits task's program is trained with
the procedure tuned on the task `reuse_from` at the same budget, read back from the library:
the stored module's architecture for the fresh hole and its hyperparameters, at the same number
of training examples, on the same splits and seeds (`reused`, one arm per searcher found).
That measures a reused procedure against the default one.

The report's fields are documented in docs/automl.md.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from hylo.core.program import parse
from hylo.core.types import parse_type
from hylo.domains.digits.experiment import (
    _domain,
    _fingerprint,
    make_task,
    module_library,
    split_val,
    to_data,
)
from hylo.library.modules import ModuleLibrary
from hylo.library.procedures import (
    MAX_TEXT,
    ProcedureError,
    Reuse,
    make_procedure,
    procedures,
    reuse_of,
    train_config,
)
from hylo.neural.hybrid import CompileOptions, Data, HybridModel, compile_program
from hylo.neural.names import fresh_name
from hylo.neural.train import TrainConfig, accuracy, fit_gradient
from hylo.neural.tuning import (
    LOSS_CAP,
    SEARCHERS,
    Problem,
    TuneConfig,
    TuneResult,
    confirmation_splits,
    default_params,
    fold_seed,
    joined,
    space,
    storage_for,
    train_final,
    tune,
    val_loss,
)

#: Bump when the report changes shape.
REPORT_VERSION = 1

#: The program of each digits task with a fresh hole (as the hybrid search finds them).
PROGRAMS = {
    "classify": "nn:new:classify",
    "sum": "(lam (sum (map nn:new:classify $0)))",
    "count": "(lam (count (lam (eq (nn:new:classify $0) 7)) $0))",
    "sorted": "(lam (sorted (map nn:new:classify $0)))",
    "max": "(lam (maximum (map nn:new:classify $0)))",
}
DATASETS = ("wine", "breast_cancer")

Progress = Callable[[str, bool], None]


@dataclass
class TuneBenchConfig:
    trials: int = 20
    searchers: tuple[str, ...] = ("tpe", "evolution")
    seed: int = 0
    repeats: int = 1  # final models per arm, seeds seed .. seed + repeats - 1
    examples: int = 64_000  # training examples per trial and per final model
    val_fraction: float = 0.2
    n_test: int = 1000
    population: int = 8
    sample: int = 3
    pruner: str = "halving"
    warm_start: int = 0  # earlier studies of the kind queued (0: every cell stands alone)
    #: a digits task whose tuned procedure (read from the library) trains the other tasks'
    #: programs in a `reused` arm; None: no such arm
    reuse_from: str | None = None
    #: `hylo.neural.tuning.confirm`: the `confirm_top` best trials and the default retrained
    #: on this many fresh splits of train + validation before the tuned arm is chosen (0: off)
    confirm_folds: int = 0
    confirm_top: int = 3
    #: `check_reuse`: each reused procedure is tried against the default on this many fresh
    #: splits of the task's train + validation, and adopted only where it wins (0: off)
    check_reuse: int = 0

    def tune_config(self, searcher: str) -> TuneConfig:
        return TuneConfig(trials=self.trials, searcher=searcher, seed=self.seed,
                          population=self.population, sample=self.sample,
                          pruner_kind=self.pruner, warm_start=self.warm_start,
                          confirm_folds=self.confirm_folds, confirm_top=self.confirm_top)

    def as_dict(self) -> dict[str, Any]:
        return {"trials": self.trials, "searchers": list(self.searchers), "seed": self.seed,
                "repeats": self.repeats, "examples": self.examples,
                "val_fraction": self.val_fraction, "n_test": self.n_test,
                "population": self.population, "sample": self.sample, "pruner": self.pruner,
                "warm_start": self.warm_start,
                **({"reuse_from": self.reuse_from} if self.reuse_from else {}),
                **({"confirm_folds": self.confirm_folds, "confirm_top": self.confirm_top}
                   if self.confirm_folds else {}),
                **({"check_reuse": self.check_reuse} if self.check_reuse else {})}


@dataclass
class Keep:
    """Where the tuned final models go: a library store, the scope they are saved under, and
    what the saved modules record (the task, its training data, the studies' file)."""

    store: Any
    scope: dict[str, Any]
    name: str  # module name prefix: tuned_<task>_b<budget>
    provenance: dict[str, Any]
    storage: str  # the studies' file, recorded in each procedure
    saved: list[str] = field(default_factory=list)


def _final(problem: Problem, params: dict[str, Any], both: Data, test: Data,
           cfg: TuneBenchConfig) -> tuple[dict[str, Any], HybridModel]:
    """Train the final model `repeats` times on train + validation; its test accuracy (the
    test split read once per final model), and the first repeat's model."""
    t0 = time.perf_counter()
    accs, first = [], None
    for r in range(cfg.repeats):
        model = train_final(problem, params, both, cfg.seed + r, cfg.examples)
        accs.append(accuracy(model, test))
        if first is None:
            first = model
    tc = problem.space.to_train(params, problem.train_config)
    assert first is not None  # repeats >= 1
    return {"test_accuracy": float(np.mean(accs)), "test_accuracies": accs,
            "spec": problem.space.to_spec(params), "steps": -(-cfg.examples // tc.batch_size),
            "batch_size": tc.batch_size, "lr": tc.lr, "weight_decay": tc.weight_decay,
            "seconds": time.perf_counter() - t0}, first


def _best_val_accuracy(storage: Any, study: str) -> float | None:
    """The validation accuracy the study's best trial reached (a trial user attribute)."""
    import optuna

    try:
        value = optuna.load_study(study_name=study, storage=storage).best_trial.user_attrs.get(
            "val_accuracy")
    except (KeyError, ValueError):
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def save_tuned(keep: Keep, problem: Problem, model: HybridModel, arm: dict[str, Any],
               res: TuneResult, val_accuracy: float | None) -> str:
    """Save a tuned arm's final model (the first repeat's) as an ordinary module of its kind:
    the tuned spec, and a procedure with the tuned hyperparameters, the study and the metrics."""
    kind = problem.space.kind
    hole = fresh_name(kind)
    slot = model.slots[hole]
    # the final model's training: the tuned settings at the bench's equal number of examples
    tc = replace(problem.space.to_train(res.best_params, problem.train_config),
                 steps=arm["steps"])
    tuning = {"study": res.study_name[-MAX_TEXT:], "storage": keep.storage[-MAX_TEXT:],
              "searcher": res.searcher, "trials": res.trials}
    metrics = {"val_loss": res.best_value, "val_accuracy": val_accuracy,
               "test_accuracy": arm["test_accuracies"][0],
               "mean_test_accuracy": arm["test_accuracy"]}
    procedure = make_procedure(tc, tuning=tuning, metrics=metrics)
    library = ModuleLibrary(keep.store, keep.scope)
    saved = library.save(f"{keep.name}_{res.searcher}", kind, dict(slot.spec), model.net(hole),
                         {k: v for k, v in metrics.items() if v is not None},
                         {**keep.provenance, "run_id": None, "method": "gradient",
                          "parent": None, "procedure": procedure})
    keep.saved.append(saved)
    return saved


def _train_reused(problem: Problem, reuse: Reuse, data: Data, seed: int,
                  examples: int) -> HybridModel:
    """The problem's program with the reused architecture for its fresh hole, trained on `data`
    by the reused hyperparameters at `examples` training examples (as `train_final` trains)."""
    if reuse.procedure.get("method", "gradient") != "gradient":
        raise ProcedureError(f"{reuse.module}: only a gradient procedure can be reused here, "
                             f"not {reuse.procedure['method']!r:.40}")
    return _train_with(problem, reuse.spec, train_config(reuse.procedure, problem.train_config),
                       data, seed, examples)


def _train_with(problem: Problem, spec: dict[str, Any], tc: TrainConfig, data: Data,
                seed: int, examples: int) -> HybridModel:
    """The problem's program with `spec` for its fresh hole, trained on `data` by `tc` at
    `examples` training examples."""
    import torch

    options = CompileOptions(semantics=problem.semantics,
                             fresh_specs={problem.space.kind: spec}, seed=seed)
    model = compile_program(problem.program, problem.request, options=options)
    tc = replace(tc, steps=math.ceil(examples / tc.batch_size), seed=seed)
    with torch.random.fork_rng():  # dropout draws from torch's global generator
        torch.manual_seed(seed)
        fit_gradient(model, data, tc)
    model.eval()
    return model


def check_reuse(problem: Problem, reuses: dict[str, Reuse], k: int, seed: int,
                examples: int) -> dict[str, dict[str, Any]]:
    """Per reused procedure: is it adopted on this task? It and the default are trained on the
    same `k` fresh splits of train + validation, from the same seeds (the splits and seeds
    `tuning.confirm` uses), and it is adopted only when its mean validation NLL is lower.

    Why: a procedure tuned on one task is a hypothesis about the next (reused blindly, most
    lose: docs/automl.md); the new task's own labelled examples can test it, as confirmation
    tests a study's pick, without reading the test split."""
    splits = confirmation_splits(problem, k, seed)
    if not splits:
        raise ValueError(f"too few examples ({len(problem.train) + len(problem.val)}) for "
                         "one fold of the validation split's size")

    def fold_losses(spec: dict[str, Any], tc: TrainConfig) -> list[float]:
        out = []
        for j, (train, val) in enumerate(splits):
            model = _train_with(problem, spec, tc, train, fold_seed(seed, j), examples)
            out.append(min(LOSS_CAP, val_loss(model, val)))
        return out

    t0 = time.perf_counter()
    params = default_params(problem.space, problem.train_config)
    base = fold_losses(problem.space.to_spec(params),
                       problem.space.to_train(params, problem.train_config))
    shared = time.perf_counter() - t0  # the default's folds serve every reused procedure
    report = {}
    for searcher, reuse in reuses.items():
        t1 = time.perf_counter()
        losses = fold_losses(reuse.spec, train_config(reuse.procedure, problem.train_config))
        report[searcher] = {"folds": len(splits), "default_losses": base,
                            "reused_losses": losses,
                            "adopted": float(np.mean(losses)) < float(np.mean(base)),
                            "seconds": time.perf_counter() - t1, "default_seconds": shared}
    return report


def reused_final(problem: Problem, reuse: Reuse, both: Data, test: Data,
                 cfg: TuneBenchConfig) -> dict[str, Any]:
    """A reused arm: `repeats` final models trained with the reused procedure; test accuracy."""
    t0 = time.perf_counter()
    accs = [accuracy(_train_reused(problem, reuse, both, cfg.seed + r, cfg.examples), test)
            for r in range(cfg.repeats)]
    tc = train_config(reuse.procedure, problem.train_config)
    return {"test_accuracy": float(np.mean(accs)), "test_accuracies": accs, "spec": reuse.spec,
            "steps": -(-cfg.examples // tc.batch_size), "batch_size": tc.batch_size,
            "lr": tc.lr, "weight_decay": tc.weight_decay, "seconds": time.perf_counter() - t0,
            "procedure_from": reuse.module, "procedure": reuse.procedure}


def tuned_procedures(library: ModuleLibrary, task: str, budget: int,
                     base_spec: dict[str, Any] | None = None) -> dict[str, Reuse]:
    """Searcher -> the newest classify module of `library` tuned on digits task `task` at
    `budget` (its provenance and procedure say so), as a `Reuse` over `base_spec`'s inputs and
    outputs. Everything read is checked: a malformed procedure or a spec outside the caps
    raises `ProcedureError`."""
    out: dict[str, Reuse] = {}
    for rec, procedure in procedures(library, "classify"):
        prov = rec.provenance if isinstance(rec.provenance, dict) else {}
        searcher = (procedure.get("tuning") or {}).get("searcher")
        if (prov.get("task") == task and prov.get("budget") == budget
                and searcher in SEARCHERS and searcher not in out):
            out[searcher] = reuse_of(rec, procedure, base_spec)
    return out


def _arms(problem: Problem, test: Data, cfg: TuneBenchConfig, storage: Any, study: str,
          attrs: dict[str, Any], progress: Progress | None, keep: Keep | None = None,
          reuse: dict[str, Reuse] | None = None) -> dict[str, Any]:
    """The default arm, one tuned arm per searcher (its first final model saved to `keep`),
    and one reused arm per procedure in `reuse`, on one problem."""
    both = joined(problem.train, problem.val)
    default, _ = _final(problem, default_params(problem.space, problem.train_config), both,
                        test, cfg)
    out: dict[str, Any] = {"default": default, "tuned": {}}
    for searcher in cfg.searchers:
        say = (lambda m: progress(f"{study}: {m}", False)) if progress else None
        res = tune(problem, cfg.tune_config(searcher), storage, f"{study}/{searcher}",
                   attrs, say)
        arm, model = _final(problem, res.best_params, both, test, cfg)
        arm["tuning"] = res.as_dict()
        arm["gain"] = arm["test_accuracy"] - default["test_accuracy"]
        arm["saved_module"] = (None if keep is None else save_tuned(
            keep, problem, model, arm, res, _best_val_accuracy(storage, res.study_name)))
        out["tuned"][searcher] = arm
        if progress:
            progress(f"{study}/{searcher}: {arm['test_accuracy']:.3f} vs default "
                     f"{default['test_accuracy']:.3f}", False)
    if reuse is not None:
        out["reused"] = {}
        checks = (check_reuse(problem, reuse, cfg.check_reuse, cfg.seed, cfg.examples)
                  if cfg.check_reuse and reuse else {})
        for searcher, r in reuse.items():
            arm = reused_final(problem, r, both, test, cfg)
            arm["gain"] = arm["test_accuracy"] - default["test_accuracy"]
            if searcher in checks:  # the checked policy's models: the reused or the default
                check = checks[searcher]
                chosen = arm if check["adopted"] else default
                check |= {"test_accuracy": chosen["test_accuracy"],
                          "test_accuracies": chosen["test_accuracies"],
                          "gain": chosen["test_accuracy"] - default["test_accuracy"]}
                arm["checked"] = check
            out["reused"][searcher] = arm
            if progress:
                progress(f"{study}: {r.module}'s procedure {arm['test_accuracy']:.3f} vs "
                         f"default {default['test_accuracy']:.3f}", False)
    return out


def digits_problem(name: str, budget: int, cfg: TuneBenchConfig) -> tuple[Any, Problem]:
    """The digits task `name` at `budget` and its tuning problem (train / validation split)."""
    task = make_task(name, budget, cfg.seed, cfg.n_test)
    train_ex, val_ex = split_val(task.train, cfg.val_fraction, cfg.seed)
    sp = space("classify", examples=cfg.examples)
    problem = Problem(parse(PROGRAMS[name]), task.request, sp, to_data(task, train_ex),
                      to_data(task, val_ex), _domain().soft_semantics or {},
                      unit_examples=max(1, cfg.examples // 27))
    return task, problem


def digits_cell(name: str, budget: int, cfg: TuneBenchConfig, storage: Any,
                progress: Progress | None = None, store: Any = None,
                storage_path: str = "") -> dict[str, Any]:
    """One digits cell; with `store` (a library), tuned final models are saved there and, with
    `cfg.reuse_from` (another task), its tuned procedures are read from there and reused."""
    task, problem = digits_problem(name, budget, cfg)
    sp = problem.space
    train_ex, val_ex = split_val(task.train, cfg.val_fraction, cfg.seed)
    study = f"bench-tune/digits/{name}/b{budget}/s{cfg.seed}"
    keep = reuse = None
    if store is not None:
        library = module_library(store, cfg.seed)
        keep = Keep(store, dict(library.scope), f"tuned_{name}_b{budget}",
                    {"task": name, "budget": budget, "program": PROGRAMS[name],
                     "trained_on": {"part": "train+val", "examples": len(task.train),
                                    "fingerprint": _fingerprint(task.train)}},
                    storage_path)
        if cfg.reuse_from is not None and cfg.reuse_from != name:
            reuse = tuned_procedures(library, cfg.reuse_from, budget, dict(sp.base))
    arms = _arms(problem, to_data(task, task.test), cfg, storage, study,
                 {"task": name, "budget": budget}, progress, keep, reuse)
    return {"task": name, "budget": budget, "program": PROGRAMS[name],
            "n_train": len(train_ex), "n_val": len(val_ex), "n_test": len(task.test), **arms}


# ----------------------------------------------------------------------------- tabular
def _tabular_splits(dataset: str, seed: int, val_fraction: float) -> tuple:
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    loader = {"wine": datasets.load_wine, "breast_cancer": datasets.load_breast_cancer}
    if dataset not in loader:
        raise ValueError(f"tabular sets: {DATASETS}, got {dataset!r}")
    x, y = loader[dataset](return_X_y=True)
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.3, stratify=y,
                                                      random_state=seed)
    x_tr, x_val, y_tr, y_val = train_test_split(x_rest, y_rest, test_size=val_fraction,
                                                stratify=y_rest, random_state=seed)
    scaler = StandardScaler().fit(x_rest)  # no test row informs the scaling
    return tuple(scaler.transform(a).astype(np.float32) for a in (x_tr, x_val, x_test)) + (
        y_tr, y_val, y_test)


def feature_ranking(x: np.ndarray, y: np.ndarray) -> list[int]:
    """Columns best first by their ANOVA F statistic against `y` (a constant column, whose F
    is undefined, last); ties keep column order."""
    import warnings

    from sklearn.feature_selection import f_classif

    with warnings.catch_warnings():  # constant columns warn and give NaN
        warnings.simplefilter("ignore")
        f, _ = f_classif(x, y)
    f = np.nan_to_num(np.asarray(f, dtype=np.float64), nan=-1.0, posinf=np.inf)
    return [int(i) for i in np.argsort(-f, kind="stable")]


def _as_rows(x: np.ndarray, y: np.ndarray) -> Data:
    """Feature rows as 1 x F 'images' for a classify hole of arch mlp."""
    return Data.from_arrays(parse_type("image -> int"), [(x[:, None, :], None)], y)


def _sklearn(x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
             cfg: TuneBenchConfig) -> dict[str, Any]:
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.neural_network import MLPClassifier

    out = {}
    for key, make in (("sklearn_mlp", lambda s: MLPClassifier(max_iter=2000, random_state=s)),
                      ("gradient_boosting", lambda s: GradientBoostingClassifier(random_state=s))):
        t0 = time.perf_counter()
        accs = [float(make(cfg.seed + r).fit(x, y).score(x_test, y_test))
                for r in range(cfg.repeats)]
        out[key] = {"test_accuracy": float(np.mean(accs)), "test_accuracies": accs,
                    "seconds": time.perf_counter() - t0}
    return out


TABULAR_PROGRAM = "nn:new:classify (arch mlp over the selected columns of 1 x F rows)"


def tabular_cell(dataset: str, cfg: TuneBenchConfig, storage: Any,
                 progress: Progress | None = None, store: Any = None,
                 storage_path: str = "") -> dict[str, Any]:
    x_tr, x_val, x_test, y_tr, y_val, y_test = _tabular_splits(dataset, cfg.seed,
                                                               cfg.val_fraction)
    classes = int(max(y_tr.max(), y_val.max(), y_test.max())) + 1
    base = {"classes": classes, "shape": [1, int(x_tr.shape[1])]}
    # the filter sees the training split only, as the MLP's weights do
    sp = space("classify", archs=("mlp",), examples=cfg.examples, base=base,
               ranking=feature_ranking(x_tr, y_tr))
    problem = Problem(parse("nn:new:classify"), parse_type("image -> int"), sp,
                      _as_rows(x_tr, y_tr), _as_rows(x_val, y_val),
                      train_config=replace(TrainConfig(), augment=False),
                      unit_examples=max(1, cfg.examples // 27))
    study = f"bench-tune/tabular/{dataset}/select/s{cfg.seed}"  # spaces with `keep`
    # its own scope: a module over feature rows is never offered to a digits search
    keep = None if store is None else Keep(
        store, {"domain": "tabular", "dataset": dataset, "split_seed": cfg.seed},
        f"tuned_{dataset}", {"task": dataset, "budget": None,
                             "program": TABULAR_PROGRAM,
                             "trained_on": {"part": "train+val",
                                            "examples": len(y_tr) + len(y_val)}},
        storage_path)
    arms = _arms(problem, _as_rows(x_test, y_test), cfg, storage, study,
                 {"task": dataset}, progress, keep)
    x_both, y_both = np.concatenate([x_tr, x_val]), np.concatenate([y_tr, y_val])
    return {"dataset": dataset, "program": TABULAR_PROGRAM,
            "features": int(x_tr.shape[1]), "ranking": list(sp.ranking), "classes": classes,
            "n_train": len(y_tr), "n_val": len(y_val), "n_test": len(y_test), **arms,
            **_sklearn(x_both, y_both, x_test, y_test, cfg)}


# ----------------------------------------------------------------------------- the report
def _summary(rows: list[dict[str, Any]], searchers: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in searchers:
        arms = [r["tuned"][s] for r in rows if s in r["tuned"]]
        if not arms:
            continue
        out[s] = {"cells": len(arms), "mean_gain": float(np.mean([a["gain"] for a in arms])),
                  "wins": sum(a["gain"] > 0 for a in arms),
                  "losses": sum(a["gain"] < 0 for a in arms),
                  "mean_test_accuracy": float(np.mean([a["test_accuracy"] for a in arms])),
                  "mean_best_val_loss": float(np.mean([a["tuning"]["best_val_loss"]
                                                       for a in arms])),
                  "tuning_seconds": float(sum(a["tuning"]["seconds"] for a in arms)),
                  "tuning_steps": int(sum(a["tuning"]["steps"] for a in arms)),
                  "trials": int(sum(a["tuning"]["trials"] for a in arms)),
                  "pruned": int(sum(a["tuning"]["pruned"] for a in arms))}
    if rows:
        out["default_mean_test_accuracy"] = float(np.mean([r["default"]["test_accuracy"]
                                                           for r in rows]))
    return out


def _reuse_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per searcher whose procedure was reused: the reused arms against the default."""
    out: dict[str, Any] = {}
    for s in SEARCHERS:
        pairs = [(r["reused"][s], r["default"]) for r in rows if s in r.get("reused", {})]
        if not pairs:
            continue
        gains = [a["gain"] for a, _ in pairs]
        out[s] = {"cells": len(pairs), "mean_gain": float(np.mean(gains)),
                  "wins": sum(g > 0 for g in gains), "losses": sum(g < 0 for g in gains),
                  "mean_test_accuracy": float(np.mean([a["test_accuracy"] for a, _ in pairs])),
                  "default_mean_test_accuracy": float(np.mean([d["test_accuracy"]
                                                               for _, d in pairs])),
                  "procedures_from": sorted({a["procedure_from"] for a, _ in pairs})}
        checked = [a["checked"] for a, _ in pairs if "checked" in a]
        if checked:  # the checked policy over the same cells
            out[s]["checked"] = {"cells": len(checked),
                                 "adopted": sum(c["adopted"] for c in checked),
                                 "mean_gain": float(np.mean([c["gain"] for c in checked])),
                                 "wins": sum(c["gain"] > 0 for c in checked),
                                 "losses": sum(c["gain"] < 0 for c in checked)}
    return out


def bench_units(tasks: tuple[str, ...], budgets: list[int], datasets: tuple[str, ...],
                searchers: tuple[str, ...] = ()) -> int:
    """How many times `bench` reports a finished unit: once per cell."""
    return len(tasks) * len(budgets) + len(datasets)


def _check_reuse(tasks: tuple[str, ...], budgets: list[int], cfg: TuneBenchConfig,
                 store: Any, library: Any) -> None:
    """Before any work: the procedures to reuse exist (stored, or tuned by this run first)."""
    source = cfg.reuse_from
    if source is None:
        return
    if source not in PROGRAMS:
        raise ValueError(f"reuse_from must be a digits task among {sorted(PROGRAMS)}, "
                         f"got {source!r:.40}")
    if store is None:
        raise ValueError("reusing a tuned procedure reads it from the library: give one")
    if source in tasks and cfg.searchers:
        return  # tuned (and saved) by this run, before the other tasks of each budget
    for b in budgets:
        if not tuned_procedures(module_library(store, cfg.seed), source, b):
            raise ValueError(f"no module tuned on {source} at budget {b} (seed {cfg.seed}) in "
                             f"{library}: run hylo bench tune --tasks {source} --budgets {b} "
                             f"--library {library} first")


def bench(tasks: tuple[str, ...], budgets: list[int], datasets: tuple[str, ...],
          cfg: TuneBenchConfig, library: Any = None, progress: Progress | None = None,
          partial: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run every cell; `library` (a path or None) decides where the studies are stored;
    `partial(report)` gets the report so far after each cell (`"partial": true`)."""
    unknown = [t for t in tasks if t not in PROGRAMS]
    if unknown:
        raise ValueError(f"unknown digits tasks {unknown}; tasks: {sorted(PROGRAMS)}")
    if cfg.reuse_from in tasks:  # the source is tuned first, so the others find its procedure
        tasks = (cfg.reuse_from, *(t for t in tasks if t != cfg.reuse_from))
    t0 = time.perf_counter()
    storage = storage_for(library)
    path = "" if library is None else f"{library}.optuna.db"
    from hylo.library import open_store

    store = None if library is None else open_store(library)
    saved: list[str] = []
    digits: list[dict[str, Any]] = []
    tabular: list[dict[str, Any]] = []

    def report() -> dict[str, Any]:
        return _report(tasks, budgets, datasets, cfg, library, digits, tabular, t0, saved)

    def done(message: str) -> None:
        if progress:
            progress(message, True)
        if partial:
            partial(report())

    try:
        _check_reuse(tasks, budgets, cfg, store, library)
        for b in budgets:
            for name in tasks:
                digits.append(digits_cell(name, b, cfg, storage, progress, store, path))
                saved.extend(a["saved_module"] for a in digits[-1]["tuned"].values()
                             if a["saved_module"])
                done(f"{name} b{b} done")
        for d in datasets:
            tabular.append(tabular_cell(d, cfg, storage, progress, store, path))
            saved.extend(a["saved_module"] for a in tabular[-1]["tuned"].values()
                         if a["saved_module"])
            done(f"{d} done")
    finally:
        if store is not None:
            store.close()
    out = report()
    out["partial"] = False
    return out


def _report(tasks: tuple[str, ...], budgets: list[int], datasets: tuple[str, ...],
            cfg: TuneBenchConfig, library: Any, digits: list[dict[str, Any]],
            tabular: list[dict[str, Any]], t0: float,
            saved: list[str] | None = None) -> dict[str, Any]:
    import optuna
    import torch

    summary = {"digits": _summary(digits, cfg.searchers),
               "tabular": _summary(tabular, cfg.searchers)}
    if cfg.reuse_from is not None:
        summary["reused"] = _reuse_summary(digits)
    return {"suite": "tune", "version": REPORT_VERSION, "partial": True,
            "config": cfg.as_dict(), "tasks": list(tasks), "budgets": budgets,
            "datasets": list(datasets), "digits": digits, "tabular": tabular,
            "summary": summary,
            "storage": None if library is None else f"{library}.optuna.db",
            "library": None if library is None else str(library),
            "saved_modules": list(saved or []),
            "optuna_version": optuna.__version__, "threads": torch.get_num_threads(),
            "wall_seconds": time.perf_counter() - t0}
