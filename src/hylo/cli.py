"""The command line: a thin layer over the library API (typer + rich)."""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hylo.core.domain import Domain
from hylo.core.evaluate import run_program
from hylo.core.grammar import Grammar
from hylo.core.limits import EvalFailure
from hylo.core.task import Task
from hylo.core.types import show_type
from hylo.search.base import Budget, SearchResult

app = typer.Typer(
    help="hylo: grow programs from examples, with a lifelong library.",
    no_args_is_help=True,
    add_completion=False,
)
library_app = typer.Typer(help="Inspect and move the library.", no_args_is_help=True)
learn_app = typer.Typer(help="Lifelong learning loops.", no_args_is_help=True)
app.add_typer(library_app, name="library")
app.add_typer(learn_app, name="learn")

console = Console()
err = Console(stderr=True)

DEFAULT_DOMAIN = "lists"


# ------------------------------------------------------------------ helpers
def _domain(name: str) -> Domain:
    from hylo.domains import get_domain

    try:
        return get_domain(name)
    except KeyError as e:
        err.print(f"[red]error:[/red] {e.args[0]}")
        raise typer.Exit(2) from None


def _grammar(domain: Domain, library: Path | None) -> Grammar:
    """The library's grammar if a library file exists, else the uniform grammar."""
    if library is None or not Path(library).exists():
        return Grammar.uniform(domain.dsl)
    from hylo.library import StoreError, open_store
    from hylo.library.grammar_store import load_grammar

    try:
        with open_store(library) as store:
            return load_grammar(store, domain.dsl, domain.name)
    except StoreError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None


def _load_task_file(domain: Domain, path: Path) -> list[Task]:
    if domain.load_file is None:
        err.print(f"[red]error:[/red] domain {domain.name} cannot read task files")
        raise typer.Exit(2)
    try:
        return domain.load_file(str(path))
    except (OSError, ValueError) as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None


def _verify(domain: Domain, grammar: Grammar, task: Task, program_text: str) -> int:
    """How many of the task's examples the program gets right (fresh evaluation)."""
    program = grammar.dsl.parse(program_text)
    ok = 0
    for ex in task.examples:
        try:
            if run_program(program, grammar.dsl, ex.inputs) == ex.output:
                ok += 1
        except EvalFailure:
            pass
    return ok


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("solved {task.fields[solved]}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


# ------------------------------------------------------------------ solve
@app.command()
def solve(
    taskfile: Path = typer.Argument(..., help="A task file (DreamCoder JSON format)."),
    task: str | None = typer.Option(None, "--task", help="Only this task (by name)."),
    timeout: float = typer.Option(20.0, "--timeout", help="Seconds per task."),
    library: Path | None = typer.Option(None, "--library", help="Search with this library."),
    domain_name: str = typer.Option(DEFAULT_DOMAIN, "--domain", help="Domain of the tasks."),
) -> None:
    """Find a program for each task of TASKFILE and check it on the examples."""
    domain = _domain(domain_name)
    tasks = _load_task_file(domain, taskfile)
    if task is not None:
        tasks = [t for t in tasks if t.name == task]
        if not tasks:
            err.print(f"[red]error:[/red] no task named {task!r} in {taskfile}")
            raise typer.Exit(2)
    grammar = _grammar(domain, library)
    from hylo.search.enumerative import EnumerativeSearcher

    searcher = EnumerativeSearcher(grammar)
    failures = 0
    for t in tasks:
        r = searcher.solve(t, Budget(seconds=timeout))
        if r.solved and r.program is not None:
            ok = _verify(domain, grammar, t, r.program)
            console.print(
                f"[green]solved[/green] {t.name}  [dim]{show_type(t.request)}[/dim]\n"
                f"  {r.program}\n  description length {r.description_length:.2f} nats, "
                f"{r.candidates} candidates, {r.seconds:.2f}s, "
                f"checked: {ok}/{len(t.examples)} examples"
            )
            if ok != len(t.examples):
                failures += 1
        else:
            failures += 1
            console.print(
                f"[red]not solved[/red] {t.name} ({r.stopped}; {r.candidates} candidates, "
                f"{r.seconds:.2f}s)"
            )
    raise typer.Exit(1 if failures else 0)


# ------------------------------------------------------------------ bench
@app.command()
def bench(
    suite: str = typer.Argument(
        ..., help="'lists', 'enumerate', 'digits', or a task file (FILE.json)."
    ),
    split: str = typer.Option("test", "--split", help="train, test or all (suites only)."),
    timeout: float = typer.Option(20.0, "--timeout", help="Seconds per task."),
    workers: int = typer.Option(2, "--workers", help="Worker processes (0: in this process)."),
    json_path: Path | None = typer.Option(None, "--json", help="Write results as JSON."),
    library: Path | None = typer.Option(
        None, "--library", help="Library file: search with it and record the run in it."
    ),
    seconds: float = typer.Option(10.0, "--seconds", help="enumerate: seconds per measure."),
    seed: int = typer.Option(0, "--seed", help="enumerate: seed of the random grammar."),
    budgets: str = typer.Option("50,200,1000", "--budgets", help="digits: data budgets."),
    domain_name: str = typer.Option(DEFAULT_DOMAIN, "--domain", help="Domain of a task file."),
) -> None:
    """Benchmarks: a task suite or file, enumeration throughput, or the digits sequence."""
    if suite == "enumerate":
        _bench_enumerate(seconds, seed, json_path)
        return
    if suite == "digits":
        from hylo.cli_digits import bench_digits

        _call_command(bench_digits, budgets=budgets, json_path=json_path, library=library,
                      seed=seed)
        return
    domain = _domain(DEFAULT_DOMAIN if suite in ("lists",) else domain_name)
    if suite in domain.suites:
        tasks = domain.suites[suite]()
        if split != "all":
            if split not in ("train", "test"):
                err.print("[red]error:[/red] --split must be train, test or all")
                raise typer.Exit(2)
            if domain.split is None:
                err.print(f"[red]error:[/red] domain {domain.name} has no train/test split")
                raise typer.Exit(2)
            train, test = domain.split(tasks)
            tasks = train if split == "train" else test
    elif suite.endswith(".json") or Path(suite).exists():
        tasks = _load_task_file(domain, Path(suite))
        split = "all"
    else:
        err.print(f"[red]error:[/red] unknown suite {suite!r} and no such file")
        raise typer.Exit(2)
    _bench_tasks(domain, suite, split, tasks, timeout, workers, json_path, library)


def _bench_tasks(
    domain: Domain,
    suite: str,
    split: str,
    tasks: list[Task],
    timeout: float,
    workers: int,
    json_path: Path | None,
    library: Path | None,
) -> None:
    from hylo.search.parallel import SearchConfig, iter_solve

    grammar = _grammar(domain, library)
    config = SearchConfig.from_grammar(domain.name, grammar)
    budget = Budget(seconds=timeout)
    store = None
    run_id = None
    if library is not None:
        from hylo.library import open_store

        store = open_store(library)
        with store.transaction():
            for name, typ in domain.dsl.describe():
                if name in domain.dsl.primitives:
                    store.put_primitive(name, typ, domain.name)
            run_id = store.start_run(
                "bench",
                {"suite": suite, "split": split, "timeout": timeout, "workers": workers,
                 "tasks": len(tasks), "inventions": len(grammar.dsl.inventions)},
            )
    results: dict[str, SearchResult] = {}
    t0 = time.perf_counter()
    by_name = {t.name: t for t in tasks}
    with _progress() as progress:
        bar = progress.add_task(f"{suite}/{split}", total=len(tasks), solved=0)
        n_solved = 0
        for r in iter_solve(tasks, config, budget, workers):
            results[r.task] = r
            n_solved += r.solved
            progress.update(bar, advance=1, solved=n_solved)
            if store is not None and run_id is not None:
                t = by_name[r.task]
                with store.transaction():
                    store.put_task(t.name, domain.name, show_type(t.request), _examples_json(t))
                    store.add_attempt(run_id, t.name, r.solved, r.seconds, r.candidates,
                                      None if r.solved else r.stopped)
                    if r.solved and r.program is not None:
                        store.add_solution(run_id, t.name, r.program, r.description_length or 0.0,
                                           r.seconds, r.candidates, domain=domain.name)
    wall = time.perf_counter() - t0
    ordered = [results[t.name] for t in tasks]
    solved = [r for r in ordered if r.solved]
    summary = {
        "suite": suite,
        "split": split,
        "total": len(tasks),
        "solved": len(solved),
        "solved_fraction": round(len(solved) / max(1, len(tasks)), 4),
        "timeout": timeout,
        "workers": workers,
        "wall_seconds": round(wall, 2),
        "median_seconds_solved": round(statistics.median([r.seconds for r in solved]), 4)
        if solved else None,
        "library": str(library) if library else None,
        "inventions": len(grammar.dsl.inventions),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
    }
    if store is not None and run_id is not None:
        store.finish_run(run_id, summary)
        store.close()
    table = Table(title=f"hylo bench {suite} ({split})")
    table.add_column("task")
    table.add_column("solved")
    table.add_column("seconds", justify="right")
    table.add_column("candidates", justify="right")
    table.add_column("program")
    for r in ordered:
        table.add_row(r.task, "[green]yes[/green]" if r.solved else "[red]no[/red]",
                      f"{r.seconds:.2f}", str(r.candidates), r.program or r.stopped)
    console.print(table)
    console.print(
        f"[bold]{len(solved)}/{len(tasks)} solved ({100 * summary['solved_fraction']:.1f}%)"
        f"[/bold] in {wall:.1f}s wall, timeout {timeout}s, {workers} workers"
    )
    if json_path is not None:
        out = {**summary, "tasks": [r.to_json() for r in ordered]}
        json_path.write_text(json.dumps(out, indent=2))
        err.print(f"wrote {json_path}")


def _call_command(fn, **given):  # type: ignore[no-untyped-def]
    """Call a typer command function directly: options not given take their declared defaults
    (a bare call would pass typer's OptionInfo objects instead)."""
    import inspect

    from typer.models import ParameterInfo

    kwargs = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name in given:
            kwargs[name] = given[name]
        elif isinstance(param.default, ParameterInfo):
            kwargs[name] = param.default.default
        else:
            kwargs[name] = param.default
    return fn(**kwargs)


def _examples_json(t: Task) -> list:
    return [{"i": list(ex.inputs), "o": ex.output} for ex in t.examples]


def _bench_enumerate(seconds: float, seed: int, json_path: Path | None) -> None:
    from hylo.core.types import parse_type
    from hylo.search.bench import evaluation_rate, generation_rate

    domain = _domain(DEFAULT_DOMAIN)
    grammar = Grammar.random(domain.dsl, seed=seed)
    request = parse_type("list(int) -> list(int)")
    err.print(f"generating for {seconds}s on a random grammar (seed {seed}) ...")
    gen = generation_rate(grammar, request, seconds)
    # A task that enumeration does not solve within the time, so every second counts.
    tasks = {t.name: t for t in domain.suites["lists"]()}
    task = tasks["caesar-cipher-k-modulo-n with k=3 and n=4"]
    err.print(f"checking for {seconds}s against '{task.name}' ...")
    ev = evaluation_rate(grammar, task, seconds)
    out = {
        "suite": "enumerate",
        "grammar": f"random(seed={seed})",
        "request": str(request),
        "seconds": seconds,
        "programs_per_second": gen["programs_per_second"],
        "evaluated_per_second": ev["evaluated_per_second"],
        "generation": gen,
        "evaluation": ev,
        "counting": (
            "programs_per_second: complete, distinct, well-typed start-symbol programs produced "
            "in order of description length (sub-programs not counted; nothing compiled). "
            "evaluated_per_second: programs generated, compiled and run on the task's examples "
            "in order, stopping at the first failing example; includes generation. Both per CPU "
            "second of this one process (time.process_time); *_per_wall_second beside them."
        ),
        "python": sys.version.split()[0],
    }
    table = Table(title="hylo bench enumerate (one core)")
    table.add_column("measure")
    table.add_column("per CPU second", justify="right")
    table.add_column("per wall second", justify="right")
    table.add_row("programs generated", f"{out['programs_per_second']:,}",
                  f"{gen['programs_per_wall_second']:,}")
    table.add_row(f"programs checked ({ev['examples']} examples)",
                  f"{out['evaluated_per_second']:,}", f"{ev['evaluated_per_wall_second']:,}")
    console.print(table)
    if json_path is not None:
        json_path.write_text(json.dumps(out, indent=2))
        err.print(f"wrote {json_path}")


# ------------------------------------------------------------------ library
@library_app.command("show")
def library_show(
    library: Path = typer.Option(Path("hylo.db"), "--library", help="Library file."),
    domain_name: str = typer.Option(DEFAULT_DOMAIN, "--domain"),
) -> None:
    """What the library holds: primitives, abstractions, grammar, modules, runs."""
    from hylo.library import StoreError, open_store

    if not library.exists():
        err.print(f"[red]error:[/red] no library file at {library}")
        raise typer.Exit(2)
    try:
        store = open_store(library)
    except StoreError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    with store:
        prims = store.primitives()
        grammars = {d: store.grammar(d) or {} for d in {p.domain for p in prims}}
        t = Table(title=f"primitives ({len(prims)})")
        for col in ("name", "type", "domain", "log-weight"):
            t.add_column(col)
        for p in prims:
            w = grammars[p.domain].get(p.name)
            t.add_row(p.name, p.type, p.domain, "" if w is None else f"{w:.2f}")
        console.print(t)
        abstractions = store.abstractions()
        t = Table(title=f"abstractions ({len(abstractions)})")
        for col in ("name", "type", "body", "iteration", "uses", "origin"):
            t.add_column(col)
        for a in abstractions:
            prov = a.provenance
            uses = prov.get("uses", "")
            origin = prov.get("tasks", prov.get("origin", ""))
            if isinstance(origin, list):
                origin = ", ".join(map(str, origin[:4])) + (" ..." if len(origin) > 4 else "")
            t.add_row(a.name, a.type, a.body, str(a.iteration), str(uses), str(origin))
        console.print(t)
        modules = store.modules()
        if modules:
            t = Table(title=f"neural modules ({len(modules)})")
            for col in ("name", "version", "kind", "metrics"):
                t.add_column(col)
            for m in modules:
                t.add_row(m.name, str(m.version), m.kind, json.dumps(m.metrics)[:80])
            console.print(t)
        runs = store.runs()
        t = Table(title=f"runs ({len(runs)})")
        for col in ("id", "kind", "status", "solved", "wall s"):
            t.add_column(col)
        for r in runs[-20:]:
            s = r.summary
            solved = f"{s.get('solved')}/{s.get('total')}" if "solved" in s else ""
            t.add_row(str(r.id), r.kind, r.status, solved, str(s.get("wall_seconds", "")))
        console.print(t)
        best = store.best_solutions()
        console.print(f"{len(store.tasks())} tasks recorded, {len(best)} with a solution")


def _mount_optional() -> None:
    """Commands that live beside the engine (learning, reports, digits), when installed."""
    from importlib import import_module
    from importlib.util import find_spec

    if find_spec("hylo.cli_learn") is not None:
        cli_learn = import_module("hylo.cli_learn")
        learn_app.command("lists")(cli_learn.learn_lists)
        app.command("report")(cli_learn.report)
        library_app.command("export")(cli_learn.library_export)
        library_app.command("import")(cli_learn.library_import)
    if find_spec("hylo.cli_digits") is not None:
        learn_app.command("digits")(import_module("hylo.cli_digits").learn_digits)


_mount_optional()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
