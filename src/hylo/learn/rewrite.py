"""Between Stitch's untyped rewriting and the typed grammar: conversion, eta-long form, checks.

- Stitch writes an abstraction's arguments as `#0, #1, ...` (`#0` the first); the library holds a
  closed body `(lam (lam ...))` whose outer lambdas are the arguments. `from_stitch_body` and
  `to_stitch_body` convert between the two.
- Stitch may leave a library function un-applied where a function is expected (`(map fn_0 $0)`),
  or a whole program as `(fn_3 1)`. The grammar derives only eta-long programs whose library
  functions are applied to all their arguments, so `grammar_form` eta-expands every
  function-typed argument position that does not hold a lambda (`(map (lam (fn_0 $0)) $0)`),
  guided by the program's inferred types.
- `inline` undoes an abstraction (its uses are replaced by its body and beta-reduced), so one
  rejected abstraction never costs the others their rewrites.
- `same_behaviour` is the safety net: a rewritten program is kept only if it returns, on every
  example of its task, exactly (type and value) what the original returns.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from hylo.core.dsl import DSL
from hylo.core.infer import annotate
from hylo.core.limits import DEFAULT_LIMITS, Limits
from hylo.core.program import (
    App,
    Invented,
    Lam,
    Prim,
    Program,
    Var,
    apply_args,
    beta_normal,
    free_indices,
    parse,
    shift,
    show,
    spine,
    walk,
)
from hylo.core.task import Task
from hylo.core.types import Type, arguments, is_arrow
from hylo.core.values import strict_equal
from hylo.search.check import Checker


class RewriteError(ValueError):
    """A program or abstraction cannot be brought into the grammar's form."""


# ------------------------------------------------------------------ Stitch <-> library bodies
def from_stitch_body(text: str, arity: int, inventions: Mapping[str, Program]) -> Program:
    """Stitch body with `#i` arguments -> closed library body with `arity` outer lambdas."""
    raw = parse(text, inventions)

    def go(q: Program, depth: int) -> Program:
        if isinstance(q, Prim) and q.name.startswith("#"):
            j = int(q.name[1:]) if q.name[1:].isdigit() else -1
            if not 0 <= j < arity:
                raise RewriteError(f"abstraction argument {q.name} out of range in {text!r}")
            return Var(depth + arity - 1 - j)
        if isinstance(q, Var):
            if q.index >= depth:
                raise RewriteError(f"abstraction body has a free variable: {text!r}")
            return q
        if isinstance(q, App):
            return App(go(q.f, depth), go(q.x, depth))
        if isinstance(q, Lam):
            return Lam(go(q.body, depth + 1))
        return q

    body = go(raw, 0)
    for _ in range(arity):
        body = Lam(body)
    if free_indices(body):
        raise RewriteError(f"abstraction body is not closed: {text!r}")
    return body


def to_stitch_body(body: Program, arity: int | None = None) -> tuple[str, int]:
    """Closed library body -> (Stitch body with `#i` arguments, arity). `arity` outer lambdas
    become arguments (all outer lambdas if None)."""
    n = 0
    inner = body
    while isinstance(inner, Lam) and (arity is None or n < arity):
        inner = inner.body
        n += 1
    if arity is not None and n != arity:
        raise RewriteError(f"body {show(body)} has fewer than {arity} outer lambdas")

    def go(q: Program, depth: int) -> str:
        if isinstance(q, Var):
            if q.index >= depth:
                return f"#{n - 1 - (q.index - depth)}"
            return f"${q.index}"
        if isinstance(q, Lam):
            return f"(lam {go(q.body, depth + 1)})"
        if isinstance(q, App):
            f, args = spine(q)
            return "(" + " ".join(go(x, depth) for x in [f, *args]) + ")"
        return show(q)

    return go(inner, 0), n


# ------------------------------------------------------------------ inlining
def inline(p: Program, names: Collection[str]) -> Program:
    """Replace the uses of the named inventions by their bodies, then beta-reduce the redexes
    that makes (other inventions are left alone)."""
    if not names or not any(isinstance(q, Invented) and q.name in names for q in walk(p)):
        return p

    def expand(q: Program) -> Program:
        if isinstance(q, Invented) and q.name in names:
            return expand(q.body)
        if isinstance(q, App):
            return App(expand(q.f), expand(q.x))
        if isinstance(q, Lam):
            return Lam(expand(q.body))
        if isinstance(q, Invented):
            # a kept invention whose body uses a removed one gets the same treatment
            body = inline(q.body, names)
            return q if body is q.body else Invented(q.name, body)
        return q

    return beta(expand(p))


def beta(p: Program, max_steps: int = 10_000) -> Program:
    """Beta-normal form without inlining inventions (bounded, RewriteError past max_steps)."""
    try:
        return beta_normal(p, max_steps, inline=False)
    except ValueError as e:
        raise RewriteError(str(e)) from None


# ------------------------------------------------------------------ refactoring
def _bind(term: Program, depth: int) -> Program | None:
    """`term`, seen from outside `depth` binders of a pattern, or None if it uses them."""
    if any(i < depth for i in free_indices(term)):
        return None
    return shift(term, -depth) if depth else term


def eta_body(body: Program, arity: int) -> Program:
    """`body` with exactly `arity` outer lambdas, eta-expanding a partial application:
    `(take 2)` at arity 1 is `(lam (take 2 $0))`."""
    inner = body
    lams = 0
    while lams < arity and isinstance(inner, Lam):
        inner = inner.body
        lams += 1
    missing = arity - lams
    if missing == 0:
        return body
    inner = apply_args(shift(inner, missing), [Var(missing - 1 - i) for i in range(missing)])
    for _ in range(arity):
        inner = Lam(inner)
    return inner


def match(body: Program, arity: int, term: Program) -> list[Program] | None:
    """Arguments `args` such that `(inv args...)` beta-reduces to `term`, where `body` is the
    invention's closed body and `arity` its number of arguments; None if `term` is not an
    instance."""
    pattern = eta_body(body, arity)
    for _ in range(arity):
        assert isinstance(pattern, Lam)
        pattern = pattern.body
    args: list[Program | None] = [None] * arity

    def go(pat: Program, t: Program, depth: int) -> bool:
        if isinstance(pat, Var):
            if pat.index < depth:
                return isinstance(t, Var) and t.index == pat.index
            k = arity - 1 - (pat.index - depth)
            value = _bind(t, depth)
            if value is None:
                return False
            if args[k] is None:
                args[k] = value
                return True
            return args[k] == value
        if isinstance(pat, App):
            return isinstance(t, App) and go(pat.f, t.f, depth) and go(pat.x, t.x, depth)
        if isinstance(pat, Lam):
            return isinstance(t, Lam) and go(pat.body, t.body, depth + 1)
        if isinstance(pat, (Prim, Invented)):
            return type(t) is type(pat) and t.name == pat.name  # type: ignore[attr-defined]
        return False

    if not go(pattern, term, 0) or any(a is None for a in args):
        return None
    return args  # type: ignore[return-value]


def refactor_with(p: Program, inv: Invented, arity: int) -> Program:
    """Every sub-program of `p` that is an instance of `inv`'s body, outermost first, replaced by
    `(inv args...)` (arguments refactored too)."""
    args = match(inv.body, arity, p)
    if args is not None:
        return apply_args(inv, [refactor_with(a, inv, arity) for a in args])
    if isinstance(p, App):
        return App(refactor_with(p.f, inv, arity), refactor_with(p.x, inv, arity))
    if isinstance(p, Lam):
        return Lam(refactor_with(p.body, inv, arity))
    return p


# ------------------------------------------------------------------ the grammar's form
def grammar_form(p: Program, request: Type, dsl: DSL) -> Program:
    """`p` eta-long at `request`: every function-typed position holds a lambda, so that every
    library function is applied to all its arguments. RewriteError if `p` is ill-typed."""
    try:
        types = annotate(p, dsl, request)
    except (TypeError, RecursionError) as e:
        raise RewriteError(f"ill-typed: {e}") from None

    def fix(q: Program) -> Program:
        t = types[id(q)]
        if not is_arrow(t):
            return fix_spine(q)
        if isinstance(q, Lam):
            return Lam(fix(q.body))
        n = len(arguments(t))
        head = shift(fix_spine(q), n)
        body = apply_args(head, [Var(n - 1 - i) for i in range(n)])
        for _ in range(n):
            body = Lam(body)
        return body

    def fix_spine(q: Program) -> Program:
        if isinstance(q, Lam):
            return Lam(fix(q.body))
        head, args = spine(q)
        if not args:
            return q
        return apply_args(head, [fix(a) for a in args])

    try:
        return fix(p)
    except KeyError as e:
        raise RewriteError(f"no type for a node of {show(p)}: {e}") from None


# ------------------------------------------------------------------ behaviour
#: The one value equality (`hylo.core.values`), under the name this module always exported.
strictly_equal = strict_equal


def outputs(p: Program, dsl: DSL, task: Task, limits: Limits = DEFAULT_LIMITS) -> list[Any] | None:
    """`p`'s output on each example of `task`, None if any evaluation fails."""
    return Checker(dsl, limits=limits).outputs(p, task)


def solves(p: Program, dsl: DSL, task: Task, limits: Limits = DEFAULT_LIMITS) -> bool:
    """`p` fits every example of `task`: the shared checker's definition."""
    return Checker(dsl, limits=limits).fits(p, task)


def same_behaviour(
    original: Program, rewritten: Program, dsl: DSL, task: Task, limits: Limits = DEFAULT_LIMITS
) -> bool:
    """Both programs evaluate, on every example of `task`, to strictly equal values."""
    a = outputs(original, dsl, task, limits)
    if a is None:
        return False
    b = outputs(rewritten, dsl, task, limits)
    return b is not None and all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
