"""`hylo learn digits` and `hylo bench digits`: two plain command functions, mounted by
`hylo.cli`. Importing this module does not import torch; the commands do, when they run."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

console = Console(emoji=False, highlight=False)


def _threads(threads: int) -> None:
    import torch

    # Small models run fastest on one thread here; more threads only add overhead.
    torch.set_num_threads(max(1, threads))


def _budgets(text: str) -> list[int]:
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"budgets must be comma-separated integers, got {text!r}") from None
    if not out or min(out) < 1:
        raise typer.BadParameter("budgets must be positive integers")
    return out


OBJECTIVE_HELP = ("an engineer's objective 'module:function', f(predictions, targets, model) -> "
                  "float, lower is better: it ranks the candidate programs and, where it has a "
                  "gradient, trains them (see docs/automl.md)")

REUSE_HELP = ("train each task with the procedure recorded with a library classify module "
              "(the newest from a tuning study, else the newest): its hyperparameters, "
              "schedule, and architecture for fresh classify holes, instead of the defaults")


def _objective(spec: str | None) -> str | None:
    """Check `--objective` before any work: importable, a function (a clear error if not)."""
    if spec is not None:
        from hylo.neural.objectives import load_objective

        try:
            load_objective(spec)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--objective") from None
    return spec


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=False)


def _write_json(path: Path | None, report: dict[str, Any]) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, default=str) + "\n")
        console.print(f"report written to {path}")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def learn_digits(
    library: Path | None = typer.Option(None, "--library", help="library file (SQLite); "
                                        "omitted: an in-memory library, discarded at exit"),
    budget: int = typer.Option(100, help="labelled examples for tasks 2-5"),
    classify_budget: int | None = typer.Option(
        None, help="labelled images for task 1 (omitted: the full training split)"),
    seed: int = typer.Option(0, help="seed of the image split and of every task"),
    json_path: Path | None = typer.Option(None, "--json", help="write the summary as JSON"),
    threads: int = typer.Option(1, help="torch threads"),
    quick: bool = typer.Option(False, "--quick", help="tiny smoke-test settings"),
    iterations: int = typer.Option(1, "--iterations",
                                   help="passes over the sequence (each a checkpointed "
                                   "iteration; later passes start from the library so far)"),
    # Annotated, so that a plain Python call without it gets None, not typer's OptionInfo
    objective: Annotated[str | None, typer.Option("--objective", help=OBJECTIVE_HELP)] = None,
    reuse_procedure: Annotated[bool, typer.Option("--reuse-procedure",
                                                  help=REUSE_HELP)] = False,
) -> None:
    """Solve the digits sequence in order; later tasks reuse the modules earlier ones trained.

    This is the one learning loop (`hylo.learn.loop.learn`) with the digits domain's wake."""
    _threads(threads)
    from hylo.learn.loop import LearnConfig, Reporter, learn

    params: dict[str, Any] = {"budget": budget, "classify_budget": classify_budget,
                              "seed": seed, "quick": quick}
    if _objective(objective) is not None:  # absent otherwise: the run's config is unchanged
        params["objective"] = objective
    if reuse_procedure:  # absent otherwise: the run's config is unchanged
        params["reuse_procedure"] = True
    config = LearnConfig(domain="digits", suite="houdini", iterations=iterations, workers=0,
                         params=params)
    with _progress() as bar:

        class BarReporter(Reporter):
            job: Any = None

            def phase(self, name: str, total: int) -> None:
                self.job = bar.add_task(name, total=total)

            def advance(self, result: Any = None) -> None:
                bar.update(self.job, advance=1)

            def message(self, text: str) -> None:
                if self.job is not None:
                    bar.update(self.job, description=text[:70])

        summary = learn(library, config, BarReporter())
    rows = [row for it in summary["iterations"] for row in it.get("tasks", [])]
    summary = {"run_id": summary["run_id"], "tasks": rows,
               "wall_seconds": sum(it["seconds"]["total"] for it in summary["iterations"])}
    table = Table(title=f"hylo learn digits (budget {budget}, seed {seed})")
    for col in ("task", "budget", "program", "test acc", "seconds", "saved"):
        table.add_column(col)
    for row in rows:
        table.add_row(row["name"], str(row["budget"] or "full"), row["program"],
                      _pct(row["test_accuracy"]), f"{row['seconds']:.1f}",
                      ", ".join(row["saved_modules"]))
    console.print(table)
    _write_json(json_path, summary)


def bench_digits(
    budgets: str = typer.Option("50,200,1000", help="comma-separated data budgets"),
    json_path: Path | None = typer.Option(None, "--json", help="write the report as JSON"),
    library: Path | None = typer.Option(None, "--library", help="library file (SQLite); "
                                        "omitted: an in-memory library"),
    seed: int = typer.Option(0, help="seed of the image split and of every task"),
    threads: int = typer.Option(1, help="torch threads"),
    methods: bool = typer.Option(True, help="gradient vs REINFORCE vs ES vs GA comparison"),
    sum2: bool = typer.Option(True, help="sum of two digits on the full training split"),
    quick: bool = typer.Option(False, "--quick", help="tiny smoke-test settings"),
    # Annotated, so that a plain Python call without it gets None, not typer's OptionInfo
    objective: Annotated[str | None, typer.Option("--objective", help=OBJECTIVE_HELP)] = None,
    reuse_procedure: Annotated[bool, typer.Option("--reuse-procedure",
                                                  help=REUSE_HELP)] = False,
) -> None:
    """Test accuracy per task and budget: hylo (with the library) beside a standalone baseline."""
    budget_list = _budgets(budgets)
    _objective(objective)
    _threads(threads)
    from hylo.domains.digits.experiment import DigitsConfig, bench, bench_units, quick_config
    from hylo.library import open_store

    cfg = (quick_config(seed) if quick else DigitsConfig(seed=seed)).with_objective(objective)
    if reuse_procedure:
        cfg = replace(cfg, reuse_procedure=True)
    kwargs = {"es_generations": 5, "reinforce_steps": 10, "gradient_steps": 10} if quick else {}
    t0 = time.perf_counter()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with open_store(library) as store, _progress() as bar:
        job = bar.add_task("bench digits", total=bench_units(budget_list, sum2_full=sum2,
                                                             methods=methods))

        def progress(message: str, done: bool) -> None:
            bar.update(job, description=message[:70], advance=1 if done else 0)

        report = bench(store, budget_list, cfg, sum2_full=sum2, methods=methods,
                       methods_kwargs=kwargs, progress=progress)
    report["load_average_start"] = load
    report["load_average_end"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    report["cpu_count"] = os.cpu_count()
    report["wall_seconds"] = time.perf_counter() - t0

    lib = report["library_module"]
    table = Table(title=f"hylo bench digits (seed {seed}; library {lib['module']}, "
                  f"digit acc {_pct(lib['digit_accuracy'])})")
    for col in ("task", "budget", "hylo", "baseline", "program", "seconds"):
        table.add_column(col)
    for row in report["tasks"]:
        table.add_row(row["name"], str(row["budget"]), _pct(row["hylo_accuracy"]),
                      _pct(row["baseline_accuracy"]), row["program"], f"{row['seconds']:.1f}")
    if "sum2_full" in report:
        s = report["sum2_full"]
        table.add_row("sum2 (full, no library)", str(s["budget"]), _pct(s["hylo_accuracy"]),
                      _pct(s["baseline_accuracy"]), s["program"], f"{s['seconds']:.1f}")
    console.print(table)
    if "training_methods" in report:
        mt = Table(title="training methods (same program, module and data)")
        for col in ("task", "method", "test acc", "gap to gradient", "seconds"):
            mt.add_column(col)
        for r in report["training_methods"]:
            mt.add_row(r["task"], r["method"], _pct(r["test_accuracy"]),
                       f"{100 * r['gap_to_gradient']:.1f} pts", f"{r['seconds']:.1f}")
        console.print(mt)
    console.print(f"wall time {report['wall_seconds']:.0f} s")
    _write_json(json_path, report)


if __name__ == "__main__":  # plain use without the main CLI: python -m hylo.cli_digits
    app = typer.Typer(add_completion=False)
    app.command("learn")(learn_digits)
    app.command("bench")(bench_digits)
    app()
