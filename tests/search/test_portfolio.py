"""The portfolio: members share one budget, the first program that fits wins, runs are traced."""

from __future__ import annotations

import time

import pytest

from hylo.core.grammar import Grammar
from hylo.core.task import Example, Task
from hylo.core.types import parse_type
from hylo.domains import get_domain
from hylo.search import registry
from hylo.search.base import Budget, Searcher, SearchResult
from hylo.search.portfolio import PortfolioSearcher
from hylo.search.registry import SpecError, build_searcher

DOMAIN = get_domain("lists")
GRAMMAR = Grammar.uniform(DOMAIN.dsl)
SUM = Task("sum", parse_type("list(int) -> int"),
           tuple(Example((xs,), sum(xs)) for xs in ([1, 2], [5], [3, 0, 4], [])))


class Exhausted(Searcher):
    """Gives up at once, as a complete search over a small space does."""

    name = "t-exhausted"

    def search(self, task: Task, budget: Budget) -> SearchResult:
        return SearchResult(task.name, False, stopped="exhausted", candidates=3)


class Sleeper(Searcher):
    """Spends its whole slice and finds nothing."""

    name = "t-sleeper"

    def search(self, task: Task, budget: Budget) -> SearchResult:
        time.sleep(budget.seconds)
        return SearchResult(task.name, False, stopped="timeout", candidates=1)


class Patient(Searcher):
    """Finds the program only when given at least 0.4 s (a deep program)."""

    name = "t-patient"

    def search(self, task: Task, budget: Budget) -> SearchResult:
        if budget.seconds < 0.4:
            time.sleep(budget.seconds)
            return SearchResult(task.name, False, stopped="timeout")
        return SearchResult(task.name, True, program="(lam (sum $0))", candidates=7)


class Liar(Searcher):
    name = "t-liar"

    def search(self, task: Task, budget: Budget) -> SearchResult:
        return SearchResult(task.name, True, program="(lam (length $0))")


class NotHere(Exhausted):
    name = "t-not-here"

    def applicable(self, task: Task) -> bool:
        return False


FAKES = {c.name: c for c in (Exhausted, Sleeper, Patient, Liar, NotHere)}


@pytest.fixture(autouse=True)
def _fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    real = registry.searcher_class
    monkeypatch.setattr(registry, "searcher_class", lambda n: FAKES.get(n) or real(n))


def portfolio(*members: str | dict, **params) -> Searcher:
    return build_searcher({"name": "portfolio", "params": {"members": list(members), **params}},
                          GRAMMAR, DOMAIN)


def test_one_member_solves_and_is_named() -> None:
    r = portfolio("enumerative").solve(SUM, Budget(seconds=5))
    assert r.solved and r.program == "(lam (sum $0))" and r.strategy == "enumerative"
    assert [t["strategy"] for t in r.trace] == ["enumerative"]
    js = r.to_json()
    assert js["strategy"] == "enumerative" and js["trace"][0]["stopped"] == "solved"


def test_split_passes_unused_time_on() -> None:
    r = portfolio("t-exhausted", "enumerative").solve(SUM, Budget(seconds=4))
    assert r.solved and r.strategy == "enumerative"
    first, second = r.trace
    assert first["strategy"] == "t-exhausted" and first["budget"] == pytest.approx(2.0, abs=0.1)
    assert second["budget"] > 3.5  # the exhausted member's unused half came on
    assert r.candidates == 3 + second["candidates"]


def test_split_gives_each_member_its_share() -> None:
    r = portfolio("t-sleeper", "t-sleeper", shares=[1, 3]).solve(SUM, Budget(seconds=0.8))
    assert not r.solved and r.stopped == "timeout"
    assert [t["budget"] for t in r.trace] == pytest.approx([0.2, 0.6], abs=0.05)
    assert r.seconds < 0.8 + 0.3


def test_interleave_doubles_slices_until_a_member_has_enough() -> None:
    r = portfolio("t-sleeper", "t-patient", mode="interleave", first=0.1).solve(
        SUM, Budget(seconds=5))
    assert r.solved and r.strategy == "t-patient"
    budgets = [(t["strategy"], t["budget"]) for t in r.trace]
    assert budgets == [("t-sleeper", 0.1), ("t-patient", 0.1), ("t-sleeper", 0.2),
                       ("t-patient", 0.2), ("t-sleeper", 0.4), ("t-patient", 0.4)]


def test_interleave_drops_members_more_time_cannot_help() -> None:
    r = portfolio("t-exhausted", "t-patient", mode="interleave", first=0.1).solve(
        SUM, Budget(seconds=5))
    assert r.solved
    assert [t["strategy"] for t in r.trace].count("t-exhausted") == 1


def test_all_members_exhausted_is_exhausted_not_timeout() -> None:
    for mode in ("split", "interleave"):
        r = portfolio("t-exhausted", "t-exhausted", mode=mode).solve(SUM, Budget(seconds=5))
        assert not r.solved and r.stopped == "exhausted" and r.seconds < 1


def test_a_member_that_does_not_apply_gives_its_share_away() -> None:
    r = portfolio("t-not-here", "enumerative").solve(SUM, Budget(seconds=4))
    assert r.solved and [t["strategy"] for t in r.trace] == ["enumerative"]
    assert r.trace[0]["budget"] > 3.5
    r = portfolio("t-not-here").solve(SUM, Budget(seconds=1))
    assert not r.solved and r.stopped.startswith("error")


def test_a_member_reporting_a_wrong_program_is_caught_and_the_next_runs() -> None:
    r = portfolio("t-liar", "enumerative").solve(SUM, Budget(seconds=4))
    assert r.solved and r.program == "(lam (sum $0))" and r.strategy == "enumerative"
    assert r.trace[0]["stopped"].startswith("error")


def test_candidate_budget_holds_across_members() -> None:
    r = portfolio("t-exhausted", "enumerative").solve(SUM, Budget(seconds=5, max_candidates=4))
    assert r.candidates <= 4 and not r.solved


@pytest.mark.parametrize("params", [
    {"members": []},
    {"members": ["portfolio"]},
    {"members": ["no-such-searcher"]},
    {"members": ["enumerative"], "shares": [1, 2]},
    {"members": ["enumerative"], "shares": [0]},
    {"members": ["enumerative"], "shares": [True]},
    {"members": ["enumerative"], "mode": "parallel"},
    {"members": ["enumerative"], "first": -1},
    {"members": [{"name": "enumerative", "params": {"keep": 0}}]},
    {"members": ["enumerative"], "budget": 3},
])
def test_bad_parameters_are_clear_errors(params: dict) -> None:
    with pytest.raises(SpecError):
        build_searcher({"name": "portfolio", "params": params}, GRAMMAR, DOMAIN)


def test_spec_round_trips() -> None:
    p = portfolio("enumerative", "t-exhausted", shares=[2, 1], mode="interleave", first=0.25)
    assert isinstance(p, PortfolioSearcher)
    again = build_searcher(p.spec(), GRAMMAR, DOMAIN)
    assert again.spec() == p.spec()
    assert p.spec()["params"]["members"][0] == {"name": "enumerative", "params": {}}


def test_keep_is_forwarded_to_members_that_take_it() -> None:
    p = portfolio("t-exhausted", "enumerative", keep=3)
    assert [m.spec()["params"].get("keep") for m in p._searchers] == [None, 3]
    r = p.solve(SUM, Budget(seconds=5))
    assert r.solved and len(r.extra) == 2
    own = portfolio({"name": "enumerative", "params": {"keep": 2}}, keep=5)
    assert own._searchers[0].spec()["params"]["keep"] == 2
