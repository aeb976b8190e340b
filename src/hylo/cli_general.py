"""`hylo bench psb1`: the General Program Synthesis Benchmark Suite by genetic programming.

A plain command function, mounted by `hylo.cli` through the general domain's `commands`.

The field's rule (Helmuth & Spector 2015): a run succeeds only if its program has zero error on
the problem's whole unseen test set. Each run is one search of every chosen problem by the
`genetic` searcher, with its own seed. Runs go through an executor, so problems are searched in
parallel. Per problem, the JSON gives `name`, `runs`, `successes`, `executions` (program x case
evaluations, all runs), `best_test_error` (the lowest total test error over the runs) and
`program` (that run's program: the fit when the run fit the training cases, else its lowest-error
program), and per run `seconds` and `generations`.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import typer

#: the reference budget per run (PushGP with lexicase: population 1000, 300 generations)
REFERENCE = {"population": 1000, "generations": 300}


def bench_psb1(
    problems: str | None = typer.Option(
        None, "--problems", help="Comma-separated problem names (default: all 29)."),
    runs: int = typer.Option(5, "--runs", help="Runs per problem (each its own seed)."),
    generations: int = typer.Option(REFERENCE["generations"], "--generations"),
    population: int = typer.Option(REFERENCE["population"], "--population"),
    timeout: float = typer.Option(600.0, "--timeout", help="Wall seconds per run and problem."),
    searcher: str = typer.Option(
        "genetic", "--searcher", help="genetic (with the options here), `default` (the "
        "general domain's portfolio), or another searcher's name or JSON spec, to compare."),
    selection: str = typer.Option("lexicase", "--selection",
                                  help="lexicase, epsilon-lexicase or tournament."),
    downsample: float = typer.Option(1.0, "--downsample",
                                     help="Share of the cases each generation (1: all)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the first run (run r: seed + r)."),
    data: Path | None = typer.Option(
        None, "--data", help="The PSB1 folder (default: $HYLO_SHARED/data/psb1 or "
        "../shared/data/psb1)."),
    workers: int = typer.Option(2, "--workers", help="Workers (0: in this process)."),
    executor: str | None = typer.Option(None, "--executor", help="inline, pool or ray."),
    json_path: Path | None = typer.Option(None, "--json", help="Write the results as JSON."),
) -> None:
    """PSB1 by typed GP with lexicase selection: successes per problem on the unseen tests."""
    from hylo.cli import _executor, _progress, _write_json, console, fail, safe
    from hylo.domains import get_domain
    from hylo.domains.general.psb1 import load_psb1
    from hylo.search.base import Budget
    from hylo.search.executor import SearchConfig, SearchJob
    from hylo.search.registry import SpecError, build_searcher, parse_spec

    if runs < 1 or generations < 1 or population < 2:
        fail("--runs and --generations must be >= 1, --population >= 2")
    if not 0 < timeout <= 1e6:
        fail("--timeout must be a positive number of seconds")
    domain = get_domain("general")
    names = [n.strip() for n in problems.split(",") if n.strip()] if problems else None
    try:
        tasks = load_psb1(data, names=names)
    except (ValueError, OSError) as e:
        fail(e)
    if names is not None:
        missing = sorted(set(names) - {t.name for t in tasks})
        if missing:
            fail(f"no such PSB1 problem: {', '.join(missing)}")
    grammar = domain.prior()
    try:
        base = parse_spec(domain.default_searcher() if searcher == "default" else searcher)
        if base["name"] == "genetic":
            specs = [{"name": "genetic", "params": {
                **base["params"], "population": population, "generations": generations,
                "seed": seed + r, "selection": selection, "downsample": downsample}}
                for r in range(runs)]
        else:
            specs = [base] * runs
        build_searcher(specs[0], grammar, domain)  # a bad parameter is one error, here
    except SpecError as e:
        fail(e)
    ex = _executor(executor, workers, None)
    rows: dict[str, dict[str, Any]] = {t.name: {
        "name": t.name, "runs": 0, "successes": 0, "train_fits": 0, "executions": 0,
        "best_test_error": None, "program": None, "best_run": None, "seconds": [],
        "generations": []}
        for t in tasks}
    by_name = {t.name: t for t in tasks}
    t0 = time.perf_counter()
    try:
        with _progress() as p:
            bar = p.add_task("psb1", total=runs * len(tasks), solved=0)
            for r, spec in enumerate(specs):
                config = SearchConfig.from_grammar(domain.name, grammar, spec)
                jobs = [SearchJob(t, Budget(seconds=timeout)) for t in tasks]
                for res in ex.run(config, jobs):
                    row = rows[res.task]
                    _record(row, res, by_name[res.task], domain, r)
                    p.update(bar, advance=1,
                             solved=sum(1 for x in rows.values() if x["successes"]))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    finally:
        ex.close()
    out = [rows[t.name] for t in tasks]
    summary = {
        "suite": "psb1", "searcher": specs[0]["name"], "runs": runs,
        "generations": generations, "population": population, "timeout": timeout,
        "selection": selection, "downsample": downsample, "seed": seed, "workers": workers,
        "total_problems": len(out),
        "solved_problems": sum(1 for x in out if x["successes"]),
        "wall_seconds": round(time.perf_counter() - t0, 2),
    }
    for x in out:
        console.print(f"{safe(x['name'], 40):<32} {x['successes']}/{x['runs']} "
                      f"(train fits {x['train_fits']}), best test error "
                      f"{x['best_test_error']}")
    console.print(f"psb1: {summary['solved_problems']}/{len(out)} problems solved at least "
                  f"once in {runs} runs, {summary['wall_seconds']} s")
    if json_path is not None:
        _write_json(json_path, {**summary, "problems": out})


def _record(row: dict[str, Any], res: Any, task: Any, domain: Any, run: int) -> None:
    """Fold one run's result into its problem's row: the run succeeds when its program (a fit
    of the training cases) has zero error on every test case."""
    stats = res.stats or {}
    row["runs"] += 1
    row["executions"] += int(stats.get("executions", 0))
    row["seconds"].append(round(res.seconds, 2))
    row["generations"].append(stats.get("generations"))
    program = res.program if res.solved else stats.get("best_program")
    row["train_fits"] += bool(res.solved)
    if program is None:
        return
    error = test_error(domain, program, task)
    if res.solved and error == 0.0:
        row["successes"] += 1
    best = row["best_test_error"]
    if best is None or error < best:
        row["best_test_error"] = error if math.isfinite(error) else None
        row["program"] = program
        row["best_run"] = run


def test_error(domain: Any, program: str, task: Any) -> float:
    """Total error of `program` on `task`'s held-out (test) cases; inf when it cannot run."""
    from hylo.core.evaluate import run_program
    from hylo.core.limits import EvalFailure
    from hylo.search.base import Budget

    try:
        p = domain.dsl.parse(program)
    except (ValueError, RecursionError):
        return math.inf
    limits = Budget().limits
    total = 0.0
    for ex in task.held_out:
        try:
            out = run_program(p, domain.dsl, ex.inputs, limits)
        except EvalFailure:
            out = _FAILED
        total += domain.error(out, ex.output) if out is not _FAILED else 1e12
    return total


_FAILED = object()
