"""The one interface every search strategy implements.

A `Searcher` is built from a grammar (all its parameters in `__init__`, no work there, as in
scikit-learn) and answers `solve(task, budget)`. Internally a strategy is a generator of
candidates; `candidates(request)` exposes it, cheapest/likeliest first, each candidate a
`(program, description_length)` pair, so strategies are interchangeable and testable alone.
Enumerative search, bottom-up search and genetic programming differ only in that generator.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

from hylo.core.grammar import Grammar
from hylo.core.limits import DEFAULT_LIMITS, Limits
from hylo.core.program import Program
from hylo.core.task import Task
from hylo.core.types import Type


@dataclass(frozen=True)
class Budget:
    """How much a search may spend on one task: wall seconds and/or candidates checked."""

    seconds: float = 10.0
    max_candidates: int | None = None
    max_nodes: int = 20_000_000  # memory guard: distinct nodes one enumerator may hold (~5 GB)
    limits: Limits = DEFAULT_LIMITS


@dataclass
class SearchResult:
    task: str
    solved: bool
    program: str | None = None
    description_length: float | None = None
    seconds: float = 0.0
    candidates: int = 0
    stopped: str = ""  # why the search ended: solved, timeout, candidates, memory, exhausted, error
    extra: list[tuple[str, float]] = field(default_factory=list)  # further solutions (text, DL)

    def to_json(self) -> dict:
        return {
            "name": self.task,
            "solved": self.solved,
            "program": self.program,
            "description_length": self.description_length,
            "seconds": round(self.seconds, 4),
            "candidates": self.candidates,
            "stopped": self.stopped,
        }


class Searcher(ABC):
    """A search strategy over one grammar."""

    def __init__(self, grammar: Grammar) -> None:
        self.grammar = grammar

    @abstractmethod
    def candidates(self, request: Type) -> Iterator[tuple[Program, float]]:
        """Candidate programs for `request`, in the order the strategy would check them."""

    @abstractmethod
    def solve(self, task: Task, budget: Budget) -> SearchResult:
        """Search for a program consistent with all of `task`'s examples within `budget`."""


def elapsed(t0: float) -> float:
    return time.perf_counter() - t0
