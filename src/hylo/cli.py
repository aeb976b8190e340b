"""The command line: a thin layer over the library API (typer + rich).

Everything domain-specific comes from the installed domain plug-ins (`hylo.domains`): suites
(`hylo bench SUITE`, looked up across domains), task file readers (`--domain`), the default
searcher and timeout (`Domain.search_defaults`), and extra commands (`Domain.commands`: a key
`"bench NAME"`, `"learn NAME"` or `"show NAME"` mounts `hylo bench NAME` / `hylo learn NAME` /
`hylo show NAME`; a bare `"bench"`
or `"learn"` means NAME = the domain's name). `hylo learn --domain D` is `hylo learn D`: the
domain's own learn command if it has one, else the wake-sleep loop over its suite. Searchers
come from `hylo.search.registry` (a name or a JSON spec), executors from
`hylo.search.executor.get_executor`. Text from files (task names, programs, messages) is
printed only through `hylo.cli_text`.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from hylo.cli_text import one_line, safe
from hylo.core.domain import Domain
from hylo.core.grammar import Grammar
from hylo.core.limits import Limits
from hylo.core.task import Task
from hylo.core.types import show_type
from hylo.library.procedures import describe_procedure
from hylo.search.base import Budget, SearchResult

#: The domain of task files and of `hylo learn` when `--domain` is not given: a setting.
DEFAULT_DOMAIN = os.environ.get("HYLO_DOMAIN", "lists")
#: Task files larger than this are refused before their domain reads them (domains bound
#: their values further: see `hylo.domains.lists.tasks.LIMITS`).
MAX_TASK_FILE_BYTES = 64 * 1024 * 1024
#: Program texts (`hylo solve --program`) longer or more deeply nested are refused.
MAX_PROGRAM_CHARS = 100_000
MAX_PROGRAM_DEPTH = 200
DEFAULT_TIMEOUT = 20.0

console = Console(highlight=False, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)


def fail(message: object, code: int = 2) -> NoReturn:
    """Print one clean error line (outside text made safe) and exit with `code`."""
    err.print(f"[red]error:[/red] {safe(message, limit=600)}")
    raise typer.Exit(code)


# ------------------------------------------------------------------ dispatching groups
def _command_from(fn: Callable[..., Any], name: str) -> Any:
    """A plain typer-style function as a click command named `name`."""
    single = typer.Typer(add_completion=False)
    single.command(name)(fn)
    return typer.main.get_command(single)


def _domain_commands(group: str) -> dict[str, Callable[..., Any]]:
    """`hylo <group> NAME` commands the installed domains bring (see the module docstring)."""
    from hylo.domains import DomainError, available, get_domain

    out: dict[str, Callable[..., Any]] = {}
    for dname in available():
        try:
            domain = get_domain(dname)
        except DomainError:
            continue  # a plug-in that fails to load reports it when named, not here
        for key, fn in domain.commands.items():
            parts = key.split()
            if parts and parts[0] == group and len(parts) <= 2:
                out.setdefault(parts[1] if len(parts) == 2 else dname, fn)
    return out


class BenchGroup(TyperGroup):
    """`hylo bench NAME ...`: a static command (`enumerate`), a domain's bench command, or else
    the suite/file benchmark with NAME as its SUITE argument."""

    SUITE = "\0suite"  # private name of the suite/file command: never typed by a user

    def _known(self, name: str) -> bool:
        return name in self.commands or name in _domain_commands("bench")

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in ("--help", "-h") and not self._known(args[0]):
            args = [self.SUITE, *args]
        return super().parse_args(ctx, args)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name == self.SUITE:
            return _command_from(bench_suite, "bench")
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        fn = _domain_commands("bench").get(cmd_name)
        return _command_from(fn, cmd_name) if fn is not None else None

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, cmd, rest = super().resolve_command(ctx, args)
        return ("" if name == self.SUITE else name), cmd, rest

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self.commands, *sorted(_domain_commands("bench"))]


class LearnGroup(TyperGroup):
    """`hylo learn D ...` or `hylo learn --domain D ...`: the domain's own learn command, else
    the wake-sleep loop over the domain's suite (`hylo.cli_learn.make_learn_command`)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        args = list(args)
        end = args.index("--") if "--" in args else len(args)
        for i, a in enumerate(args[:end]):
            if a == "--domain" and i + 1 < end:
                name = args[i + 1]
                args = [name, *args[:i], *args[i + 2 :]]
                break
            if a.startswith("--domain="):
                args = [a.split("=", 1)[1], *args[:i], *args[i + 1 :]]
                break
        else:
            if args and args[0].startswith("-") and args[0] not in ("--help", "-h"):
                args = [DEFAULT_DOMAIN, *args]
        return super().parse_args(ctx, args)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        own = _domain_commands("learn").get(cmd_name)
        if own is not None:
            return _command_from(own, cmd_name)
        from hylo.domains import available

        if cmd_name not in available():
            return None
        from hylo.cli_learn import make_learn_command

        return _command_from(make_learn_command(cmd_name), cmd_name)

    def list_commands(self, ctx: Any) -> list[str]:
        from hylo.domains import available

        return sorted({*self.commands, *available(), *_domain_commands("learn")})


class ShowGroup(TyperGroup):
    """`hylo show NAME ...`: the `show NAME` commands the installed domains bring."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        fn = _domain_commands("show").get(cmd_name)
        return _command_from(fn, cmd_name) if fn is not None else None

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(_domain_commands("show"))


app = typer.Typer(
    help="hylo: grow programs from examples, with a lifelong library.",
    no_args_is_help=True,
    add_completion=False,
)
library_app = typer.Typer(help="Inspect and move the library.", no_args_is_help=True)
learn_app = typer.Typer(
    cls=LearnGroup, no_args_is_help=True,
    help="Lifelong learning: `hylo learn --domain D [OPTIONS]` (or `hylo learn D`); "
    "`hylo learn D --help` lists D's options.",
)
bench_app = typer.Typer(
    cls=BenchGroup, no_args_is_help=True,
    help="Benchmarks: `hylo bench SUITE|FILE [OPTIONS]` (a suite of any installed domain, or a "
    "task file; `hylo bench SUITE --help` lists the options), `hylo bench enumerate`, and the "
    "commands domains bring.",
)
show_app = typer.Typer(
    cls=ShowGroup, no_args_is_help=True,
    help="Pictures of tasks and the programs found for them (`hylo show arc TASK`).",
)
app.add_typer(library_app, name="library")
app.add_typer(show_app, name="show")
app.add_typer(learn_app, name="learn")
app.add_typer(bench_app, name="bench")


# ------------------------------------------------------------------ helpers
def _domain(name: str) -> Domain:
    from hylo.domains import DomainError, get_domain

    try:
        return get_domain(name)
    except DomainError as e:
        fail(e)


def _store(library: Path) -> Any:
    """The library at `library`, or one clean error line (bad file, parent is a file, ...)."""
    from hylo.library import open_store
    from hylo.library.store import StoreError

    try:
        return open_store(library)
    except StoreError as e:
        fail(e)
    except OSError as e:  # the backend should say StoreError; never a traceback either way
        fail(f"{library}: {e.strerror or e}")


def _grammar(domain: Domain, library: Path | None) -> Grammar:
    """The library's grammar if a library file exists, else the domain's prior."""
    if library is not None and not library.exists() and not library.parent.is_dir():
        fail(f"{library}: cannot hold a library: {library.parent} is not a directory")
    if library is None or not library.exists():
        return domain.prior()
    from hylo.library.grammar_store import load_grammar
    from hylo.library.store import StoreError

    store = _store(library)
    try:
        with store:
            return load_grammar(store, domain.dsl, domain.name, default=domain.prior())
    except StoreError as e:
        fail(e)


def _guide(domain: Domain, library: Path | None, no_guide: bool) -> Any:
    """The library's recognition model for `domain` (None: no library, none stored, torch
    missing, or `--no-guide`); a damaged one is one clean error."""
    if no_guide or library is None or not library.exists() or domain.task_encoder is None:
        return None
    from hylo.learn.guide import load_guide
    from hylo.library.store import StoreError

    store = _store(library)
    try:
        with store:
            return load_guide(store, domain)
    except (StoreError, ValueError) as e:
        fail(e)


def _guide_weights(model: Any, grammar: Grammar,
                   tasks: list[Task]) -> dict[str, dict[str, float]] | None:
    if model is None:
        return None
    from hylo.learn.guide import guide_weights

    err.print(f"guided by the library's recognition model (v{model.record['version']}, "
              f"{model.mode})")
    return guide_weights(model, grammar, tasks)


def _guide_summary(model: Any) -> dict[str, Any]:
    """The JSON fields that say whether (and by what) a benchmark's search was guided."""
    return {"guided": model is not None, "guide": model.record if model is not None else None}


NO_GUIDE_HELP = "Search without the library's recognition model (to compare)."


def _load_task_file(domain: Domain, path: Path) -> list[Task]:
    if domain.load_file is None:
        fail(f"domain {domain.name} cannot read task files")
    try:
        if path.exists() and not path.is_file():  # a FIFO would block, a device never end
            fail(f"{path}: not a regular file")
        if path.is_file() and path.stat().st_size > MAX_TASK_FILE_BYTES:
            fail(f"{path}: too large: more than {MAX_TASK_FILE_BYTES} bytes")
        return domain.load_file(str(path))
    except (OSError, ValueError) as e:
        fail(e)
    except RecursionError:
        fail(f"{path}: nested too deeply to read")
    except MemoryError:
        fail(f"{path}: too large to read")


def _searcher_spec(domain: Domain, searcher: str | None) -> dict[str, Any]:
    from hylo.search.registry import SpecError, parse_spec

    try:
        return parse_spec(searcher if searcher is not None else domain.default_searcher())
    except SpecError as e:
        fail(e)


def _build_searcher(spec: dict[str, Any], grammar: Grammar, domain: Domain) -> Any:
    from hylo.search.registry import SpecError, build_searcher

    try:
        return build_searcher(spec, grammar, domain)
    except SpecError as e:
        fail(e)


def _timeout(domain: Domain, timeout: float | None) -> float:
    if timeout is None:
        return float(domain.search_defaults.get("timeout", DEFAULT_TIMEOUT))
    if not timeout > 0 or timeout > 1e6:
        fail("--timeout must be a positive number of seconds")
    return timeout


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


def _checker(domain: Domain, grammar: Grammar, limits: Limits) -> Any:
    from hylo.search.check import Checker

    return Checker(grammar.dsl, domain.equal, limits)


def _parse_program(text: str, grammar: Grammar) -> Any:
    """A program text from the user, parsed within bounds, or one clean error."""
    if len(text) > MAX_PROGRAM_CHARS:
        fail(f"program longer than {MAX_PROGRAM_CHARS} characters")
    depth = deepest = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        deepest = max(deepest, depth)
    if deepest > MAX_PROGRAM_DEPTH:
        fail(f"program nested deeper than {MAX_PROGRAM_DEPTH} levels")
    try:
        return grammar.dsl.parse(text)
    except (ValueError, KeyError, RecursionError) as e:
        fail(f"cannot parse the program: {e}")


# ------------------------------------------------------------------ solve
@app.command()
def solve(
    taskfile: Path = typer.Argument(..., help="A task file of the domain (e.g. DreamCoder JSON)."),
    task: str | None = typer.Option(None, "--task", help="Only this task (by name)."),
    timeout: float | None = typer.Option(
        None, "--timeout", help="Seconds per task (default: the domain's, else 20)."),
    library: Path | None = typer.Option(None, "--library", help="Search with this library."),
    domain_name: str = typer.Option(DEFAULT_DOMAIN, "--domain", help="Domain of the tasks."),
    searcher: str | None = typer.Option(
        None, "--searcher", help="Searcher name or JSON spec (default: the domain's)."),
    program: str | None = typer.Option(
        None, "--program", help="Check this program on each task instead of searching."),
    no_guide: bool = typer.Option(False, "--no-guide", help=NO_GUIDE_HELP),
) -> None:
    """Find a program for each task of TASKFILE and check it on the examples."""
    domain = _domain(domain_name)
    tasks = _load_task_file(domain, taskfile)
    if task is not None:
        tasks = [t for t in tasks if t.name == task]
        if not tasks:
            fail(f"no task named {task!r} in {taskfile}")
    seconds = _timeout(domain, timeout)
    grammar = _grammar(domain, library)
    if program is not None:
        raise typer.Exit(_check_program(domain, grammar, tasks, program, seconds))
    spec = _searcher_spec(domain, searcher)
    strategy = _build_searcher(spec, grammar, domain)
    weights = _guide_weights(_guide(domain, library, no_guide), grammar, tasks) or {}
    budget = Budget(seconds=seconds)
    checker = _checker(domain, grammar, budget.limits)
    failures = 0
    try:
        for t in tasks:
            w = weights.get(t.name)
            guided = _build_searcher(spec, grammar.with_weights(w), domain) if w else strategy
            r = guided.solve(t, budget)
            if r.solved and r.program is not None:
                ok = checker.check(r.program, t).passed  # fresh evaluation: the one checker
                unseen = ""
                if t.held_out:  # examples the search never saw: does the program generalize?
                    held = Task(t.name, t.request, t.held_out)
                    passed = checker.check(r.program, held).passed
                    unseen = f", held out: {passed}/{len(t.held_out)}"
                console.print(
                    f"[green]solved[/green] {one_line(t.name)}  "
                    f"[dim]{safe(show_type(t.request))}[/dim]\n"
                    f"  {safe(r.program, limit=2000)}\n"
                    f"  description length {r.description_length or 0.0:.2f} nats, "
                    f"{r.candidates} candidates, {r.seconds:.2f}s, "
                    f"checked: {ok}/{len(t.examples)} examples{unseen}\n"
                    f"  found by {safe(r.strategy)}"
                )
                failures += ok != len(t.examples)
            else:
                failures += 1
                console.print(
                    f"[red]not solved[/red] {one_line(t.name)} ({safe(r.stopped)}; "
                    f"{r.candidates} candidates, {r.seconds:.2f}s)"
                )
    except KeyboardInterrupt:
        fail("interrupted", 130)
    raise typer.Exit(1 if failures else 0)


def _check_program(
    domain: Domain, grammar: Grammar, tasks: list[Task], text: str, seconds: float
) -> int:
    """`hylo solve --program`: type-check and run one program on each task; the exit code."""
    from hylo.core.infer import ProgramTypeError, check

    prog = _parse_program(text, grammar)
    failures = 0
    for t in tasks:
        try:
            check(prog, grammar.dsl, t.request)
        except (ProgramTypeError, RecursionError) as e:
            failures += 1
            console.print(f"[red]ill-typed[/red] for {one_line(t.name)}: {safe(e)}")
            continue
        # the task's time is shared by its examples, so the whole check ends within it
        limits = Limits(max_seconds=max(0.01, seconds / max(1, len(t.examples))))
        result = _checker(domain, grammar, limits).check(prog, t)
        ok = result.ok
        failures += not ok
        why = "" if ok else f" ({safe(', '.join(result.failures[:3]))})"
        console.print(f"{'[green]fits[/green]' if ok else '[red]does not fit[/red]'} "
                      f"{one_line(t.name)}: {result.passed}/{result.total} examples{why}")
    return 1 if failures else 0


# ------------------------------------------------------------------ bench
def _suite_tasks(
    suite: str, domain_name: str | None, split: str
) -> tuple[Domain, list[Task], str]:
    """The tasks SUITE names: a suite of the given domain or of the one installed domain that
    has it, else a task file of the given (or default) domain."""
    from hylo.domains import suite_owners

    if split not in ("train", "test", "all"):
        fail("--split must be train, test or all")
    if domain_name is not None:
        domain = _domain(domain_name)
        owner = domain if suite in domain.suites else None
    else:
        owners = suite_owners(suite)
        if len(owners) > 1:
            fail(f"suite {suite!r} is in several domains ({', '.join(owners)}): "
                 "choose one with --domain")
        owner = _domain(owners[0]) if owners else None
    if owner is not None:
        try:
            tasks = owner.suites[suite]()
        except (ValueError, OSError) as e:  # e.g. a suite whose data is not on this machine
            fail(f"suite {suite!r}: {e}")
        if split != "all":
            if owner.split is None:
                fail(f"domain {owner.name} has no train/test split (use --split all)")
            train, test = owner.split(tasks)
            tasks = train if split == "train" else test
        return owner, tasks, split
    path = Path(suite)
    if path.exists() or suite.endswith(".json"):
        domain = _domain(domain_name or DEFAULT_DOMAIN)
        return domain, _load_task_file(domain, path), "all"
    fail(f"unknown suite {suite!r} and no such file; suites: {', '.join(_all_suites())}")


def _all_suites() -> list[str]:
    from hylo.domains import DomainError, available, get_domain

    out = []
    for name in available():
        try:
            out += [f"{s} ({name})" for s in get_domain(name).suites]
        except DomainError:
            continue
    return out or ["none"]


def _executor(name: str | None, workers: int, address: str | None) -> Any:
    from hylo.search.executor import get_executor

    if workers < 0:
        fail("--workers must be >= 0")
    chosen = name or ("pool" if workers > 0 else "inline")
    try:
        return get_executor(chosen, workers=workers, address=address)
    except ImportError as e:
        fail(f"executor {chosen!r} is not installed ({e}); e.g. pip install 'hylo[{chosen}]'")
    except (ValueError, RuntimeError, ConnectionError) as e:
        fail(e)


def bench_suite(
    suite: str = typer.Argument(..., metavar="SUITE|FILE",
                                help="A suite of an installed domain, or a task file."),
    domain_name: str | None = typer.Option(
        None, "--domain", help="Domain of the suite or file (default: the suite's owner; "
        "for files $HYLO_DOMAIN or lists)."),
    searcher: str | None = typer.Option(
        None, "--searcher", help="Searcher name or JSON spec (default: the domain's)."),
    executor: str | None = typer.Option(
        None, "--executor", help="inline, pool or ray (default: pool, inline for --workers 0)."),
    address: str | None = typer.Option(None, "--address", help="ray: the cluster's address."),
    split: str = typer.Option("test", "--split", help="train, test or all (suites only)."),
    timeout: float | None = typer.Option(
        None, "--timeout", help="Seconds per task (default: the domain's, else 20)."),
    workers: int = typer.Option(2, "--workers", help="Workers (0: in this process)."),
    json_path: Path | None = typer.Option(None, "--json", help="Write results as JSON."),
    library: Path | None = typer.Option(
        None, "--library", help="Library file: search with it and record the run in it."),
    no_guide: bool = typer.Option(False, "--no-guide", help=NO_GUIDE_HELP),
) -> None:
    """Solve a suite or task file; a table, a JSON report, a run recorded in the library."""
    domain, tasks, split = _suite_tasks(suite, domain_name, split)
    seconds = _timeout(domain, timeout)
    grammar = _grammar(domain, library)
    spec = _searcher_spec(domain, searcher)
    _build_searcher(spec, grammar, domain)  # a bad spec is one error here, not one per task
    guide = _guide(domain, library, no_guide)
    ex = _executor(executor, workers, address)
    try:
        _bench_tasks(domain, suite, split, tasks, seconds, workers, json_path, library,
                     grammar, spec, ex, guide=guide)
    except KeyboardInterrupt:
        fail("interrupted (the run is recorded as interrupted)", 130)
    finally:
        ex.close()


@contextmanager
def _recording(library: Path | None, domain: Domain, config: dict) -> Iterator[Any]:
    """(record(task, result), scope) of a bench run, or (None, None) without a library. The run
    is closed however the block ends (`run_scope`): finished, failed, or interrupted on Ctrl-C,
    never left `running`."""
    if library is None:
        yield None, None
        return
    from hylo.library.runs import record_result, run_scope
    from hylo.library.store import StoreError

    store = _store(library)
    try:
        with store:
            with store.transaction():
                for name, typ in domain.dsl.describe():
                    if name in domain.dsl.primitives:
                        store.put_primitive(name, typ, domain.name)
            with run_scope(store, "bench", config) as scope:

                def record(t: Task, r: SearchResult) -> None:
                    record_result(store, scope.id, domain.name, t, r)

                yield record, scope
    except StoreError as e:
        fail(e)


def _bench_tasks(
    domain: Domain,
    suite: str,
    split: str,
    tasks: list[Task],
    timeout: float,
    workers: int,
    json_path: Path | None,
    library: Path | None,
    grammar: Grammar,
    spec: dict[str, Any],
    executor: Any,
    synthetic: dict[str, Any] | None = None,
    extras: dict[str, dict[str, Any]] | None = None,
    guide: Any = None,
) -> None:
    """Run `tasks`; a found program counts as solved only if it is also right on the task's
    held-out examples (when it has some). `synthetic` (the generator's settings) goes into the
    summary, `extras[name]` (e.g. depth, ground truth) into that task's JSON."""
    from hylo.search.executor import SearchConfig, SearchJob

    config = SearchConfig.from_grammar(domain.name, grammar, spec)
    budget = Budget(seconds=timeout)
    checker = _checker(domain, grammar, budget.limits)
    held: dict[str, bool | None] = {}
    weights = _guide_weights(guide, grammar, tasks) or {}
    run_config = {"suite": suite, "split": split, "timeout": timeout, "workers": workers,
                  "tasks": len(tasks), "inventions": len(grammar.dsl.inventions),
                  "domain": domain.name, "searcher": spec, "executor": executor.name,
                  **_guide_summary(guide)}
    results: dict[str, SearchResult] = {}
    by_name = {t.name: t for t in tasks}
    t0 = time.perf_counter()
    with _recording(library, domain, run_config) as (record, scope), _progress() as p:
        bar = p.add_task(f"{safe(suite, 60)}/{split}", total=len(tasks), solved=0)
        n_solved = 0
        jobs = [SearchJob(t, budget, weights.get(t.name)) for t in tasks]
        for r in executor.run(config, jobs):
            results[r.task] = r
            held[r.task] = _held_out(checker, by_name[r.task], r)
            n_solved += r.solved and held[r.task] is not False
            p.update(bar, advance=1, solved=n_solved)
            if record is not None:
                record(by_name[r.task], r)
        wall = time.perf_counter() - t0
        ordered = [results[t.name] for t in tasks]
        solved = [r for r in ordered if r.solved and held[r.task] is not False]
        summary = {
            "suite": suite,
            "split": split,
            "domain": domain.name,
            "searcher": spec,
            "executor": executor.name,
            "total": len(tasks),
            "solved": len(solved),
            "solved_fraction": round(len(solved) / max(1, len(tasks)), 4),
            # programs that fit the examples, whether or not right on the held-out ones
            "fits_examples": sum(r.solved for r in ordered),
            "held_out_tasks": sum(bool(t.held_out) for t in tasks),
            "timeout": timeout,
            "workers": workers,
            "wall_seconds": round(wall, 2),
            "median_seconds_solved": round(statistics.median([r.seconds for r in solved]), 4)
            if solved else None,
            "library": str(library) if library else None,
            "inventions": len(grammar.dsl.inventions),
            **_guide_summary(guide),
            "machine": {"python": platform.python_version(), "platform": platform.platform()},
        }
        if synthetic is not None:
            summary["synthetic"] = synthetic
        if scope is not None:
            scope.summary = summary
    _print_bench(suite, split, ordered, summary, held)
    if json_path is not None:
        rows = [{**r.to_json(), "held_out": held[r.task], **(extras or {}).get(r.task, {})}
                for r in ordered]
        _write_json(json_path, {**summary, "tasks": rows})


def _held_out(checker: Any, task: Task, r: SearchResult) -> bool | None:
    """Whether the found program is right on the task's held-out examples (None: the task has
    none, or nothing was found); the same checker as the examples."""
    if not task.held_out or not r.solved or r.program is None:
        return None
    return bool(checker.check(r.program, Task(task.name, task.request, task.held_out)).ok)


def _print_bench(suite: str, split: str, ordered: list[SearchResult], summary: dict,
                 held: dict[str, bool | None] | None = None) -> None:
    table = Table(title=f"hylo bench {one_line(suite, 80)} ({split})")
    for col, justify in (("task", "left"), ("solved", "left"), ("seconds", "right"),
                         ("candidates", "right"), ("program", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in ordered:
        generalizes = (held or {}).get(r.task) is not False
        mark = ("[green]yes[/green]" if generalizes else "[yellow]fits only[/yellow]"
                ) if r.solved else "[red]no[/red]"
        table.add_row(one_line(r.task, 80), mark, f"{r.seconds:.2f}", str(r.candidates),
                      one_line(r.program or r.stopped))
    console.print(table)
    fits = ""
    if summary.get("held_out_tasks"):
        fits = (f" and right on held-out examples ({summary['fits_examples']} fit the "
                "visible examples)")
    console.print(
        f"[bold]{summary['solved']}/{summary['total']} solved "
        f"({100 * summary['solved_fraction']:.1f}%)[/bold]{fits} in "
        f"{summary['wall_seconds']:.1f}s "
        f"wall, timeout {summary['timeout']}s, {summary['workers']} workers "
        f"({summary['executor']})"
    )


def _write_json(path: Path, doc: dict) -> None:
    try:
        path.write_text(json.dumps(doc, indent=2))
    except OSError as e:
        fail(f"cannot write {path}: {e.strerror or e}")
    err.print(f"wrote {safe(path)}")


def _int_range(text: str, option: str) -> tuple[int, int]:
    """`4-6` -> (4, 6), `5` -> (5, 5); one clean error otherwise."""
    parts = text.split("-")
    try:
        lo, hi = (int(parts[0]), int(parts[-1])) if len(parts) <= 2 else (0, -1)
    except ValueError:
        lo, hi = 0, -1
    if not 0 <= lo <= hi <= 1000:
        fail(f"{option} must be N or LOW-HIGH with 0 <= LOW <= HIGH, got {text!r}")
    return lo, hi


@bench_app.command("synth")
def bench_synth(
    depth: str = typer.Option("4-6", "--depth", help="Application depth range, e.g. 4-6."),
    count: int = typer.Option(200, "--count", help="Number of tasks."),
    seed: int = typer.Option(0, "--seed", help="Seed of the suite (same seed, same suite)."),
    examples: str = typer.Option("3-5", "--examples", help="Visible examples per task (range)."),
    held_out: int = typer.Option(5, "--held-out", help="Held-out examples per task."),
    domain_name: str = typer.Option(DEFAULT_DOMAIN, "--domain", help="Domain of the tasks."),
    searcher: str | None = typer.Option(
        None, "--searcher", help="Searcher name or JSON spec (default: the domain's)."),
    executor: str | None = typer.Option(
        None, "--executor", help="inline, pool or ray (default: pool, inline for --workers 0)."),
    address: str | None = typer.Option(None, "--address", help="ray: the cluster's address."),
    timeout: float = typer.Option(10.0, "--timeout", help="Seconds per task."),
    workers: int = typer.Option(2, "--workers", help="Workers (0: in this process)."),
    json_path: Path | None = typer.Option(None, "--json", help="Write results as JSON."),
    library: Path | None = typer.Option(
        None, "--library", help="Library file: search with it and record the run in it."),
    export: Path | None = typer.Option(
        None, "--export", help="Write the suite as a task file (with held-out examples and "
        "each task's ground truth) and stop; `hylo bench FILE` runs it."),
    no_guide: bool = typer.Option(False, "--no-guide", help=NO_GUIDE_HELP),
) -> None:
    """Synthetic tasks from random programs of the DSL (seeded), each with held-out examples a
    found program must also be right on; see docs/synthetic.md."""
    from hylo.search.synthetic import synthetic_tasks

    domain = _domain(domain_name)
    lo, hi = _int_range(depth, "--depth")
    ex_lo, ex_hi = _int_range(examples, "--examples")
    if not 0 <= count <= 100_000:
        fail("--count must be between 0 and 100000")
    if not 0 <= held_out <= 1000:
        fail("--held-out must be between 0 and 1000")
    err.print(f"generating {count} synthetic tasks (depth {lo}-{hi}, seed {seed}) ...")
    try:
        made = synthetic_tasks(domain, count=count, depths=(lo, hi), seed=seed,
                               examples=(ex_lo, ex_hi), held_out=held_out)
    except ValueError as e:
        fail(e)
    stats = made.stats
    err.print(f"{stats['kept']} tasks from {stats['draws']} sampled programs in "
              f"{stats['seconds']:.1f}s")
    tasks = [st.task for st in made.tasks]
    extras = {st.task.name: {"depth": st.depth, "ground_truth": st.program}
              for st in made.tasks}
    if export is not None:
        if domain.dump_tasks is None:
            fail(f"domain {domain.name} cannot write task files")
        try:
            export.write_text(domain.dump_tasks(tasks, extras))
        except OSError as e:
            fail(f"cannot write {export}: {e.strerror or e}")
        err.print(f"wrote {safe(export)}")
        return
    seconds = _timeout(domain, timeout)
    grammar = _grammar(domain, library)
    spec = _searcher_spec(domain, searcher)
    _build_searcher(spec, grammar, domain)
    guide = _guide(domain, library, no_guide)
    ex = _executor(executor, workers, address)
    synthetic = {**made.config, "generation": stats}
    try:
        _bench_tasks(domain, "synth", "all", tasks, seconds, workers, json_path, library,
                     grammar, spec, ex, synthetic=synthetic, extras=extras, guide=guide)
    except KeyboardInterrupt:
        fail("interrupted (the run is recorded as interrupted)", 130)
    finally:
        ex.close()


@bench_app.command("enumerate")
def bench_enumerate(
    seconds: float = typer.Option(10.0, "--seconds", help="Seconds per measure."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random grammar."),
    json_path: Path | None = typer.Option(None, "--json", help="Write results as JSON."),
    domain_name: str = typer.Option(
        DEFAULT_DOMAIN, "--domain", help="Domain whose search_defaults['benchmark'] is measured."),
) -> None:
    """Engine throughput: programs generated and checked top-down, distinct values kept
    bottom-up, per CPU second (one core)."""
    from hylo.core.types import TypeParseError, parse_type
    from hylo.search.bench import bottom_up_rate, evaluation_rate, generation_rate

    domain = _domain(domain_name)
    spec = domain.search_defaults.get("benchmark")
    if not isinstance(spec, dict) or not {"request", "suite", "task"} <= set(spec):
        fail(f"domain {domain.name} names no benchmark (search_defaults['benchmark'] with "
             "request, suite, task)")
    grammar = Grammar.random(domain.dsl, seed=seed)
    try:
        request = parse_type(spec["request"])
    except TypeParseError as e:
        fail(e)
    tasks = {t.name: t for t in domain.suites[spec["suite"]]()}
    if spec["task"] not in tasks:
        fail(f"benchmark task {spec['task']!r} is not in suite {spec['suite']!r}")
    task = tasks[spec["task"]]
    err.print(f"generating for {seconds}s on a random grammar (seed {seed}) ...")
    gen = generation_rate(grammar, request, seconds)
    # A task that enumeration does not solve within the time, so every second counts.
    err.print(f"checking for {seconds}s against '{safe(task.name)}' ...")
    ev = evaluation_rate(grammar, task, seconds)
    err.print(f"bottom-up for {seconds}s against '{safe(task.name)}' ...")
    bu = bottom_up_rate(grammar, task, seconds, domain)
    out = {
        "suite": "enumerate",
        "domain": domain.name,
        "grammar": f"random(seed={seed})",
        "request": str(request),
        "seconds": seconds,
        "programs_per_second": gen["programs_per_second"],
        "evaluated_per_second": ev["evaluated_per_second"],
        "bottom_up_values_per_second": bu["values_per_second"],
        "generation": gen,
        "evaluation": ev,
        "bottom_up": bu,
        "counting": (
            "programs_per_second: complete, distinct, well-typed start-symbol programs produced "
            "in order of description length (sub-programs not counted; nothing compiled). "
            "evaluated_per_second: programs generated, compiled and run on the task's examples "
            "in order, stopping at the first failing example; includes generation. Both per CPU "
            "second of this one process (time.process_time); *_per_wall_second beside them. "
            "bottom_up_values_per_second: distinct values the bottom-up searcher keeps (new "
            "value tuples for their type and context, lambda bodies included) on the same task."
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
    table.add_row("bottom-up: distinct values", f"{bu['values_per_second']:,}",
                  f"{bu.get('values_per_wall_second', 0):,}")
    console.print(table)
    if json_path is not None:
        _write_json(json_path, out)


# ------------------------------------------------------------------ library
@library_app.command("guide")
def library_guide(
    library: Path = typer.Option(Path("hylo.db"), "--library", help="Library file."),
    domain_name: str = typer.Option(DEFAULT_DOMAIN, "--domain", help="Domain of the library."),
    mode: str = typer.Option("unigram", "--mode", help="unigram or contextual (bigram)."),
    seconds: float = typer.Option(120.0, "--seconds", help="Time for dreams and training."),
    fresh: bool = typer.Option(False, "--fresh", help="Train from scratch, not from the "
                               "library's latest model."),
) -> None:
    """Train a recognition model for the library's latest grammar (from its frontiers and
    dreams) and store it as the library's newest; searches with --library then use it. It
    continues from the library's latest model where that fits (`--fresh`: from scratch)."""
    from hylo.learn.guide import GuideConfig, train_library_guide
    from hylo.library.store import StoreError

    domain = _domain(domain_name)
    if mode not in ("unigram", "contextual"):
        fail(f"--mode must be unigram or contextual, got {mode!r}")
    if not seconds > 0:
        fail("--seconds must be positive")
    if domain.task_encoder is None:
        fail(f"domain {domain.name} has no task encoder for a recognition model")
    if not library.exists():
        fail(f"no library file at {library}")
    store = _store(library)
    try:
        with store:
            config = GuideConfig(mode=mode, warm_start=not fresh)
            version, m = train_library_guide(store, domain, config, seconds,
                                             progress=lambda text: err.print(safe(text)))
    except (StoreError, ValueError) as e:
        fail(e)
    held = (f"; held-out replays {m['valid_log_likelihood']:.2f} nats vs "
            f"{m['valid_log_likelihood_grammar']:.2f} under the grammar"
            if "valid_log_likelihood" in m else "")
    start = ", from the previous model" if m.get("warm_start") else ""
    console.print(f"recognition:{safe(domain.name)} v{version} ({mode}{start}): {m['replays']} "
                  f"replays, {m['dreams']} dreams, {m.get('epochs', 0)} epochs{held}")


@library_app.command("show")
def library_show(
    library: Path = typer.Option(Path("hylo.db"), "--library", help="Library file."),
) -> None:
    """What the library holds: primitives, abstractions, grammar, modules, runs."""
    from hylo.library.store import StoreError

    if not library.exists():
        fail(f"no library file at {library}")
    store = _store(library)
    try:
        with store:
            _show_library(store)
    except StoreError as e:
        fail(e)


def _show_library(store: Any) -> None:
    from hylo.library.runs import describe_runs

    prims = store.primitives()
    grammars = {d: store.grammar(d) or {} for d in {p.domain for p in prims}}
    t = Table(title=f"primitives ({len(prims)})")
    for col in ("name", "type", "domain", "log-weight"):
        t.add_column(col)
    for p in prims:
        w = grammars[p.domain].get(p.name)
        t.add_row(one_line(p.name), one_line(p.type), one_line(p.domain),
                  "" if w is None else f"{w:.2f}")
    console.print(t)
    abstractions = store.abstractions()
    t = Table(title=f"abstractions ({len(abstractions)})")
    for col in ("domain", "name", "type", "body", "iteration", "uses", "origin"):
        t.add_column(col)
    for a in abstractions:
        prov = a.provenance if isinstance(a.provenance, dict) else {}
        uses = prov.get("uses", "")
        origin = prov.get("tasks", prov.get("origin", ""))
        if isinstance(origin, list):
            origin = ", ".join(map(str, origin[:4])) + (" ..." if len(origin) > 4 else "")
        t.add_row(one_line(a.domain), one_line(a.name), one_line(a.type), one_line(a.body),
                  str(a.iteration), one_line(uses), one_line(origin))
    console.print(t)
    modules = store.modules()
    if modules:
        t = Table(title=f"neural modules ({len(modules)})")
        for col in ("name", "version", "kind", "metrics", "procedure"):
            t.add_column(col)
        for m in modules:
            t.add_row(one_line(m.name), str(m.version), one_line(m.kind),
                      one_line(json.dumps(m.metrics), 80), one_line(describe_procedure(m), 60))
        console.print(t)
    runs = describe_runs(store)
    t = Table(title=f"runs ({len(runs)})")
    for col in ("id", "kind", "status", "solved", "wall s", "where"):
        t.add_column(col)
    for r in runs[-20:]:
        wall = "" if r.wall_seconds is None else f"{r.wall_seconds:.1f}"
        t.add_row(str(r.id), one_line(r.kind), one_line(r.state), f"{r.solved}/{r.attempted}",
                  wall, one_line(r.where))
    console.print(t)
    best = store.best_solutions()
    console.print(f"{len(store.tasks())} tasks recorded, {len(best)} with a solution")


def _mount_optional() -> None:
    """Commands that live beside the engine (reports, library exchange), when installed."""
    from importlib import import_module
    from importlib.util import find_spec

    if find_spec("hylo.cli_learn") is not None:
        cli_learn = import_module("hylo.cli_learn")
        app.command("report")(cli_learn.report)
        library_app.command("export")(cli_learn.library_export)
        library_app.command("import")(cli_learn.library_import)


_mount_optional()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
