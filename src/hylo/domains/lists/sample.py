"""Input sampler of the lists domain: random ints, bools and lists of them, by type.

`sample_inputs(request, rng, n)` gives `n` argument tuples for a program of type `request`
(dreams, evolution). Values follow the shapes of DreamCoder's list tasks: small integers
(0..9, occasionally negative), lists of 0..7 elements. Type variables stand for `int`, so a
polymorphic request (`list(t0) -> list(t0)`) still gets concrete inputs.
"""

from __future__ import annotations

import random
from typing import Any

from hylo.core.types import BOOL, INT, TCon, TVar, Type, arguments

MAX_LENGTH = 7
MAX_DEPTH = 4  # nested list types deeper than this are refused (values grow as 7**depth)

#: Request types of synthetic tasks (`hylo.search.synthetic`, `hylo bench synth`): one to three
#: inputs, of the shapes DeepCoder-style suites have.
SYNTHETIC_REQUESTS = (
    "list(int) -> list(int)",
    "list(int) -> int",
    "int -> list(int) -> list(int)",
    "list(int) -> list(int) -> list(int)",
    "int -> list(int) -> int",
    "list(int) -> list(int) -> int",
    "int -> int -> list(int) -> list(int)",
)


def sample_value(t: Type, rng: random.Random, depth: int = 0) -> Any:
    """One random value of type `t`. Raises ValueError for types the domain has no values of."""
    if isinstance(t, TVar) or t == INT:
        return rng.randint(0, 9) if rng.random() < 0.9 else rng.randint(-5, -1)
    if t == BOOL:
        return rng.random() < 0.5
    if isinstance(t, TCon) and t.name == "list" and len(t.args) == 1:
        if depth >= MAX_DEPTH:
            raise ValueError(f"list types nested deeper than {MAX_DEPTH} are not sampled")
        return [sample_value(t.args[0], rng, depth + 1) for _ in range(rng.randint(0, MAX_LENGTH))]
    raise ValueError(f"the lists domain has no values of type {t}")


def sample_inputs(request: Type, rng: random.Random, n: int) -> list[tuple[Any, ...]]:
    """`n` input tuples, one value per argument of `request`."""
    args = arguments(request)
    return [tuple(sample_value(a, rng) for a in args) for _ in range(n)]
