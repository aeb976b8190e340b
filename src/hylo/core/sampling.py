"""Drawing programs from a grammar's distribution (dreams, synthetic tasks).

`sample_program(grammar, request, rng)` walks the grammar's generative model (see
`hylo.core.grammar`) top down: an arrow hole becomes a lambda, any other hole chooses a
variable in scope or a library entry with its probability under the grammar, then fills the
chosen entry's argument holes the same way. An entry whose type variables the hole leaves open
has several ground instances; they share the name's probability (as in the grammar), so the
instance is drawn uniformly once the name is chosen.

Bounds: `max_depth` bounds the program's `application_depth` and `max_size` its
`hylo.core.program.size`. A draw that passes either is abandoned as soon as it does and drawn
again (rejection), so what comes out follows the grammar's distribution conditioned on the
bounds; after `tries` abandoned draws the answer is None. All randomness comes from `rng`, so
a seed gives the same program every time.

`application_depth(p)` is the nesting of applications of primitives and inventions: a leaf
(variable, constant, nullary primitive) has depth 0, `(f a1 .. an)` has 1 + the deepest
argument's depth, and a lambda is transparent (its depth is its body's), so the body of a
`map`'s function counts as nested under the `map`:
`(lam (map (lam (+ $0 1)) (sort $0)))` has depth 2.
"""

from __future__ import annotations

import math
import random
import weakref
from typing import TYPE_CHECKING

from hylo.core.grammar import ROOT, Context
from hylo.core.program import App, Lam, Prim, Program, Var, apply_args, spine
from hylo.core.types import Type, is_arrow

if TYPE_CHECKING:
    from hylo.core.grammar import Grammar

#: per grammar: (type, env) -> the hole's choices (see `_choices`); grammars are immutable
_TABLES: weakref.WeakKeyDictionary[Grammar, dict] = weakref.WeakKeyDictionary()


class _TooBig(Exception):
    """The draw passed a bound: abandon it."""


def application_depth(p: Program) -> int:
    """Nesting of primitive/invention applications; lambdas are transparent (module doc)."""
    if isinstance(p, Lam):
        return application_depth(p.body)
    if isinstance(p, App):
        _, args = spine(p)
        return 1 + max(application_depth(a) for a in args)
    return 0


def _choices(grammar: Grammar, tau: Type, env: tuple[Type, ...],
             context: Context | None = None) -> tuple:
    """(cumulative probabilities, choices): one choice `(name, variable index or -1, ground
    instances' argument types)` per variable and per name."""
    table = _TABLES.setdefault(grammar, {})
    key = (tau, env, context)
    found = table.get(key)
    if found is not None:
        return found
    groups: dict[tuple[str, int], tuple[float, list[tuple[Type, ...]]]] = {}
    for prod in grammar.productions(tau, env, context):
        key_ = (prod.name, prod.var_index)
        groups.setdefault(key_, (prod.log_prob, []))[1].append(prod.arg_types)
    cumulative: list[float] = []
    choices: list[tuple[str, int, tuple[tuple[Type, ...], ...]]] = []
    total = 0.0
    for (name, var_index), (log_prob, instances) in groups.items():
        total += math.exp(log_prob)
        cumulative.append(total)
        choices.append((name, var_index, tuple(instances)))
    found = (cumulative, choices)
    table[key] = found
    return found


def sample_program(
    grammar: Grammar,
    request: Type,
    rng: random.Random,
    max_size: int = 40,
    max_depth: int = 8,
    tries: int = 100,
) -> Program | None:
    """A program of type `request` drawn from `grammar` within the bounds, or None after
    `tries` abandoned draws (see the module docstring)."""
    dsl = grammar.dsl

    def head(name: str) -> Program:
        return dsl.invented(name) if name in dsl.inventions else Prim(name)

    def draw(tau: Type, env: tuple[Type, ...], level: int, size: list[int],
             context: Context | None) -> Program:
        if is_arrow(tau):
            size[0] += 1
            if size[0] > max_size:
                raise _TooBig
            a, b = tau.args  # type: ignore[union-attr]
            return Lam(draw(b, (a, *env), level, size, context))
        cumulative, choices = _choices(grammar, tau, env, grammar.context(*context)
                                       if context is not None else None)
        if not choices:
            raise _TooBig  # nothing builds this type here: abandon the draw
        x = rng.random() * cumulative[-1]
        lo, hi = 0, len(cumulative) - 1
        while lo < hi:  # first index whose cumulative mass exceeds x
            mid = (lo + hi) // 2
            if cumulative[mid] > x:
                hi = mid
            else:
                lo = mid + 1
        name, var_index, instances = choices[lo]
        args = instances[0] if len(instances) == 1 else instances[rng.randrange(len(instances))]
        size[0] += 1
        if size[0] > max_size or (args and level + 1 > max_depth):
            raise _TooBig
        if var_index >= 0:
            return Var(var_index)
        return apply_args(head(name), [draw(t, env, level + 1, size, (name, k))
                                       for k, t in enumerate(args)])

    for _ in range(max(1, tries)):
        try:
            return draw(request, (), 0, [0], ROOT)
        except _TooBig:
            continue
        except RecursionError:  # a bound far above what recursion allows: treat as too big
            continue
    return None
