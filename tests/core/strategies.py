"""Hypothesis strategies for the core: types, programs (any shape), well-typed programs, values.

Well-typed programs are drawn by sampling the grammar top-down (`Grammar.productions`, the same
model the enumerator walks), with a bound on derivation height: below the bound a hole may only
choose productions that can still be closed in the height left, so every draw terminates.
Shrinking moves each choice towards the first production of its hole (variables come first).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from hylo.core.grammar import Grammar
from hylo.core.program import App, Hole, Invented, Lam, Prim, Program, Var, free_indices, shift
from hylo.core.types import BOOL, INT, TCon, TVar, Type, arrow, is_arrow, tlist

# Modest budgets: the suite must stay fast on a shared two-core machine.
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------ types
# Constructor names that the type parser reads back as constructors: never a..h or tN.
_BASE = [INT, BOOL, TCon("char"), TCon("unit")]
type_vars = st.integers(0, 14).map(TVar)


def types(max_leaves: int = 12, with_vars: bool = True) -> st.SearchStrategy[Type]:
    leaves = st.sampled_from(_BASE)
    if with_vars:
        leaves = st.one_of(leaves, type_vars)

    def extend(inner: st.SearchStrategy[Type]) -> st.SearchStrategy[Type]:
        return st.one_of(
            inner.map(tlist),
            st.tuples(inner, inner).map(lambda ab: TCon("pair", ab)),
            st.tuples(inner, inner).map(lambda ab: arrow(*ab)),
            st.tuples(inner, inner, inner).map(lambda abc: TCon("triple-of", abc)),
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves)


ground_types = types(with_vars=False)


@st.composite
def substitutions(draw: Any, max_vars: int = 15) -> dict[int, Type]:
    """An idempotent substitution: no variable of its range is in its domain."""
    domain = draw(st.sets(st.integers(0, max_vars - 1), max_size=5))
    rng = types(max_leaves=6).filter(lambda t: not (_vars(t) & domain))
    return {v: draw(rng) for v in sorted(domain)}


def _vars(t: Type) -> set[int]:
    if isinstance(t, TVar):
        return {t.index}
    out: set[int] = set()
    for a in t.args:
        out |= _vars(a)
    return out


# ------------------------------------------------------------------ programs of any shape
PRIM_NAMES = ["map", "fold", "+", "gt?", "is-prime", "zip-with", "0", "1", "empty", "car", "if"]
INVENTIONS: dict[str, Program] = {
    "inc": Lam(App(App(Prim("+"), Var(0)), Prim("1"))),
    "twice": Lam(Lam(App(Var(1), App(Var(1), Var(0))))),
}


def programs(
    max_leaves: int = 30, inventions: dict[str, Program] | None = None
) -> st.SearchStrategy[Program]:
    """Structurally arbitrary programs (not necessarily well-typed or closed), holes included."""
    inv = INVENTIONS if inventions is None else inventions
    leaves = [
        st.sampled_from(PRIM_NAMES).map(Prim),
        st.integers(0, 12).map(Var),
        st.just(Hole()),
        types(max_leaves=5).map(Hole),
    ]
    if inv:
        leaves.append(st.sampled_from(sorted(inv)).map(lambda n: Invented(n, inv[n])))

    def extend(inner: st.SearchStrategy[Program]) -> st.SearchStrategy[Program]:
        return st.one_of(inner.map(Lam), st.tuples(inner, inner).map(lambda fx: App(*fx)))

    return st.recursive(st.one_of(leaves), extend, max_leaves=max_leaves)


# ------------------------------------------------------------------ well-typed programs
@cache
def _height(grammar: Grammar, tau: Type, env: tuple[Type, ...], limit: int) -> int | None:
    """Least derivation height of the hole `(tau, env)` if at most `limit`, else None."""
    if limit <= 0:
        return None
    if is_arrow(tau):
        return _height(grammar, tau.args[1], (tau.args[0], *env), limit)  # type: ignore[union-attr]
    best: int | None = None
    for prod in grammar.productions(tau, env):
        h = _production_height(grammar, prod.arg_types, env, limit)
        if h is not None and (best is None or h < best):
            best = h
    return best


def _production_height(
    grammar: Grammar, arg_types: tuple[Type, ...], env: tuple[Type, ...], limit: int
) -> int | None:
    worst = 0
    for a in arg_types:
        h = _height(grammar, a, env, limit - 1)
        if h is None:
            return None
        worst = max(worst, h)
    return 1 + worst


@st.composite
def well_typed(
    draw: Any, grammar: Grammar, request: Type, max_height: int = 4, eta: bool = False
) -> Program:
    """A program of type `request` derivable from `grammar` (eta-long, as the grammar makes them).

    With `eta=True`, some `(lam (f ... $0))` are eta-reduced to `(f ...)` on the way: still
    well-typed, no longer eta-long, and they exercise partial application in the evaluators.
    """

    def hole(tau: Type, env: tuple[Type, ...], left: int) -> Program:
        if is_arrow(tau):
            body = hole(tau.args[1], (tau.args[0], *env), left)  # type: ignore[union-attr]
            if (
                eta
                and isinstance(body, App)
                and body.x == Var(0)
                and 0 not in free_indices(body.f)
                and draw(st.booleans())
            ):
                return shift(body.f, -1)
            return Lam(body)
        choices = [
            p
            for p in grammar.productions(tau, env)
            if _production_height(grammar, p.arg_types, env, left) is not None
        ]
        if not choices:
            raise AssertionError(f"no production closes {tau} within height {left}")
        prod = choices[draw(st.integers(0, len(choices) - 1))]
        if prod.var_index >= 0:
            return Var(prod.var_index)
        head: Program = (
            Prim(prod.name)
            if prod.name in grammar.dsl.primitives
            else grammar.dsl.invented(prod.name)
        )
        for a in prod.arg_types:
            head = App(head, hole(a, env, left - 1))
        return head

    return hole(request, (), max_height)


# ------------------------------------------------------------------ values
def values(t: Type, max_list: int = 8) -> st.SearchStrategy[Any]:
    """Values of a ground type of the lists domain (int, bool, list(...))."""
    if t == INT:
        return st.one_of(st.integers(-10, 30), st.integers(-1000, 1000))
    if t == BOOL:
        return st.booleans()
    if isinstance(t, TCon) and t.name == "list":
        return st.lists(values(t.args[0], max_list=3), max_size=max_list)
    raise ValueError(f"no values for type {t}")


def has_type(v: Any, t: Type) -> bool:
    """`v` is a value of ground type `t` (a bool is not an int here)."""
    if t == INT:
        return type(v) is int
    if t == BOOL:
        return type(v) is bool
    if isinstance(t, TCon) and t.name == "list":
        return type(v) is list and all(has_type(x, t.args[0]) for x in v)
    raise ValueError(f"no values for type {t}")
