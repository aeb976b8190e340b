"""The digits domain: sklearn's 8x8 handwritten digits, for perception-plus-reasoning tasks.

Types: `image` (an 8x8 array of intensities in [0, 1]), `int`, `bool`, `list(...)`.
Primitives (symbolic meaning here; the differentiable meaning of the same names lives in
`hylo.neural.hybrid.SEMANTICS`): `map count sum maximum minimum sorted length + eq gt` and the
integer constants `0`..`9`. Neural modules (`nn:classify@v1`, `nn:new:classify`) are not in the
table: they come from the library or from search (see `hylo.neural.names`).

Tasks: the HOUDINI-style sequence in `hylo.domains.digits.tasks`. This package imports neither
torch nor hylo.neural: the learning side is `hylo.domains.digits.experiment`.
"""

from __future__ import annotations

from hylo.core.domain import Domain
from hylo.core.dsl import DSL, Primitive
from hylo.core.types import TCon, parse_type

IMAGE = TCon("image")
NAME = "digits"


def _sorted(xs: list[int]) -> bool:
    return all(a <= b for a, b in zip(xs, xs[1:], strict=False))


def primitive_table() -> list[Primitive]:
    rows = [
        ("map", "(a -> b) -> list(a) -> list(b)", lambda f, xs: [f(x) for x in xs]),
        ("count", "(a -> bool) -> list(a) -> int", lambda p, xs: sum(1 for x in xs if p(x))),
        ("sum", "list(int) -> int", lambda xs: sum(xs)),
        ("maximum", "list(int) -> int", lambda xs: max(xs, default=0)),
        ("minimum", "list(int) -> int", lambda xs: min(xs, default=0)),
        ("sorted", "list(int) -> bool", _sorted),
        ("length", "list(a) -> int", lambda xs: len(xs)),
        ("+", "int -> int -> int", lambda a, b: a + b),
        ("eq", "int -> int -> bool", lambda a, b: a == b),
        ("gt", "int -> int -> bool", lambda a, b: a > b),
    ]
    out = [Primitive(n, parse_type(t), f) for n, t, f in rows]
    out += [Primitive(str(k), parse_type("int"), (lambda k=k: k)) for k in range(10)]
    return out


def dsl() -> DSL:
    return DSL.from_table(primitive_table())


def load_domain() -> Domain:
    from hylo.domains.digits.tasks import load_suite

    return Domain(name=NAME, dsl=dsl(), suites={"houdini": load_suite})
