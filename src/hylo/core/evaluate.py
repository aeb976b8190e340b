"""The fast evaluator: programs compiled to nested Python closures.

A compiled node is a function `env -> value`, where `env` is the tuple of values of the de Bruijn
variables in scope (`env[0]` is `$0`). Saturated primitive applications become direct calls of the
uncurried implementation; lambdas become Python functions of one argument. Nodes compose, so the
enumerator builds the closure of a new program from the closures of its children in O(1).

Steps: every call of a compiled lambda is one step, and so is every saturated call of a primitive
used as a function value (`(map sort xss)`): all iteration a program can cause goes through one or
the other. The clock is read every `CHECK_EVERY` steps; the watchdog (`hylo.core.limits`) stops
what counting cannot see. The counter is global to the process (evaluation is single-threaded),
reset by `start()` before each run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from hylo.core.dsl import DSL, Primitive
from hylo.core.interpret import primitive_value
from hylo.core.limits import (
    CHECK_EVERY,
    COUNTER,
    DEFAULT_LIMITS,
    GEN,
    KILLED,
    EvalFailure,
    Limits,
    StepLimit,
    guarded,
)
from hylo.core.program import App, Hole, Invented, Lam, Prim, Program, Var, spine

Closure = Callable[[tuple[Any, ...]], Any]

# [steps so far, next checkpoint, max steps, deadline, seconds, generation, ...]: see limits.py
_COUNTER = COUNTER
_CHECK_EVERY = CHECK_EVERY


def start(limits: Limits = DEFAULT_LIMITS) -> None:
    """Reset the step counter and the deadline before evaluating one program on one input."""
    c = _COUNTER
    c[0] = 0
    c[2] = limits.max_steps
    c[1] = min(_CHECK_EVERY, limits.max_steps)
    c[3] = time.perf_counter() + limits.max_seconds
    c[4] = limits.max_seconds
    c[5] += 1  # a new evaluation for the watchdog


def start_cheap() -> None:
    """Like `start` with the same limits, without reading the clock (for hot loops): the
    deadline is set at the first checkpoint, so a run shorter than 1024 steps never reads it;
    the watchdog times the run from its start (the generation changes)."""
    c = _COUNTER
    c[0] = 0
    c[1] = min(_CHECK_EVERY, c[2])
    c[3] = 0.0
    c[5] += 1


def set_seconds(seconds: float) -> None:
    """Change the time limit of the runs `start_cheap` starts (a search near its deadline)."""
    _COUNTER[4] = seconds


def _checkpoint() -> None:
    c = _COUNTER
    if c[KILLED] == c[GEN]:
        raise StepLimit(f"more than {c[4]}s")
    if c[0] > c[2]:
        raise StepLimit(f"more than {c[2]} steps")
    now = time.perf_counter()
    if c[3] == 0.0:
        c[3] = now + c[4]
    elif now > c[3]:
        raise StepLimit(f"more than {c[4]}s")
    c[1] = min(c[0] + _CHECK_EVERY, c[2])


def run_nested(fn: Callable[[tuple[Any, ...]], Any]) -> Any:
    """`fn(())` with a step budget and clock of its own, inside the current evaluation (a
    library body computed on first use must not inherit the steps its caller spent); the
    caller's counter is put back afterwards, and the watchdog restarts its timer."""
    c = _COUNTER
    saved = c[0], c[1], c[3]
    c[0] = 0
    c[1] = min(_CHECK_EVERY, c[2])
    c[3] = 0.0
    c[5] += 1
    try:
        return fn(())
    finally:
        c[0], c[1], c[3] = saved
        c[5] += 1


def tick() -> None:
    """One step outside a lambda (a primitive called as a function value)."""
    c = _COUNTER
    c[0] += 1
    if c[0] > c[1]:
        _checkpoint()


# ------------------------------------------------------------------ node constructors
def var_node(index: int) -> Closure:
    return itemgetter(index)


def const_node(value: Any) -> Closure:
    return lambda env: value


def lam_node(body: Closure) -> Closure:
    counter = _COUNTER

    def node(env: tuple[Any, ...]) -> Callable[[Any], Any]:
        def fn(x: Any) -> Any:
            counter[0] += 1
            if counter[0] > counter[1]:
                _checkpoint()
            return body((x, *env))

        return fn

    return node


def prim_node(prim: Primitive, args: Sequence[Closure]) -> Closure:
    """A primitive applied to exactly `prim.arity` compiled arguments."""
    f = prim.impl
    n = len(args)
    if n != prim.arity:
        raise ValueError(f"{prim.name} takes {prim.arity} arguments, got {n}")
    if n == 0:
        return const_node(primitive_value(prim, tick))
    if prim.lazy:
        if n == 1:
            (a,) = args
            return lambda env: f(lambda: a(env))
        if n == 2:
            a, b = args
            return lambda env: f(lambda: a(env), lambda: b(env))
        if n == 3:
            a, b, c = args
            return lambda env: f(lambda: a(env), lambda: b(env), lambda: c(env))
        return lambda env: f(*[(lambda a=a: a(env)) for a in args])
    if n == 1:
        (a,) = args
        return lambda env: f(a(env))
    if n == 2:
        a, b = args
        return lambda env: f(a(env), b(env))
    if n == 3:
        a, b, c = args
        return lambda env: f(a(env), b(env), c(env))
    return lambda env: f(*[a(env) for a in args])


def apply_node(head: Closure, args: Sequence[Closure]) -> Closure:
    """Generic curried application of a function value to arguments."""

    def node(env: tuple[Any, ...]) -> Any:
        value = head(env)
        for a in args:
            value = value(a(env))
        return value

    return node


# ------------------------------------------------------------------ whole programs
def compile_program(p: Program, dsl: DSL) -> Closure:
    """Compile any program (saturated or not, with inventions) to a closure over `env`."""
    if isinstance(p, Var):
        return var_node(p.index)
    if isinstance(p, Prim):
        # `primitive` raises KeyError for an unknown name; it resolves literals (DSL.literal)
        return const_node(primitive_value(dsl.primitive(p.name), tick))
    if isinstance(p, Invented):
        body = compile_program(p.body, dsl)
        cache: list[Any] = []

        def invented(env: tuple[Any, ...]) -> Any:
            # A closed body: evaluate once, on first use (it is a value, usually a function).
            if not cache:
                cache.append(body(()))
            return cache[0]

        return invented
    if isinstance(p, Lam):
        return lam_node(compile_program(p.body, dsl))
    if isinstance(p, App):
        head, args = spine(p)
        compiled = [compile_program(a, dsl) for a in args]
        if isinstance(head, Prim) and head.name in dsl.primitives:
            prim = dsl.primitives[head.name]
            if 0 < prim.arity <= len(args):
                node = prim_node(prim, compiled[: prim.arity])
                rest = compiled[prim.arity :]
                return apply_node(node, rest) if rest else node
        return apply_node(compile_program(head, dsl), compiled)
    if isinstance(p, Hole):
        raise EvalFailure("hole", "cannot compile a program with holes")
    raise TypeError(f"not a program node: {p!r}")


def run_closure(
    fn: Closure, env: tuple[Any, ...], limits: Limits = DEFAULT_LIMITS
) -> Any:
    """Evaluate a compiled program body in `env` under limits; failures are EvalFailure."""
    start(limits)
    with guarded(limits):
        return fn(env)


def run_program(
    p: Program, dsl: DSL, inputs: tuple[Any, ...], limits: Limits = DEFAULT_LIMITS
) -> Any:
    """Apply closed program `p` to `inputs` with the fast evaluator."""
    start(limits)
    with guarded(limits):
        fn = compile_program(p, dsl)  # inside: compiling a very deep program recurses too
        value = fn(())
        for x in inputs:
            value = value(x)
        return value


def input_env(inputs: Sequence[Any]) -> tuple[Any, ...]:
    """Environment of a program body under its lambdas: the last input is `$0`."""
    return tuple(reversed(inputs))
