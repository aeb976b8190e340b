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

Tabular: scikit-learn's wine and breast-cancer sets (bundled, no download). The program is a
lone fresh `classify` hole of arch `mlp` whose "image" is the standardized feature row (1 x F,
no augmentation): hylo's DSL has no feature-selection primitive, so this tunes an MLP module,
not a hybrid program. Beside it: scikit-learn's `MLPClassifier` and
`GradientBoostingClassifier` with their defaults on the same splits.

The report's fields are documented in docs/automl.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from hylo.core.program import parse
from hylo.core.types import parse_type
from hylo.domains.digits.experiment import _domain, make_task, split_val, to_data
from hylo.neural.hybrid import Data
from hylo.neural.train import TrainConfig, accuracy
from hylo.neural.tuning import (
    Problem,
    TuneConfig,
    default_params,
    joined,
    space,
    storage_for,
    train_final,
    tune,
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

    def tune_config(self, searcher: str) -> TuneConfig:
        return TuneConfig(trials=self.trials, searcher=searcher, seed=self.seed,
                          population=self.population, sample=self.sample,
                          pruner_kind=self.pruner, warm_start=self.warm_start)

    def as_dict(self) -> dict[str, Any]:
        return {"trials": self.trials, "searchers": list(self.searchers), "seed": self.seed,
                "repeats": self.repeats, "examples": self.examples,
                "val_fraction": self.val_fraction, "n_test": self.n_test,
                "population": self.population, "sample": self.sample, "pruner": self.pruner,
                "warm_start": self.warm_start}


def _final(problem: Problem, params: dict[str, Any], both: Data, test: Data,
           cfg: TuneBenchConfig) -> dict[str, Any]:
    """Train the final model `repeats` times on train + validation; its test accuracy."""
    t0 = time.perf_counter()
    accs = [accuracy(train_final(problem, params, both, cfg.seed + r, cfg.examples), test)
            for r in range(cfg.repeats)]
    tc = problem.space.to_train(params, problem.train_config)
    return {"test_accuracy": float(np.mean(accs)), "test_accuracies": accs,
            "spec": problem.space.to_spec(params), "steps": -(-cfg.examples // tc.batch_size),
            "batch_size": tc.batch_size, "lr": tc.lr, "weight_decay": tc.weight_decay,
            "seconds": time.perf_counter() - t0}


def _arms(problem: Problem, test: Data, cfg: TuneBenchConfig, storage: Any, study: str,
          attrs: dict[str, Any], progress: Progress | None) -> dict[str, Any]:
    """The default arm and one tuned arm per searcher, on one problem."""
    both = joined(problem.train, problem.val)
    out: dict[str, Any] = {"default": _final(problem, default_params(problem.space,
                                                                     problem.train_config),
                                             both, test, cfg), "tuned": {}}
    for searcher in cfg.searchers:
        say = (lambda m: progress(f"{study}: {m}", False)) if progress else None
        res = tune(problem, cfg.tune_config(searcher), storage, f"{study}/{searcher}",
                   attrs, say)
        arm = _final(problem, res.best_params, both, test, cfg)
        arm["tuning"] = res.as_dict()
        arm["gain"] = arm["test_accuracy"] - out["default"]["test_accuracy"]
        out["tuned"][searcher] = arm
        if progress:
            progress(f"{study}/{searcher}: {arm['test_accuracy']:.3f} vs default "
                     f"{out['default']['test_accuracy']:.3f}", True)
    return out


def digits_cell(name: str, budget: int, cfg: TuneBenchConfig, storage: Any,
                progress: Progress | None = None) -> dict[str, Any]:
    task = make_task(name, budget, cfg.seed, cfg.n_test)
    train_ex, val_ex = split_val(task.train, cfg.val_fraction, cfg.seed)
    sp = space("classify", examples=cfg.examples)
    problem = Problem(parse(PROGRAMS[name]), task.request, sp, to_data(task, train_ex),
                      to_data(task, val_ex), _domain().soft_semantics or {},
                      unit_examples=max(1, cfg.examples // 27))
    study = f"bench-tune/digits/{name}/b{budget}/s{cfg.seed}"
    arms = _arms(problem, to_data(task, task.test), cfg, storage, study,
                 {"task": name, "budget": budget}, progress)
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


def tabular_cell(dataset: str, cfg: TuneBenchConfig, storage: Any,
                 progress: Progress | None = None) -> dict[str, Any]:
    x_tr, x_val, x_test, y_tr, y_val, y_test = _tabular_splits(dataset, cfg.seed,
                                                               cfg.val_fraction)
    classes = int(max(y_tr.max(), y_val.max(), y_test.max())) + 1
    base = {"classes": classes, "shape": [1, int(x_tr.shape[1])]}
    sp = space("classify", archs=("mlp",), examples=cfg.examples, base=base)
    problem = Problem(parse("nn:new:classify"), parse_type("image -> int"), sp,
                      _as_rows(x_tr, y_tr), _as_rows(x_val, y_val),
                      train_config=replace(TrainConfig(), augment=False),
                      unit_examples=max(1, cfg.examples // 27))
    study = f"bench-tune/tabular/{dataset}/s{cfg.seed}"
    arms = _arms(problem, _as_rows(x_test, y_test), cfg, storage, study,
                 {"task": dataset}, progress)
    x_both, y_both = np.concatenate([x_tr, x_val]), np.concatenate([y_tr, y_val])
    return {"dataset": dataset, "program": "nn:new:classify (arch mlp, 1 x F rows)",
            "features": int(x_tr.shape[1]), "classes": classes, "n_train": len(y_tr),
            "n_val": len(y_val), "n_test": len(y_test), **arms,
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


def bench_units(tasks: tuple[str, ...], budgets: list[int], datasets: tuple[str, ...],
                searchers: tuple[str, ...]) -> int:
    return (len(tasks) * len(budgets) + len(datasets)) * len(searchers)


def bench(tasks: tuple[str, ...], budgets: list[int], datasets: tuple[str, ...],
          cfg: TuneBenchConfig, library: Any = None, progress: Progress | None = None,
          partial: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run every cell; `library` (a path or None) decides where the studies are stored;
    `partial(report)` gets the report so far after each cell (`"partial": true`)."""
    unknown = [t for t in tasks if t not in PROGRAMS]
    if unknown:
        raise ValueError(f"unknown digits tasks {unknown}; tasks: {sorted(PROGRAMS)}")
    t0 = time.perf_counter()
    storage = storage_for(library)
    digits: list[dict[str, Any]] = []
    tabular: list[dict[str, Any]] = []
    for b in budgets:
        for name in tasks:
            digits.append(digits_cell(name, b, cfg, storage, progress))
            if partial:
                partial(_report(tasks, budgets, datasets, cfg, library, digits, tabular, t0))
    for d in datasets:
        tabular.append(tabular_cell(d, cfg, storage, progress))
        if partial:
            partial(_report(tasks, budgets, datasets, cfg, library, digits, tabular, t0))
    out = _report(tasks, budgets, datasets, cfg, library, digits, tabular, t0)
    out["partial"] = False
    return out


def _report(tasks: tuple[str, ...], budgets: list[int], datasets: tuple[str, ...],
            cfg: TuneBenchConfig, library: Any, digits: list[dict[str, Any]],
            tabular: list[dict[str, Any]], t0: float) -> dict[str, Any]:
    import optuna
    import torch

    return {"suite": "tune", "version": REPORT_VERSION, "partial": True,
            "config": cfg.as_dict(), "tasks": list(tasks), "budgets": budgets,
            "datasets": list(datasets), "digits": digits, "tabular": tabular,
            "summary": {"digits": _summary(digits, cfg.searchers),
                        "tabular": _summary(tabular, cfg.searchers)},
            "storage": None if library is None else f"{library}.optuna.db",
            "optuna_version": optuna.__version__, "threads": torch.get_num_threads(),
            "wall_seconds": time.perf_counter() - t0}
