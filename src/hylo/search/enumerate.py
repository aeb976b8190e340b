"""Typed best-first enumeration in exact order of description length.

Each non-terminal of the grammar (a hole `(type, env)`, see `hylo.core.grammar`) keeps its programs
in integer cost buckets. Bucket `C` of a non-terminal is built, on demand, from its productions:
a production of cost `c` with children `N1..Nk` contributes every combination of programs from
buckets of `N1..Nk` whose costs add up to `C - c`. Children always come from strictly cheaper
buckets, so each program is built once, in O(1), from programs already built; the start symbol's
buckets, walked in increasing cost, give every program in non-decreasing description length
(the "cost-directed" relative of heap search).

Programs are hash-consed: a node is the tuple `(head, child ids)` interned to an integer id, so
structurally equal programs are one id whatever derivation built them. That is how the rare
duplicates (two ground instances of an open type variable giving the same text) are removed.
Each node's closure for the fast evaluator is built from its children's closures when the node
is made, so checking a candidate never compiles anything.

Only the ill-typed is pruned: every production is type-correct by construction.
"""

from __future__ import annotations

import bisect
import itertools
import math
import time
from collections.abc import Iterator
from typing import Any

from hylo.core import evaluate
from hylo.core.dsl import DSL, Primitive
from hylo.core.evaluate import Closure, compile_program, lam_node, prim_node, var_node
from hylo.core.grammar import ROOT, Context, Grammar
from hylo.core.program import App, Lam, Prim, Program, Var
from hylo.core.types import Type, arguments, is_arrow, returns

_EMPTY: list[int] = []
_MISSING = object()
_CHECK_NODES = 4096  # nodes made between two looks at the clock while building a bucket


class Stopped(Exception):
    """An enumerator stopped building: `args[0]` is "timeout" or "memory"."""


class _Failed:
    """The value of a node whose evaluation failed (raised, or ran out of steps or time)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "FAILED"


FAILED: Any = _Failed()


def _unfail(v: Any) -> Any:
    if v is FAILED:
        raise ValueError("argument failed")
    return v

_LAM = -1_000_000  # head code of a lambda node; variables are -(index + 1); names are >= 0


class _NonTerminal:
    """Programs of one hole `(tau, env)`, by cost bucket."""

    __slots__ = ("en", "tau", "env", "context", "prods", "buckets", "upto", "nonempty", "seen")

    def __init__(self, en: Enumerator, tau: Type, env: tuple[Type, ...],
                 context: Context | None = None) -> None:
        self.en = en
        self.tau = tau
        self.env = env
        self.context = context
        self.buckets: dict[int, list[int]] = {}
        self.upto = 0  # buckets 0..upto are complete (cost 0 is always empty)
        self.nonempty: list[int] = []  # costs of non-empty buckets, ascending
        self.seen: set[int] = set()  # ids made by productions with open type variables
        self.prods: list[tuple[int, int, Any, tuple[Any, ...], bool]] = []
        if len(env) > en.max_env:
            return
        for prod in en.grammar.productions(tau, env, context):
            if prod.var_index >= 0:
                head = -(prod.var_index + 1)
                maker: Any = var_node(prod.var_index)
                children: tuple[Any, ...] = ()
            else:
                head = en.head_code[prod.name]
                maker = en.makers[prod.name]
                children = prod.arg_types  # resolved to non-terminals on first use
            self.prods.append((prod.cost, head, maker, children, prod.open_vars))
        self.prods.sort(key=lambda p: p[0] + len(p[3]))
        # No program here costs less than its cheapest production plus one unit per child.
        if self.prods:
            self.upto = self.prods[0][0] + len(self.prods[0][3]) - 1

    def get(self, cost: int) -> list[int]:
        while self.upto < cost:
            self.upto += 1
            self._build(self.upto)
        return self.buckets.get(cost, _EMPTY)

    def edges(self, resolve: bool = True) -> list[tuple[int, tuple[_NonTerminal, ...]]]:
        """(production cost, child non-terminals) of every production; `resolve=False` skips
        the productions whose children were never made (instead of making them)."""
        out = []
        for j, (pcost, head, maker, children, open_vars) in enumerate(self.prods):
            if children and not isinstance(children[0], _NonTerminal):
                if not resolve:
                    continue
                children = self.en.children(head, children, self.env)
                self.prods[j] = (pcost, head, maker, children, open_vars)
            out.append((pcost, children))
        return out

    def _build(self, cost: int) -> None:
        out: list[int] = []
        out_append = out.append
        en = self.en
        intern = en.intern
        intern_get = intern.get
        struct = en.struct
        struct_append = struct.append
        # The deadline and node budget are checked right after nodes were made (each batch),
        # never in the loops that find nothing: there the checks cost more than they save.
        for j, (pcost, head, maker, children, open_vars) in enumerate(self.prods):
            rem = cost - pcost
            k = len(children)
            if rem < k:
                break  # productions are sorted by pcost + k
            if k and not isinstance(children[0], _NonTerminal):
                children = en.children(head, children, self.env)
                self.prods[j] = (pcost, head, maker, children, open_vars)
            if k == 0:
                if rem == 0:
                    key = (head,)
                    nid = intern.get(key)
                    if nid is None:
                        nid = en.new_node(key)
                    out.append(nid)
                continue
            if k == 1:
                la = children[0].get(rem)
                if not la:
                    continue
                if open_vars:
                    self._emit(out, head, open_vars, ((x,) for x in la))
                    continue
                # Hot path, inlined: intern (head, x) for every child program x.
                for x in la:
                    key = (head, x)
                    nid = intern_get(key)
                    if nid is None:
                        nid = len(struct)
                        intern[key] = nid
                        struct_append(key)
                    out_append(nid)
                if len(struct) > en.next_check:
                    en.check_stop()
                continue
            a = children[0]
            a.get(rem - k + 1)
            costs_a = a.nonempty[: bisect.bisect_right(a.nonempty, rem - k + 1)]
            if k == 2:
                b = children[1]
                b_buckets = b.buckets
                for ca in costs_a:
                    r = rem - ca
                    if r > b.upto:
                        b.get(r)
                    lb = b_buckets.get(r)
                    if not lb:
                        continue
                    la = a.buckets[ca]
                    if open_vars:
                        self._emit(out, head, open_vars, ((x, y) for x in la for y in lb))
                        continue
                    for x in la:
                        for y in lb:
                            key = (head, x, y)
                            nid = intern_get(key)
                            if nid is None:
                                nid = len(struct)
                                intern[key] = nid
                                struct_append(key)
                            out_append(nid)
                    if len(struct) > en.next_check:
                        en.check_stop()
                continue
            if k == 3:
                b, c = children[1], children[2]
                for ca in costs_a:
                    rem_bc = rem - ca
                    b.get(rem_bc - 1)
                    costs_b = b.nonempty[: bisect.bisect_right(b.nonempty, rem_bc - 1)]
                    la = a.buckets[ca]
                    for cb in costs_b:
                        lc = c.get(rem_bc - cb)
                        if lc:
                            lb = b.buckets[cb]
                            combos = ((x, y, z) for x in la for y in lb for z in lc)
                            self._emit(out, head, open_vars, combos)
                continue
            for split in _splits(rem, k):
                lists = [ch.get(s) for ch, s in zip(children, split, strict=True)]
                if all(lists):
                    self._emit(out, head, open_vars, itertools.product(*lists))
        if out:
            self.buckets[cost] = out
            self.nonempty.append(cost)

    def _emit(self, out: list[int], head: int, open_vars: bool, combos: Any) -> None:
        en = self.en
        intern = en.intern
        new_node = en.new_node
        if len(en.struct) > en.next_check:
            en.check_stop()
        if not open_vars:
            for ch in combos:
                key = (head, *ch)
                nid = intern.get(key)
                if nid is None:
                    nid = new_node(key)
                out.append(nid)
            return
        seen = self.seen
        for ch in combos:
            key = (head, *ch)
            nid = intern.get(key)
            if nid is None:
                nid = new_node(key)
            elif nid in seen:
                continue
            seen.add(nid)
            out.append(nid)
        if len(en.struct) > en.next_check:
            en.check_stop()


class _ArrowNonTerminal(_NonTerminal):
    """An arrow-typed hole: `(lam body)` at no cost, for every program of the body's hole."""

    __slots__ = ("body",)

    def __init__(self, en: Enumerator, tau: Type, env: tuple[Type, ...],
                 context: Context | None = None) -> None:
        self.en = en
        self.tau = tau
        self.env = env
        self.context = context
        self.buckets = {}
        self.upto = 0
        self.nonempty = []
        self.seen = set()
        self.prods = []
        # lambdas are transparent to contexts: the body's hole is the argument's
        self.body = en.nonterminal(tau.args[1], (tau.args[0], *env), context)  # type: ignore[union-attr]

    def edges(self, resolve: bool = True) -> list[tuple[int, tuple[_NonTerminal, ...]]]:
        return [(0, (self.body,))]

    def _build(self, cost: int) -> None:
        body = self.body.get(cost)
        if not body:
            return
        en = self.en
        intern = en.intern
        out = []
        for b in body:
            key = (_LAM, b)
            nid = intern.get(key)
            if nid is None:
                nid = en.new_node(key)
            out.append(nid)
        self.buckets[cost] = out
        self.nonempty.append(cost)


def _deferred_node(value: Any) -> Closure:
    return lambda env: value()


def _splits(total: int, k: int) -> Iterator[tuple[int, ...]]:
    if k == 1:
        yield (total,)
        return
    for first in range(1, total - k + 2):
        for rest in _splits(total - first, k - 1):
            yield (first, *rest)


def _invention_primitive(name: str, dsl: DSL) -> Primitive:
    """An invention as an uncurried primitive over its compiled (closed) body.

    The body's value is computed on first use, inside whatever evaluation first needs it (so
    under that evaluation's limits and the watchdog), with a step budget of its own, and kept:
    a failure too, so a body that runs out of time costs one limit per search, not one per use.
    """
    inv = dsl.inventions[name]
    value_cell: list[Any] = []
    body = compile_program(inv.body, dsl)

    def value() -> Any:
        if not value_cell:
            try:
                value_cell.append((True, evaluate.run_nested(body)))
            except Exception as e:  # the body raises or runs out of its limits
                value_cell.append((False, f"{name}: {type(e).__name__}: {e}"))
        ok, v = value_cell[0]
        if not ok:
            raise ValueError(v)
        return v

    arity = inv.arity

    def impl(*args: Any) -> Any:
        v = value()
        for a in args:
            v = v(a)
        return v

    if arity == 0:
        return Primitive(name, inv.type, value)  # run when the node runs (`Enumerator.closure`)
    return Primitive(name, inv.type, impl)


class Enumerator:
    """Enumerates the programs of a request type, in non-decreasing description length.

    `buckets()` yields `(cost, ids)` for the start symbol, cost in 1/QUANTUM nat units;
    `program(id)` rebuilds the AST, `closure(id)` gives its compiled body (a function of the
    input env).
    """

    def __init__(self, grammar: Grammar, request: Type, max_lambda_depth: int = 3) -> None:
        self.grammar = grammar
        self.dsl = grammar.dsl
        self.request = request
        inputs = arguments(request)
        self.arity = len(inputs)
        self.start_env = tuple(reversed(inputs))
        self.max_env = len(inputs) + max_lambda_depth
        names = self.dsl.names()
        self.head_code = {n: i for i, n in enumerate(names)}
        self.head_name = names
        self.makers: dict[str, Primitive] = {}
        for n in names:
            self.makers[n] = (
                self.dsl.primitives[n]
                if n in self.dsl.primitives
                else _invention_primitive(n, self.dsl)
            )
        self.makers_by_code = [self.makers[n] for n in names]
        # Nullary inventions: their closure calls the body when run, not when built.
        self.deferred = {
            self.head_code[n]
            for n in names
            if n in self.dsl.inventions and self.makers[n].arity == 0
        }
        self.intern: dict[tuple[int, ...], int] = {}
        self.struct: list[tuple[int, ...]] = []
        self.closures: list[Closure] = []
        self._nts: dict[tuple[Type, tuple[Type, ...], Context | None], _NonTerminal] = {}
        self._largest: Any = _MISSING
        # Stopping a long bucket build: checked each time `next_check` more nodes were made.
        self.deadline = math.inf
        self.max_nodes = 1 << 62
        self.next_check = _CHECK_NODES
        self.root = self.nonterminal(returns(request), self.start_env,
                                     grammar.context(*ROOT))

    # ------------------------------------------------------------ structure
    def nonterminal(self, tau: Type, env: tuple[Type, ...],
                    context: Context | None = None) -> _NonTerminal:
        """The hole `(tau, env)` in grammar context `context` (None: the unigram weights,
        shared by every hole a contextual grammar does not weigh apart)."""
        key = (tau, env, context)
        nt = self._nts.get(key)
        if nt is None:
            if is_arrow(tau):
                nt = _ArrowNonTerminal.__new__(_ArrowNonTerminal)
                self._nts[key] = nt
                nt.__init__(self, tau, env, context)  # type: ignore[misc]
            else:
                nt = _NonTerminal.__new__(_NonTerminal)
                self._nts[key] = nt  # registered before its productions: holes recurse
                nt.__init__(self, tau, env, context)  # type: ignore[misc]
        return nt

    def children(self, head: int, types: tuple[Type, ...],
                 env: tuple[Type, ...]) -> tuple[_NonTerminal, ...]:
        """The argument holes of production `head` (a name's code) at `types`."""
        if not self.grammar.contexts:
            return tuple(self.nonterminal(t, env) for t in types)
        name = self.head_name[head]
        return tuple(self.nonterminal(t, env, self.grammar.context(name, k))
                     for k, t in enumerate(types))

    def check_stop(self) -> None:
        """Raise `Stopped` if the enumerator is past its deadline or holds too many nodes
        (a stopped enumerator is not resumed: the bucket it was building is incomplete)."""
        self.next_check = len(self.struct) + _CHECK_NODES
        if len(self.struct) > self.max_nodes:
            raise Stopped("memory")
        if time.perf_counter() > self.deadline:
            raise Stopped("timeout")

    def new_node(self, key: tuple[int, ...]) -> int:
        nid = len(self.struct)
        self.intern[key] = nid
        self.struct.append(key)
        return nid

    def closure(self, nid: int) -> Closure:
        """The compiled body of node `nid`, built on first use from its children's closures."""
        closures = self.closures
        if nid >= len(closures):
            closures.extend([None] * (len(self.struct) - len(closures)))  # type: ignore[list-item]
        f = closures[nid]
        if f is None:
            key = self.struct[nid]
            head = key[0]
            if head == _LAM:
                f = lam_node(self.closure(key[1]))
            elif head < 0:
                f = var_node(-head - 1)
            elif head in self.deferred:
                f = _deferred_node(self.makers_by_code[head].impl)
            else:
                f = prim_node(self.makers_by_code[head], [self.closure(c) for c in key[1:]])
            closures[nid] = f
        return f

    # ------------------------------------------------------------ first-example values
    def set_first_input(self, env: tuple[Any, ...]) -> None:
        """Memoise every node's value on one input environment (the task's first example).

        A node's value is its primitive applied to its children's memoised values: one call per
        new program, instead of evaluating the whole tree. Only nodes whose free variables are
        the inputs are ever asked for (children of input-level nodes are input-level, lambdas
        aside, which are evaluated through their closures), so hash-consing is harmless here.
        """
        self._env0 = env
        self._val0: list[Any] = []

    def value0(self, nid: int) -> Any:
        """Value of node `nid` on the first input, or FAILED if evaluating it fails."""
        val0 = self._val0
        if nid >= len(val0):
            val0.extend([_MISSING] * (len(self.struct) - len(val0)))
        v = val0[nid]
        if v is not _MISSING:
            return v
        key = self.struct[nid]
        head = key[0]
        evaluate.start_cheap()
        try:
            if head == _LAM or len(key) == 1:
                v = self.closure(nid)(self._env0)
            else:
                prim = self.makers_by_code[head]
                args = [val0[c] if val0[c] is not _MISSING else self.value0(c) for c in key[1:]]
                if prim.lazy:
                    v = prim.impl(*[(lambda a=a: _unfail(a)) for a in args])
                elif FAILED in args:
                    v = FAILED
                else:
                    evaluate.start_cheap()
                    v = prim.impl(*args)
        except Exception:  # the program raises or exhausts its limits on this input
            v = FAILED
        val0[nid] = v
        return v

    @property
    def size(self) -> int:
        """Number of distinct nodes (programs and sub-programs) built so far."""
        return len(self.struct)

    # ------------------------------------------------------------ walking
    def buckets(
        self, max_cost: int | None = None, empty: bool = False
    ) -> Iterator[tuple[int, list[int]]]:
        """The start symbol's programs, bucket by bucket, cheapest first (bodies, no lambdas).

        Ends after the last program when the request has only finitely many: after a run of
        empty buckets it looks for a productive cycle among the holes built so far (cheap: the
        request is infinite), and failing that decides with `largest_cost`. `empty=True` also
        yields the empty buckets, so a caller can watch its clock while they go by.
        """
        cost = 0
        streak = 0
        look = 16
        infinite = False
        while max_cost is None or cost < max_cost:
            cost += 1
            ids = self.root.get(cost)
            if ids:
                streak = 0
            else:
                streak += 1
                if not infinite and streak >= look:
                    look *= 2
                    if self._analyse(evidence=True) is None:
                        infinite = True
                    elif streak >= 64:
                        last = self.largest_cost()
                        if last is None:
                            infinite = True
                        elif cost > last:
                            return
            if ids or empty:
                yield cost, ids

    def largest_cost(self) -> int | None:
        """The cost of the request's dearest program, or None if it has infinitely many.

        The grammar's holes form a finite graph (types are bounded by `max_type_size`, scopes
        by the lambda depth). A hole is productive if some production has all its children
        productive; the request has infinitely many programs iff a cycle of such productions
        is reachable from the start symbol (every production costs at least one unit and
        arrows lead to larger scopes, so every cycle costs). Computed once; it visits every
        reachable hole, which for a large DSL takes a fraction of a second.
        """
        if self._largest is _MISSING:
            self._largest = self._analyse(evidence=False)
        return self._largest  # type: ignore[no-any-return]

    def _analyse(self, evidence: bool) -> int | None:
        """Longest path from the start symbol over productive productions, None on a cycle.

        `evidence=True` looks only at holes already built and counts as productive only those
        with a program: a cycle found proves infinitely many programs; a number proves nothing.
        """
        order: list[_NonTerminal] = [self.root]
        index = {id(self.root): 0}
        edges: list[list[tuple[int, tuple[_NonTerminal, ...]]]] = []
        i = 0
        while i < len(order):
            nt = order[i]
            es = nt.edges(resolve=not evidence)
            edges.append(es)
            for _, children in es:
                for ch in children:
                    if id(ch) not in index:
                        index[id(ch)] = len(order)
                        order.append(ch)
            i += 1
        if evidence:
            productive = [bool(nt.nonempty) for nt in order]
        else:
            productive = [False] * len(order)
            changed = True
            while changed:  # fixpoint
                changed = False
                for n, es in enumerate(edges):
                    if not productive[n] and any(
                        all(productive[index[id(ch)]] for ch in chs) for _, chs in es
                    ):
                        productive[n] = changed = True
        if not productive[0]:
            return 0
        good = [
            [(c, [index[id(ch)] for ch in chs]) for c, chs in es
             if all(productive[index[id(ch)]] for ch in chs)]
            for es in edges
        ]
        # Longest path by iterative depth-first search; a back edge closes a cycle.
        largest = [0] * len(order)
        state = [0] * len(order)  # 0 new, 1 on the stack, 2 done
        succ = [[ch for _, chs in g for ch in chs] for g in good]
        stack: list[tuple[int, int]] = [(0, 0)]
        state[0] = 1
        while stack:
            n, k = stack.pop()
            if k < len(succ[n]):
                stack.append((n, k + 1))
                m = succ[n][k]
                if state[m] == 1:
                    return None
                if state[m] == 0:
                    state[m] = 1
                    stack.append((m, 0))
                continue
            largest[n] = max((c + sum(largest[ch] for ch in chs) for c, chs in good[n]),
                             default=0)
            state[n] = 2
        return largest[0]

    def program(self, nid: int) -> Program:
        """The whole program (with its input lambdas) for a start-symbol id."""
        p = self.body(nid)
        for _ in range(self.arity):
            p = Lam(p)
        return p

    def body(self, nid: int) -> Program:
        key = self.struct[nid]
        head = key[0]
        if head == _LAM:
            return Lam(self.body(key[1]))
        if head < 0:
            return Var(-head - 1)
        name = self.head_name[head]
        out: Program = (
            Prim(name) if name in self.dsl.primitives else self.dsl.invented(name)
        )
        for c in key[1:]:
            out = App(out, self.body(c))
        return out

    def __iter__(self) -> Iterator[tuple[Program, int]]:
        for cost, ids in self.buckets():
            for nid in ids:
                yield self.program(nid), cost


def enumerate_programs(
    grammar: Grammar, request: Type, max_cost: int | None = None
) -> Iterator[tuple[Program, float]]:
    """Every program of `request` derivable from `grammar`, by non-decreasing description length
    (nats). Convenience wrapper; search uses `Enumerator` directly to avoid building ASTs."""
    from hylo.core.grammar import QUANTUM

    en = Enumerator(grammar, request)
    for cost, ids in en.buckets(max_cost):
        for nid in ids:
            yield en.program(nid), cost / QUANTUM
