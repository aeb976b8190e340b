"""The general DSL: primitives' meaning and limits, literals, equality, keys and per-case errors."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hylo.core.evaluate import run_program
from hylo.core.grammar import Grammar
from hylo.core.infer import check
from hylo.core.limits import EvalFailure
from hylo.core.types import parse_type
from hylo.domains.general.literals import (
    literal,
    literal_name,
    literal_value,
    str_literal,
)
from hylo.domains.general.primitives import (
    GENERAL_DSL,
    MAX_COUNT,
    MAX_INT,
    MAX_LIST,
    MAX_STR,
    show_float,
)
from hylo.domains.general.sample import sample_inputs
from hylo.domains.general.values import (
    FAILURE_ERROR,
    case_error,
    equal,
    levenshtein,
    string_error,
    value_key,
)

DSL = GENERAL_DSL


def impl(name: str) -> Any:
    return DSL.primitive(name).impl


def run(text: str, *inputs: Any) -> Any:
    return run_program(DSL.parse(text), DSL, inputs)


# ------------------------------------------------------------------ the table
def test_every_primitive_is_documented_and_types_are_the_domains() -> None:
    for p in DSL.primitives.values():
        assert p.doc, p.name
    ground = {str(t) for t in Grammar(DSL).ground_types()}
    assert ground == {"int", "bool", "float", "char", "str", "list(int)", "list(float)",
                      "list(str)", "list(char)"}


@pytest.mark.parametrize(("name", "args", "expected"), [
    ("div", (-7, 2), -4), ("mod", (-7, 2), 1), ("min2", (3, -1), -1), ("max2", (3, -1), 3),
    ("<", (1, 2), True), ("<=", (2, 2), True), ("=", (2, 3), False), ("odd?", (-3,), True),
    ("/.", (1.0, 4.0), 0.25), ("floor", (-1.5,), -2), ("ceil", (-1.5,), -1),
    ("round", (2.5,), 3), ("round", (-2.5,), -3), ("round", (0.49,), 0), ("truncate", (-1.7,), -1),
    ("round-to", (2, 3.14159), 3.14), ("float", (3,), 3.0), ("sum.", ([0.1, 0.2],), 0.3),
    ("letter?", ("é",), True), ("digit?", ("٣",), False), ("digit?", ("7",), True),
    ("space?", ("\t",), True), ("upper?", ("A",), True), ("char-upper", ("ß",), "ß"),
    ("ord", ("A",), 65), ("chr", (97,), "a"), ("char->str", ("x",), "x"),
    ("++", ("ab", "c"), "abc"), ("slice", (1, -1, "hello"), "ell"), ("slice", (3, 99, "ab"), ""),
    ("str-take", (2, "hello"), "he"), ("str-drop", (2, "hello"), "llo"),
    ("char-at", (1, "hey"), "e"), ("index-of", ("l", "hello"), 2), ("index-of", ("z", "a"), -1),
    ("contains?", ("ell", "hello"), True), ("occurrences", ("aa", "aaaa"), 2),
    ("replace", ("-", "+", "a-b-c"), "a+b+c"), ("words", (" a  b\nc ",), ["a", "b", "c"]),
    ("split", (",", "a,,b"), ["a", "", "b"]), ("join", ("-", ["a", "b"]), "a-b"),
    ("lines", (["1", "2"],), "1\n2"), ("lines", ([],), ""), ("upper", ("abc",), "ABC"),
    ("strip", (" a ",), "a"), ("str-reverse", ("abc",), "cba"), ("chars", ("ab",), ["a", "b"]),
    ("implode", (["a", "b"],), "ab"), ("show-int", (-12,), "-12"), ("read-int", (" -42 ",), -42),
    ("first-char", ("ab",), "a"), ("last-char", ("ab",), "b"), ("starts-with?", ("a", "ab"), True),
    ("range", (2, 5), [2, 3, 4]), ("range", (5, 2), []),
    ("range-step", (-20, 0, 7), [-20, -13, -6]),
    ("range-step", (3, 0, -1), [3, 2, 1]), ("sum", ([1, 2],), 3), ("sort", ([3, 1],), [1, 3]),
    ("index", (1, [5, 6]), 6), ("take", (1, [5, 6]), [5]), ("drop", (1, [5, 6]), [6]),
    ("list=", ([1, 2], [1, 2]), True), ("list=", ([1], [1, 2]), False),
    ("pair", ("x", 1), ("x", 1)),
])
def test_primitive_meaning(name: str, args: tuple[Any, ...], expected: Any) -> None:
    assert equal(impl(name)(*args), expected)


@pytest.mark.parametrize(("name", "args", "error"), [
    ("div", (1, 0), ZeroDivisionError), ("mod", (1, 0), ZeroDivisionError),
    ("/.", (1.0, 0.0), ZeroDivisionError), ("*", (MAX_INT, 2), ValueError),
    ("+", (MAX_INT, 1), ValueError), ("*.", (1e10, 1e10), ValueError),
    ("sqrt", (-1.0,), ValueError), ("round-to", (16, 1.0), ValueError),
    ("floor", (1e300,), ValueError), ("chr", (0xD800,), ValueError), ("chr", (-1,), ValueError),
    ("++", ("a" * MAX_STR, "b"), ValueError), ("replace", ("", "x", "abc"), ValueError),
    ("replace", ("a", "a" * 100, "a" * 200), ValueError), ("split", ("", "abc"), ValueError),
    ("occurrences", ("", "abc"), ValueError), ("join", ("x" * 9000, ["a", "b", "c"]), ValueError),
    ("read-int", ("1_000",), ValueError), ("read-int", ("12a",), ValueError),
    ("read-int", ("9" * 30,), ValueError), ("char-at", (-1, "abc"), IndexError),
    ("first-char", ("",), IndexError), ("head", ([],), IndexError), ("tail", ([],), IndexError),
    ("index", (-1, [1]), IndexError), ("take", (-1, [1]), ValueError),
    ("str-take", (-1, "a"), ValueError), ("maximum", ([],), ValueError),
    ("range", (0, MAX_COUNT + 1), ValueError), ("range-step", (0, 10, 0), ValueError),
    ("range-step", (0, 10**6, 1), ValueError), ("cons", (1, [0] * MAX_LIST), ValueError),
    ("append", ([0] * MAX_LIST, [1]), ValueError),
])
def test_failures_and_limits_raise(name: str, args: tuple[Any, ...], error: type) -> None:
    with pytest.raises(error):
        impl(name)(*args)


def test_programs_run_loops_and_the_lazy_if() -> None:
    # fold is a left fold: a loop over a collection
    assert run("(lam (fold (lam (lam (++ $1 $0))) '' (map (lam (show-int $0)) $0)))",
               [1, 2, 3]) == "123"
    # map over a range; printing one line per value
    assert run("(lam (lines (map (lam (show-int (* $0 $0))) (range 1 (+ $0 1)))))", 3) == \
        "1\n4\n9"
    assert run("(lam (iterate 3 (lam (* $0 2)) $0))", 5) == 40
    # only the branch taken runs: the other would divide by zero
    assert run("(lam (if (= $0 0) 0 (div 10 $0)))", 0) == 0
    assert run("(lam (pair (replace '\\s' '\\n' $0) (count (lam (not (space? $0))) (chars $0))))",
               "a bc") == ("a\nbc", 3)
    with pytest.raises(EvalFailure):
        run("(lam (iterate (+ 1000 1) (lam $0) $0))", 1)


def test_show_float_prints_as_psb1() -> None:
    assert [show_float(x) for x in (1.0, 1.5, 4 / 3, 2 / 3, -1e-12, 0.1 + 0.2, 100.0)] == [
        "1.0", "1.5", "1.3333333333", "0.6666666667", "0.0", "0.3", "100.0"]


# ------------------------------------------------------------------ literals
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_string_literals_round_trip_and_read_as_one_token(s: str) -> None:
    name = str_literal(s)
    assert literal_value(name) == (parse_type("str"), s)
    assert not any(c.isspace() or c in '()"' for c in name)
    assert DSL.parse(f"(++ {name} {name})") is not None
    p = literal(name)
    assert p is not None and p.impl() == s


@pytest.mark.parametrize("name", [
    "1.50", "01", "-0", "1e5", "nan", "inf", "[1, 2]", "#'ab'", "'\\x41'", "'\\q'", "'unclosed",
    "'\\ud800'", "'" + "a" * 1001 + "'", "9" * 41, str(2**62 + 1), "[" + ",".join("1" * 1001) + "]",
])
def test_non_canonical_or_oversized_literals_are_refused(name: str) -> None:
    assert literal_value(name) is None
    with pytest.raises(KeyError):
        DSL.primitive(name)


def test_literals_of_every_constant_type_typecheck_and_run() -> None:
    for t, v in (("int", -7), ("float", 2.5), ("str", "Check sum is "), ("char", " "),
                 ("list(int)", [1, 3, 3])):
        name = literal_name(parse_type(t), v)
        assert DSL.type_of(name) == parse_type(t)
        assert run(name) == v
    program = DSL.parse("(lam (++ 'Check\\ssum\\sis\\s' (char->str (chr (+ 32 (mod (sum (map "
                        "(lam (ord $0)) (chars $0))) 64))))))")
    check(program, DSL, parse_type("str -> str"))
    assert run_program(program, DSL, ("A",)) == "Check sum is !"


# ------------------------------------------------------------------ equality, keys, errors
values = st.recursive(
    st.integers(-10**6, 10**6) | st.floats(-1e6, 1e6) | st.booleans() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(values, values)
def test_keys_agree_with_equality_and_errors_are_zero_exactly_when_equal(a: Any, b: Any) -> None:
    assert equal(a, a) and case_error(a, a) == 0.0
    assert (value_key(a) == value_key(b)) == equal(a, b)
    e = case_error(a, b)
    assert e >= 0.0 and (e == 0.0) == equal(a, b)
    if type(a) is type(b) and not isinstance(a, list | tuple):
        assert case_error(b, a) == e


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-5, 5), max_size=6), st.lists(st.integers(-5, 5), max_size=6))
def test_list_errors_are_symmetric(a: list[int], b: list[int]) -> None:
    assert case_error(a, b) == case_error(b, a)


def test_floats_are_equal_to_five_places() -> None:
    assert equal(0.66667, 2 / 3) and equal(0.1 + 0.2, 0.3)
    assert not equal(0.6667, 2 / 3)
    assert not equal(1, 1.0) and not equal(True, 1)
    assert value_key(0.66667) == value_key(2 / 3)
    assert 0.0 < case_error(0.6667, 2 / 3) < 1e-3
    assert case_error(1e300, -1e300) == 1e6


def _naive(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="abc\n", max_size=30), st.text(alphabet="abcd", max_size=90))
def test_levenshtein_is_the_edit_distance(a: str, b: str) -> None:
    assert levenshtein(a, b) == levenshtein(b, a) == _naive(a, b) == string_error(a, b)


def test_string_errors_stay_fast_and_bounded_on_long_strings() -> None:
    a, b = "x" * 10_000, "y" * 10_000
    assert string_error(a, b) == 10_000.0
    assert string_error("pre" + a + "post", "pre" + a + "host") == 1.0


def test_failures_cost_more_than_any_error_of_the_right_type() -> None:
    for expected in (3, 1.5, "abc", [1, 2], ("a", 1), True):
        assert case_error(None, expected) == FAILURE_ERROR
        assert case_error(object(), expected) == FAILURE_ERROR
    assert case_error(1, 1.0) == FAILURE_ERROR
    assert case_error(["a"] * 5000, ["b"]) < FAILURE_ERROR
    assert case_error(("x", 1), ("x", 3)) == 2.0
    assert case_error("Check sum is !", "Check sum is ") == 1.0


def test_sampled_inputs_have_the_requested_types() -> None:
    rng = random.Random(0)
    request = parse_type("int -> float -> bool -> char -> str -> list(str) -> list(float) -> str")
    for ins in sample_inputs(request, rng, 50):
        i, f, b, c, s, ws, fs = ins
        assert type(i) is int and type(f) is float and math.isfinite(f) and type(b) is bool
        assert type(c) is str and len(c) == 1 and type(s) is str and len(s) <= 20
        assert all(type(w) is str for w in ws) and all(type(x) is float for x in fs)
    with pytest.raises(ValueError):
        sample_inputs(parse_type("widget -> int"), rng, 1)
