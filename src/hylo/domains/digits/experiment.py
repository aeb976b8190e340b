"""The digits sequence: solving a task, the curriculum wake of the learning loop, the benchmark.

This is the digits domain's learning side; it reaches torch only through `hylo.neural`.

- `solve(task, library, config)` searches hybrid programs for one task (library modules, fresh
  holes, algorithmic primitives; `hylo.neural.select` over `hylo.neural.candidates`), trains the
  winner, and measures it on the task's test split.
- `wake(...)` is the domain's wake phase in the one learning loop (`hylo.learn.loop`): it solves
  the sequence in order and consolidates (`hylo.learn.consolidate`) after each task, so a module
  that a task trains is in the library for the next (`nn:classify@v1`).
- `bench(store, budgets, ...)` reports, per task and budget, the test accuracy of hylo (with the
  library's `classify` module for tasks 2-5) beside the standalone baseline, plus the sum-of-two
  experiment on the full split and the gradient / REINFORCE / ES comparison.

Which library modules a digits task may use: only modules whose provenance says they were trained
on the digits domain with the same image split seed (`ModuleLibrary`'s scope), so that no test
image was ever seen in training. Modules trained inside `bench` cells are measured, never
written to the library.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from hylo.core.domain import Domain
from hylo.core.grammar import Grammar
from hylo.core.program import Prim, parse, walk
from hylo.core.task import Example, Task
from hylo.domains.digits import NAME, data
from hylo.domains.digits.tasks import SEQUENCE, DigitsTask, Examples, make_task
from hylo.learn.consolidate import consolidate
from hylo.library.modules import ModuleLibrary
from hylo.library.procedures import Reuse, choose_reuse, make_procedure, train_config
from hylo.library.runs import record_result
from hylo.neural.baseline import baseline_accuracy, fit_baseline
from hylo.neural.candidates import Prune, with_neural
from hylo.neural.hybrid import CompileOptions, Data, compile_program
from hylo.neural.names import KIND_TYPES, fresh_name, library_name
from hylo.neural.objectives import evaluate as evaluate_objective
from hylo.neural.objectives import load_objective, objective_name
from hylo.neural.select import HybridConfig, HybridResult, search_hybrid
from hylo.neural.train import METHODS, TrainConfig, accuracy, fit

#: `progress(message, done)`: `done` is True when one unit of work (a task, a bench cell, one
#: training method) has finished; other calls only describe what is going on.
Progress = Callable[[str, bool], None]

#: Bump when the JSON report changes shape; docs/digits.md documents each field.
REPORT_VERSION = 1


@dataclass
class DigitsConfig:
    seed: int = 0
    val_fraction: float = 0.2
    n_test: int = 1000
    search: HybridConfig = field(default_factory=HybridConfig)
    baseline: TrainConfig = field(default_factory=lambda: TrainConfig(steps=1000))
    library_steps: int = 1500  # training of the classify module from task 1 on the full split
    #: train fresh classify holes with the procedure recorded with a library classify module
    #: (the newest tuned one, else the newest; its hyperparameters and its architecture) instead
    #: of `search.train` and `search.fresh_specs` (see `search_config`)
    reuse_procedure: bool = False

    def as_dict(self) -> dict[str, Any]:
        s = self.search
        search = {"max_size": s.max_size, "max_programs": s.max_programs,
                  "max_nodes": s.max_nodes, "max_trainable": s.max_trainable,
                  "finetune_top": s.finetune_top, "eta": s.eta, "min_steps": s.min_steps,
                  "final_steps": s.final_steps, "train": s.train.as_dict()}
        if s.objective is not None:  # only then, so reports without one keep their shape
            search["objective"] = objective_name(s.objective)
        out = {"seed": self.seed, "val_fraction": self.val_fraction, "n_test": self.n_test,
               "search": search, "baseline": self.baseline.as_dict(),
               "library_steps": self.library_steps}
        if self.reuse_procedure:  # only then, so reports without it keep their shape
            out["reuse_procedure"] = True
        return out

    def with_objective(self, spec: str | None) -> DigitsConfig:
        """This configuration with the objective named `module:function` (None: as it is)."""
        if spec is None:
            return self
        return replace(self, search=replace(self.search, objective=load_objective(spec)))


def quick_config(seed: int = 0) -> DigitsConfig:
    """A tiny configuration for tests: everything runs, nothing is trained for long."""
    tc = TrainConfig(steps=30, batch_size=16, seed=seed)
    return DigitsConfig(seed=seed, n_test=60,
                        search=HybridConfig(max_size=7, max_programs=300, max_nodes=20_000,
                                            max_trainable=2, finetune_top=1,
                                            min_steps=4, final_steps=20, train=tc, seed=seed,
                                            fresh_specs={"classify": {"arch": "mlp",
                                                                      "hidden": 16}}),
                        baseline=replace(tc, steps=20), library_steps=40)


# ----------------------------------------------------------------------------- data
def to_data(task: DigitsTask, ex: Examples) -> Data:
    imgs = data.images()
    if task.spec.is_list:
        return Data.from_arrays(task.request, [(imgs[ex.images.clip(0)], ex.images >= 0)],
                                ex.labels)
    return Data.from_arrays(task.request, [(imgs[ex.images], None)], ex.labels)


def split_val(ex: Examples, fraction: float, seed: int) -> tuple[Examples, Examples]:
    """A deterministic validation split of a task's labelled examples (at least one each side
    when there are two or more)."""
    n = len(ex)
    n_val = min(max(1, int(round(n * fraction))), n - 1) if n >= 2 else 0
    order = np.random.default_rng([seed, 0xA1]).permutation(n)
    val, train = order[:n_val], order[n_val:]
    return (Examples(ex.images[train], ex.labels[train]),
            Examples(ex.images[val], ex.labels[val]))


def _classes(task: DigitsTask) -> int:
    hi = task.spec.lengths[1]
    return {"classify": 10, "sum": 9 * hi + 1, "count": hi + 1, "sorted": 2, "max": 10}[task.name]


def _fingerprint(ex: Examples) -> str:
    return hashlib.sha256(np.ascontiguousarray(ex.images).tobytes()).hexdigest()[:16]


# ----------------------------------------------------------------------------- library
@lru_cache(maxsize=1)
def _domain() -> Domain:
    from hylo.domains.digits import load_domain

    return load_domain()


def module_library(store: Any, seed: int) -> ModuleLibrary:
    """The store's modules a task of image split `seed` may use."""
    return ModuleLibrary(store, {"domain": NAME, "split_seed": seed})


def grammar_for(library: ModuleLibrary | None) -> Grammar:
    """The uniform grammar over the domain's primitives, a fresh hole of each module kind and
    the library's usable modules."""
    neural = {fresh_name(kind): t for kind, t in KIND_TYPES.items()}
    if library is not None:
        neural.update(library.usable())
    return Grammar.uniform(with_neural(_domain().dsl, neural))


def prune_rules() -> Prune:
    return Prune.from_json(_domain().search_defaults.get("hybrid", {}).get("prune"))


# ----------------------------------------------------------------------------- solving
@dataclass
class Solved:
    task: DigitsTask
    result: HybridResult
    program: str  # final text (fresh modules renamed once saved to the library)
    test_accuracy: float
    val_accuracy: float
    seconds: float
    description_length: float
    digit_accuracy: float | None = None  # for a classify module: accuracy on test images
    saved: list[str] = field(default_factory=list)
    test_objective: float | None = None  # with an objective: its value on the test split
    procedure: dict[str, Any] | None = None  # how its modules were trained (recorded with them)
    procedure_from: str | None = None  # the library module whose procedure was reused, if any


def digit_accuracy(module: Any, seed: int) -> float:
    """A classify module's accuracy on the test images of split `seed`."""
    import torch

    sp = data.split(seed)
    x = torch.as_tensor(data.images()[sp.test])
    y = torch.as_tensor(data.labels()[sp.test])
    with torch.no_grad():
        module.eval()
        return float((module(x).argmax(-1) == y).float().mean())


def search_config(cfg: DigitsConfig,
                  library: ModuleLibrary | None) -> tuple[HybridConfig, Reuse | None]:
    """The search's configuration for a task, and the reused procedure if any. With
    `reuse_procedure` and a library holding a classify module with a procedure (a tuned one
    first, `choose_reuse`), fresh classify holes are built with that module's architecture and
    trained with its hyperparameters (and its schedule, if it has one); otherwise the search is
    `cfg.search` as it is. A stored spec that breaks the kind's caps raises `ProcedureError`."""
    scfg = replace(cfg.search, seed=cfg.seed)
    if not cfg.reuse_procedure or library is None:
        return scfg, None
    reused = choose_reuse(library, "classify", scfg.fresh_specs.get("classify"))
    if reused is None:
        return scfg, None
    schedule = reused.procedure.get("schedule") or {}
    return replace(scfg, train=train_config(reused.procedure, scfg.train),
                   fresh_specs={**scfg.fresh_specs, "classify": reused.spec},
                   **schedule), reused


def solve(task: DigitsTask, library: ModuleLibrary | None, cfg: DigitsConfig,
          progress: Progress | None = None) -> Solved:
    """Search, train and test one task. Nothing is written to the store here."""
    t0 = time.perf_counter()
    train_ex, val_ex = split_val(task.train, cfg.val_fraction, cfg.seed)
    scfg, reused = search_config(cfg, library)
    semantics = _domain().soft_semantics or {}
    res = search_hybrid(task.request, to_data(task, train_ex), to_data(task, val_ex),
                        grammar_for(library), semantics, prune_rules(),
                        resolve=library.resolve if library else None,
                        library=library.modules() if library else None, cfg=scfg,
                        progress=(lambda msg, _f: progress(f"{task.name}: {msg}", False))
                        if progress else None)
    test_data = to_data(task, task.test)
    test = accuracy(res.model, test_data)
    objective = (None if scfg.objective is None else
                 evaluate_objective(scfg.objective, res.model, test_data))
    digit = None
    for text, slot in res.model.slots.items():
        if slot.kind == "classify" and not slot.frozen and slot.spec["classes"] == 10:
            digit = digit_accuracy(res.model.net(text), cfg.seed)
    procedure = make_procedure(
        scfg.train, schedule={"min_steps": scfg.min_steps, "eta": scfg.eta,
                              "final_steps": scfg.final_steps},
        metrics={"val_accuracy": res.val_accuracy, "test_accuracy": test})
    return Solved(task, res, res.text, test, res.val_accuracy, time.perf_counter() - t0,
                  res.description_length, digit, test_objective=objective,
                  procedure=procedure, procedure_from=reused.module if reused else None)


def save_modules(solved: Solved, library: ModuleLibrary, run_id: int | None) -> str:
    """Consolidate: every module the solution trained goes into the library (see
    `hylo.learn.consolidate`); return the program text that refers to them."""
    metrics = {"task": solved.task.name, "test_accuracy": solved.test_accuracy,
               "val_accuracy": solved.val_accuracy}
    if solved.digit_accuracy is not None:
        metrics["digit_accuracy"] = solved.digit_accuracy
    provenance = {"budget": solved.task.budget, "program": solved.program, "run_id": run_id,
                  "method": "gradient",
                  "trained_on": {"part": "train", "examples": len(solved.task.train),
                                 "fingerprint": _fingerprint(solved.task.train)}}
    if solved.procedure is not None:
        provenance["procedure"] = solved.procedure
    if solved.procedure_from is not None:
        provenance["procedure_from"] = solved.procedure_from
    done = consolidate(library, solved.result.program, solved.result.model, solved.task.name,
                       metrics, provenance)
    solved.saved.extend(done.saved)
    solved.program = done.program
    return solved.program


@dataclass
class _Outcome:
    """A solved digits task as `record_result` reads a search result."""

    solved: bool
    program: str | None
    description_length: float | None
    seconds: float
    candidates: int
    stopped: str = "solved"


def _record(store: Any, run_id: int, solved: Solved, key: str,
            iteration: int | None = None) -> None:
    # examples as image indices (the images themselves are the domain's data)
    examples = tuple(Example(tuple(r["inputs"]), r["output"])
                     for r in solved.task.train.records())
    outcome = _Outcome(True, solved.program, solved.description_length, solved.seconds,
                       solved.result.candidates)
    record_result(store, run_id, NAME, Task(key, solved.task.request, examples), outcome,
                  iteration)


def task_key(task: DigitsTask) -> str:
    budget = "full" if task.budget is None else str(task.budget)
    lo, hi = task.spec.lengths
    return f"digits/{task.name}/len{lo}-{hi}/b{budget}/s{task.seed}"


# ----------------------------------------------------------------------------- wake
def config_from(params: dict[str, Any]) -> tuple[DigitsConfig, int | None, int | None]:
    """(config, budget, classify budget) from the learning run's domain parameters."""
    seed = int(params.get("seed", 0))
    cfg = quick_config(seed) if params.get("quick") else DigitsConfig(seed=seed)
    cfg = cfg.with_objective(params.get("objective"))
    if params.get("reuse_procedure"):
        cfg = replace(cfg, reuse_procedure=True)
    return cfg, params.get("budget", 100), params.get("classify_budget")


def wake(store: Any, run_id: int, iteration: int, params: dict[str, Any],
         progress: Progress | None = None) -> dict[str, Any]:
    """Solve the sequence in order (the curriculum); after each task its trained modules are
    consolidated into the library, so the next task finds them. Returns the iteration's
    metrics (`tasks`: one row per task)."""
    cfg, budget, classify_budget = config_from(params)
    library = module_library(store, cfg.seed)
    rows = []
    for spec in SEQUENCE:
        b = classify_budget if spec.name == "classify" else budget
        task = make_task(spec.name, b, cfg.seed, cfg.n_test)
        before = sorted(library.usable())
        solved = solve(task, library, cfg, progress)
        with store.transaction():
            save_modules(solved, library, run_id)
        _record(store, run_id, solved, task_key(task), iteration)
        rows.append(_row(solved, library_before=before))
        if progress:
            progress(f"{task.name}: {solved.program}  test {solved.test_accuracy:.3f}", True)
    accs = [r["test_accuracy"] for r in rows]
    return {"tasks": rows, "test": {"total": len(rows), "solved": len(rows),
                                    "mean_accuracy": float(np.mean(accs)) if accs else None},
            "config": {"budget": budget, "classify_budget": classify_budget, **cfg.as_dict()}}


def _row(solved: Solved, **extra: Any) -> dict[str, Any]:
    row = {"name": solved.task.name, "budget": solved.task.budget, "program": solved.program,
           "test_accuracy": solved.test_accuracy, "val_accuracy": solved.val_accuracy,
           "seconds": solved.seconds, "candidates": solved.result.candidates,
           "trained_candidates": solved.result.trained,
           "description_length": solved.description_length, "saved_modules": solved.saved}
    if solved.digit_accuracy is not None:
        row["digit_accuracy"] = solved.digit_accuracy
    row.update(_objective_fields(solved))
    row.update(extra)
    return row


def _objective_fields(solved: Solved) -> dict[str, Any]:
    """With an objective: its value on validation (the winner's) and on test."""
    if solved.result.val_objective is None and solved.test_objective is None:
        return {}
    return {"val_objective": solved.result.val_objective,
            "test_objective": solved.test_objective}


# ----------------------------------------------------------------------------- bench
def run_baseline(task: DigitsTask, cfg: DigitsConfig) -> tuple[float, float, str]:
    """Test accuracy, seconds and head of the standalone baseline on the task's full budget."""
    head = "none" if not task.spec.is_list else ("lstm" if task.name == "sorted" else "sumpool")
    res = fit_baseline(to_data(task, task.train), _classes(task), head,
                       replace(cfg.baseline, seed=cfg.seed))
    return baseline_accuracy(res.model, to_data(task, task.test)), res.seconds, head


def ensure_classify_module(store: Any, cfg: DigitsConfig, run_id: int,
                           progress: Progress | None = None) -> dict[str, Any]:
    """The library's classify module for this split: reused if present, else trained on task 1
    with the full training split and stored."""
    library = module_library(store, cfg.seed)
    for rec in library.latest().values():
        if rec.kind == "classify" and rec.name == "classify":  # the general digit reader
            text = library_name(rec.name, rec.version)
            module = library.module(text)
            return {"module": text, "reused": True, "digit_accuracy":
                    digit_accuracy(module, cfg.seed), "seconds": 0.0,
                    "trained_on": rec.provenance.get("trained_on")}
    if progress:
        progress("library: training classify on task 1 (full split)", False)
    t0 = time.perf_counter()
    task = make_task("classify", None, cfg.seed, cfg.n_test)
    program = compile_program(
        parse(f"(lam ({fresh_name('classify')} $0))"), task.request,
        options=CompileOptions(fresh_specs=cfg.search.fresh_specs, seed=cfg.seed))
    tc = replace(cfg.search.train, steps=cfg.library_steps, seed=cfg.seed)
    fit(program, to_data(task, task.train), tc)
    test = accuracy(program, to_data(task, task.test))
    solved_text = f"(lam ({fresh_name('classify')} $0))"
    slot = program.slots[fresh_name("classify")]
    saved = library.save(
        "classify", "classify", slot.spec, program.net(fresh_name("classify")),
        {"task": "classify", "test_accuracy": test, "digit_accuracy": test},
        {"task": "classify", "budget": None, "program": solved_text, "run_id": run_id,
         "method": "gradient", "parent": None,
         "trained_on": {"part": "train", "examples": len(task.train),
                        "fingerprint": _fingerprint(task.train)},
         "procedure": make_procedure(tc, metrics={"test_accuracy": test})})
    return {"module": saved, "reused": False,
            "digit_accuracy": test, "seconds": time.perf_counter() - t0,
            "trained_on": {"part": "train", "examples": len(task.train)}}


#: The training methods `compare_methods` runs, in this order (each on a fresh model).
COMPARED_METHODS = ("gradient", "reinforce", "es", "ga")


def compare_methods(cfg: DigitsConfig, es_generations: int = 1500, reinforce_steps: int = 4000,
                    gradient_steps: int = 1500, tasks: tuple[str, ...] = ("classify", "sum2"),
                    es_fitness: str = "nll", es_sigma: float = 0.1,
                    progress: Progress | None = None,
                    methods: tuple[str, ...] = COMPARED_METHODS) -> list[dict[str, Any]]:
    """Gradient vs REINFORCE vs separable CMA-ES vs the GA on the same program, module and data.

    The module is a linear classifier (650 weights) so that an evolution strategy over all its
    weights is feasible; images are not augmented, so every method sees the same data. ES
    fitness: `nll` (soft likelihood) or `error` (hard error rate, needs no relaxation). The GA
    takes the ES's settings, so the same fitness and the same number of evaluations
    (`es_generations` x pycma's population). `methods`: which of them, a subset of
    `COMPARED_METHODS` (`gap_to_gradient` is None without `gradient`)."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown training methods {unknown}; known: {sorted(METHODS)}")
    rows = []
    spec = {"arch": "linear"}
    for name in tasks:
        if name == "classify":
            task = make_task("classify", None, cfg.seed, cfg.n_test)
            text = f"(lam ({fresh_name('classify')} $0))"
        else:
            task = make_task("sum", None, cfg.seed, cfg.n_test, lengths=(2, 2))
            text = f"(lam (sum (map {fresh_name('classify')} $0)))"
        train, test = to_data(task, task.train), to_data(task, task.test)
        base = TrainConfig(augment=False, seed=cfg.seed, lr=1e-2)
        plans = [
            ("gradient", replace(base, steps=gradient_steps), {}),
            ("reinforce", replace(base, steps=reinforce_steps, batch_size=128), {}),
            ("es", replace(base, steps=es_generations, sigma=es_sigma, es_batch=4096,
                           fitness=es_fitness), {"fitness": es_fitness}),
        ]
        # last, so that adding it changes no other row; the ES's settings give it the same
        # fitness and evaluations
        plans.append(("ga", plans[-1][1], {"fitness": es_fitness}))
        for method, tc, extra in plans:
            if method not in methods:
                continue
            if progress:
                progress(f"methods: {name} by {method}", False)
            model = compile_program(parse(text), task.request,
                                    options=CompileOptions(semantics=_domain().soft_semantics
                                                           or {},
                                                           fresh_specs={"classify": spec},
                                                           seed=cfg.seed))
            hist = fit(model, train, tc, method)
            if progress:
                progress(f"methods: {name} by {method} done", True)
            rows.append({"task": "sum2_full" if name == "sum2" else "classify_full",
                         "program": text, "module": "classify linear (650 weights)",
                         "method": method, "test_accuracy": accuracy(model, test),
                         "seconds": hist["seconds"], "steps": hist["steps"],
                         "evaluations": hist.get("evaluations"), **extra})
    by_task: dict[str, float] = {r["task"]: r["test_accuracy"] for r in rows
                                 if r["method"] == "gradient"}
    for r in rows:
        r["gap_to_gradient"] = (by_task[r["task"]] - r["test_accuracy"] if r["task"] in by_task
                                else None)
    return rows


def bench_units(budgets: list[int], n_tasks: int = len(SEQUENCE), sum2_full: bool = True,
                methods: bool = True, n_method_rows: int = 2 * len(COMPARED_METHODS)) -> int:
    """How many times `bench` reports a finished unit (for progress bars)."""
    return 1 + len(budgets) * n_tasks + int(sum2_full) + (n_method_rows if methods else 0)


def bench(store: Any, budgets: list[int], cfg: DigitsConfig | None = None,
          tasks: tuple[str, ...] = tuple(s.name for s in SEQUENCE), sum2_full: bool = True,
          methods: bool = True, methods_kwargs: dict[str, Any] | None = None,
          progress: Progress | None = None) -> dict[str, Any]:
    """The digits benchmark: see docs/digits.md for the report's fields."""
    import torch

    cfg = cfg or DigitsConfig()
    t0 = time.perf_counter()
    run_id = store.start_run("bench-digits", {"domain": NAME, "budgets": budgets,
                                              **cfg.as_dict()})
    try:
        lib_info = ensure_classify_module(store, cfg, run_id, progress)
        if progress:
            progress(f"library module {lib_info['module']}", True)
        library = module_library(store, cfg.seed)
        rows = []
        for budget in budgets:
            for name in tasks:
                task = make_task(name, budget, cfg.seed, cfg.n_test)
                # task 1 is the start of the sequence: it is solved without the library
                # (whose classify module was trained on task 1 itself)
                solved = solve(task, None if name == "classify" else library, cfg, progress)
                _record(store, run_id, solved, task_key(task))
                base_acc, base_s, head = run_baseline(task, cfg)
                rows.append({"name": name, "budget": budget, "hylo_accuracy":
                             solved.test_accuracy, "baseline_accuracy": base_acc,
                             "seconds": solved.seconds, "baseline_seconds": base_s,
                             "baseline_head": head, "program": solved.program,
                             "val_accuracy": solved.val_accuracy,
                             "finetuned": solved.result.finetune,
                             "candidates": solved.result.candidates,
                             "uses_library": used_library(solved.program),
                             **({"procedure_from": solved.procedure_from}
                                if solved.procedure_from else {}),
                             "n_test": len(task.test), **_objective_fields(solved)})
                if progress:
                    progress(f"b={budget} {name}: hylo {solved.test_accuracy:.3f} "
                             f"baseline {base_acc:.3f}", True)
        report: dict[str, Any] = {
            "suite": "digits", "version": REPORT_VERSION, "seed": cfg.seed,
            "budgets": budgets, "library_module": lib_info, "tasks": rows,
        }
        if sum2_full:
            task = make_task("sum", None, cfg.seed, cfg.n_test, lengths=(2, 2))
            solved = solve(task, None, cfg, progress)
            _record(store, run_id, solved, task_key(task))
            base_acc, base_s, head = run_baseline(task, cfg)
            report["sum2_full"] = {"budget": len(task.train), "hylo_accuracy":
                                   solved.test_accuracy, "baseline_accuracy": base_acc,
                                   "program": solved.program, "seconds": solved.seconds,
                                   "val_accuracy": solved.val_accuracy,
                                   "baseline_seconds": base_s, "digit_accuracy":
                                   solved.digit_accuracy, "uses_library": False,
                                   "n_test": len(task.test), **_objective_fields(solved)}
            if progress:
                progress(f"sum2 full: hylo {solved.test_accuracy:.3f} "
                         f"baseline {base_acc:.3f}", True)
        if methods:
            report["training_methods"] = compare_methods(cfg, progress=progress,
                                                         **(methods_kwargs or {}))
        report["wall_seconds"] = time.perf_counter() - t0
        report["threads"] = torch.get_num_threads()
    except BaseException:
        store.finish_run(run_id, {}, status="failed")
        raise
    store.finish_run(run_id, {k: v for k, v in report.items() if k != "tasks"} |
                     {"tasks": rows})
    report["run_id"] = run_id
    return report


def used_library(program: str) -> bool:
    return any(isinstance(q, Prim) and q.name.startswith("nn:") and "@v" in q.name
               for q in walk(parse(program)))
