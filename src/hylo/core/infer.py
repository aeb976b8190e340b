"""Type inference (Hindley-Milner style over de Bruijn terms) and checking against a request."""

from __future__ import annotations

from hylo.core.dsl import DSL
from hylo.core.program import App, Hole, Invented, Lam, Prim, Program, Var
from hylo.core.types import (
    TCon,
    TVar,
    Type,
    UnificationError,
    _unify_into,
    apply,
    canonical,
    instantiate,
)


class ProgramTypeError(TypeError):
    """A program is ill-typed, or refers to something unknown."""


class _Ctx:
    __slots__ = ("subst", "next_var", "dsl")

    def __init__(self, dsl: DSL, next_var: int = 0) -> None:
        self.subst: dict[int, Type] = {}
        self.next_var = next_var
        self.dsl = dsl

    def fresh(self) -> TVar:
        v = TVar(self.next_var)
        self.next_var += 1
        return v

    def inst(self, t: Type) -> Type:
        out, self.next_var = instantiate(t, self.next_var)
        return out

    def unify(self, a: Type, b: Type, where: Program) -> None:
        try:
            _unify_into(a, b, self.subst)
        except UnificationError as e:
            raise ProgramTypeError(f"in {where}: {e}") from None


def _infer(p: Program, env: tuple[Type, ...], ctx: _Ctx) -> Type:
    if isinstance(p, Var):
        if p.index >= len(env):
            raise ProgramTypeError(f"unbound variable ${p.index}")
        return env[p.index]
    if isinstance(p, Prim):
        try:
            return ctx.inst(ctx.dsl.type_of(p.name))
        except KeyError:
            raise ProgramTypeError(f"unknown primitive {p.name!r}") from None
    if isinstance(p, Invented):
        if p.name in ctx.dsl.inventions:
            return ctx.inst(ctx.dsl.inventions[p.name].type)
        return ctx.inst(infer_type(p.body, ctx.dsl))
    if isinstance(p, App):
        tf = _infer(p.f, env, ctx)
        tx = _infer(p.x, env, ctx)
        r = ctx.fresh()
        ctx.unify(tf, TCon("->", (tx, r)), p)
        return r
    if isinstance(p, Lam):
        a = ctx.fresh()
        body = _infer(p.body, (a, *env), ctx)
        return TCon("->", (a, body))
    if isinstance(p, Hole):
        return ctx.inst(p.type) if p.type is not None else ctx.fresh()
    raise ProgramTypeError(f"not a program node: {p!r}")


def infer_type(p: Program, dsl: DSL, env: tuple[Type, ...] = ()) -> Type:
    """The principal type of `p` (variables renamed canonically)."""
    ctx = _Ctx(dsl, next_var=1 + max((v for t in env for v in _vars(t)), default=-1))
    t = _infer(p, env, ctx)
    return canonical(apply(t, ctx.subst))


def check(p: Program, dsl: DSL, request: Type) -> None:
    """Raise ProgramTypeError unless `p` has type `request` for every instance of it.

    The request's type variables are rigid: `(lam 1)` is not an `a -> a`.
    """
    ctx = _Ctx(dsl)
    req = _rigid(request)
    t = _infer(p, (), ctx)
    ctx.unify(t, req, p)


def _rigid(t: Type) -> Type:
    """Type variables replaced by constants that unify only with themselves."""
    if isinstance(t, TVar):
        return TCon(f"?{t.index}")
    if not t.args:
        return t
    return TCon(t.name, tuple(_rigid(a) for a in t.args))


def is_well_typed(p: Program, dsl: DSL, request: Type | None = None) -> bool:
    try:
        if request is None:
            infer_type(p, dsl)
        else:
            check(p, dsl, request)
    except (ProgramTypeError, RecursionError):
        return False
    return True


def annotate(p: Program, dsl: DSL, request: Type) -> dict[int, Type]:
    """Resolved type of every node, keyed by id() of the node object (for one traversal)."""
    ctx = _Ctx(dsl)
    req, ctx.next_var = instantiate(request, 0)
    found: list[tuple[Program, Type]] = []

    def go(q: Program, env: tuple[Type, ...]) -> Type:
        t = _infer_shallow(q, env)
        found.append((q, t))
        return t

    def _infer_shallow(q: Program, env: tuple[Type, ...]) -> Type:
        if isinstance(q, App):
            tf = go(q.f, env)
            tx = go(q.x, env)
            r = ctx.fresh()
            ctx.unify(tf, TCon("->", (tx, r)), q)
            return r
        if isinstance(q, Lam):
            a = ctx.fresh()
            return TCon("->", (a, go(q.body, (a, *env))))
        return _infer(q, env, ctx)

    t = go(p, ())
    ctx.unify(t, req, p)
    return {id(q): apply(tq, ctx.subst) for q, tq in found}


def _vars(t: Type) -> list[int]:
    if isinstance(t, TVar):
        return [t.index]
    return [v for a in t.args for v in _vars(a)]
