"""`hylo bench tune`: tuning neural holes with Optuna (TPE, regularized evolution), mounted
through the digits domain's `commands`. Importing this module imports neither torch nor
optuna; the command does, when it runs."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hylo.cli_digits import _budgets, _pct, _progress, _threads, _write_json, console


def _names(text: str, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    out = tuple(x.strip() for x in text.split(",") if x.strip())
    if text.strip().lower() == "none":
        return ()
    bad = [x for x in out if x not in allowed]
    if bad:
        raise typer.BadParameter(f"unknown {what} {bad}; choose among {list(allowed)}")
    return out


def bench_tune(
    tasks: str = typer.Option("classify,sum", help="digits tasks, comma-separated "
                              "(classify, sum, count, sorted, max)"),
    budgets: str = typer.Option("100,1000", help="training-set sizes, comma-separated"),
    trials: int = typer.Option(20, min=1, max=10_000, help="trials per study"),
    searcher: str = typer.Option("both", help="tpe, evolution, both, or none (no tuned arm: "
                                 "with --reuse-from, default against reused only)"),
    tabular: str = typer.Option("wine,breast_cancer",
                                help="scikit-learn sets (wine, breast_cancer) or none"),
    repeats: int = typer.Option(1, min=1, max=100, help="final models per arm (seeds)"),
    examples: int = typer.Option(64_000, min=1, max=10_000_000,
                                 help="training examples per trial and per final model"),
    pruner: str = typer.Option("halving", help="halving, median or none"),
    warm_start: int = typer.Option(0, min=0, max=100,
                                   help="queue the best of this many earlier studies of "
                                   "the kind (0: cells stand alone)"),
    json_path: Path | None = typer.Option(None, "--json", help="write the report as JSON"),
    library: Path | None = typer.Option(None, "--library", help="library file: studies go to "
                                        "LIBRARY.optuna.db and resume there, and each tuned "
                                        "arm's final model is saved in it with its procedure; "
                                        "omitted: memory, nothing saved"),
    seed: int = typer.Option(0, help="seed of the splits, samplers and initial weights"),
    threads: int = typer.Option(1, help="torch threads"),
    # Annotated, so that a plain Python call without it gets None, not typer's OptionInfo
    reuse_from: Annotated[str | None, typer.Option(
        "--reuse-from", help="a digits task (e.g. classify): train the other tasks' programs "
        "with the procedure tuned on it (architecture and hyperparameters, read from "
        "--library) beside the default")] = None,
    confirm_folds: Annotated[int, typer.Option(
        min=0, max=20, help="retrain the best trials and the default on this many fresh "
        "train/validation splits and keep the best mean (0: the study's best)")] = 0,
    confirm_top: Annotated[int, typer.Option(
        min=1, max=20, help="trials retrained by --confirm-folds")] = 3,
    check_reuse: Annotated[int, typer.Option(
        min=0, max=20, help="with --reuse-from: also report the policy that adopts a reused "
        "procedure only where it beats the default on this many fresh train/validation "
        "splits of the task (0: off)")] = 0,
) -> None:
    """Default vs tuned neural holes at an equal training budget; TPE vs evolution."""
    budget_list = _budgets(budgets)
    task_names = _names(tasks, ("classify", "sum", "count", "sorted", "max"), "tasks")
    datasets = _names(tabular, ("wine", "breast_cancer"), "tabular sets")
    if searcher not in ("tpe", "evolution", "both", "none"):
        raise typer.BadParameter("searcher must be tpe, evolution, both or none")
    if reuse_from is not None:
        if len(_names(reuse_from, ("classify", "sum", "count", "sorted", "max"),
                      "--reuse-from task")) != 1:
            raise typer.BadParameter("--reuse-from takes one digits task")
        if library is None:
            raise typer.BadParameter("--reuse-from reads the tuned procedure from --library")
    if check_reuse and reuse_from is None:
        raise typer.BadParameter("--check-reuse checks the procedures --reuse-from reuses")
    if pruner not in ("halving", "median", "none"):
        raise typer.BadParameter("pruner must be halving, median or none")
    _threads(threads)
    import optuna

    from hylo.domains.digits.tune import TuneBenchConfig, bench, bench_units

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    searchers = {"both": ("tpe", "evolution"), "none": ()}.get(searcher, (searcher,))
    cfg = TuneBenchConfig(trials=trials, searchers=searchers, seed=seed, repeats=repeats,
                          examples=examples, pruner=pruner, warm_start=warm_start,
                          confirm_folds=confirm_folds, confirm_top=confirm_top,
                          check_reuse=check_reuse,
                          reuse_from=reuse_from.strip() if reuse_from else None)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    t0 = time.perf_counter()
    with _progress() as bar:
        job = bar.add_task("bench tune", total=bench_units(task_names, budget_list, datasets))

        def progress(message: str, done: bool) -> None:
            bar.update(job, description=message[:70], advance=1 if done else 0)

        def partial(report: dict) -> None:  # a long run leaves its finished cells behind
            if json_path is not None:
                json_path.parent.mkdir(parents=True, exist_ok=True)
                json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")

        try:
            report = bench(task_names, budget_list, datasets, cfg, library, progress, partial)
        except ValueError as error:  # e.g. no tuned procedure to reuse, or a malformed one
            raise typer.BadParameter(str(error)) from None
    report["load_average_start"] = load
    report["load_average_end"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    report["cpu_count"] = os.cpu_count()
    report["wall_seconds"] = time.perf_counter() - t0
    _print(report, searchers)
    _write_json(json_path, report)


def _columns(row: dict, arm: dict) -> str:
    """A tabular arm's feature selection: how many of the row's columns its module reads."""
    if "features" not in row:
        return ""
    return f" ({len(arm['spec'].get('inputs', range(row['features'])))}/{row['features']} cols)"


def _checked(arm: dict) -> str:
    """Whether the checked policy adopted a reused procedure (with --check-reuse)."""
    if "checked" not in arm:
        return ""
    return " (adopted)" if arm["checked"]["adopted"] else " (checked: default kept)"


def _print(report: dict, searchers: tuple[str, ...]) -> None:
    table = Table(title=f"hylo bench tune ({report['config']['trials']} trials per study, "
                  f"{report['config']['examples']:,} training examples per model)")
    reused = report["config"].get("reuse_from")
    for col in ("cell", "default", *searchers, *([f"reused from {reused}"] if reused else []),
                "tuning s", "other"):
        table.add_column(col)
    rows = [(f"{r['task']} b{r['budget']}", r, "") for r in report["digits"]]
    rows += [(r["dataset"], r, f"sklearn MLP {_pct(r['sklearn_mlp']['test_accuracy'])}, "
              f"GBM {_pct(r['gradient_boosting']['test_accuracy'])}") for r in report["tabular"]]
    for name, r, other in rows:
        tuned = [_pct(r["tuned"][s]["test_accuracy"]) + _columns(r, r["tuned"][s])
                 for s in searchers]
        if reused:
            tuned.append(", ".join(f"{s} {_pct(a['test_accuracy'])}" + _checked(a)
                                   for s, a in r.get("reused", {}).items()) or "-")
        cost = " / ".join(f"{r['tuned'][s]['tuning']['seconds']:.0f}" for s in searchers)
        table.add_row(name, _pct(r["default"]["test_accuracy"]), *tuned, cost, other)
    console.print(table)
    if report.get("saved_modules"):
        console.print(f"saved to {report['library']}: {', '.join(report['saved_modules'])}")
    console.print(f"wall time {report['wall_seconds']:.0f} s")
