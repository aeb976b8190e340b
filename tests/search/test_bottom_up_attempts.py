"""Bottom-up search with queries (`Task.queries`, inputs whose outputs are not given): fits that
agree on the examples but differ on the queries stay apart, `attempts` of them come back (the
first as `program`, the others in `extra`), a fit that fails on a query ranks after one that
does not, and without queries `attempts` and `attempt_slack` change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from hylo.core.grammar import Grammar
from hylo.core.interpret import run_reference
from hylo.core.limits import EvalFailure, Limits
from hylo.core.task import Example, Task
from hylo.core.types import parse_type
from hylo.domains import get_domain
from hylo.domains.grids import load_domain
from hylo.domains.grids.grid import Grid
from hylo.domains.grids.tasks import REQUEST
from hylo.search.base import Budget, SearchResult
from hylo.search.bottom_up import BottomUpSearcher
from hylo.search.check import Checker

GRIDS = load_domain()
LISTS = get_domain("lists")
LIMITS = Limits(max_steps=20_000, max_seconds=0.2)
BUDGET = Budget(seconds=3.0, limits=LIMITS)
G = Grid.from_rows
P = {name: p.impl for name, p in GRIDS.dsl.primitives.items()}

# Inputs that are their own top-bottom mirror: on them `flip-h` and `rot180` agree, on the
# query (not symmetric) they do not.
SYMMETRIC = [G([[1, 2, 0], [3, 0, 0], [1, 2, 0]]), G([[0, 4, 5], [0, 4, 5]]),
             G([[6, 0, 0, 7], [0, 8, 0, 0], [6, 0, 0, 7]])]
ASYMMETRIC = G([[1, 2, 0], [0, 0, 3]])


def _flip_task(queries: tuple[tuple[Any, ...], ...] = ((ASYMMETRIC,),)) -> Task:
    return Task("flip", REQUEST, tuple(Example((g,), P["flip-h"](g)) for g in SYMMETRIC),
                queries=queries)


# Inputs whose bottom half is empty and whose top half touches every side: on them `crop` and
# `top-half` agree; on an all-background query `crop` fails and `top-half` does not.
TOP_HEAVY = [G([[1, 2], [3, 4], [0, 0], [0, 0]]), G([[5, 0, 6], [0, 0, 0]]),
             G([[7, 0, 8, 9], [9, 9, 9, 7], [0, 0, 0, 0], [0, 0, 0, 0]])]
EMPTY = G([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]])


def _crop_task(train: list[Grid], queries: tuple[tuple[Any, ...], ...]) -> Task:
    return Task("crop", REQUEST, tuple(Example((g,), P["crop"](g)) for g in train),
                queries=queries)


def _grids(task: Task, **params: Any) -> SearchResult:
    return BottomUpSearcher(GRIDS.prior(), GRIDS, **params).solve(task, BUDGET)


def _programs(r: SearchResult) -> list[str]:
    assert r.solved and r.program is not None, r
    return [r.program, *(p for p, _ in r.extra)]


def _predictions(domain: Any, program: str, task: Task) -> tuple[Any, ...]:
    """The program's outputs on the task's queries by the reference interpreter (None where it
    fails)."""
    p = domain.dsl.parse(program)
    out = []
    for q in task.queries:
        try:
            out.append(run_reference(p, domain.dsl, q, LIMITS))
        except EvalFailure:
            out.append(None)
    return tuple(out)


def _distinct(domain: Any, preds: list[tuple[Any, ...]]) -> bool:
    for i, a in enumerate(preds):
        for b in preds[:i]:
            if all((x is None and y is None) or (x is not None and y is not None
                                                 and domain.equal(x, y))
                   for x, y in zip(a, b, strict=True)):
                return False
    return True


def test_two_attempts_return_two_fits_with_different_predictions() -> None:
    task = _flip_task()
    r = _grids(task, attempts=2)
    programs = _programs(r)
    assert len(programs) == 2 and len(r.extra) == 1, r
    assert set(programs) == {"(lam (flip-h $0))", "(lam (rot180 $0))"}, programs
    checker = Checker(GRIDS.dsl, GRIDS.equal, LIMITS)
    assert all(checker.fits(p, task) for p in programs)
    a, b = (_predictions(GRIDS, p, task) for p in programs)
    assert a[0] is not None and b[0] is not None and not GRIDS.equal(a[0], b[0])
    assert r.description_length is not None
    assert all(dl >= r.description_length - 1e-9 for _, dl in r.extra)  # the cheapest first


def test_one_attempt_returns_one_fit_and_no_extra() -> None:
    task = _flip_task()
    r = _grids(task, attempts=1)
    assert r.solved and r.extra == [], r
    assert r.program in ("(lam (flip-h $0))", "(lam (rot180 $0))")
    # the first attempt is the same whether one or two are asked for
    assert r.program == _grids(task, attempts=2).program


def test_many_attempts_are_distinct_fits_within_the_slack() -> None:
    ex = tuple(Example((xs,), len(xs)) for xs in ([1, 1, 1], [1], [1, 1], []))
    task = Task("ones", parse_type("list(int) -> int"), ex, queries=(([2, 5],), ([3, 0, 4],)))
    slack = 12.0
    r = BottomUpSearcher(Grammar.uniform(LISTS.dsl), LISTS, attempts=10,
                         attempt_slack=slack).solve(task, BUDGET)
    programs = _programs(r)
    assert 2 <= len(programs) <= 10, r
    assert len(set(programs)) == len(programs)
    checker = Checker(LISTS.dsl, LISTS.equal, LIMITS)
    assert all(checker.fits(p, task) for p in programs)
    assert _distinct(LISTS, [_predictions(LISTS, p, task) for p in programs])
    assert r.description_length is not None
    assert all(r.description_length - 1e-9 <= dl <= r.description_length + slack + 1e-9
               for _, dl in r.extra), r.extra


@pytest.mark.parametrize("make", [
    _flip_task,
    lambda queries: _crop_task(TOP_HEAVY, queries),
], ids=["flip", "crop"])
def test_without_queries_attempts_change_nothing(make: Any) -> None:
    task = make(())
    base = _grids(task)
    assert base.solved and base.extra == [], base
    for params in ({"attempts": 1}, {"attempts": 2}, {"attempts": 10},
                   {"attempts": 2, "attempt_slack": 0.0}, {"attempts": 2, "attempt_slack": 50.0}):
        r = _grids(task, **params)
        assert (r.program, r.description_length, r.candidates, r.stopped, r.extra) == \
            (base.program, base.description_length, base.candidates, base.stopped, []), params


def test_without_queries_lists_search_is_unchanged_by_attempts() -> None:
    ex = tuple(Example((xs,), sum(xs)) for xs in ([1, 2], [], [5, 5, 1]))
    task = Task("sum", parse_type("list(int) -> int"), ex)
    grammar = Grammar.uniform(LISTS.dsl)
    results = [BottomUpSearcher(grammar, LISTS, attempts=k).solve(task, BUDGET)
               for k in (1, 2, 10)]
    assert results[0].program == "(lam (sum $0))"
    assert len({(r.program, r.candidates, r.stopped) for r in results}) == 1
    assert all(r.extra == [] for r in results)


def test_a_fit_that_fails_on_a_query_is_not_first_when_another_fits() -> None:
    # Without the query, `crop` is the cheapest fit.
    assert _grids(_crop_task(TOP_HEAVY, ()), attempts=2).program == "(lam (crop $0))"
    task = _crop_task(TOP_HEAVY, ((EMPTY,),))
    with pytest.raises(ValueError):
        P["crop"](EMPTY)
    for params in ({"attempts": 1}, {"attempts": 2}, {"attempts": 1, "attempt_slack": 0.0}):
        r = _grids(task, **params)
        assert r.solved and r.program != "(lam (crop $0))", (params, r)
        assert _predictions(GRIDS, r.program, task)[0] is not None, (params, r.program)
        assert Checker(GRIDS.dsl, GRIDS.equal, LIMITS).fits(r.program, task)
    # An example as a second query changes nothing: crop still fails on the empty one.
    r = _grids(_crop_task(TOP_HEAVY, ((TOP_HEAVY[0],), (EMPTY,))), attempts=2)
    assert r.solved and r.program != "(lam (crop $0))", r


def test_a_fit_that_fails_on_a_query_is_kept_when_nothing_else_fits() -> None:
    # Objects at varied places: nothing as cheap as `crop` does what it does, so the fit that
    # fails on the empty query is still the answer.
    train = [G([[0, 0, 0, 0], [0, 1, 2, 0], [0, 3, 1, 0], [0, 0, 0, 0]]),
             G([[0, 0, 0], [0, 0, 4], [0, 0, 5]]), G([[6, 7, 0], [8, 6, 0], [0, 0, 0]])]
    task = _crop_task(train, ((EMPTY,),))
    for attempts in (1, 2):
        r = _grids(task, attempts=attempts)
        assert r.solved and r.program == "(lam (crop $0))", (attempts, r)


@pytest.mark.parametrize("params", [
    {"attempts": 0}, {"attempts": 11}, {"attempts": True}, {"attempts": 1.5},
    {"attempts": "2"}, {"attempt_slack": -1}, {"attempt_slack": -0.5},
    {"attempt_slack": True}, {"attempt_slack": "4"}, {"attempt_slack": float("nan")},
    {"attempt_slack": 1e6},
])
def test_bad_attempt_params_are_refused(params: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        BottomUpSearcher(GRIDS.prior(), GRIDS, **params)


def test_good_attempt_params_are_kept_in_the_spec() -> None:
    s = BottomUpSearcher(GRIDS.prior(), GRIDS, attempts=10, attempt_slack=0)
    assert s.spec()["params"]["attempts"] == 10 and s.spec()["params"]["attempt_slack"] == 0.0
    assert BottomUpSearcher(GRIDS.prior(), GRIDS).spec()["params"]["attempts"] == 1


@pytest.mark.parametrize("attempts", [1, 2])
def test_no_more_programs_than_attempts(attempts: int) -> None:
    queries = ((EMPTY,), (G([[0, 1], [2, 0], [0, 0], [0, 0]]),))
    r = _grids(_crop_task(TOP_HEAVY, queries), attempts=attempts, attempt_slack=8.0)
    assert len(_programs(r)) <= attempts, r.extra
