"""Witness functions of the list DSL's higher-order primitives (see `Domain.witnesses`).

Given the list a primitive such as `map f xs` is applied to and the output it must give, a
witness says what `f` must do: the points (its arguments, outermost first; the value its body
must take there), or None when no `f` can. Bottom-up search uses them to find a lambda for a
list it has already built (`hylo.search.bottom_up_deduce`); the program found is checked on
the task like any other, so a witness that is too permissive costs time, never a wrong result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hylo.core.values import canonical_key, strict_equal

Points = list[tuple[tuple[Any, ...], Any]]


def _lists(xs: Any, out: Any) -> bool:
    return type(xs) is list and type(out) is list


def map_witness(xs: Any, out: Any) -> Points | None:
    """`map f xs == out`: f(x_j) = out_j."""
    if not _lists(xs, out) or len(xs) != len(out):
        return None
    return [((x,), y) for x, y in zip(xs, out, strict=True)]


def mapi_witness(xs: Any, out: Any) -> Points | None:
    """`mapi f xs == out`: f(j, x_j) = out_j."""
    if not _lists(xs, out) or len(xs) != len(out):
        return None
    return [((j, x), y) for j, (x, y) in enumerate(zip(xs, out, strict=True))]


def filter_witness_by(equal: Callable[[Any, Any], bool],
                      key: Callable[[Any], Any]) -> Callable[[Any, Any], Points | None]:
    """The filter witness under a domain's equality and value key (the general domain's floats
    compare at a tolerance)."""

    def filter_witness(xs: Any, out: Any) -> Points | None:
        """`filter p xs == out`: p keeps exactly the values that occur in `out`, and keeping
        them rebuilds `out` (a predicate sees an element's value, so equal elements go
        together)."""
        if not _lists(xs, out):
            return None
        try:
            kept = {key(y) for y in out}
            keys = [key(x) for x in xs]
        except (TypeError, ValueError):
            return None
        if not equal([x for x, k in zip(xs, keys, strict=True) if k in kept], out):
            return None
        points: dict[Any, tuple[tuple[Any, ...], Any]] = {}
        for x, k in zip(xs, keys, strict=True):
            points.setdefault(k, ((x,), k in kept))
        return list(points.values())

    return filter_witness


filter_witness = filter_witness_by(strict_equal, canonical_key)


def scanl1_witness(xs: Any, out: Any) -> Points | None:
    """`scanl1 f xs == out`: out starts with xs's first element and f(out_{j-1}, x_j) = out_j."""
    if not _lists(xs, out) or len(xs) != len(out):
        return None
    if xs and not strict_equal(xs[0], out[0]):
        return None
    return [((out[j - 1], xs[j]), out[j]) for j in range(1, len(xs))]


WITNESSES = {
    "map": map_witness,
    "mapi": mapi_witness,
    "filter": filter_witness,
    "scanl1": scanl1_witness,
}
