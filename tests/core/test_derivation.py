"""A program's derivation as choices: the same model as the description length."""

from __future__ import annotations

import math

import pytest

from hylo.core.derivation import VARIABLE, choices
from hylo.core.grammar import Grammar, NotDerivable
from hylo.core.types import parse_type
from hylo.domains import get_domain

DSL = get_domain("lists").dsl


def _nats(g: Grammar, cs) -> float:
    def w(n: str) -> float:
        return g.log_variable if n == VARIABLE else g.log_weights[n]

    total = 0.0
    for c in cs:
        z = math.log(sum(k * math.exp(w(n)) for n, k in c.candidates))
        total += z - w(c.chosen)
    return total


@pytest.mark.parametrize("text,request_", [
    ("(lam (map (lam (+ $0 1)) (sort $0)))", "list(int) -> list(int)"),
    ("(lam (lam (cons $0 $1)))", "list(int) -> int -> list(int)"),
    ("(lam (length $0))", "list(int) -> int"),
    ("(lam (fold $0 0 (lam (lam (+ $0 $1)))))", "list(int) -> int"),
])
@pytest.mark.parametrize("seed", [0, 3])
def test_choices_sum_to_the_description_length(text, request_, seed):
    g = Grammar.random(DSL, seed=seed)
    p, r = DSL.parse(text), parse_type(request_)
    cs = choices(g, p, r)
    # the description length rounds each choice to 1/QUANTUM nat: within half a unit each
    assert abs(_nats(g, cs) - g.description_length(p, r)) <= len(cs) * 0.5 / 8 + 1e-9


def test_choices_record_parents_positions_and_variable_counts():
    g = Grammar.uniform(DSL)
    p = DSL.parse("(lam (lam (cons $0 $1)))")
    cs = choices(g, p, parse_type("list(int) -> int -> list(int)"))
    assert [(c.parent, c.position, c.chosen) for c in cs] == [
        (None, -1, "cons"), ("cons", 0, VARIABLE), ("cons", 1, VARIABLE)]
    # at the int hole one variable of type int is in scope, at the list hole one list
    assert dict(cs[1].candidates)[VARIABLE] == 1
    assert all(k >= 1 for c in cs for _, k in c.candidates)
    # lambdas are transparent: the body of map's function has map as parent
    cs = choices(g, DSL.parse("(lam (map (lam (+ $0 1)) $0))"),
                 parse_type("list(int) -> list(int)"))
    assert ("map", 0, "+") in [(c.parent, c.position, c.chosen) for c in cs]


def test_underivable_programs_are_refused():
    g = Grammar.uniform(DSL)
    with pytest.raises(NotDerivable):
        choices(g, DSL.parse("(lam (length $0))"), parse_type("list(int) -> list(int)"))
    with pytest.raises(NotDerivable):
        choices(g, DSL.parse("(lam $0)"), parse_type("list(int) -> int"))
