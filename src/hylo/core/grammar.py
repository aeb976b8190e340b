"""A probabilistic grammar over a DSL's library, and description lengths of programs.

The model (DreamCoder's unigram grammar, over ground types):
- A hole is a non-terminal `(type, env)`: the requested type and the types of the de Bruijn
  variables in scope (`env[0]` is `$0`).
- A hole of arrow type `a -> b` is filled by `(lam body)` at no cost, `body` being the hole
  `(b, (a, *env))`: programs are eta-long.
- A hole of any other type chooses among the variables of that type in scope (each weighted
  `log_variable`) and the primitives/inventions whose return type unifies with it (weighted
  `log_weights[name]`), normalised over those candidates. A candidate's type variables that the
  return type leaves open are instantiated over a finite set of ground types (the ground
  instances); these instances share their name's probability (they are not extra choices).
- **Contextual** (DreamCoder's bigram model): `contexts[(parent, position)]` optionally gives
  weights per name (and `$variable`) for the holes that are argument `position` of `parent`
  (lambdas are transparent: a `map`'s function body is `("map", 0)`); `ROOT` is the program's
  own hole. Names a context does not weigh keep their unigram weight, and a grammar without
  contexts is exactly the unigram model. Every consumer (description length, derivations,
  sampling, both enumerators) asks `productions(tau, env, context)` with the hole's context.
- The description length of a program is the sum of `-log P(choice | hole)` over its nodes,
  with each choice's cost rounded to a multiple of 1/QUANTUM nat (at least one quantum), so that
  enumeration in exact order of description length is a walk over integer cost buckets. A program
  with several derivations (possible only through open type variables) takes the cheapest.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from random import Random  # `Grammar.random` shadows the module inside the class
from typing import Any

from hylo.core.dsl import DSL, Primitive
from hylo.core.program import Invented, Lam, Prim, Program, Var, spine, walk
from hylo.core.types import (
    TCon,
    TVar,
    Type,
    UnificationError,
    apply,
    arguments,
    free_vars,
    instantiate,
    is_arrow,
    is_ground,
    returns,
    type_size,
    unify,
)

QUANTUM = 8  # cost units per nat
#: the context of a program's own (outermost) hole in a contextual grammar
ROOT: tuple[str, int] = ("", -1)
Context = tuple[str, int]
#: The weight of a literal a grammar lacks when it scores a program that uses one
#: (`Grammar.with_literals`); a domain's task constants default to the same.
LITERAL_LOG_WEIGHT = -2.0


@dataclass(frozen=True)
class Production:
    """One way to fill a (non-arrow) hole: a variable, or a primitive/invention at ground types."""

    name: str  # primitive or invention name; "$i" for a variable
    var_index: int  # -1 unless a variable
    arg_types: tuple[Type, ...]  # ground types of the arguments (arrow types become lambdas)
    log_prob: float
    cost: int  # quantised: round(-log_prob * QUANTUM), at least 1
    open_vars: bool  # the instantiation chose types the hole did not fix (may duplicate)


class NotDerivable(ValueError):
    """The program cannot be derived from the grammar at the requested type."""


def quantise(nats: float) -> int:
    return max(1, round(nats * QUANTUM))


class Grammar:
    """Log-weights per library entry plus one for variables; see the module docstring."""

    def __init__(
        self,
        dsl: DSL,
        log_weights: dict[str, float] | None = None,
        log_variable: float = 0.0,
        max_type_size: int = 3,
        contexts: Mapping[Context, Mapping[str, float]] | None = None,
    ) -> None:
        self.dsl = dsl
        self.log_weights = {n: 0.0 for n in dsl.names()}
        if log_weights:
            unknown = set(log_weights) - set(self.log_weights)
            if unknown:
                raise KeyError(f"weights for unknown names: {sorted(unknown)}")
            self.log_weights.update(log_weights)
        self.log_variable = log_variable
        self.max_type_size = max_type_size
        self.contexts: dict[Context, dict[str, float]] = {}
        for ctx, weights in (contexts or {}).items():
            unknown = set(weights) - set(self.log_weights) - {VARIABLE_KEY}
            if unknown:
                raise KeyError(f"context weights for unknown names: {sorted(unknown)}")
            self.contexts[(str(ctx[0]), int(ctx[1]))] = {k: float(v) for k, v in weights.items()}
        self._types = {n: dsl.type_of(n) for n in dsl.names()}
        self._ground: tuple[Type, ...] | None = None
        self._productions_cached = lru_cache(maxsize=None)(self._productions)
        self._by_type = lru_cache(maxsize=None)(self._name_productions)

    @property
    def contextual(self) -> bool:
        return bool(self.contexts)

    def context(self, parent: str, position: int) -> Context | None:
        """The key of the hole that is argument `position` of `parent`, None when this grammar
        weighs that hole as the unigram model does (the productions are then shared)."""
        if not self.contexts:
            return None
        key = (parent, position)
        return key if key in self.contexts else None

    def productions(self, tau: Type, env: tuple[Type, ...],
                    context: Context | None = None) -> tuple[Production, ...]:
        """The choices of hole `(tau, env)` in `context` (None or unknown: unigram)."""
        if context is not None and context not in self.contexts:
            context = None
        return self._productions_cached(tau, env, context)

    # ------------------------------------------------------------ constructors
    @classmethod
    def uniform(cls, dsl: DSL) -> Grammar:
        return cls(dsl)

    @classmethod
    def random(cls, dsl: DSL, seed: int = 0, scale: float = 1.0) -> Grammar:
        """Random log-weights ~ N(0, scale): a non-uniform grammar for benchmarks and tests."""
        rng = random.Random(seed)
        weights = {n: rng.gauss(0.0, scale) for n in dsl.names()}
        return cls(dsl, weights, log_variable=rng.gauss(0.0, scale))

    def with_dsl(self, dsl: DSL, default_weight: float = 0.0) -> Grammar:
        """The same weights over a larger DSL (new names get `default_weight`)."""
        weights = {n: self.log_weights.get(n, default_weight) for n in dsl.names()}
        return Grammar(dsl, weights, self.log_variable, self.max_type_size,
                       self._contexts_within(dsl))

    def with_primitives(self, primitives: Iterable[Primitive], log_weight: float) -> Grammar:
        """The same weights over the DSL plus `primitives` (a task's constants), each new one
        weighted `log_weight`; names already in the DSL keep theirs."""
        dsl = self.dsl.with_primitives(primitives)
        weights = {n: self.log_weights.get(n, log_weight) for n in dsl.names()}
        return Grammar(dsl, weights, self.log_variable, self.max_type_size,
                       self._contexts_within(dsl))

    def _contexts_within(self, dsl: DSL) -> dict[Context, dict[str, float]]:
        names = set(dsl.names()) | {VARIABLE_KEY}
        return {(p, k): {n: w for n, w in ws.items() if n in names}
                for (p, k), ws in self.contexts.items() if p in names or (p, k) == ROOT}

    def with_literals(self, program: Program, log_weight: float = LITERAL_LOG_WEIGHT) -> Grammar:
        """This grammar plus the literals `program` uses that it lacks (names the DSL's literal
        hook resolves, such as a task's constants), each weighted `log_weight`: the grammar to
        score a program found with its task's constants outside that task's search (learning,
        frontiers). This grammar itself when there are none."""
        extra = self.dsl.literals(q.name for q in walk(program) if isinstance(q, Prim))
        return self.with_primitives(extra, log_weight) if extra else self

    def with_weights(self, weights: Mapping[str, Any]) -> Grammar:
        """The same DSL with `weights` (per name; `$variable` for variables) over these ones:
        per-task weights, as a recognition model predicts them. `weights["$contexts"]`, when
        present, replaces the contextual weights: a list of `[parent, position, {name: w}]`
        (plain JSON, as jobs carry it to workers). Unknown names are refused."""
        w = dict(weights)
        log_variable = float(w.pop(VARIABLE_KEY, self.log_variable))
        contexts = self.contexts
        if CONTEXTS_KEY in w:
            contexts = _contexts_from_json(w.pop(CONTEXTS_KEY))
        out = Grammar(self.dsl, {**self.log_weights, **w}, log_variable, self.max_type_size,
                      contexts)
        # Same DSL, so the same typing: share what depends on types only (a guided search
        # builds one grammar per task and should not redo the unifications of the last one).
        out._by_type = self._by_type
        out._ground = self.ground_types()
        return out

    # ------------------------------------------------------------ serialisation
    def to_json(self) -> dict:
        out: dict[str, Any] = {
            "log_variable": self.log_variable,
            "log_weights": dict(self.log_weights),
            "max_type_size": self.max_type_size,
        }
        if self.contexts:
            out["contexts"] = contexts_to_json(self.contexts)
        return out

    @classmethod
    def from_json(cls, dsl: DSL, data: dict | str) -> Grammar:
        d = json.loads(data) if isinstance(data, str) else data
        return cls(
            dsl, d.get("log_weights", {}), d.get("log_variable", 0.0), d.get("max_type_size", 3),
            _contexts_from_json(d.get("contexts") or []),
        )

    # ------------------------------------------------------------ the model
    def ground_types(self) -> tuple[Type, ...]:
        """Ground types open type variables range over: the DSL's base types, and the ground
        compound types its primitives mention (for lists: int, bool, list(int))."""
        if self._ground is None:
            found: dict[Type, None] = {}
            for t in self._types.values():
                for c in _ground_parts(t):
                    found[c] = None
            self._ground = tuple(found)
        return self._ground

    def _name_productions(self, tau: Type) -> tuple[tuple[str, tuple[Type, ...], bool], ...]:
        """(name, ground argument types, open) for every library entry returning `tau`."""
        ground = self.ground_types()
        found = []
        for name, t in self._types.items():
            inst, _ = instantiate(t, 0)
            try:
                s = unify(returns(inst), tau)
            except UnificationError:
                continue
            args = [apply(a, s) for a in arguments(inst)]
            open_ = sorted(set().union(*(free_vars(a) for a in args))) if args else []
            choices = itertools.product(ground, repeat=len(open_)) if open_ else [()]
            for combo in choices:
                sub = dict(zip(open_, combo, strict=True))
                gargs = tuple(apply(a, sub) for a in args)
                if any(_too_big(a, self.max_type_size) for a in gargs):
                    continue
                found.append((name, gargs, bool(open_)))
        return tuple(found)

    def _productions(self, tau: Type, env: tuple[Type, ...],
                     context: Context | None) -> tuple[Production, ...]:
        if is_arrow(tau):
            raise ValueError("arrow-typed holes are filled by lambdas, not productions")
        named = self._by_type(tau)
        variables = [i for i, t in enumerate(env) if t == tau]
        weights, log_variable = self.log_weights, self.log_variable
        if context is not None:
            local = self.contexts[context]
            weights = {**weights, **{n: w for n, w in local.items() if n != VARIABLE_KEY}}
            log_variable = local.get(VARIABLE_KEY, log_variable)
        # Normalise over distinct choices: each variable, each name (not each ground instance).
        masses = [log_variable] * len(variables)
        masses += [weights[n] for n in dict.fromkeys(n for n, _, _ in named)]
        if not masses:
            return ()
        log_z = _logsumexp(masses)
        out = [
            Production(f"${i}", i, (), log_variable - log_z,
                       quantise(log_z - log_variable), False)
            for i in variables
        ]
        for n, args, open_ in named:
            w = weights[n]
            out.append(Production(n, -1, args, w - log_z, quantise(log_z - w), open_))
        return tuple(out)

    def description_length(self, program: Program, request: Type) -> float:
        """Description length in nats (the rounded model); NotDerivable if not in the grammar."""
        return self.cost(program, request) / QUANTUM

    def log_prior(self, program: Program, request: Type) -> float:
        return -self.description_length(program, request)

    def sample(
        self, request: Type, rng: Random, max_size: int = 40, max_depth: int = 8,
        tries: int = 100,
    ) -> Program | None:
        """A program drawn from this grammar's distribution within the bounds, None after
        `tries` abandoned draws (`hylo.core.sampling`)."""
        from hylo.core.sampling import sample_program  # sampling reads the grammar's model

        return sample_program(self, request, rng, max_size, max_depth, tries)

    def cost(self, program: Program, request: Type, env: tuple[Type, ...] = (),
             context: Context | None = ROOT) -> int:
        """Quantised description length (integer cost units) of `program` at a hole of type
        `request` in `context` (the root's, by default)."""
        memo: dict[tuple[int, Type, tuple[Type, ...], Context | None], int | None] = {}
        c = self._cost(program, request, env, context, memo)
        if c is None:
            raise NotDerivable(f"{program} is not derivable at type {request}")
        return c

    def _cost(self, p: Program, tau: Type, env: tuple[Type, ...], context: Context | None,
              memo: dict) -> int | None:
        key = (id(p), tau, env, context)
        if key in memo:
            return memo[key]
        memo[key] = None  # guards against cycles (there are none in trees, but be safe)
        out: int | None = None
        if is_arrow(tau):
            if isinstance(p, Lam):
                out = self._cost(p.body, tau.args[1], (tau.args[0], *env), context, memo)  # type: ignore[union-attr]
        else:
            head, args = spine(p)
            if isinstance(head, Var):
                if not args:
                    for prod in self.productions(tau, env, context):
                        if prod.var_index == head.index:
                            out = prod.cost
                            break
            elif isinstance(head, (Prim, Invented)):
                for prod in self.productions(tau, env, context):
                    if prod.name != head.name or len(prod.arg_types) != len(args):
                        continue
                    total = prod.cost
                    for k, (a, ta) in enumerate(zip(args, prod.arg_types, strict=True)):
                        c = self._cost(a, ta, env, self.context(head.name, k), memo)
                        if c is None:
                            total = -1
                            break
                        total += c
                    if total >= 0 and (out is None or total < out):
                        out = total
        memo[key] = out
        return out


VARIABLE_KEY = "$variable"
CONTEXTS_KEY = "$contexts"


def contexts_to_json(contexts: Mapping[Context, Mapping[str, float]]) -> list:
    """`[[parent, position, {name: weight}], ...]`: plain JSON (tuples cannot be keys)."""
    return [[p, k, dict(ws)] for (p, k), ws in contexts.items()]


def _contexts_from_json(data: Any) -> dict[Context, dict[str, float]]:
    """Contexts from `contexts_to_json`'s form, or from the compact form a recognition model
    sends with each job: `{"names": [...], "rows": [[parent, position, [w per name]], ...]}`."""
    out: dict[Context, dict[str, float]] = {}
    if isinstance(data, Mapping) and "rows" in data:
        names = [str(n) for n in data.get("names", [])]
        for row in data["rows"]:
            if not (isinstance(row, list | tuple) and len(row) == 3
                    and len(row[2]) == len(names)):
                raise ValueError("a compact context row is [parent, position, one weight per "
                                 "name]")
            out[(str(row[0]), int(row[1]))] = {n: float(w) for n, w in zip(names, row[2],
                                                                           strict=True)}
        return out
    if isinstance(data, Mapping):
        return {(str(p), int(k)): dict(ws) for (p, k), ws in data.items()}
    for entry in data:
        if not (isinstance(entry, list | tuple) and len(entry) == 3
                and isinstance(entry[2], Mapping)):
            raise ValueError(f"a context is [parent, position, weights], got {entry!r}")
        out[(str(entry[0]), int(entry[1]))] = {str(n): float(w) for n, w in entry[2].items()}
    return out


def _ground_parts(t: Type) -> list[Type]:
    """Ground non-arrow types that occur in `t` (int, bool, list(int), ...)."""
    if isinstance(t, TVar):
        return []
    if t.name == "->":
        return [c for a in t.args for c in _ground_parts(a)]
    inner = [c for a in t.args for c in _ground_parts(a)]
    return [*inner, t] if is_ground(t) else inner


def _too_big(t: Type, limit: int) -> bool:
    if isinstance(t, TCon) and t.name == "->":
        return any(_too_big(a, limit) for a in t.args)
    return type_size(t) > limit


def _logsumexp(xs: list[float]) -> float:
    m = max(xs)
    return m + math.log(sum(math.exp(x - m) for x in xs))

