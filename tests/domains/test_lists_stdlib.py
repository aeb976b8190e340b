"""The standard list and integer library: each new primitive's meaning and failures, and every
DeepCoder function and lambda (Balog et al. 2017) written as a hylo program that parses,
typechecks and runs to DeepCoder's meaning."""

from __future__ import annotations

from collections.abc import Callable
from itertools import accumulate
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hylo.core.evaluate import run_program
from hylo.core.infer import check
from hylo.core.interpret import run_reference
from hylo.core.limits import EvalFailure
from hylo.core.types import parse_type
from hylo.domains.lists.primitives import LISTS_DSL, MAX_LIST

P = {name: prim.impl for name, prim in LISTS_DSL.primitives.items()}
ints = st.integers(-10**6, 10**6)
int_lists = st.lists(st.integers(-50, 50), max_size=20)


def curry2(f: Callable[[Any, Any], Any]) -> Any:
    return lambda x: lambda y: f(x, y)


def run(text: str, *inputs: Any) -> Any:
    """Both evaluators, which must agree."""
    p = LISTS_DSL.parse(text)
    fast = run_program(p, LISTS_DSL, inputs)
    assert run_reference(p, LISTS_DSL, inputs) == fast
    return fast


# ------------------------------------------------------------------ integers
@given(ints, ints.filter(lambda b: b != 0))
def test_div_is_floored_like_haskell(a: int, b: int) -> None:
    q = P["div"](a, b)
    assert q * b + (a - q * b) == a
    r = a - q * b  # Haskell: the remainder of `div` has the sign of the divisor
    assert r == 0 or (r > 0) == (b > 0)
    assert abs(r) < abs(b)


def test_div_examples_and_division_by_zero_fails() -> None:
    assert (P["div"](7, 2), P["div"](-7, 2), P["div"](7, -2), P["div"](-7, -2)) == (3, -4, -4, 3)
    with pytest.raises(ZeroDivisionError):
        P["div"](1, 0)
    with pytest.raises(EvalFailure):
        run("(lam (div $0 0))", 5)


@given(ints, ints)
def test_negate_abs_min2_max2(a: int, b: int) -> None:
    assert P["negate"](a) == -a and P["abs"](a) == abs(a) >= 0
    assert P["min2"](a, b) == min(a, b) and P["max2"](a, b) == max(a, b)
    assert P["min2"](a, b) + P["max2"](a, b) == a + b


@given(ints)
def test_even_and_odd_partition_the_integers(n: int) -> None:
    assert P["even?"](n) is (n % 2 == 0)
    assert P["odd?"](n) is (not P["even?"](n))


def test_even_and_odd_of_negatives() -> None:
    assert [P["odd?"](n) for n in (-3, -2, -1, 0, 1)] == [True, False, True, False, True]


# ------------------------------------------------------------------ scans
@given(int_lists)
def test_scanl1_is_a_running_accumulation(xs: list[int]) -> None:
    assert P["scanl1"](curry2(lambda a, b: a + b), xs) == list(accumulate(xs))
    assert P["scanl1"](curry2(max), xs) == list(accumulate(xs, max))
    assert len(P["scanl1"](curry2(min), xs)) == len(xs)


@given(int_lists, st.integers(-5, 5))
def test_scanl_has_haskells_order_and_one_more_element(xs: list[int], z: int) -> None:
    out = P["scanl"](curry2(lambda acc, x: acc - x), z, xs)  # (b -> a -> b): accumulator first
    assert out == list(accumulate(xs, lambda acc, x: acc - x, initial=z))
    assert len(out) == len(xs) + 1 and out[0] == z


def test_scans_on_empty_lists_and_argument_order() -> None:
    assert P["scanl1"](curry2(lambda a, b: a + b), []) == []
    assert P["scanl"](curry2(lambda a, b: a + b), 7, []) == [7]
    # f's first argument is the accumulator: scanl1 (\acc x -> acc) keeps the head
    assert P["scanl1"](curry2(lambda acc, x: acc), [4, 1, 2]) == [4, 4, 4]
    assert run("(lam (scanl1 (lam (lam $1)) $0))", [4, 1, 2]) == [4, 4, 4]
    assert run("(lam (scanl (lam (lam (cons $0 $1))) empty $0))", [1, 2]) == [[], [1], [2, 1]]


def test_scans_do_not_mutate_and_are_bounded() -> None:
    xs = [3, 1, 2]
    P["scanl1"](curry2(lambda a, b: a + b), xs)
    P["scanl"](curry2(lambda a, b: a + b), 0, xs)
    assert xs == [3, 1, 2]
    with pytest.raises(ValueError):
        P["scanl"](curry2(lambda a, b: a), 0, [0] * MAX_LIST)


def test_a_failing_step_fails_the_scan() -> None:
    with pytest.raises(EvalFailure):
        run("(lam (scanl1 (lam (lam (div $1 $0))) $0))", [4, 0, 2])


# ------------------------------------------------------------------ DeepCoder is expressible
L = "list(int)"
#: DeepCoder's first-order functions: hylo program, type, DeepCoder's meaning.
DEEPCODER_FUNCTIONS: dict[str, tuple[str, str, Callable[..., Any]]] = {
    "HEAD": ("(lam (car $0))", f"{L} -> int", lambda xs: xs[0]),
    "LAST": ("(lam (last $0))", f"{L} -> int", lambda xs: xs[-1]),
    "TAKE": ("(lam (lam (take $1 $0)))", f"int -> {L} -> {L}", lambda n, xs: xs[:n]),
    "DROP": ("(lam (lam (drop $1 $0)))", f"int -> {L} -> {L}", lambda n, xs: xs[n:]),
    "ACCESS": ("(lam (lam (index $1 $0)))", f"int -> {L} -> int", lambda n, xs: xs[n]),
    "MINIMUM": ("(lam (min $0))", f"{L} -> int", min),
    "MAXIMUM": ("(lam (max $0))", f"{L} -> int", max),
    "REVERSE": ("(lam (reverse $0))", f"{L} -> {L}", lambda xs: xs[::-1]),
    "SORT": ("(lam (sort $0))", f"{L} -> {L}", sorted),
    "SUM": ("(lam (sum $0))", f"{L} -> int", sum),
    "MAP (*2)": ("(lam (map (lam (* $0 2)) $0))", f"{L} -> {L}", lambda xs: [2 * x for x in xs]),
    "FILTER (>0)": ("(lam (filter (lam (gt? $0 0)) $0))", f"{L} -> {L}",
                    lambda xs: [x for x in xs if x > 0]),
    "COUNT (%2==1)": ("(lam (count (lam (odd? $0)) $0))", f"{L} -> int",
                      lambda xs: sum(x % 2 == 1 for x in xs)),
    "ZIPWITH +": ("(lam (lam (zip-with (lam (lam (+ $1 $0))) $1 $0)))", f"{L} -> {L} -> {L}",
                  lambda xs, ys: [x + y for x, y in zip(xs, ys, strict=False)]),
    "SCANL1 MAX": ("(lam (scanl1 (lam (lam (max2 $1 $0))) $0))", f"{L} -> {L}",
                   lambda xs: list(accumulate(xs, max))),
}

#: DeepCoder's lambdas as hylo functions, with DeepCoder's meaning (`/` is floored division).
DEEPCODER_UNARY: dict[str, tuple[str, str, Callable[[int], Any]]] = {
    "(+1)": ("(lam (+ $0 1))", "int -> int", lambda x: x + 1),
    "(-1)": ("(lam (- $0 1))", "int -> int", lambda x: x - 1),
    "(*2)": ("(lam (* $0 2))", "int -> int", lambda x: x * 2),
    "(/2)": ("(lam (div $0 2))", "int -> int", lambda x: x // 2),
    "(*(-1))": ("(lam (negate $0))", "int -> int", lambda x: -x),
    "(**2)": ("(lam (* $0 $0))", "int -> int", lambda x: x * x),
    "(*3)": ("(lam (* $0 3))", "int -> int", lambda x: x * 3),
    "(/3)": ("(lam (div $0 3))", "int -> int", lambda x: x // 3),
    "(*4)": ("(lam (* $0 4))", "int -> int", lambda x: x * 4),
    "(/4)": ("(lam (div $0 4))", "int -> int", lambda x: x // 4),
    "(>0)": ("(lam (gt? $0 0))", "int -> bool", lambda x: x > 0),
    "(<0)": ("(lam (gt? 0 $0))", "int -> bool", lambda x: x < 0),
    "(%2==0)": ("(lam (even? $0))", "int -> bool", lambda x: x % 2 == 0),
    "(%2==1)": ("(lam (odd? $0))", "int -> bool", lambda x: x % 2 == 1),
}

DEEPCODER_BINARY: dict[str, tuple[str, Callable[[int, int], int]]] = {
    "+": ("(lam (lam (+ $1 $0)))", lambda a, b: a + b),
    "-": ("(lam (lam (- $1 $0)))", lambda a, b: a - b),
    "*": ("(lam (lam (* $1 $0)))", lambda a, b: a * b),
    "MIN": ("(lam (lam (min2 $1 $0)))", min),
    "MAX": ("(lam (lam (max2 $1 $0)))", max),
}

SAMPLE_LISTS = [[3, -1, 4, 1, -5, 9, 2, 6], [7], [-2, -8, 0], [10, 20, 30, 41, -3]]


@pytest.mark.parametrize("name", sorted(DEEPCODER_FUNCTIONS))
def test_each_deepcoder_function_is_a_hylo_program(name: str) -> None:
    text, type_text, meaning = DEEPCODER_FUNCTIONS[name]
    request = parse_type(type_text)
    check(LISTS_DSL.parse(text), LISTS_DSL, request)  # raises if ill-typed at DeepCoder's type
    for xs in SAMPLE_LISTS:
        if type_text.startswith("int"):
            for n in (0, len(xs) // 2, len(xs) - 1):
                assert run(text, n, xs) == meaning(n, xs)
        elif type_text.count(L) == 3:
            assert run(text, xs, xs[::-1]) == meaning(xs, xs[::-1])
        else:
            assert run(text, xs) == meaning(xs)


@pytest.mark.parametrize("name", sorted(DEEPCODER_UNARY))
def test_each_deepcoder_lambda_is_a_short_hylo_function(name: str) -> None:
    text, type_text, meaning = DEEPCODER_UNARY[name]
    check(LISTS_DSL.parse(text), LISTS_DSL, parse_type(type_text))
    for x in (-7, -4, -1, 0, 1, 2, 5, 9, 100):
        assert run(text, x) == meaning(x)
    mapped = f"(lam ({'map' if type_text.endswith('int') else 'filter'} {text} $0))"
    xs = [-7, -1, 0, 3, 8]
    want = [meaning(x) for x in xs] if type_text.endswith("int") else [x for x in xs if meaning(x)]
    assert run(mapped, xs) == want


@pytest.mark.parametrize("name", sorted(DEEPCODER_BINARY))
def test_each_deepcoder_binary_lambda_zips_two_lists(name: str) -> None:
    text, meaning = DEEPCODER_BINARY[name]
    check(LISTS_DSL.parse(text), LISTS_DSL, parse_type("int -> int -> int"))
    zipped = f"(lam (lam (zip-with {text} $1 $0)))"
    xs, ys = [3, -1, 4, 1], [2, 7, -4, 1, 99]
    assert run(zipped, xs, ys) == [meaning(a, b) for a, b in zip(xs, ys, strict=False)]
    assert run(f"(lam (scanl1 {text} $0))", xs) == list(accumulate(xs, meaning))
