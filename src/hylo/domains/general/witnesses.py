"""Witness functions of the general DSL's higher-order list primitives (`Domain.witnesses`).

Given the list `map f xs` (or `mapi`, `filter`) is applied to and the output it must give, a
witness says what `f` must do there: the points (its arguments, outermost first; the value its
body must take), or None when no `f` can. Bottom-up search deduces lambdas from them
(`hylo.search.bottom_up_deduce`); what it finds is checked like any other program, so a witness
can cost time, never a wrong result. Equality is the domain's (`values.equal`, `value_key`).
"""

from __future__ import annotations

from typing import Any

from hylo.domains.general.values import equal, value_key

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


def filter_witness(xs: Any, out: Any) -> Points | None:
    """`filter p xs == out`: p keeps exactly the values that occur in `out`, and keeping them
    rebuilds `out` (a predicate sees an element's value, so equal elements go together)."""
    if not _lists(xs, out):
        return None
    kept = {value_key(y) for y in out}
    keys = [value_key(x) for x in xs]
    if not equal([x for x, k in zip(xs, keys, strict=True) if k in kept], out):
        return None
    points: dict[Any, tuple[tuple[Any, ...], Any]] = {}
    for x, k in zip(xs, keys, strict=True):
        points.setdefault(k, ((x,), k in kept))
    return list(points.values())


WITNESSES = {"map": map_witness, "mapi": mapi_witness, "filter": filter_witness}
