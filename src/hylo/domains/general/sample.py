"""Input sampler of the general domain: random values of its types, for dreams and evolution.

`sample_inputs(request, rng, n)` gives `n` argument tuples for a program of type `request`.
Values follow the shapes of PSB1's inputs: integers mostly in [-100, 100], floats in
[-100, 100) with all their digits, characters printable ASCII (now and then a space, newline or
tab), strings of 0..20 such characters, half the time made of words, lists of 0..7 elements.
Type variables stand for `int`. Pairs are tuples.
"""

from __future__ import annotations

import random
import string
from typing import Any

from hylo.core.types import TCon, TVar, Type, arguments

MAX_LENGTH = 7
MAX_STRING = 20
MAX_DEPTH = 4  # nested list types deeper than this are refused (values grow as 7**depth)

_PRINTABLE = [chr(c) for c in range(32, 127)]
_WHITESPACE = [" ", " ", " ", "\n", "\t"]
_LETTERS = string.ascii_lowercase


def _char(rng: random.Random) -> str:
    return rng.choice(_WHITESPACE) if rng.random() < 0.1 else rng.choice(_PRINTABLE)


def _string(rng: random.Random) -> str:
    n = rng.randint(0, MAX_STRING)
    if rng.random() < 0.5:
        return "".join(_char(rng) for _ in range(n))
    words: list[str] = []
    while sum(map(len, words)) + len(words) < n:
        w = "".join(rng.choice(_LETTERS) for _ in range(rng.randint(1, 7)))
        words.append(w.capitalize() if rng.random() < 0.2 else w)
    return " ".join(words)[:n]


def sample_value(t: Type, rng: random.Random, depth: int = 0) -> Any:
    """One random value of type `t`. Raises ValueError for types the domain has no values of."""
    if isinstance(t, TVar):
        t = TCon("int")
    name = t.name
    if name == "int" and not t.args:
        return rng.randint(-100, 100) if rng.random() < 0.9 else rng.randint(-10_000, 10_000)
    if name == "float" and not t.args:
        return rng.uniform(-100.0, 100.0)
    if name == "bool" and not t.args:
        return rng.random() < 0.5
    if name == "char" and not t.args:
        return _char(rng)
    if name == "str" and not t.args:
        return _string(rng)
    if depth >= MAX_DEPTH:
        raise ValueError(f"types nested deeper than {MAX_DEPTH} are not sampled")
    if name == "list" and len(t.args) == 1:
        return [sample_value(t.args[0], rng, depth + 1) for _ in range(rng.randint(0, MAX_LENGTH))]
    if name == "pair" and len(t.args) == 2:
        return tuple(sample_value(a, rng, depth + 1) for a in t.args)
    raise ValueError(f"the general domain has no values of type {t}")


def sample_inputs(request: Type, rng: random.Random, n: int) -> list[tuple[Any, ...]]:
    """`n` input tuples, one value per argument of `request`."""
    args = arguments(request)
    return [tuple(sample_value(a, rng) for a in args) for _ in range(n)]
