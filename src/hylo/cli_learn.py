"""Command functions for learning, reports and library exchange (mounted by `hylo.cli`).

Each is a plain typer-compatible function; everything heavy (the loop, Stitch, matplotlib) is
imported inside the command, so importing this module stays fast and never imports torch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from hylo.cli_text import safe

console = Console(highlight=False, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)


def _timeouts(text: str) -> tuple[float, ...]:
    try:
        out = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        _fail(f"--train-timeouts takes numbers separated by commas: {text!r}")
    if not out or any(not x >= 0 for x in out):
        _fail("--train-timeouts needs at least one non-negative number")
    return out


def make_learn_command(domain_name: str) -> Callable[..., None]:
    """`hylo learn DOMAIN`: the wake-sleep loop on a suite of the domain (its train/test split),
    as a typer-compatible function bound to `domain_name`."""

    def learn_domain(
        iterations: int = typer.Option(10, "--iterations", help="Wake-sleep iterations to run."),
        timeout: float = typer.Option(
            20.0, "--timeout", help="Per-task seconds on the test split."
        ),
        workers: int = typer.Option(2, "--workers", help="Search processes."),
        executor: str | None = typer.Option(
            None, "--executor", help="inline, pool or ray (default: pool, inline for 0 workers)."
        ),
        address: str | None = typer.Option(None, "--address", help="ray: the cluster's address."),
        searcher: str | None = typer.Option(
            None, "--searcher", help="Searcher name or JSON spec (default: the domain's)."
        ),
        library: Path = typer.Option(Path("hylo.db"), "--library", help="Library file."),
        suite: str | None = typer.Option(
            None, "--suite", help="Suite to learn on (default: the domain's only or first)."
        ),
        probe_timeout: float | None = typer.Option(
            None, "--probe-timeout",
            help="Per-task seconds on the test split between the first and the last iteration "
            "(default: --timeout; 0: do not test there).",
        ),
        train_timeouts: str = typer.Option(
            "5,10", "--train-timeouts",
            help="Per-task seconds for unsolved training tasks, by iteration (the last repeats).",
        ),
        resolve_timeout: float = typer.Option(
            1.0, "--resolve-timeout", help="Per-task seconds for training tasks already solved."
        ),
        keep: int = typer.Option(3, "--keep", help="Solutions kept per training task."),
        train_limit: int | None = typer.Option(None, "--train-limit", help="Only the first N."),
        test_limit: int | None = typer.Option(None, "--test-limit", help="Only the first N."),
        guide: str = typer.Option(
            "auto", "--guide",
            help="Recognition model trained each iteration to guide search: unigram, "
            "contextual (bigram), none, or auto (unigram where the domain has a task encoder "
            "and torch is installed)."),
        guide_share: float = typer.Option(
            0.25, "--guide-share",
            help="The dream/recognition phase's time, as a share of the previous iteration's "
            "(at least 5 s, at most 180 s)."),
    ) -> None:
        _learn(domain_name, suite, library, dict(
            iterations=iterations, workers=workers, executor=executor, address=address,
            searcher=_searcher_spec(searcher), test_timeout=timeout,
            probe_timeout=probe_timeout, train_timeouts=_timeouts(train_timeouts),
            resolve_timeout=resolve_timeout, keep=keep, search_keep=keep,
            train_limit=train_limit, test_limit=test_limit,
            guide=_guide_spec(domain_name, guide, guide_share),
        ))

    learn_domain.__doc__ = (
        f"Learn a library on the {domain_name} domain's training split (resumes an unfinished "
        "run)."
    )
    return learn_domain


def _guide_spec(domain_name: str, mode: str, share: float) -> dict | None:
    """The learn config's `guide` (a `GuideConfig` as JSON) for `--guide`, None for none."""
    if mode not in ("auto", "none", "unigram", "contextual"):
        _fail(f"--guide must be auto, none, unigram or contextual, got {mode!r}")
    if not 0 < share <= 1:
        _fail(f"--guide-share must be in (0, 1], got {share}")
    if mode == "none":
        return None
    from importlib.util import find_spec

    from hylo.domains import DomainError, get_domain

    try:
        encoder = get_domain(domain_name).task_encoder
    except DomainError as e:
        _fail(e)
    usable = encoder is not None and find_spec("torch") is not None
    if not usable:
        if mode == "auto":
            return None
        _fail(f"domain {domain_name} has no task encoder (or torch is not installed): "
              "no recognition model")
    from hylo.learn.guide import GuideConfig

    return GuideConfig(mode="unigram" if mode == "auto" else mode, share=share).to_json()


def _searcher_spec(text: str | None) -> dict | None:
    """A checked searcher spec (name or JSON) for the learn config, None for the default."""
    if text is None:
        return None
    from hylo.search.registry import SpecError, parse_spec, searcher_class

    try:
        spec = parse_spec(text)
        searcher_class(spec["name"])
    except SpecError as e:
        _fail(e)
    return spec


def _fail(message: object) -> NoReturn:
    err.print(f"[red]error:[/red] {safe(message, limit=600)}")
    raise typer.Exit(2)


def _learn(domain_name: str, suite: str | None, library: Path, options: dict[str, Any]) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from hylo.domains import DomainError, get_domain
    from hylo.learn.loop import LearnConfig, Reporter, learn
    from hylo.library.store import StoreError

    try:
        domain = get_domain(domain_name)
    except DomainError as e:
        _fail(e)
    if suite is None:
        if not domain.suites:
            _fail(f"domain {domain_name} has no suite to learn on")
        suite = next(iter(domain.suites))
    elif suite not in domain.suites:
        _fail(f"domain {domain_name} has no suite {suite!r}; it has: "
              f"{', '.join(domain.suites) or 'none'}")
    if domain.split is None and domain.learner is None:  # the default loop needs a split
        _fail(f"domain {domain_name} has no train/test split to learn on")
    config = LearnConfig(domain=domain_name, suite=suite, **options)

    class RichReporter(Reporter):
        def __init__(self, progress: Progress) -> None:
            self.progress = progress
            self.bar: object | None = None
            self.solved = 0

        def phase(self, name: str, total: int) -> None:
            if self.bar is not None:
                self.progress.remove_task(self.bar)  # type: ignore[arg-type]
            self.solved = 0
            self.bar = self.progress.add_task(safe(name, 80), total=total, solved=0)

        def advance(self, result: object | None = None) -> None:
            if self.bar is None:
                return
            self.solved += bool(getattr(result, "solved", False))
            self.progress.update(self.bar, advance=1, solved=self.solved)  # type: ignore[arg-type]

        def message(self, text: str) -> None:
            self.progress.console.print(safe(text, limit=2000))

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("solved {task.fields[solved]}"), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            out = learn(library, config, RichReporter(progress))
    except (StoreError, ValueError) as e:
        _fail(e)
    except KeyboardInterrupt:
        err.print("[red]error:[/red] interrupted (resume with the same command)")
        raise typer.Exit(130) from None
    state = "finished" if out["finished"] else "stopped (resume with the same command)"
    console.print(f"run {out['run_id']} {state}; library in {safe(library)}. "
                  f"Report: hylo report {safe(library)} --html report.html")


#: `hylo learn lists` as a plain function (tests and scripts mount it by this name).
learn_lists = make_learn_command("lists")


def report(
    file: Path = typer.Argument(..., help="Library file holding a learning run."),
    html: Path = typer.Option(..., "--html", help="Where to write the HTML report."),
    run: int | None = typer.Option(None, "--run", help="Run id (default: the latest)."),
) -> None:
    """Write the learning report (curves, library table and graph) as one HTML file."""
    from hylo.library.store import StoreError
    from hylo.report.html import write_report

    if not file.exists():
        _fail(f"no library file at {file}")
    try:
        path = write_report(file, html, run)
    except (StoreError, ValueError, OSError) as e:
        _fail(e)
    console.print(f"report written to {safe(path)}")


def library_export(
    library: Path = typer.Option(Path("hylo.db"), "--library", help="Library file."),
    out: Path = typer.Argument(..., help="JSON file to write."),
    domain: str = typer.Option("lists", "--domain", help="Domain whose library to export."),
) -> None:
    """Export the library as plain text (JSON with s-expression bodies)."""
    from hylo.library.exchange import ExchangeError, export_file
    from hylo.library.store import StoreError

    if not library.exists():
        _fail(f"no library file at {library}")
    try:
        doc = export_file(library, out, domain)
    except (ExchangeError, StoreError) as e:
        _fail(e)
    console.print(f"exported {len(doc['abstractions'])} abstractions and the grammar to "
                  f"{safe(out)}")


def library_import(
    library: Path = typer.Option(Path("hylo.db"), "--library", help="Library file."),
    src: Path = typer.Argument(..., help="JSON file written by `hylo library export`."),
) -> None:
    """Import a library exported by `hylo library export` (checked, then one transaction)."""
    from hylo.library.exchange import ExchangeError, import_file
    from hylo.library.store import StoreError

    if not src.exists():
        _fail(f"no file at {src}")
    try:
        out = import_file(library, src)
    except (ExchangeError, StoreError) as e:
        _fail(e)
    console.print(f"imported {len(out['added'])} abstractions into {safe(library)}"
                  + (f" (grammar at iteration {out['grammar_iteration']})"
                     if out["grammar_iteration"] is not None else ""))
