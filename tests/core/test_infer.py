"""Type inference and checking."""

from __future__ import annotations

import pytest
from hypothesis import given
from strategies import FAST, INVENTIONS, programs, well_typed

from hylo.core.dsl import Invention
from hylo.core.grammar import Grammar
from hylo.core.infer import ProgramTypeError, annotate, check, infer_type, is_well_typed
from hylo.core.program import App, Invented, Lam, Prim, Var, parse, walk
from hylo.core.types import (
    BOOL,
    INT,
    UnificationError,
    apply,
    canonical,
    parse_type,
    show_type,
    tlist,
    unify,
)
from hylo.domains import get_domain

DSL = get_domain("lists").dsl
REQUESTS = [
    "list(int) -> list(int)",
    "list(int) -> int",
    "list(int) -> bool",
    "int -> int",
    "int -> list(int) -> list(int)",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "int"),
        ("map", "(a -> b) -> list(a) -> list(b)"),
        ("fold", "list(a) -> b -> (a -> b -> b) -> b"),
        ("zip-with", "(a -> b -> c) -> list(a) -> list(b) -> list(c)"),
        ("(map car)", "list(list(a)) -> list(a)"),
        ("(lam $0)", "a -> a"),
        ("(lam (lam $1))", "a -> b -> a"),
        ("(lam (lam ($0 $1)))", "a -> (a -> b) -> b"),
        ("(lam (lam (lam ($2 $0 $1))))", "(a -> b -> c) -> b -> a -> c"),
        ("(lam (map (lam (+ $0 1)) $0))", "list(int) -> list(int)"),
        ("(lam (fold $0 0 (lam (lam (+ $0 $1)))))", "list(int) -> int"),
        ("(lam (car $0))", "list(a) -> a"),
        ("(lam (if (empty? $0) 0 (car $0)))", "list(int) -> int"),
        ("(lam (lam (cons $1 $0)))", "a -> list(a) -> list(a)"),
        ("empty", "list(a)"),
        ("(singleton empty)", "list(list(a))"),
        ('(lam (+ (?? "int") $0))', "int -> int"),
        ("(lam (map ?? $0))", "list(a) -> list(b)"),
        ('(?? "a -> a")', "a -> a"),
    ],
)
def test_infer_known_types(text: str, expected: str) -> None:
    assert show_type(infer_type(parse(text), DSL)) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("(+ 1 empty)", "cannot unify"),
        ("(car 1)", "cannot unify"),
        ("(1 2)", "cannot unify"),
        ("(lam ($0 $0))", "occurs check"),
        ("(lam (if $0 1 $0))", "cannot unify"),
        ("(map (lam (+ $0 1)) (singleton (singleton 1)))", "cannot unify"),
        ("(fold (range 3) 0 (lam (lam (and $0 $1))))", "cannot unify"),
    ],
)
def test_ill_typed_programs_raise_program_type_error(text: str, fragment: str) -> None:
    p = parse(text)
    with pytest.raises(ProgramTypeError, match=fragment):
        infer_type(p, DSL)
    assert not is_well_typed(p, DSL)


@pytest.mark.parametrize("text", ["$0", "(lam $1)", "(lam (lam (+ $0 $2)))", "(map (lam $1))"])
def test_unbound_variables_are_type_errors(text: str) -> None:
    with pytest.raises(ProgramTypeError, match="unbound variable"):
        infer_type(parse(text), DSL)
    assert not is_well_typed(parse(text), DSL)


def test_an_environment_binds_free_variables() -> None:
    assert infer_type(Var(0), DSL, env=(INT,)) == INT
    assert infer_type(parse("(+ $0 (length $1))"), DSL, env=(INT, tlist(BOOL))) == INT


def test_unknown_primitive() -> None:
    with pytest.raises(ProgramTypeError, match="unknown primitive 'frobnicate'"):
        infer_type(parse("(lam (frobnicate $0))"), DSL)


@pytest.mark.parametrize(
    ("text", "request_text", "ok"),
    [
        ("(lam $0)", "int -> int", True),
        ("(lam $0)", "int -> bool", False),
        ("(lam (sum $0))", "list(int) -> int", True),
        ("(lam (sum $0))", "list(bool) -> int", False),
        ("(lam (lam (cons $1 $0)))", "int -> list(int) -> list(int)", True),
        ("(lam (lam (cons $0 $1)))", "int -> list(int) -> list(int)", False),
        ("(lam (map (lam (gt? $0 1)) $0))", "list(int) -> list(bool)", True),
        ("(lam (map (lam (gt? $0 1)) $0))", "list(int) -> list(int)", False),
        ("reverse", "list(int) -> list(int)", True),
        ("(lam (length $0))", "list(int) -> int -> int", False),
    ],
)
def test_check_against_a_request(text: str, request_text: str, ok: bool) -> None:
    p, request = parse(text), parse_type(request_text)
    assert is_well_typed(p, DSL, request) is ok
    if ok:
        check(p, DSL, request)
    else:
        with pytest.raises(ProgramTypeError):
            check(p, DSL, request)


def test_inventions_have_their_declared_type_or_their_body_type() -> None:
    body = parse("(lam (map (lam (+ $0 1)) $0))")
    dsl = DSL.with_inventions([Invention("incr-all", body, infer_type(body, DSL))])
    p = parse("(lam (incr-all (incr-all $0)))", dsl.invention_bodies())
    assert isinstance(p.body, App) and isinstance(p.body.f, Invented)  # type: ignore[attr-defined]
    assert show_type(infer_type(p, dsl)) == "list(int) -> list(int)"
    # An invention the DSL does not know is typed through its body.
    assert show_type(infer_type(parse("(twice inc)", INVENTIONS), DSL)) == "int -> int"
    # A polymorphic invention is instantiated afresh at each use.
    ident = Invention("ident", Lam(Var(0)), parse_type("a -> a"))
    dsl2 = DSL.with_inventions([ident])
    q = parse("(lam (ident (length (ident $0))))", dsl2.invention_bodies())
    assert show_type(infer_type(q, dsl2)) == "list(a) -> int"


def test_annotate_gives_each_node_its_resolved_type() -> None:
    p = parse("(lam (map (lam (+ $0 1)) $0))")
    types = annotate(p, DSL, parse_type("list(int) -> list(int)"))
    assert types[id(p)] == parse_type("list(int) -> list(int)")
    inner = [n for n in walk(p) if isinstance(n, Prim) and n.name == "+"]
    assert types[id(inner[0])] == parse_type("int -> int -> int")


# ------------------------------------------------------------------ properties
_GRAMMARS = [Grammar.uniform(DSL), Grammar.random(DSL, seed=7)]


@pytest.mark.parametrize("request_text", REQUESTS)
@pytest.mark.parametrize("grammar", _GRAMMARS, ids=["uniform", "random"])
def test_programs_drawn_from_the_grammar_check_against_their_request(grammar, request_text) -> None:
    request = parse_type(request_text)

    @FAST
    @given(well_typed(grammar, request, max_height=4, eta=True))
    def prop(p) -> None:
        check(p, DSL, request)
        assert is_well_typed(p, DSL, request)
        # The principal type is at least as general as the request.
        principal = infer_type(p, DSL)
        s = unify(principal, request)
        assert apply(principal, s) == request

    prop()


@FAST
@given(programs(max_leaves=12))
def test_the_inferred_type_checks_and_is_canonical(p) -> None:
    try:
        t = infer_type(p, DSL)
    except ProgramTypeError:
        assert not is_well_typed(p, DSL)
        return
    assert t == canonical(t)
    check(p, DSL, t)
    # Inference is deterministic and does not depend on the variable counter's history.
    assert infer_type(p, DSL) == t


def test_a_request_that_does_not_match_is_reported_with_the_program() -> None:
    p = parse("(lam (sum $0))")
    with pytest.raises(ProgramTypeError) as info:
        check(p, DSL, parse_type("int -> int"))
    assert "(lam (sum $0))" in str(info.value)
    with pytest.raises(UnificationError):
        unify(infer_type(p, DSL), parse_type("int -> int"))


def test_request_type_variables_are_rigid() -> None:
    from hylo.core.infer import ProgramTypeError, check
    from hylo.core.program import parse
    from hylo.core.types import parse_type
    from hylo.domains import get_domain

    dsl = get_domain("lists").dsl
    check(parse("(lam $0)"), dsl, parse_type("a -> a"))
    check(parse("(lam (length $0))"), dsl, parse_type("list(a) -> int"))
    with pytest.raises(ProgramTypeError):
        check(parse("(lam 1)"), dsl, parse_type("a -> a"))
    with pytest.raises(ProgramTypeError):
        check(parse("(lam (sum $0))"), dsl, parse_type("list(a) -> int"))
