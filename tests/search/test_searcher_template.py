"""What `Searcher.solve` does around every strategy's `search`."""

from __future__ import annotations

import gc

from hylo.core.grammar import Grammar
from hylo.core.task import Example, Task
from hylo.core.types import parse_type
from hylo.domains import get_domain
from hylo.search.base import Budget, Searcher, SearchResult

DOMAIN = get_domain("lists")
GRAMMAR = Grammar.uniform(DOMAIN.dsl)
TASK = Task("id", parse_type("list(int) -> list(int)"), (Example(([1, 2],), [1, 2]),))


class Recording(Searcher):
    """Records how many objects the collector has frozen while it searches."""

    name = "recording"

    def __init__(self, grammar: Grammar, domain=None, inner: Searcher | None = None) -> None:
        super().__init__(grammar, domain)
        self.inner = inner
        self.frozen: list[int] = []

    def search(self, task: Task, budget: Budget) -> SearchResult:
        self.frozen.append(gc.get_freeze_count())
        if self.inner is not None:
            self.inner.solve(task, budget)
            self.frozen.append(gc.get_freeze_count())  # the member's end must not thaw ours
        return SearchResult(task.name, False, stopped="exhausted")


def test_the_callers_objects_stay_out_of_the_collector_during_a_search() -> None:
    # A full collection of a big caller's heap inside a short budget cost it seconds on CI.
    gc.unfreeze()  # nothing frozen by anyone else (a caller's own freeze is left alone)
    before = gc.get_freeze_count()
    keep = [[i] for i in range(10_000)]  # tracked objects that exist before the search
    inner = Recording(GRAMMAR, DOMAIN)
    outer = Recording(GRAMMAR, DOMAIN, inner=inner)
    outer.solve(TASK, Budget(seconds=1))
    assert all(n >= len(keep) for n in outer.frozen + inner.frozen), (outer.frozen, inner.frozen)
    assert gc.get_freeze_count() == before  # thawed afterwards
    assert keep[-1] == [9_999]


def test_a_search_that_raises_thaws_the_heap_too() -> None:
    class Raising(Searcher):
        name = "raising"

        def search(self, task: Task, budget: Budget) -> SearchResult:
            raise ValueError("a bug in a strategy")

    before = gc.get_freeze_count()
    r = Raising(GRAMMAR, DOMAIN).solve(TASK, Budget(seconds=1))
    assert r.stopped.startswith("error: ValueError") and gc.get_freeze_count() == before
