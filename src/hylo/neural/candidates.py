"""Candidate hybrid programs, from the core enumerator, in order of description length.

The DSL of a hybrid search is the domain's DSL plus neural primitives: every usable library
module (`nn:classify@v1 : image -> int`) and a fresh hole of each kind (`nn:new:classify`).
`with_neural` builds it; a neural primitive's symbolic meaning is the callable bound to it (for
a classifier, its most likely class), and calling an unbound one raises. So the core evaluator
(`hylo.core.evaluate`) is the symbolic semantics of hybrid programs too.

`candidates` walks `hylo.search.enumerate.Enumerator` over a grammar of that DSL (so programs
come out by non-decreasing description length, and a learned grammar guides it) and drops what
can never be a useful model. The general rules name no primitive:

- a lambda whose body ignores its variable (constant functions, and programs that ignore an
  input), and the identity `(lam $0)`;
- a primitive applied to arguments that are all closed: a constant subexpression such as
  `(+ 3 4)`.

The rest is the domain's data (`Prune`, from `Domain.search_defaults["hybrid"]["prune"]`):
commutative operators (one argument order kept), irreflexive ones (`(eq x x)` is a constant),
`(outer (inner ...))` pairs that equal a smaller program, identity elements (`(+ x 0)`) and
associative operators (`(+ (+ x 1) 2)`: one constant would do).

Programs are enumerated eta-long and reported eta-reduced (`(map nn:new:classify $0)`), the
spelling every hybrid program uses; both forms mean the same to every evaluator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hylo.core.dsl import DSL, Primitive
from hylo.core.grammar import QUANTUM, Grammar
from hylo.core.program import App, Lam, Program, Var, free_indices, shift, size
from hylo.core.types import Type, show_type
from hylo.neural.names import is_neural
from hylo.search.enumerate import _LAM, Enumerator, Stopped


# ----------------------------------------------------------------------------- the DSL
def _unbound(name: str) -> Callable[[Any], Any]:
    def impl(x: Any) -> Any:
        raise RuntimeError(f"{name} has no module bound: it has no symbolic meaning yet")

    return impl


def with_neural(dsl: DSL, neural: Mapping[str, Type],
                bound: Mapping[str, Callable[[Any], Any]] | None = None) -> DSL:
    """`dsl` plus the neural primitives `neural` (name -> type); `bound[name]` is a module's
    symbolic meaning (e.g. argmax of a classifier), an unbound name raises when called."""
    prims = dict(dsl.primitives)
    for name, t in neural.items():
        if not is_neural(name):
            raise ValueError(f"{name!r} is not a neural primitive name")
        impl = (bound or {}).get(name) or _unbound(name)
        prims[name] = Primitive(name, t, impl)
    return DSL(prims, dict(dsl.inventions), dsl.literal)


# ----------------------------------------------------------------------------- pruning data
@dataclass(frozen=True)
class Prune:
    """A domain's algebraic facts about its primitives, used only to skip redundant programs."""

    commutative: frozenset[str] = frozenset()
    irreflexive: frozenset[str] = frozenset()  # `(op x x)` is a constant
    redundant: frozenset[tuple[str, str]] = frozenset()  # `(outer (inner ..))` has a smaller twin
    identity: Mapping[str, str] = field(default_factory=dict)  # op -> e with `(op x e) = x`
    associative: frozenset[str] = frozenset()

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Prune:
        d = dict(data or {})
        return cls(frozenset(d.get("commutative", ())), frozenset(d.get("irreflexive", ())),
                   frozenset(tuple(p) for p in d.get("redundant", ())),
                   dict(d.get("identity", {})), frozenset(d.get("associative", ())))

    def key(self) -> tuple:
        return (tuple(sorted(self.commutative)), tuple(sorted(self.irreflexive)),
                tuple(sorted(self.redundant)), tuple(sorted(self.identity.items())),
                tuple(sorted(self.associative)))


# ----------------------------------------------------------------------------- enumeration
@dataclass(frozen=True)
class Candidate:
    program: Program  # eta-reduced
    description_length: float  # nats, under the grammar (of the eta-long program)


class _Nodes:
    """Per hash-consed node of an enumerator: pruned or not, free variables, head name, text.

    Nodes are shared between programs, so each is judged once from its children's facts."""

    def __init__(self, en: Enumerator, rules: Prune, max_size: int) -> None:
        self.en = en
        self.rules = rules
        self.max_size = max_size  # eta-long nodes; a bigger node's parents are bigger still
        self.size: list[int] = []
        self.bad: list[bool | None] = []
        self.free: list[frozenset[int]] = []
        self.head: list[str | None] = []  # primitive name, None for a variable or a lambda
        self.text: list[str] = []
        self.closed_const: list[bool] = []  # closed and not a lambda: a constant value

    def judge(self, nid: int) -> bool:
        """True if the program (body) `nid` or any part of it is pruned."""
        struct = self.en.struct
        todo = [nid]
        while todo:  # children before parents, without recursion
            n = todo[-1]
            if n < len(self.bad) and self.bad[n] is not None:
                todo.pop()
                continue
            missing = [c for c in struct[n][1:] if c >= len(self.bad) or self.bad[c] is None]
            if missing:
                todo.extend(missing)
                continue
            todo.pop()
            self._judge_one(n)
        return bool(self.bad[nid])

    def _grow(self, n: int) -> None:
        extra = n + 1 - len(self.bad)
        if extra > 0:
            self.bad.extend([None] * extra)
            self.size.extend([0] * extra)
            self.free.extend([frozenset()] * extra)
            self.head.extend([None] * extra)
            self.text.extend([""] * extra)
            self.closed_const.extend([False] * extra)

    def _judge_one(self, n: int) -> None:
        self._grow(n)
        key = self.en.struct[n]
        head, kids = key[0], key[1:]
        self.size[n] = 1 + sum(self.size[c] for c in kids)
        bad = self.size[n] > self.max_size or any(self.bad[c] for c in kids)
        if head == _LAM:
            body = kids[0]
            free = frozenset(i - 1 for i in self.free[body] if i > 0)
            # a function that ignores its argument, or the identity
            bad = bad or 0 not in self.free[body] or self.text[body] == "$0"
            self.text[n] = f"(lam {self.text[body]})"
            self.free[n] = free
        elif head < 0:
            self.free[n] = frozenset({-head - 1})
            self.text[n] = f"${-head - 1}"
        else:
            name = self.en.head_name[head]
            self.head[n] = name
            self.free[n] = frozenset().union(*(self.free[c] for c in kids)) if kids else frozenset()
            self.text[n] = f"({name} {' '.join(self.text[c] for c in kids)})" if kids else name
            self.closed_const[n] = not self.free[n]
            bad = bad or (bool(kids) and self._redundant(name, kids))
        self.bad[n] = bad

    def _redundant(self, name: str, kids: tuple[int, ...]) -> bool:
        r = self.rules
        if all(not self.free[c] for c in kids):
            return True  # a constant subexpression
        if len(kids) == 2:
            a, b = kids
            if name in r.irreflexive and a == b:
                return True
            if name in r.commutative and self.text[a] > self.text[b]:
                return True
            unit = r.identity.get(name)
            for y in (a, b):
                if unit is not None and self.head[y] == unit and len(self.en.struct[y]) == 1:
                    return True  # (op x e) is x
            if name in r.associative:
                for x, y in ((a, b), (b, a)):
                    inner = self.en.struct[x]
                    if (self.closed_const[y] and self.head[x] == name
                            and any(self.closed_const[c] for c in inner[1:])):
                        return True
        last = self.head[kids[-1]]
        return last is not None and (name, last) in r.redundant


def eta_reduce(p: Program) -> Program:
    """`(lam (f $0))` -> `f` wherever `$0` is not free in `f`, bottom-up."""
    if isinstance(p, App):
        return App(eta_reduce(p.f), eta_reduce(p.x))
    if isinstance(p, Lam):
        body = eta_reduce(p.body)
        if isinstance(body, App) and body.x == Var(0) and 0 not in free_indices(body.f):
            return shift(body.f, -1)
        return Lam(body)
    return p


_CACHE: dict[tuple, list[Candidate]] = {}


def candidates(grammar: Grammar, request: Type, rules: Prune | None = None, max_size: int = 8,
               limit: int | None = None, max_visited: int = 200_000,
               max_nodes: int = 60_000) -> list[Candidate]:
    """Unpruned programs of `request` with at most `max_size` leaves and lambdas (eta-reduced),
    by non-decreasing description length under `grammar` (ties in the enumerator's order), at
    most `limit` of them. The walk ends early after `max_visited` programs or once the
    enumerator holds `max_nodes` nodes (a few hundred bytes each). Memoised."""
    rules = rules or Prune()
    key = (tuple((n, show_type(grammar.dsl.type_of(n)), grammar.log_weights[n])
                 for n in grammar.dsl.names()), grammar.log_variable, show_type(request),
           rules.key(), max_size, limit, max_visited, max_nodes)
    if key not in _CACHE:
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = _candidates(grammar, request, rules, max_size, limit, max_visited,
                                  max_nodes)
    return list(_CACHE[key])


def _candidates(grammar: Grammar, request: Type, rules: Prune, max_size: int,
                limit: int | None, max_visited: int, max_nodes: int) -> list[Candidate]:
    en = Enumerator(grammar, request, max_lambda_depth=2)
    # eta-long adds at most one lambda per leaf to the eta-reduced size
    long_size = 2 * max_size + en.arity
    nodes = _Nodes(en, rules, long_size)
    inputs = frozenset(range(en.arity))
    out: list[Candidate] = []
    seen: set[Program] = set()
    visited = 0
    # every non-lambda node is one choice, and no choice costs more than this
    max_cost = long_size * _max_choice_cost(grammar, en.max_env)
    en.max_nodes = max_nodes  # a bucket build past it stops (deterministic, unlike a clock)
    try:
        for cost, ids in en.buckets():
            if cost > max_cost:
                break
            for nid in ids:
                visited += 1
                if visited > max_visited:
                    return out
                if nodes.judge(nid) or nodes.free[nid] != inputs:
                    continue
                p = eta_reduce(en.program(nid))
                if size(p) > max_size or p in seen:
                    continue
                seen.add(p)
                out.append(Candidate(p, cost / QUANTUM))
                if limit is not None and len(out) >= limit:
                    return out
    except Stopped:  # the bucket in progress is incomplete: what came before is exact
        pass
    return out


def _max_choice_cost(grammar: Grammar, max_env: int) -> int:
    """An upper bound on the cost (quanta) of one choice: the least likely name or variable,
    normalised against every name and `max_env` variables at once."""
    masses = [*grammar.log_weights.values(), *[grammar.log_variable] * max(1, max_env)]
    m = max(masses)
    log_z = m + math.log(sum(math.exp(x - m) for x in masses))
    return int(math.ceil((log_z - min(masses)) * QUANTUM)) + 1


def neural_types(names: Iterable[str], types: Mapping[str, Type]) -> dict[str, Type]:
    return {n: types[n] for n in names}
