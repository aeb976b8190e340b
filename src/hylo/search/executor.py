"""The `Executor` contract: run a batch of search jobs somewhere, stream the results back.

A job is one task with its budget and, optionally, per-task grammar weights (the recognition
model will send them). The configuration every job of a batch shares travels once, as plain
JSON-able data (`SearchConfig`: domain name, searcher spec, grammar weights, library inventions
as text); each worker rebuilds its domain, grammar and searcher from it. Executors never write
the library: the coordinator that called `run` alone does.

Implementations, by name (`get_executor`): `inline` (this process), `pool` (the local process
pool), `ray` (a Ray cluster, `hylo[ray]`). What every executor promises is pinned by
`hylo.search.executor_conformance`: every job yields exactly one result, a job that crashes
its worker becomes a failed result (never an exception of the run), results match `inline`.

Worker side, every executor does the same (`JobRunner`): build the domain, grammar and searcher
from the config once, then per job use that searcher, or one over `grammar.with_weights(w)` when
the job brings weights. Executors check a config by building it in the coordinator before any
worker starts, so a bad searcher spec is one clear error (`SpecError`), not a failed result per
job.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hylo.core.dsl import DSL, Invention
from hylo.core.grammar import Grammar
from hylo.core.program import parse
from hylo.core.task import Task
from hylo.core.types import parse_type, show_type
from hylo.search.base import Budget, Searcher, SearchResult


@dataclass(frozen=True)
class SearchJob:
    """One task to search, with its budget and optional per-task grammar log-weights."""

    task: Task
    budget: Budget
    weights: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class SearchConfig:
    """What every worker needs to rebuild the searcher: plain data (JSON-able)."""

    domain: str
    grammar: dict
    inventions: tuple[tuple[str, str, str], ...] = ()  # (name, body text, type text)
    searcher: dict = field(default_factory=lambda: {"name": "enumerative", "params": {}})

    @classmethod
    def from_grammar(
        cls, domain: str, grammar: Grammar, searcher: Mapping[str, Any] | str | None = None
    ) -> SearchConfig:
        from hylo.search.registry import parse_spec

        invs = tuple(
            (inv.name, str(inv.body), show_type(inv.type))
            for inv in grammar.dsl.inventions.values()
        )
        spec = parse_spec(searcher) if searcher is not None else _domain_default(domain)
        return cls(domain, grammar.to_json(), invs, spec)

    def build_grammar(self) -> Grammar:
        from hylo.domains import get_domain

        dsl: DSL = get_domain(self.domain).dsl
        known: dict[str, Invention] = {}
        for name, body, typ in self.inventions:  # in order: later bodies may use earlier names
            prog = parse(body, {n: i.body for n, i in known.items()})
            known[name] = Invention(name, prog, parse_type(typ))
        if known:
            dsl = dsl.with_inventions(known.values())
        return Grammar.from_json(dsl, self.grammar)

    def build(self, weights: Mapping[str, Any] | None = None) -> Searcher:
        """The searcher, over the shared grammar or over it with `weights` replacing its own."""
        return JobRunner(self).searcher_for(weights)


def _domain_default(domain: str) -> dict:
    from hylo.domains import get_domain
    from hylo.search.registry import parse_spec

    return parse_spec(get_domain(domain).default_searcher())


class Executor(ABC):
    """Runs search jobs; `run` yields one `SearchResult` per job, in the order they finish."""

    name: str = ""
    #: whether a job that kills its worker process leaves this process and the other jobs alone
    isolates: bool = False

    @abstractmethod
    def run(self, config: SearchConfig, jobs: Sequence[SearchJob]) -> Iterator[SearchResult]:
        """Every job's result exactly once; a job that fails is a failed result, not a raise."""

    def close(self) -> None:
        """Release workers or connections; the executor may not be used afterwards."""
        return None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def solve_all(
    executor: Executor, config: SearchConfig, tasks: Sequence[Task], budget: Budget,
    weights: Mapping[str, Mapping[str, float]] | None = None,
) -> Iterator[SearchResult]:
    """Convenience: every task under one budget; `weights[task name]`, when given, are that
    task's grammar weights (a recognition model's prediction)."""
    weights = weights or {}
    return executor.run(config, [SearchJob(t, budget, weights.get(t.name)) for t in tasks])


#: seconds a job may run past twice its budget before an isolating executor kills its worker
OVERRUN_GRACE = 10.0


def overrun_after(job: SearchJob, grace: float = OVERRUN_GRACE) -> float:
    """Seconds after which a job counts as hung (its searcher ignores its budget): inf for an
    unbounded budget."""
    seconds = job.budget.seconds
    return 2 * seconds + grace if math.isfinite(seconds) else math.inf


def overran(job: SearchJob) -> str:
    return f"error: overran its budget of {job.budget.seconds:g} s; worker killed"


def failed(job: SearchJob, why: str) -> SearchResult:
    """The result of a job that produced none (its worker died, it overran, it raised)."""
    return SearchResult(job.task.name, False, stopped=why if why.startswith("error") else
                        f"error: {why}")


class JobRunner:
    """The worker side of every executor: the config's searcher, built once; a job with
    weights gets a searcher over the same grammar with those weights."""

    def __init__(self, config: SearchConfig) -> None:
        from hylo.domains import get_domain
        from hylo.search.registry import build_searcher

        self.config = config
        self.domain = get_domain(config.domain)
        self.grammar = config.build_grammar()
        self.searcher = build_searcher(config.searcher, self.grammar, self.domain)

    def searcher_for(self, weights: Mapping[str, Any] | None) -> Searcher:
        if not weights:
            return self.searcher
        from hylo.search.registry import build_searcher

        return build_searcher(self.config.searcher, self.grammar.with_weights(weights),
                              self.domain)

    def run(self, job: SearchJob) -> SearchResult:
        """Never raises for a job: bad weights or a failing strategy become a failed result."""
        from hylo.search.base import collect_between_searches

        try:
            return self.searcher_for(job.weights).solve(job.task, job.budget)
        except RecursionError:
            return failed(job, "error: recursion while searching")
        except MemoryError:
            return SearchResult(job.task.name, False, stopped="memory")
        except Exception as e:
            return failed(job, f"error: {type(e).__name__}: {e}")
        finally:
            collect_between_searches()


class InlineExecutor(Executor):
    """Runs the jobs one after another in this process (no isolation: a job that kills the
    process kills the run; use `pool` for that)."""

    name = "inline"

    def run(self, config: SearchConfig, jobs: Sequence[SearchJob]) -> Iterator[SearchResult]:
        runner = JobRunner(config)  # raises here, before any job, for a bad config
        return (runner.run(job) for job in list(jobs))


#: executor name -> "module:class"; each class takes `(workers, address)` keywords it needs
EXECUTORS = {
    "inline": "hylo.search.executor:InlineExecutor",
    "pool": "hylo.search.pool:PoolExecutor",
    "ray": "hylo.search.ray_executor:RayExecutor",
}


def get_executor(name: str, workers: int = 2, address: str | None = None) -> Executor:
    """The executor called `name`: `inline`, `pool` (`workers` processes) or `ray` (`workers`
    CPUs of a local Ray started here, or the cluster at `address`)."""
    import importlib

    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}; choose one of: {', '.join(EXECUTORS)}")
    if address is not None and name != "ray":
        raise ValueError(f"--address is for the ray executor, not {name!r}")
    if workers < 1 and name != "inline":
        raise ValueError(f"the {name} executor needs workers >= 1 (got {workers})")
    module, cls_name = EXECUTORS[name].split(":")
    cls = getattr(importlib.import_module(module), cls_name)
    if name == "inline":
        return cls()
    if name == "pool":
        return cls(workers=workers)
    return cls(workers=workers, address=address)


@cache
def shared_executor(name: str, workers: int = 2, address: str | None = None) -> Executor:
    """One executor per process for callers that run many batches (the learner): a Ray
    session starts once. Never closed by its users; Ray shuts down when the process exits."""
    return get_executor(name, workers, address)


def iter_solve(
    tasks: Sequence[Task],
    config: SearchConfig,
    budget: Budget,
    workers: int = 1,
    executor: Executor | None = None,
    weights: Mapping[str, Mapping[str, float]] | None = None,
) -> Iterator[SearchResult]:
    """Results as they finish: on `executor`, or on a pool of `workers` (0: in this process)."""
    own = executor is None
    ex = executor or get_executor("pool" if workers > 0 else "inline", workers=max(1, workers))
    try:
        yield from solve_all(ex, config, tasks, budget, weights)
    finally:
        if own:
            ex.close()


def solve_tasks(
    tasks: Sequence[Task],
    config: SearchConfig,
    budget: Budget,
    workers: int = 1,
    on_result: Callable[[SearchResult], None] | None = None,
    executor: Executor | None = None,
    weights: Mapping[str, Mapping[str, float]] | None = None,
) -> list[SearchResult]:
    """Every task's result, in the order of `tasks`; `on_result` sees each as it finishes."""
    results: dict[str, SearchResult] = {}
    for r in iter_solve(tasks, config, budget, workers, executor, weights):
        results[r.task] = r
        if on_result is not None:
            on_result(r)
    return [results[t.name] for t in tasks]
