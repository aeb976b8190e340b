"""The list DSL: its table is well formed and each primitive means what its doc says."""

from __future__ import annotations

import inspect
from functools import reduce
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hylo.core.dsl import Primitive
from hylo.core.types import arguments, parse_type, show_type
from hylo.domains.lists.primitives import LISTS_DSL, MAX_COUNT, MAX_INT, MAX_LIST, PRIMITIVES

P = {name: prim.impl for name, prim in LISTS_DSL.primitives.items()}


def curry2(f: Any) -> Any:
    return lambda x: lambda y: f(x, y)


ints = st.lists(st.integers(-50, 50), max_size=20)


# ------------------------------------------------------------------ the table
def test_the_table_names_each_primitive_once_with_a_doc() -> None:
    assert len(PRIMITIVES) == len(LISTS_DSL.primitives)
    for prim in PRIMITIVES:
        assert isinstance(prim, Primitive)
        assert prim.doc and "\n" not in prim.doc, prim.name


EXPECTED_TYPES = {
    **{str(k): "int" for k in range(6)},
    "+": "int -> int -> int",
    "-": "int -> int -> int",
    "*": "int -> int -> int",
    "mod": "int -> int -> int",
    "gt?": "int -> int -> bool",
    "eq?": "int -> int -> bool",
    "is-prime": "int -> bool",
    "is-square": "int -> bool",
    "and": "bool -> bool -> bool",
    "or": "bool -> bool -> bool",
    "not": "bool -> bool",
    "if": "bool -> a -> a -> a",
    "empty": "list(a)",
    "empty?": "list(a) -> bool",
    "cons": "a -> list(a) -> list(a)",
    "car": "list(a) -> a",
    "cdr": "list(a) -> list(a)",
    "length": "list(a) -> int",
    "index": "int -> list(a) -> a",
    "range": "int -> list(int)",
    "map": "(a -> b) -> list(a) -> list(b)",
    "mapi": "(int -> a -> b) -> list(a) -> list(b)",
    "filter": "(a -> bool) -> list(a) -> list(a)",
    "fold": "list(a) -> b -> (a -> b -> b) -> b",
    "append": "list(a) -> list(a) -> list(a)",
    "singleton": "a -> list(a)",
    "reverse": "list(a) -> list(a)",
    "sort": "list(int) -> list(int)",
    "sum": "list(int) -> int",
    "product": "list(int) -> int",
    "max": "list(int) -> int",
    "min": "list(int) -> int",
    "take": "int -> list(a) -> list(a)",
    "drop": "int -> list(a) -> list(a)",
    "last": "list(a) -> a",
    "count": "(a -> bool) -> list(a) -> int",
    "unique": "list(int) -> list(int)",
    "zip-with": "(a -> b -> c) -> list(a) -> list(b) -> list(c)",
    "repeat": "int -> a -> list(a)",
    "concat": "list(list(a)) -> list(a)",
    # the standard integer library and scans (tests/domains/test_lists_stdlib.py)
    "div": "int -> int -> int",
    "negate": "int -> int",
    "abs": "int -> int",
    "min2": "int -> int -> int",
    "max2": "int -> int -> int",
    "even?": "int -> bool",
    "odd?": "int -> bool",
    "scanl1": "(a -> a -> a) -> list(a) -> list(a)",
    "scanl": "(b -> a -> b) -> b -> list(a) -> list(b)",
}


def test_types_are_the_documented_ones() -> None:
    assert {n: show_type(LISTS_DSL.type_of(n)) for n in LISTS_DSL.primitives} == EXPECTED_TYPES
    for text in EXPECTED_TYPES.values():
        assert show_type(parse_type(text)) == text


@pytest.mark.parametrize("name", sorted(EXPECTED_TYPES))
def test_impl_takes_one_positional_argument_per_arrow(name: str) -> None:
    prim = LISTS_DSL.primitives[name]
    params = inspect.signature(prim.impl).parameters.values()
    positional = [
        p
        for p in params
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    required = [p for p in positional if p.default is inspect.Parameter.empty]
    assert not any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
    assert len(required) == len(arguments(prim.type)) == prim.arity


def test_only_if_is_lazy() -> None:
    assert [n for n, p in LISTS_DSL.primitives.items() if p.lazy] == ["if"]


# ------------------------------------------------------------------ integers and booleans
def test_constants() -> None:
    assert [P[str(k)]() for k in range(6)] == [0, 1, 2, 3, 4, 5]
    assert P["empty"]() == []
    assert P["empty"]() is not P["empty"](), "each call builds a fresh list"


def test_arithmetic() -> None:
    assert P["+"](2, 3) == 5
    assert P["-"](2, 3) == -1
    assert P["*"](-4, 3) == -12
    assert P["mod"](7, 3) == 1
    assert P["mod"](-7, 3) == 2, "floored, like Python"
    assert P["mod"](7, -3) == -2
    with pytest.raises(ZeroDivisionError):
        P["mod"](7, 0)


def test_multiplication_limit() -> None:
    assert P["*"](MAX_INT, 1) == MAX_INT
    assert P["*"](-MAX_INT, 1) == -MAX_INT
    with pytest.raises(ValueError):
        P["*"](MAX_INT, 2)
    with pytest.raises(ValueError):
        P["*"](-(10**5), 10**5 + 1)


def test_comparisons_return_bools() -> None:
    assert P["gt?"](3, 2) is True and P["gt?"](2, 2) is False
    assert P["eq?"](2, 2) is True and P["eq?"](2, 3) is False


def test_is_prime_against_trial_division() -> None:
    def slow(n: int) -> bool:
        return n >= 2 and all(n % d for d in range(2, int(n**0.5) + 1))

    for n in [*range(-5, 3000), 7919 * 7919, 2**31 - 1, 1_000_000_007, 999_999_937 * 3]:
        assert P["is-prime"](n) is slow(n), n
    assert P["is-prime"](2**61 - 1) is True  # a Mersenne prime
    assert P["is-prime"](3_215_031_751) is False  # strong pseudoprime to bases 2, 3, 5, 7
    with pytest.raises(ValueError):
        P["is-prime"](2**64 + 1)


def test_is_square() -> None:
    assert [n for n in range(-10, 50) if P["is-square"](n)] == [0, 1, 4, 9, 16, 25, 36, 49]
    assert P["is-square"](10**18) is True and P["is-square"](10**18 + 1) is False


def test_boolean_operators() -> None:
    for a in (False, True):
        assert P["not"](a) is (not a)
        for b in (False, True):
            assert P["and"](a, b) is (a and b)
            assert P["or"](a, b) is (a or b)


def test_if_forces_only_the_branch_taken() -> None:
    def boom() -> int:
        raise AssertionError("the other branch ran")

    assert P["if"](lambda: True, lambda: 1, boom) == 1
    assert P["if"](lambda: False, boom, lambda: 2) == 2


# ------------------------------------------------------------------ lists
def test_list_basics() -> None:
    assert P["empty?"]([]) is True and P["empty?"]([0]) is False
    assert P["cons"](1, [2, 3]) == [1, 2, 3]
    assert P["car"]([4, 5]) == 4
    assert P["cdr"]([4, 5]) == [5]
    assert P["length"]([4, 5, 6]) == 3
    assert P["singleton"]([1]) == [[1]]
    assert P["last"]([1, 2, 3]) == 3
    assert P["reverse"]([1, 2, 3]) == [3, 2, 1]
    assert P["sort"]([3, -1, 2, -1]) == [-1, -1, 2, 3]
    assert P["append"]([1], [2, 3]) == [1, 2, 3]
    assert P["concat"]([[1], [], [2, 3]]) == [1, 2, 3]
    assert P["unique"]([3, 1, 3, 2, 1]) == [3, 1, 2]
    assert P["sum"]([]) == 0 and P["sum"]([1, 2, 3]) == 6
    assert P["product"]([]) == 1 and P["product"]([2, -3, 4]) == -24
    assert P["max"]([1, 5, 2]) == 5 and P["min"]([1, 5, -2]) == -2


@pytest.mark.parametrize("name", ["car", "cdr", "last"])
def test_head_and_tail_of_empty_raise(name: str) -> None:
    with pytest.raises(IndexError):
        P[name]([])


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_of_empty_raise(name: str) -> None:
    with pytest.raises(ValueError):
        P[name]([])


def test_index() -> None:
    assert P["index"](0, [7, 8, 9]) == 7
    assert P["index"](2, [7, 8, 9]) == 9
    for bad in (3, -1, 100):
        with pytest.raises(IndexError):
            P["index"](bad, [7, 8, 9])
    with pytest.raises(IndexError):
        P["index"](0, [])


def test_range() -> None:
    assert P["range"](4) == [0, 1, 2, 3]
    assert P["range"](0) == [] and P["range"](-3) == []
    assert len(P["range"](MAX_COUNT)) == MAX_COUNT
    with pytest.raises(ValueError):
        P["range"](MAX_COUNT + 1)


def test_repeat() -> None:
    assert P["repeat"](3, 7) == [7, 7, 7]
    assert P["repeat"](0, 7) == [] and P["repeat"](-2, 7) == []
    with pytest.raises(ValueError):
        P["repeat"](MAX_COUNT + 1, 0)


def test_take_and_drop() -> None:
    assert P["take"](2, [1, 2, 3]) == [1, 2]
    assert P["take"](5, [1, 2, 3]) == [1, 2, 3]
    assert P["drop"](2, [1, 2, 3]) == [3]
    assert P["drop"](5, [1, 2, 3]) == []
    for name in ("take", "drop"):
        with pytest.raises(ValueError):
            P[name](-1, [1, 2, 3])


def test_higher_order() -> None:
    assert P["map"](lambda x: x * 2, [1, 2, 3]) == [2, 4, 6]
    assert P["mapi"](curry2(lambda i, x: i * 10 + x), [5, 5, 5]) == [5, 15, 25]
    assert P["filter"](lambda x: x > 1, [3, 1, 2]) == [3, 2]
    assert P["count"](lambda x: x > 1, [3, 1, 2]) == 2
    assert P["zip-with"](curry2(lambda x, y: x - y), [5, 6, 7], [1, 1]) == [4, 5]
    assert P["zip-with"](curry2(lambda x, y: x - y), [], [1, 1]) == []


def test_fold_is_a_right_fold_in_dreamcoders_argument_order() -> None:
    # fold xs z f = f x1 (f x2 (... (f xn z)))
    assert P["fold"]([1, 2, 3], [], curry2(lambda x, acc: [x, *acc])) == [1, 2, 3]
    assert P["fold"]([1, 2, 3], 0, curry2(lambda x, acc: x - acc)) == 1 - (2 - (3 - 0))
    assert P["fold"]([], 42, curry2(lambda x, acc: x + acc)) == 42


# ------------------------------------------------------------------ list length limit
def test_no_primitive_builds_a_list_longer_than_the_limit() -> None:
    half = list(range(MAX_LIST // 2))
    assert len(P["append"](half, half)) == MAX_LIST
    with pytest.raises(ValueError):
        P["append"](half, [*half, 0])
    with pytest.raises(ValueError):
        P["concat"]([half, half, [0]])
    with pytest.raises(ValueError):
        P["cons"](0, half + half)
    assert len(P["cons"](0, half[1:] + half)) == MAX_LIST


def test_product_limit() -> None:
    assert P["product"]([10**4, 10**5]) == MAX_INT
    assert P["product"]([10**6, 10**6, 0]) == 0, "the value, not an intermediate, is bounded"
    with pytest.raises(ValueError):
        P["product"]([10**5, -(10**5)])
    with pytest.raises(ValueError):
        P["product"]([10**6] * 100)


# ------------------------------------------------------------------ invariants
@given(ints)
def test_no_primitive_mutates_its_input(xs: list[int]) -> None:
    before = list(xs)
    unary = ["cdr", "reverse", "sort", "unique", "sum", "product", "length", "empty?"]
    for name in unary:
        try:
            out = P[name](xs)
        except (IndexError, ValueError):
            continue
        assert xs == before, name
        assert out is not xs, name
    for name, out in [
        ("cons", P["cons"](0, xs)),
        ("take", P["take"](3, xs)),
        ("drop", P["drop"](0, xs)),
        ("append", P["append"](xs, [])),
        ("map", P["map"](lambda x: x, xs)),
        ("filter", P["filter"](lambda x: True, xs)),
    ]:
        assert xs == before, name
        assert out is not xs, name


@given(ints, st.integers(0, 25))
def test_take_then_drop_rebuilds_the_list(xs: list[int], n: int) -> None:
    assert P["append"](P["take"](n, xs), P["drop"](n, xs)) == xs


@given(ints)
def test_fold_agrees_with_reduce_over_the_reversed_list(xs: list[int]) -> None:
    f = lambda x, acc: 2 * acc - x  # not associative, not commutative
    expected = reduce(lambda acc, x: f(x, acc), reversed(xs), 7)
    assert P["fold"](xs, 7, curry2(f)) == expected


@given(ints)
def test_sort_and_unique(xs: list[int]) -> None:
    s = P["sort"](xs)
    assert all(a <= b for a, b in zip(s, s[1:], strict=False))
    assert sorted(s) == sorted(xs)
    u = P["unique"](xs)
    assert len(u) == len(set(u)) and set(u) == set(xs)
    assert u == [x for i, x in enumerate(xs) if x not in xs[:i]]
