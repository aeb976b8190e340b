"""The caller's heap is frozen during a search, and the cyclic garbage searches leave is still
freed: a full collection runs between searches (executors call it after each job) once
enough searching has passed."""

from __future__ import annotations

import gc
import time
import weakref

import pytest

from hylo.search import base
from hylo.search.base import callers_heap_frozen


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def _search_leaving_garbage(seconds: float) -> weakref.ref[_Node]:
    """A 'search' that builds cyclic garbage and takes `seconds`."""
    with callers_heap_frozen():
        node = _Node()
        ref = weakref.ref(node)
        del node
        time.sleep(seconds)
    base.collect_between_searches()  # as every executor does after a job
    return ref


def _searched(seconds: float) -> None:
    base._GC_DEBT[0] += seconds
    base.collect_between_searches()


@pytest.fixture(autouse=True)
def _fresh_debt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_GC_DEBT", [0.0, 0.0])


def test_back_to_back_searches_free_their_cyclic_garbage(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "GC_EVERY_SECONDS", 0.05)
    monkeypatch.setattr(base, "GC_COST_FACTOR", 0.0)
    gc.disable()  # no automatic collection may free it for us
    try:
        refs = [_search_leaving_garbage(0.03) for _ in range(6)]
        # a collection after every second search: all of it is gone
        assert [r() is None for r in refs] == [True] * 6
    finally:
        gc.enable()


def test_without_the_collection_the_garbage_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    # what the collection is for: frozen again at each search, the cycles outlive them all
    monkeypatch.setattr(base, "GC_EVERY_SECONDS", 1e9)
    gc.disable()
    try:
        refs = [_search_leaving_garbage(0.0) for _ in range(6)]
        assert all(r() is not None for r in refs)
    finally:
        gc.enable()
        gc.collect()


def test_short_searches_do_not_collect_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(base.gc, "collect", lambda *a: calls.append(1) or 0)
    monkeypatch.setattr(base, "GC_EVERY_SECONDS", 10.0)
    for _ in range(20):
        with callers_heap_frozen():
            pass
    assert calls == []  # far less than 10 s of searching: no collection
    _searched(10.0)
    assert calls == [1]


def test_a_costly_collection_waits_for_ten_times_its_cost(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(base.gc, "collect", lambda *a: calls.append(1) or 0)
    monkeypatch.setattr(base, "GC_EVERY_SECONDS", 1.0)
    monkeypatch.setattr(base, "_GC_DEBT", [0.0, 2.0])  # the last collection took 2 s
    _searched(5.0)
    assert calls == []
    _searched(15.0)
    assert calls == [1]


def test_the_collection_is_never_inside_a_search(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(base.gc, "collect", lambda *a: calls.append(1) or 0)
    monkeypatch.setattr(base, "GC_EVERY_SECONDS", 0.0)
    with callers_heap_frozen():
        pass
    assert calls == []  # owed, not paid inside the search's clock
    base.collect_between_searches()
    assert calls == [1]


def test_executors_collect_after_each_job(monkeypatch: pytest.MonkeyPatch) -> None:
    from hylo.domains import get_domain
    from hylo.search.base import Budget
    from hylo.search.executor import InlineExecutor, SearchConfig, SearchJob

    calls: list[int] = []
    monkeypatch.setattr(base, "collect_between_searches", lambda: calls.append(1))
    domain = get_domain("lists")
    config = SearchConfig.from_grammar("lists", domain.prior(), {"name": "enumerative"})
    tasks = domain.suites["lists"]()[:2]
    results = list(InlineExecutor().run(config, [SearchJob(t, Budget(seconds=0.05))
                                                 for t in tasks]))
    assert len(results) == 2 and calls == [1, 1]
