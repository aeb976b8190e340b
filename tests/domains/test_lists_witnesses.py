"""The list DSL's witness functions: the points they give are exactly what a lambda must meet,
and None means no lambda can make the output."""

from __future__ import annotations

import random

from hylo.domains.lists.primitives import LISTS_DSL
from hylo.domains.lists.witnesses import (
    WITNESSES,
    filter_witness,
    map_witness,
    mapi_witness,
    scanl1_witness,
)

_IMPL = {name: LISTS_DSL.primitives[name].impl for name in WITNESSES}
_UNARY = [lambda x: x + 1, lambda x: x * x, lambda x: -x, lambda x: x // 3, lambda x: 7]
_PRED = [lambda x: x > 0, lambda x: x % 2 == 0, lambda x: x == 3, lambda x: True]
_BINARY = [lambda a, b: a + b, max, min, lambda a, b: a * b - b, lambda a, b: b]


def _curry(f):  # the DSL's lambdas are curried
    return lambda a: lambda b: f(a, b)


def _lists(rng: random.Random, n: int = 200) -> list[list[int]]:
    return [[rng.randint(-5, 5) for _ in range(rng.randint(0, 7))] for _ in range(n)]


def test_points_are_met_by_the_lambda_that_made_the_output() -> None:
    rng = random.Random(0)
    for xs in _lists(rng):
        for f in _UNARY:
            out = _IMPL["map"](f, xs)
            assert all(f(*a) == y for a, y in map_witness(xs, out))
        for p in _PRED:
            out = _IMPL["filter"](p, xs)
            points = filter_witness(xs, out)
            assert points is not None and all(p(*a) == y for a, y in points)
        for g in _BINARY:
            out = _IMPL["scanl1"](_curry(g), xs)
            assert all(g(*a) == y for a, y in scanl1_witness(xs, out))
            out = _IMPL["mapi"](_curry(g), xs)
            assert all(g(*a) == y for a, y in mapi_witness(xs, out))


def test_meeting_the_points_rebuilds_the_output() -> None:
    """Any lambda that meets the points gives the output: here, a lookup table of them."""
    rng = random.Random(1)
    for xs in _lists(rng):
        out = [x * 2 for x in xs if x % 3]
        points = filter_witness(xs, _IMPL["filter"](lambda x: x % 3 != 0, xs))
        table = {a: y for a, y in points}
        assert _IMPL["filter"](lambda x, t=table: t[(x,)], xs) == [x for x in xs if x % 3]
        out = _IMPL["scanl1"](_curry(max), xs)
        table = {a: y for a, y in scanl1_witness(xs, out)}
        assert _IMPL["scanl1"](lambda a, t=table: lambda b: t[(a, b)], xs) == out


def test_impossible_outputs_have_no_witness() -> None:
    assert map_witness([1, 2], [3]) is None  # map keeps the length
    assert mapi_witness([1], [1, 2]) is None
    assert filter_witness([1, 2, 3], [3, 1]) is None  # filter keeps the order
    assert filter_witness([1, 2, 1], [1, 2]) is None  # equal elements go together
    assert filter_witness([1, 2], [5]) is None
    assert scanl1_witness([1, 2], [2, 3]) is None  # scanl1 starts with the first element
    assert scanl1_witness([1, 2], [1]) is None
    for w in WITNESSES.values():  # values of the wrong kind: no witness, no crash
        assert w(3, [1]) is None and w([1], "x") is None
    assert map_witness([], []) == [] and scanl1_witness([4], [4]) == []
