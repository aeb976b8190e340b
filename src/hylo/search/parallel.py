"""Tasks in parallel over a local process pool.

Each worker receives the search configuration once, at start-up (domain name, grammar weights,
library inventions as text), and builds its own DSL, grammar and searcher; afterwards only tasks
go in and `SearchResult`s come out, so there is no per-candidate traffic between processes.
Workers are started with `spawn` (no inherited locks or threads) and each one runs one task at a
time; a task that crashes its worker is recorded as a failure, never a crash of the run.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from hylo.core.dsl import DSL, Invention
from hylo.core.grammar import Grammar
from hylo.core.program import parse
from hylo.core.task import Task
from hylo.core.types import parse_type, show_type
from hylo.search.base import Budget, SearchResult


@dataclass(frozen=True)
class SearchConfig:
    """Everything a worker needs to rebuild the searcher: plain data (JSON-able)."""

    domain: str
    grammar: dict
    inventions: tuple[tuple[str, str, str], ...] = ()  # (name, body text, type text)
    keep: int = 1
    max_lambda_depth: int = 2
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_grammar(cls, domain: str, grammar: Grammar, keep: int = 1) -> SearchConfig:
        invs = tuple(
            (inv.name, str(inv.body), show_type(inv.type))
            for inv in grammar.dsl.inventions.values()
        )
        return cls(domain, grammar.to_json(), invs, keep)

    def build(self) -> tuple[DSL, Grammar]:
        from hylo.domains import get_domain

        dsl = get_domain(self.domain).dsl
        known: dict[str, Invention] = {}
        for name, body, typ in self.inventions:  # in order: later bodies may use earlier names
            prog = parse(body, {n: i.body for n, i in known.items()})
            known[name] = Invention(name, prog, parse_type(typ))
        if known:
            dsl = dsl.with_inventions(known.values())
        return dsl, Grammar.from_json(dsl, self.grammar)


_WORKER: dict = {}


def _init_worker(config: SearchConfig) -> None:
    from hylo.search.enumerative import EnumerativeSearcher

    _dsl, grammar = config.build()
    _WORKER["searcher"] = EnumerativeSearcher(
        grammar, max_lambda_depth=config.max_lambda_depth, keep=config.keep
    )


def _init_worker_process(config: SearchConfig) -> None:
    """A pool worker: its own process, so it may raise its recursion limit for deep grammars.

    A watchdog thread ends the worker when its parent dies (a `kill -9` of the run would
    otherwise leave workers behind, adopted by init).
    """
    import sys
    import threading

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="hylo-parent-watchdog", daemon=True).start()
    _init_worker(config)


def _run_task(task: Task, budget: Budget) -> SearchResult:
    try:
        return _WORKER["searcher"].solve(task, budget)
    except Exception as e:  # a bug or resource failure in one task must not end the run
        return SearchResult(task.name, False, stopped=f"error: {type(e).__name__}: {e}")


def solve_tasks(
    tasks: list[Task],
    config: SearchConfig,
    budget: Budget,
    workers: int = 1,
    on_result: Callable[[SearchResult], None] | None = None,
) -> list[SearchResult]:
    """Solve every task; results in the order of `tasks`. `workers=0` runs in this process."""
    results: dict[str, SearchResult] = {}
    for r in iter_solve(tasks, config, budget, workers):
        results[r.task] = r
        if on_result is not None:
            on_result(r)
    return [results[t.name] for t in tasks]


def iter_solve(
    tasks: list[Task], config: SearchConfig, budget: Budget, workers: int = 1
) -> Iterator[SearchResult]:
    """Results as they finish."""
    if workers <= 0:
        _init_worker(config)
        for t in tasks:
            yield _run_task(t, budget)
        return
    queue = list(reversed(tasks))  # next task at the end
    while queue:
        ctx = mp.get_context("spawn")
        # Exactly `workers` tasks in flight (none queued inside the executor), so when a worker
        # dies we know which tasks were running: they are recorded as failures, and the rest go
        # on in a fresh pool.
        in_flight: dict = {}
        try:
            with ProcessPoolExecutor(
                max_workers=workers,
                mp_context=ctx,
                initializer=_init_worker_process,
                initargs=(config,),
            ) as pool:
                while queue or in_flight:
                    while queue and len(in_flight) < workers:
                        t = queue.pop()
                        in_flight[pool.submit(_run_task, t, budget)] = t
                    finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        exc = fut.exception()
                        if isinstance(exc, BrokenProcessPool):
                            raise exc
                        t = in_flight.pop(fut)
                        if exc is not None:
                            yield SearchResult(t.name, False, stopped=f"error: {exc}")
                        else:
                            yield fut.result()
        except BrokenProcessPool:
            # A worker died (killed by the OS for memory, say); the pool is unusable.
            for t in in_flight.values():
                yield SearchResult(t.name, False, stopped="error: worker process died")
            time.sleep(0.1)
