"""From Stitch's untyped rewrites to the grammar's eta-long programs, and back by inlining."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from learn_helpers import INPUTS, LISTS, task

from hylo.core.dsl import Invention
from hylo.core.grammar import Grammar, NotDerivable
from hylo.core.infer import infer_type
from hylo.core.program import Lam, inline_inventions, parse, show
from hylo.learn.rewrite import (
    RewriteError,
    from_stitch_body,
    grammar_form,
    inline,
    match,
    refactor_with,
    same_behaviour,
    solves,
    strictly_equal,
    to_stitch_body,
)


def _dsl(*defs: tuple[str, str]):
    dsl = LISTS
    for name, body_text in defs:
        body = parse(body_text, dsl.invention_bodies())
        dsl = dsl.with_inventions([Invention(name, body, infer_type(body, dsl))])
    return dsl


ADD = ("fn_0", "(lam (lam (+ $0 $1)))")  # Stitch's `(lam (+ $0 #0))`: add k, curried
MAP_ADD = ("fn_1", "(lam (lam (map (lam (+ $0 $2)) $0)))")


def test_unapplied_invention_is_eta_expanded():
    dsl = _dsl(ADD)
    t, original = task("add-3", "(lam (map (lam (+ $0 3)) $0))")
    raw = dsl.parse("(lam (map (fn_0 3) $0))")
    with pytest.raises(NotDerivable):
        Grammar.uniform(dsl).cost(raw, t.request)
    fixed = grammar_form(raw, t.request, dsl)
    assert show(fixed) == "(lam (map (lam (fn_0 3 $0)) $0))"
    Grammar.uniform(dsl).cost(fixed, t.request)
    assert same_behaviour(original, fixed, dsl, t)


def test_whole_program_invention_is_eta_expanded():
    dsl = _dsl(MAP_ADD)
    t, original = task("add-2", "(lam (map (lam (+ $0 2)) $0))")
    fixed = grammar_form(dsl.parse("(fn_1 2)"), t.request, dsl)
    assert show(fixed) == "(lam (fn_1 2 $0))"
    Grammar.uniform(dsl).cost(fixed, t.request)
    assert same_behaviour(original, fixed, dsl, t)


def test_ill_typed_rewrite_is_rejected():
    dsl = _dsl(MAP_ADD)
    t, _ = task("add-2", "(lam (map (lam (+ $0 2)) $0))")
    with pytest.raises(RewriteError):
        grammar_form(dsl.parse("(lam (fn_1 $0 2))"), t.request, dsl)


def test_different_behaviour_is_caught():
    t, original = task("add-2", "(lam (map (lam (+ $0 2)) $0))")
    assert solves(original, LISTS, t)
    assert not same_behaviour(original, LISTS.parse("(lam (map (lam (+ $0 3)) $0))"), LISTS, t)
    assert not same_behaviour(original, LISTS.parse("(lam (map (lam (car $1)) $0))"), LISTS, t)
    assert not strictly_equal(True, 1) and not strictly_equal([1, True], [1, 1])
    assert strictly_equal([[1], []], [[1], []])


def test_inline_undoes_an_invention():
    dsl = _dsl(ADD, ("fn_2", "(lam (map (lam (fn_0 2 $0)) $0))"))
    p = dsl.parse("(lam (fn_2 (map (lam (fn_0 1 $0)) $0)))")
    q = inline(p, {"fn_0"})
    assert "fn_0" not in show(q) and "fn_2" in show(q)
    assert inline_inventions(q) == inline_inventions(p)
    t, _ = task("x", "(lam (map (lam (+ $0 3)) $0))")
    for xs in INPUTS:
        from hylo.core.evaluate import run_program

        assert run_program(p, dsl, (xs,)) == run_program(q, dsl, (xs,))


def test_refactoring_matches_bodies_with_shifted_arguments():
    dsl = _dsl(MAP_ADD)
    inv = dsl.invented("fn_1")
    # the argument list refers to the program's own variables, under other lambdas
    p = LISTS.parse("(lam (lam (map (lam (+ $0 $1)) (cdr $1))))")
    q = refactor_with(p, inv, 2)
    assert show(q) == "(lam (lam (fn_1 $0 (cdr $1))))"
    assert inline_inventions(q) == p
    # a body variable bound inside the pattern cannot become an argument
    assert match(inv.body, 2, LISTS.parse("(map (lam (+ $0 $0)) $1)")) is None
    # a partial application as a body (Stitch's arity-0 `(take 2)`) matches once eta-expanded
    take2 = _dsl(("fn_3", "(take 2)"))
    q = refactor_with(LISTS.parse("(lam (reverse (take 2 $0)))"), take2.invented("fn_3"), 1)
    assert show(q) == "(lam (reverse (fn_3 $0)))"


programs = st.sampled_from([
    "(lam (map (lam (+ $0 1)) $0))", "(lam (take 2 (drop 1 $0)))",
    "(lam (lam (map (lam (+ $0 $1)) $0)))", "(lam (filter (lam (gt? $0 2)) (sort $0)))",
    "(lam (fold $0 0 (lam (lam (+ $0 $1)))))", "(lam (mapi (lam (lam (* $0 $1))) $0))",
])


@settings(max_examples=30, deadline=None)
@given(programs, st.integers(0, 4))
def test_stitch_body_round_trip(text, cut):
    """Any closed body reads back from its Stitch form, whatever number of arguments."""
    body = LISTS.parse(text)
    lams = 0
    q = body
    while isinstance(q, Lam):
        lams += 1
        q = q.body
    arity = min(cut, lams)
    stitch_text, n = to_stitch_body(body, arity)
    assert n == arity
    assert from_stitch_body(stitch_text, n, {}) == body
