"""The digits domain: sklearn's 8x8 handwritten digits, for perception-plus-reasoning tasks.

Types: `image` (an 8x8 array of intensities in [0, 1]), `int`, `bool`, `list(...)`.
Primitives (symbolic meaning here; the differentiable meaning of the same names, the domain's
`soft_semantics`, in `hylo.domains.digits.soft`): `map count sum maximum minimum sorted length
+ eq gt` and the integer constants `0`..`9`. Their algebraic facts (commutative, irreflexive,
...) are data for the hybrid search's pruning (`search_defaults["hybrid"]["prune"]`).
Neural modules (`nn:classify@v1`, `nn:new:classify`) are not in the
table: they come from the library or from search (see `hylo.neural.names`).

Tasks: the HOUDINI-style sequence in `hylo.domains.digits.tasks`. This package imports neither
torch nor hylo.neural: the learning side is `hylo.domains.digits.experiment`, reached through
the lazy `soft_semantics` table and the `learner` (the wake phase of `hylo learn --domain
digits`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

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


#: What the hybrid search may skip (see `hylo.neural.candidates.Prune`): `(+ a b)` = `(+ b a)`,
#: `(eq x x)` and `(gt x x)` are constants, `(length (map f xs))` is `(length xs)`, `(+ x 0)`
#: is `x`, `(+ (+ x 1) 2)` needs one constant.
PRUNE: dict[str, Any] = {
    "commutative": ["+", "eq"],
    "irreflexive": ["eq", "gt"],
    "redundant": [["length", "map"]],
    "identity": {"+": "0"},
    "associative": ["+"],
}


class _LazyTable(Mapping[str, tuple[int, Callable[..., Any]]]):
    """The soft semantics table, built (importing torch) on first use."""

    def __init__(self) -> None:
        self._table: dict[str, tuple[int, Callable[..., Any]]] | None = None

    def _get(self) -> dict[str, tuple[int, Callable[..., Any]]]:
        if self._table is None:
            from hylo.domains.digits.soft import table

            self._table = table()
        return self._table

    def __getitem__(self, key: str) -> tuple[int, Callable[..., Any]]:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def _learner() -> Any:
    from hylo.learn.hooks import WakeHooks

    class DigitsLearner(WakeHooks):
        """The curriculum: the sequence solved in order, modules consolidated after each."""

        defaults = {"budget": 100, "classify_budget": None, "seed": 0, "quick": False}

        def units(self, params: dict[str, Any]) -> int:
            from hylo.domains.digits.tasks import SEQUENCE

            return len(SEQUENCE)

        def wake(self, store: Any, run_id: int, iteration: int, params: dict[str, Any],
                 progress: Any = None) -> dict[str, Any]:
            from hylo.domains.digits.experiment import wake

            return wake(store, run_id, iteration, {**self.defaults, **params}, progress)

    return DigitsLearner()


def load_domain() -> Domain:
    from hylo.cli_digits import bench_digits, learn_digits  # typer, rich; torch when run
    from hylo.cli_tune import bench_tune  # optuna too, when run
    from hylo.domains.digits.tasks import load_suite

    return Domain(name=NAME, dsl=dsl(), suites={"houdini": load_suite},
                  soft_semantics=_LazyTable(), search_defaults={"hybrid": {"prune": PRUNE}},
                  commands={"bench digits": bench_digits, "learn digits": learn_digits,
                            "bench tune": bench_tune},
                  learner=_learner())
