"""Every registered search strategy passes the Searcher conformance suite."""

from __future__ import annotations

import time

import pytest

from hylo.core.task import Task
from hylo.search import conformance
from hylo.search.base import Budget, Searcher, SearchResult
from hylo.search.enumerative import EnumerativeSearcher
from hylo.search.registry import available, build_searcher

NAMES = available()


def test_the_enumerative_searcher_is_registered() -> None:
    assert "enumerative" in NAMES


@pytest.mark.parametrize("check", conformance.CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", NAMES)
def test_conformance(name: str, check) -> None:
    check(lambda grammar, domain: build_searcher(name, grammar, domain))


class _Liar(Searcher):
    """Breaks the contract on purpose: skips the checking template, reports a program that
    returns True where 1 is expected, gives no reason, and sleeps past its budget."""

    name = "liar"

    def search(self, task: Task, budget: Budget) -> SearchResult:
        raise AssertionError("not used: solve is overridden")

    def solve(self, task: Task, budget: Budget) -> SearchResult:
        if task.name == "impossible":
            time.sleep(2 * budget.seconds + 0.6)
        return SearchResult(task.name, True, "(lam (truthy $0))", stopped="because")


def test_the_suite_catches_a_searcher_that_breaks_the_contract() -> None:
    failures = conformance.run_conformance(lambda g, d: _Liar(g, d))
    for check in ("check_never_reports_a_wrong_program", "check_says_why_it_stopped",
                  "check_stops_within_its_budget"):
        assert any(f.startswith(check) for f in failures), (check, failures)


def test_solve_turns_a_lie_into_an_error() -> None:
    # Through the template, the same lie is caught by the shared checker.
    class Template(_Liar):
        solve = Searcher.solve  # type: ignore[assignment]

        def search(self, task: Task, budget: Budget) -> SearchResult:
            return SearchResult(task.name, True, "(lam (truthy $0))")

    domain = conformance.conformance_domain()
    s = Template(conformance.conformance_grammar(domain), domain)
    r = s.solve(conformance.conformance_tasks()["true-is-not-one"], conformance._budget(1.0))
    assert not r.solved and r.program is None and r.stopped.startswith("error:"), r


def test_the_enumerative_searcher_exhausts_a_finite_request() -> None:
    domain = conformance.conformance_domain()
    s = EnumerativeSearcher(conformance.conformance_grammar(domain), domain)
    r = s.solve(conformance.conformance_tasks()["finite"], conformance._budget(5.0))
    assert r.stopped == "exhausted" and r.candidates == 1 and r.seconds < 1.0, r
