"""The plain reference semantics: one example at a time, Python values, no distributions.

A neural module here is any callable from an input to a value (for a classifier: its most likely
class). The batched `hard` mode of `HybridModel` must agree with this evaluator on every example;
the tests hold it to that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hylo.core.dsl import Primitive
from hylo.core.program import App, Invented, Lam, Prim, Program, Var, spine
from hylo.neural.names import is_neural


def _curry(impl: Callable[..., Any], arity: int, args: tuple = ()) -> Any:
    if len(args) == arity:
        return impl(*args)
    return lambda x: _curry(impl, arity, (*args, x))


def evaluate(program: Program, primitives: Mapping[str, Primitive],
             neural: Callable[[str], Callable[[Any], Any]], inputs: tuple = ()) -> Any:
    """The value of `program` applied to `inputs`. Integer literals are their own meaning."""

    def ev(p: Program, env: tuple) -> Any:
        if isinstance(p, Var):
            return env[p.index]
        if isinstance(p, Lam):
            return lambda x: ev(p.body, (x, *env))
        if isinstance(p, App):
            head, args = spine(p)
            f = ev(head, env)
            for a in args:
                f = f(ev(a, env))
            return f
        if isinstance(p, Invented):
            return ev(p.body, ())
        if isinstance(p, Prim):
            if is_neural(p.name):
                return neural(p.name)
            if p.name.isdigit() and p.name not in primitives:
                return int(p.name)
            prim = primitives[p.name]
            return _curry(prim.impl, prim.arity)
        raise TypeError(f"cannot evaluate {p!r}")

    out = ev(program, ())
    for x in inputs:
        out = out(x)
    return out
