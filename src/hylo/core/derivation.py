"""A program's derivation under a grammar, as the sequence of choices the grammar made.

The grammar's model (`hylo.core.grammar`) derives a program top down: at every non-arrow hole
it chooses a variable in scope or a library entry among the candidates the hole allows. The
description length is the sum of those choices' costs; a recognition model that predicts
per-task weights is trained on the same choices (`hylo.neural.recognition`), so they are
written down here once, in the grammar's own terms:

- `Choice.chosen`: the name chosen (a library name), or `"$variable"` for any variable;
- `Choice.candidates`: what the choice was normalised over, as `(name, count)` pairs: each
  library name once, `"$variable"` counted once per variable of the hole's type in scope;
- `Choice.parent`, `Choice.position`: the entry whose argument the hole is, and which argument
  (lambdas are transparent: a `map`'s function body has `map` as parent); `None, -1` at the
  root. A contextual (bigram) model conditions on them: the hole's grammar context is
  `(parent, position)`, `ROOT` at the root.

A program with several derivations (open type variables) takes the cheapest, as its
description length does. `choices` raises `NotDerivable` when the grammar cannot derive it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hylo.core.grammar import Context, Grammar, NotDerivable, Production
from hylo.core.program import Invented, Lam, Prim, Program, Var, spine
from hylo.core.types import Type, is_arrow

VARIABLE = "$variable"


@dataclass(frozen=True)
class Choice:
    parent: str | None
    position: int
    chosen: str
    candidates: tuple[tuple[str, int], ...]


def hole_candidates(productions: tuple[Production, ...]) -> tuple[tuple[str, int], ...]:
    """The distinct choices of a hole: each name once, variables counted."""
    names: dict[str, int] = {}
    variables = 0
    for prod in productions:
        if prod.var_index >= 0:
            variables += 1
        else:
            names.setdefault(prod.name, 1)
    out = tuple(names.items())
    return ((VARIABLE, variables), *out) if variables else out


def choices(grammar: Grammar, program: Program, request: Type,
            env: tuple[Type, ...] = ()) -> list[Choice]:
    """The choices of `program`'s cheapest derivation at `request`, in prefix order."""
    out: list[Choice] = []
    cache: dict[tuple[Type, tuple[Type, ...], Context], tuple[tuple[str, int], ...]] = {}

    def candidates(tau: Type, env: tuple[Type, ...],
                   ctx: Context) -> tuple[tuple[str, int], ...]:
        key = (tau, env, ctx)
        if key not in cache:
            cache[key] = hole_candidates(grammar.productions(tau, env, ctx))
        return cache[key]

    def go(p: Program, tau: Type, env: tuple[Type, ...], parent: str | None, pos: int) -> None:
        while is_arrow(tau):
            if not isinstance(p, Lam):
                raise NotDerivable(f"{p} is not a lambda at type {tau}")
            env = (tau.args[0], *env)  # type: ignore[union-attr]
            tau = tau.args[1]  # type: ignore[union-attr]
            p = p.body
        head, args = spine(p)
        ctx: Context = (parent or "", pos)  # ROOT for the program's own hole
        prods = grammar.productions(tau, env, ctx)
        if isinstance(head, Var):
            if args or not any(q.var_index == head.index for q in prods):
                raise NotDerivable(f"${head.index} cannot fill a hole of type {tau}")
            out.append(Choice(parent, pos, VARIABLE, candidates(tau, env, ctx)))
            return
        if not isinstance(head, (Prim, Invented)):
            raise NotDerivable(f"{p} has no derivable head")
        fits = [q for q in prods if q.name == head.name and len(q.arg_types) == len(args)]
        if not fits:
            raise NotDerivable(f"{head.name} cannot fill a hole of type {tau}")
        best = fits[0]
        if len(fits) > 1:  # several ground instances: the cheapest derivation, as `cost` takes
            best_cost = None
            for q in fits:
                try:
                    c = sum(grammar.cost(a, t, env, (head.name, k))
                            for k, (a, t) in enumerate(zip(args, q.arg_types, strict=True)))
                except NotDerivable:
                    continue
                if best_cost is None or c < best_cost:
                    best, best_cost = q, c
            if best_cost is None:
                raise NotDerivable(f"no instance of {head.name} derives {p}")
        out.append(Choice(parent, pos, head.name, candidates(tau, env, ctx)))
        for k, (a, t) in enumerate(zip(args, best.arg_types, strict=True)):
            go(a, t, env, head.name, k)

    go(program, request, env, None, -1)
    return out
