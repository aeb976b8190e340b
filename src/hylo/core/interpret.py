"""The reference interpreter: slow and obviously correct. The fast evaluator is tested against it.

Environment-passing evaluation of the curried AST. A lambda is a Python callable of one argument;
a primitive applied to fewer arguments than its arity is a partial application. Every node
evaluated is one step, and so is every saturated call of a partial application (a primitive
used as a function value iterates without evaluating nodes). The watchdog
(`hylo.core.limits.guarded`) stops what counting cannot see.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hylo.core.dsl import DSL, Primitive
from hylo.core.limits import DEFAULT_LIMITS, EvalFailure, Limits, StepLimit, guarded, killed
from hylo.core.program import App, Hole, Invented, Lam, Prim, Program, Var, spine


class _Partial:
    """A primitive waiting for more arguments (arguments kept as thunks for lazy ones)."""

    __slots__ = ("prim", "args", "tick")

    def __init__(self, prim: Primitive, args: tuple[Any, ...], tick: Callable[[], None]) -> None:
        self.prim = prim
        self.args = args
        self.tick = tick

    def __call__(self, x: Any) -> Any:
        args = (*self.args, (lambda v=x: v) if self.prim.lazy else x)
        if len(args) == self.prim.arity:
            self.tick()
            return self.prim.impl(*args)
        return _Partial(self.prim, args, self.tick)


def _no_tick() -> None:
    pass


def primitive_value(prim: Primitive, tick: Callable[[], None] = _no_tick) -> Any:
    """A primitive as a value: a constant, or a curried function whose saturated calls `tick`
    (the evaluator's step counter)."""
    if prim.arity == 0:
        return prim.impl() if callable(prim.impl) else prim.impl
    return _Partial(prim, (), tick)


class _Interp:
    def __init__(self, dsl: DSL, limits: Limits) -> None:
        self.dsl = dsl
        self.limits = limits
        self.steps = 0
        self.deadline = time.perf_counter() + limits.max_seconds

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise StepLimit(f"more than {self.limits.max_steps} steps")
        if self.steps & 1023 == 0 and (time.perf_counter() > self.deadline or killed()):
            raise StepLimit(f"more than {self.limits.max_seconds}s")

    def ev(self, p: Program, env: tuple[Any, ...]) -> Any:
        self.tick()
        if isinstance(p, Var):
            return env[p.index]
        if isinstance(p, Prim):
            return primitive_value(self.dsl.primitive(p.name), self.tick)
        if isinstance(p, Invented):
            return self.ev(p.body, ())
        if isinstance(p, Lam):
            body = p.body
            return lambda x: self.ev(body, (x, *env))
        if isinstance(p, App):
            head, args = spine(p)
            if isinstance(head, Prim):
                prim = self.dsl.primitive(head.name)
                if prim.lazy and len(args) >= prim.arity:
                    thunks = [(lambda a=a: self.ev(a, env)) for a in args[: prim.arity]]
                    value = prim.impl(*thunks)
                    for a in args[prim.arity :]:
                        value = value(self.ev(a, env))
                    return value
            value = self.ev(head, env)
            for a in args:
                value = value(self.ev(a, env))
            return value
        if isinstance(p, Hole):
            raise EvalFailure("hole", "cannot evaluate a program with holes")
        raise EvalFailure("bad-node", repr(p))


def run_reference(
    p: Program, dsl: DSL, inputs: tuple[Any, ...], limits: Limits = DEFAULT_LIMITS
) -> Any:
    """Apply closed program `p` to `inputs`. Any failure is an `EvalFailure`."""
    interp = _Interp(dsl, limits)
    with guarded(limits):
        value = interp.ev(p, ())
        for x in inputs:
            value = value(x)
        return value
