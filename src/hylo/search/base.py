"""The one contract every search strategy implements: `Searcher.solve(task, budget)`.

A searcher is built from a grammar and a domain plus its own parameters, all in `__init__`
(no work there, as in scikit-learn); `spec()` gives back `{"name", "params"}`, plain JSON, from
which `hylo.search.registry.build_searcher` rebuilds an equal searcher in another process.
Strategies register under the entry-point group `hylo.searchers`.

`solve` is a template: it calls the strategy's `search`, then confirms any program reported
with the one shared `Checker` (`hylo.search.check`), so no strategy can report a program that
fails an example; a strategy that raises becomes a result with `stopped="error: ..."`.
What every strategy promises is pinned by `hylo.search.conformance`, which each registered
searcher runs: never a wrong program, stops within its budget, deterministic for a seed,
always says why it stopped, survives programs that raise or loop.
"""

from __future__ import annotations

import gc
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hylo.core.domain import Domain
from hylo.core.grammar import Grammar
from hylo.core.limits import DEFAULT_LIMITS, Limits
from hylo.core.program import Lam, Program, free_indices
from hylo.core.task import Task
from hylo.core.types import arguments
from hylo.search.check import Checker

#: Why a search ended. `error: <detail>` is also allowed.
STOP_REASONS = ("solved", "timeout", "candidates", "memory", "exhausted")


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
    stopped: str = ""  # why the search ended: one of STOP_REASONS or "error: ..."
    strategy: str = ""  # the registered name of the searcher that produced the result
    extra: list[tuple[str, float]] = field(default_factory=list)  # further solutions (text, DL)
    #: a composite strategy's runs of its members (`hylo.search.portfolio`): one dict each
    trace: list[dict[str, Any]] = field(default_factory=list)
    #: the program fits but ignores an input: the search went on looking for a fit that uses
    #: every input (`Searcher.all_inputs`) and found none in its budget
    provisional: bool = False
    #: a strategy's own counters, JSON values (genetic: executions, generations, the best
    #: program and its total error); travels back from workers with the result
    stats: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "name": self.task,
            "solved": self.solved,
            "program": self.program,
            "description_length": self.description_length,
            "seconds": round(self.seconds, 4),
            "candidates": self.candidates,
            "stopped": self.stopped,
            "strategy": self.strategy,
            **({"trace": self.trace} if self.trace else {}),
            **({"provisional": True} if self.provisional else {}),
            **({"stats": self.stats} if self.stats else {}),
        }


class Searcher(ABC):
    """A search strategy over one grammar, for one domain.

    Subclasses set `name` (their registered name), take their parameters as keyword arguments
    of `__init__` and keep each under the same attribute name (so `spec()` can read them back),
    and implement `search`.
    """

    name: ClassVar[str] = ""
    #: names of the keyword parameters `spec()` reports (subclasses extend it)
    params: ClassVar[tuple[str, ...]] = ()

    def __init__(self, grammar: Grammar, domain: Domain | None = None) -> None:
        self.grammar = grammar
        self.domain = domain

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "params": {p: getattr(self, p) for p in self.params}}

    def grammar_for(self, task: Task) -> Grammar:
        """The grammar to search `task` with: this searcher's, plus the task's constants where
        the domain has them (`Domain.task_constants`), each weighted the domain's
        `search_defaults["constants"]["log_weight"]` (default -2.0), with the domain's per-task
        offsets added to the weights (`Domain.task_weights`). Every strategy searches
        this grammar and its results are checked over its DSL."""
        domain = self.domain
        if (domain is None or not self.use_constants
                or (domain.task_constants is None and domain.task_weights is None)):
            return self.grammar
        cached = self._task_grammar
        if cached is not None and cached[0] is task:
            return cached[1]
        grammar = self.grammar
        if domain.task_constants is not None:
            constants = domain.task_constants(task)
            options = domain.search_defaults.get("constants", {})
            if constants:
                grammar = grammar.with_primitives(constants,
                                                  float(options.get("log_weight", -2.0)))
        if domain.task_weights is not None:
            offsets = domain.task_weights(task)
            known = {n: grammar.log_weights[n] + float(d) for n, d in offsets.items()
                     if n in grammar.log_weights}
            if known:
                grammar = grammar.with_weights(known)
        self._task_grammar = (task, grammar)
        return grammar

    #: whether a fit that ignores one of the task's inputs is only provisional: the strategy
    #: keeps it and searches on, within its budget, for a fit that uses every input, and
    #: returns the provisional one (`SearchResult.provisional`) only when it finds none.
    #: Off by default: on 200 synthetic tasks (whose programs all use every input) it changed
    #: 7 results, 4 for the better and 3 for the worse, for 22% more search time; the search
    #: then often finds a program that uses the input vacuously (docs/search.md). Strategies
    #: take it as the parameter `all_inputs`.
    all_inputs: bool = False

    def uses_every_input(self, program: Program, task: Task) -> bool:
        """Whether `program` (a closed program of `task.request`) mentions each of its inputs;
        always true when `all_inputs` is off."""
        if not self.all_inputs:
            return True
        arity = len(arguments(task.request))
        body = program
        for _ in range(arity):
            if not isinstance(body, Lam):
                return True  # not in eta-long form: nothing to say about its inputs
            body = body.body
        return free_indices(body) >= set(range(arity))

    #: whether `grammar_for` adds the domain's task constants (a subclass parameter may turn
    #: it off; the portfolio passes its members the same setting)
    use_constants: bool = True
    _task_grammar: tuple[Task, Grammar] | None = None

    def checker(self, budget: Budget, task: Task | None = None) -> Checker:
        dsl = self.grammar_for(task).dsl if task is not None else self.grammar.dsl
        if self.domain is None:
            return Checker(dsl, limits=budget.limits)
        return Checker(dsl, self.domain.equal, budget.limits)

    def applicable(self, task: Task) -> bool:
        """Whether this strategy has anything to offer on `task` (a portfolio gives the budget
        of one that has not to the others). Default: always."""
        return True

    @abstractmethod
    def search(self, task: Task, budget: Budget) -> SearchResult:
        """The strategy itself: look for a program fitting all of `task`'s examples."""

    def solve(self, task: Task, budget: Budget) -> SearchResult:
        """`search`, with what it reports confirmed by the shared checker."""
        t0 = time.perf_counter()
        try:
            with callers_heap_frozen():
                result = self.search(task, budget)
        except RecursionError:
            result = SearchResult(task.name, False, stopped="error: recursion while searching")
        except MemoryError:
            result = SearchResult(task.name, False, stopped="memory")
        except Exception as e:  # a bug in one strategy must not end a run
            result = SearchResult(task.name, False, stopped=f"error: {type(e).__name__}: {e}")
        result.strategy = result.strategy or self.name
        if result.seconds == 0.0:
            result.seconds = time.perf_counter() - t0
        if result.solved:
            checker = self.checker(budget, task)
            if result.program is None or not checker.fits(result.program, task):
                result.solved = False
                result.stopped = f"error: {self.name} reported a program that fails the check"
                result.program = None
            result.extra = [(p, dl) for p, dl in result.extra if checker.fits(p, task)]
        if not result.stopped:
            result.stopped = "solved" if result.solved else "exhausted"
        return result


def flag(name: str, value: Any) -> bool:
    """A searcher's boolean parameter, checked (JSON specs come from users)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


_FROZEN = [0]  # nesting depth: a portfolio's members search inside its own search


@contextmanager
def callers_heap_frozen() -> Iterator[None]:
    """Keep the objects that exist before a search out of the cyclic collector during it.

    A long-lived caller (the learner with a big library, a notebook, a test run) can hold
    millions of objects; a full collection scans them all, and one landing inside a short
    search's budget costs it seconds (measured: 1.0-1.6 s pauses at 2M live objects, which made
    a 0.05 s search take 1.9 s). Frozen objects are still freed by reference counting, and
    their cycles by the full collection the executors run between jobs once enough searching
    has passed (`collect_between_searches`), outside any search's clock. A caller that froze
    objects itself keeps its own policy: nothing is frozen or thawed for it.
    """
    outer = _FROZEN[0] == 0 and gc.get_freeze_count() == 0
    if outer:
        gc.freeze()
        t0 = time.perf_counter()
    _FROZEN[0] += 1
    try:
        yield
    finally:
        _FROZEN[0] -= 1
        if outer:
            gc.unfreeze()
            _GC_DEBT[0] += time.perf_counter() - t0


#: seconds searched since the last full collection, and what that collection cost
_GC_DEBT = [0.0, 0.0]
#: a full collection after at least this many seconds of search, and at least this many times
#: what the last one cost (so collecting costs at most about a tenth of the searching)
GC_EVERY_SECONDS = 1.0
GC_COST_FACTOR = 10.0


def collect_between_searches() -> None:
    """A full collection once enough searching has passed since the last; every executor calls
    it after a job, so the pause is never inside a search's budget (a big test process paid
    1-2 s there). Needed: the cyclic garbage a search leaves (a bottom-up run's banks) is only
    found by a full collection, and the next search freezes it again before one runs, so
    back-to-back searches in a worker would never free it (measured: two pool workers grew by
    about 0.5 GB a minute each over ARC tasks at 20 s, to 16 GB)."""
    if _GC_DEBT[0] < max(GC_EVERY_SECONDS, GC_COST_FACTOR * _GC_DEBT[1]):
        return
    t0 = time.perf_counter()
    gc.collect()
    _GC_DEBT[:] = [0.0, time.perf_counter() - t0]


def elapsed(t0: float) -> float:
    return time.perf_counter() - t0
