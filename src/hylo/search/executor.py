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
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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
    weights: Mapping[str, float] | None = None


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

    def build(self, weights: Mapping[str, float] | None = None) -> Searcher:
        """The searcher, over the shared grammar or over it with `weights` replacing its own."""
        from hylo.domains import get_domain
        from hylo.search.registry import build_searcher

        grammar = self.build_grammar()
        if weights:
            grammar = grammar.with_weights(weights)
        return build_searcher(self.searcher, grammar, get_domain(self.domain))


def _domain_default(domain: str) -> dict:
    from hylo.domains import get_domain
    from hylo.search.registry import parse_spec

    return parse_spec(get_domain(domain).default_searcher())


class Executor(ABC):
    """Runs search jobs; `run` yields one `SearchResult` per job, in the order they finish."""

    name: str = ""

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
    executor: Executor, config: SearchConfig, tasks: Sequence[Task], budget: Budget
) -> Iterator[SearchResult]:
    """Convenience: every task under one budget."""
    return executor.run(config, [SearchJob(t, budget) for t in tasks])
