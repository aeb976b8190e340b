"""With `all_inputs`, a fit that ignores an input is provisional: every strategy searches on
for one that uses them all, and returns the provisional one only when it finds none."""

from __future__ import annotations

import pytest

from hylo.core.grammar import Grammar
from hylo.core.program import parse
from hylo.core.task import Example, Task
from hylo.core.types import parse_type
from hylo.domains import get_domain
from hylo.search.base import Budget
from hylo.search.registry import build_searcher

DOMAIN = get_domain("lists")
GRAMMAR = Grammar(DOMAIN.dsl, log_variable=2.0)  # fixed: the prior may be re-tuned
STRATEGIES = ["enumerative", "bottom-up", "portfolio", "genetic"]

# take k xs, shown only with k >= len(xs): the bare list fits every example and drops k
TAKE = Task("take", parse_type("list(int) -> int -> list(int)"), (
    Example(([3, 1, 2], 5), [3, 1, 2]), Example(([4, 4], 2), [4, 4]),
    Example(([7, 0, 9, 1], 6), [7, 0, 9, 1])),
    held_out=(Example(([5, 6, 7], 1), [5]),))
# the output is the list; the int is noise: a fit using it is dear
NOISE = Task("noise", parse_type("list(int) -> int -> list(int)"), (
    Example(([3, 1, 2], 8), [3, 1, 2]), Example(([4], -3), [4]),
    Example(([7, 0], 11), [7, 0])))


def _search(name: str, task: Task, budget: Budget, **params):
    s = build_searcher({"name": name, "params": params}, GRAMMAR, DOMAIN)
    return s, s.solve(task, budget)


@pytest.mark.parametrize("name", STRATEGIES)
def test_a_fit_that_uses_every_input_wins_over_a_cheaper_one_that_drops_one(name: str) -> None:
    s, r = _search(name, TAKE, Budget(seconds=10), all_inputs=True)
    assert r.solved and not r.provisional, r
    assert s.uses_every_input(parse(r.program), TAKE), r.program
    assert "take" in r.program
    # Off (the default), the search returns the cheapest fit, which ignores k.
    _, plain = _search(name, TAKE, Budget(seconds=10))
    assert plain.solved and plain.program == "(lam (lam $1))", plain


@pytest.mark.parametrize("name", STRATEGIES)
def test_only_a_fit_that_drops_an_input_is_returned_as_provisional(name: str) -> None:
    _, r = _search(name, NOISE, Budget(seconds=10, max_candidates=40), all_inputs=True)
    assert r.solved and r.provisional and r.stopped == "solved", r
    assert r.program == "(lam (lam $1))"
    assert r.to_json()["provisional"] is True
    if name == "portfolio":  # each member looked on after its provisional fit
        assert [t.get("provisional") for t in r.trace if t["candidates"]] and r.trace


def test_a_constant_function_of_one_input_is_provisional_too() -> None:
    t = Task("const", parse_type("list(int) -> int"), (
        Example(([3, 1],), 2), Example(([4, 4, 4],), 2)))
    _, r = _search("enumerative", t, Budget(seconds=5, max_candidates=200), all_inputs=True)
    assert r.solved and r.provisional and r.program == "(lam 2)", r


def test_all_inputs_must_be_a_boolean() -> None:
    for name in STRATEGIES:
        with pytest.raises(ValueError, match="all_inputs"):
            build_searcher({"name": name, "params": {"all_inputs": "yes"}}, GRAMMAR, DOMAIN)
