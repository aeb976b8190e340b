"""Programs: s-expression round trip, parse errors, structure, de Bruijn operations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import FAST, INVENTIONS, SLOW, programs, well_typed

from hylo.core.grammar import Grammar
from hylo.core.interpret import run_reference
from hylo.core.limits import EvalFailure, Limits
from hylo.core.program import (
    App,
    Hole,
    Invented,
    Lam,
    ParseError,
    Prim,
    Var,
    apply_args,
    beta_normal,
    depth,
    free_indices,
    inline_inventions,
    parse,
    primitives_used,
    shift,
    show,
    size,
    spine,
    substitute,
    walk,
)
from hylo.core.types import INT, arrow, parse_type, tlist
from hylo.domains import get_domain

DSL = get_domain("lists").dsl


# ------------------------------------------------------------------ round trip
@FAST
@given(programs())
def test_parse_inverts_show(p) -> None:
    assert parse(show(p), INVENTIONS) == p


@FAST
@given(programs(inventions={}))
def test_parse_inverts_show_without_inventions(p) -> None:
    assert parse(show(p)) == p
    assert hash(parse(show(p))) == hash(p)


@FAST
@given(programs())
def test_without_the_inventions_mapping_inventions_read_back_as_primitives(p) -> None:
    q = parse(show(p))
    assert show(q) == show(p)
    assert not any(isinstance(n, Invented) for n in walk(q))


@FAST
@given(programs())
def test_show_is_insensitive_to_extra_whitespace(p) -> None:
    text = show(p).replace(" ", "  \n\t").replace("(", "( ").replace(")", " )")
    assert parse(text, INVENTIONS) == p


@pytest.mark.parametrize("n", [50, 300])
def test_deeply_nested_programs_round_trip(n: int) -> None:
    p = Var(0)
    for i in range(n):
        p = App(Prim("cdr"), p) if i % 2 else Lam(p)
    assert parse(show(p)) == p


def test_examples_in_the_stitch_format() -> None:
    text = "(lam (map (lam (+ $0 1)) $0))"
    p = parse(text)
    inc = Lam(apply_args(Prim("+"), [Var(0), Prim("1")]))
    assert p == Lam(apply_args(Prim("map"), [inc, Var(0)]))
    assert show(p) == text
    assert parse("(lambda $0)") == Lam(Var(0))
    assert parse("??") == Hole()
    assert parse('(?? "list(int) -> int")') == Hole(arrow(tlist(INT), INT))
    assert show(Hole(arrow(tlist(INT), INT))) == '(?? "list(int) -> int")'
    assert parse("((lam $0) 1)") == App(Lam(Var(0)), Prim("1"))
    assert parse("inc", INVENTIONS) == Invented("inc", INVENTIONS["inc"])


def test_programs_compare_and_hash_structurally() -> None:
    p, q = parse("(lam (+ $0 1))"), parse("(lam (+ $0 1))")
    assert p == q and hash(p) == hash(q) and p is not q
    assert p != parse("(lam (+ 1 $0))")
    assert Invented("f", Var(0)) != Invented("f", Var(1))  # the body is part of the identity
    assert Hole() != Hole(INT)
    assert len({p, q, parse("(lam $0)")}) == 2
    with pytest.raises(AttributeError):
        p.body = Var(0)  # type: ignore[misc]  # immutable


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty program"),
        ("   ", "empty program"),
        ("(", "unexpected end"),
        (")", "unexpected ')'"),
        ("(lam)", "unexpected ')'"),
        ("(f)", "empty application"),
        ("$x", "bad variable '$x'"),
        ("$-1", "bad variable"),
        ("$²", "bad variable"),
        ("(lam $0) x", "trailing text"),
        ('"int"', "unexpected"),
        ('(?? "list(")', "unexpected end of type"),
        ("(lam $0 $1)", "missing ')'"),
        ('(?? "int" 3)', "missing ')'"),
        ("lam", "unexpected 'lam'"),
        ("(+ 1", "missing ')'"),
        ("((lam $0))", "empty application"),
        ('a"b', "cannot read program text at position 1"),
    ],
)
def test_malformed_text_raises_parse_error_with_a_useful_message(text: str, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert fragment in str(info.value)


@FAST
@given(st.text(alphabet='()$?" \tlam01+-ab"²', max_size=24))
def test_parse_of_any_text_gives_a_program_or_a_parse_error(text: str) -> None:
    try:
        p = parse(text)
    except ParseError:
        return
    assert parse(show(p)) == p


# ------------------------------------------------------------------ structure
def test_spine_size_depth_and_primitives() -> None:
    p = parse("(lam (fold $0 0 (lam (lam (+ $0 $1)))))")
    head, args = spine(p.body)  # type: ignore[attr-defined]
    assert head == Prim("fold") and args == [Var(0), Prim("0"), parse("(lam (lam (+ $0 $1)))")]
    assert apply_args(head, args) == p.body  # type: ignore[attr-defined]
    assert size(p) == 9  # 1 + fold, $0, 0, lam, lam, +, $0, $1
    assert depth(p) == 6  # lam, fold, lam, lam, +, leaf
    assert primitives_used(p) == ["fold", "0", "+"]
    assert free_indices(p) == set()
    assert free_indices(parse("(lam (+ $1 $3))")) == {0, 2}


@FAST
@given(programs(inventions={}), st.integers(0, 5), st.integers(0, 3))
def test_shift_up_then_down_is_the_identity(p, d, cutoff) -> None:
    up = shift(p, d, cutoff)
    assert shift(up, -d, cutoff) == p
    assert free_indices(up, cutoff) == {i + d for i in free_indices(p, cutoff)}


@FAST
@given(programs(inventions={}))
def test_substituting_into_a_body_that_ignores_its_variable_just_shifts_down(p) -> None:
    body = shift(p, 1)  # $0 is not free in body
    assert substitute(body, Prim("anything")) == p


def test_substitute_and_beta_normal_examples() -> None:
    # ((lam (lam (+ $0 $1))) $3) under no binders: $1 becomes $3 shifted past the inner lam.
    body = parse("(lam (+ $0 $1))")
    assert substitute(body, Var(3)) == parse("(lam (+ $0 $4))")
    assert beta_normal(parse("((lam (lam ($1 $0))) car)")) == parse("(lam (car $0))")
    assert beta_normal(parse("((lam $0) ((lam $0) 1))")) == Prim("1")
    assert inline_inventions(parse("(lam (inc $0))", INVENTIONS)) == parse("(lam (+ $0 1))")
    twice_inc = parse("(lam (twice inc $0))", INVENTIONS)
    assert inline_inventions(twice_inc) == parse("(lam (+ (+ $0 1) 1))")


def test_beta_normal_is_bounded() -> None:
    omega = parse("((lam ($0 $0)) (lam ($0 $0)))")
    with pytest.raises(ValueError, match="step limit"):
        beta_normal(omega, max_steps=1000)


LIMITS = Limits(max_steps=200_000, max_seconds=30.0)
_G = Grammar.uniform(DSL)


@SLOW
@given(
    well_typed(_G, parse_type("int -> int"), max_height=3),
    well_typed(_G, parse_type("list(int) -> int"), max_height=3),
    st.lists(st.integers(-5, 20), max_size=6),
)
def test_beta_normal_form_computes_what_the_redex_computes(f, g, xs) -> None:
    # (lam (f g)), f and g random closed functions: a redex whose argument has a free variable.
    # Where strict evaluation of the redex succeeds, its normal form gives the same value.
    redex = Lam(App(f, g.body))
    normal = beta_normal(redex)
    assert not any(isinstance(n, App) and isinstance(n.f, Lam) for n in walk(normal))
    try:
        expected = run_reference(redex, DSL, (xs,), LIMITS)
    except EvalFailure:
        return
    try:
        assert run_reference(normal, DSL, (xs,), LIMITS) == expected
    except EvalFailure as e:
        assert e.kind == "limit", e  # the normal form may repeat work, never fail otherwise
    # The same through an invention: (lam (F g)) with F := f.
    named = Lam(App(Invented("F", f), g.body))
    assert run_reference(named, DSL, (xs,), LIMITS) == expected
    assert inline_inventions(named) == normal
