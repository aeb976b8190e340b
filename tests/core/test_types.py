"""Types: text round trip, parse errors, unification laws, instantiation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import FAST, substitutions, types

from hylo.core.types import (
    BOOL,
    INT,
    TCon,
    TVar,
    TypeParseError,
    UnificationError,
    apply,
    arguments,
    arrow,
    canonical,
    free_vars,
    instantiate,
    parse_type,
    returns,
    show_type,
    tlist,
    unify,
)

a, b, c = TVar(0), TVar(1), TVar(2)


# ------------------------------------------------------------------ text
@FAST
@given(types())
def test_parse_type_inverts_show_type(t) -> None:
    assert parse_type(show_type(t)) == t


@FAST
@given(types())
def test_show_type_is_stable_through_a_round_trip(t) -> None:
    text = show_type(t)
    assert show_type(parse_type(text)) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("int", INT),
        ("list(int) -> int", arrow(tlist(INT), INT)),
        ("(a -> b) -> list(a) -> list(b)", arrow(arrow(a, b), tlist(a), tlist(b))),
        ("a -> b -> a", arrow(a, arrow(b, a))),
        ("(a -> b) -> a", arrow(arrow(a, b), a)),
        ("t12", TVar(12)),
        ("h", TVar(7)),
        ("i", TCon("i")),  # past the variable letters: a constructor
        ("  list( list(bool) )  ", tlist(tlist(BOOL))),
        ("pair(int, a -> b)", TCon("pair", (INT, arrow(a, b)))),
        ("list-of-int", TCon("list-of-int")),
    ],
)
def test_parse_type_examples(text: str, expected) -> None:
    assert parse_type(text) == expected


def test_arrows_associate_to_the_right_and_print_minimal_parentheses() -> None:
    assert show_type(arrow(INT, INT, INT)) == "int -> int -> int"
    assert show_type(arrow(arrow(INT, INT), INT)) == "(int -> int) -> int"
    assert show_type(TVar(8)) == "t8"


def test_an_arrow_written_without_spaces_parses() -> None:
    # DreamCoder and hand-written task files write `int->int`; a hyphen inside a name must not
    # swallow the arrow's first character.
    assert parse_type("int->int") == arrow(INT, INT)
    assert parse_type("a->list(a)") == arrow(a, tlist(a))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "unexpected end"),
        ("->", "unexpected '->'"),
        ("list(", "unexpected end"),
        ("int int", "trailing text"),
        ("(int", "unexpected end"),
        ("list()", "unexpected ')'"),
        ("int -> ", "unexpected end"),
        ("@", "bad character at 0"),
        ("list(int,)", "unexpected ')'"),
        ("(int))", "trailing text"),
        ("list(int bool)", "expected ')'"),
    ],
)
def test_malformed_types_raise_type_parse_error_quoting_the_text(text: str, fragment: str) -> None:
    with pytest.raises(TypeParseError) as info:
        parse_type(text)
    assert fragment in str(info.value)
    assert repr(text.strip()) in str(info.value)


@FAST
@given(st.text(alphabet="()->, abint_l@s", max_size=20))
def test_parse_type_of_any_text_gives_a_type_or_a_type_parse_error(text: str) -> None:
    try:
        t = parse_type(text)
    except TypeParseError:
        return
    assert parse_type(show_type(t)) == t


def test_arguments_and_returns() -> None:
    t = parse_type("(a -> b) -> list(a) -> list(b)")
    assert arguments(t) == [arrow(a, b), tlist(a)]
    assert returns(t) == tlist(b)
    assert arguments(INT) == [] and returns(INT) == INT


# ------------------------------------------------------------------ unification laws
@FAST
@given(types(), types())
def test_a_unifier_makes_both_sides_equal(x, y) -> None:
    try:
        s = unify(x, y)
    except UnificationError:
        return
    assert apply(x, s) == apply(y, s)


@FAST
@given(types(), substitutions())
def test_unify_succeeds_whenever_a_unifier_exists(t, sigma) -> None:
    # `t` and its instance `t.sigma` are unified by sigma (idempotent), so unify must not fail.
    instance = apply(t, sigma)
    s = unify(t, instance)
    assert apply(t, s) == apply(instance, s)


@FAST
@given(types(), types())
def test_unify_is_symmetric(x, y) -> None:
    try:
        s1 = unify(x, y)
    except UnificationError:
        with pytest.raises(UnificationError):
            unify(y, x)
        return
    s2 = unify(y, x)
    # Both are most general unifiers: the same type up to renaming of variables.
    assert canonical(apply(x, s1)) == canonical(apply(x, s2))


@FAST
@given(types())
def test_unifying_a_type_with_itself_changes_nothing(t) -> None:
    s = unify(t, t)
    assert apply(t, s) == t
    assert s == {}


@FAST
@given(types(), types())
def test_applying_a_unifier_is_idempotent(x, y) -> None:
    try:
        s = unify(x, y)
    except UnificationError:
        return
    for t in (x, y):
        once = apply(t, s)
        assert apply(once, s) == once
    # No variable bound by s survives in the result.
    assert not (free_vars(apply(x, s)) & set(s))


@FAST
@given(types(), types(), substitutions())
def test_unify_extends_and_does_not_mutate_a_given_substitution(x, y, sigma) -> None:
    before = dict(sigma)
    try:
        s = unify(x, y, sigma)
    except UnificationError:
        assert sigma == before
        return
    assert sigma == before
    assert apply(x, s) == apply(y, s)
    for v, t in sigma.items():
        assert apply(TVar(v), s) == apply(t, s)


@pytest.mark.parametrize(
    ("x", "y"),
    [
        (a, tlist(a)),
        (tlist(a), a),
        (arrow(a, b), arrow(b, tlist(a))),
        (arrow(a, a), arrow(tlist(b), b)),
        (TCon("pair", (a, b)), TCon("pair", (b, arrow(INT, a)))),
    ],
)
def test_occurs_check(x, y) -> None:
    with pytest.raises(UnificationError, match="occurs"):
        unify(x, y)


@pytest.mark.parametrize(
    ("x", "y"),
    [
        (INT, BOOL),
        (tlist(INT), INT),
        (arrow(INT, INT), tlist(INT)),
        (TCon("pair", (INT, INT)), TCon("pair", (INT,))),
        (arrow(a, a), arrow(INT, BOOL)),
    ],
)
def test_clashes_do_not_unify(x, y) -> None:
    with pytest.raises(UnificationError, match="cannot unify"):
        unify(x, y)


def test_unify_examples() -> None:
    s = unify(arrow(arrow(a, b), tlist(a), tlist(b)), arrow(arrow(INT, BOOL), c, TVar(3)))
    assert apply(c, s) == tlist(INT)
    assert apply(TVar(3), s) == tlist(BOOL)
    assert apply(a, unify(a, b)) == apply(b, unify(a, b))


# ------------------------------------------------------------------ instantiation
@FAST
@given(types(), st.integers(0, 100))
def test_instantiate_renames_to_fresh_variables(t, start) -> None:
    inst, nxt = instantiate(t, start)
    fresh = free_vars(inst)
    assert all(start <= v < nxt for v in fresh)
    assert nxt - start == len(free_vars(t)) == len(fresh)
    assert canonical(inst) == canonical(t)  # a renaming: same shape, same sharing
    # Instantiating again from `nxt` shares no variable with the first instance.
    again, _ = instantiate(t, nxt)
    assert not (free_vars(again) & fresh)


def test_instantiate_keeps_sharing() -> None:
    inst, nxt = instantiate(arrow(arrow(a, b), tlist(a), tlist(b)), 10)
    assert inst == arrow(arrow(TVar(10), TVar(11)), tlist(TVar(10)), tlist(TVar(11)))
    assert nxt == 12
    assert instantiate(INT, 5) == (INT, 5)


@FAST
@given(types())
def test_canonical_is_idempotent_and_numbers_from_zero(t) -> None:
    ct = canonical(t)
    assert canonical(ct) == ct
    assert free_vars(ct) == set(range(len(free_vars(t))))
