"""Split outputs into built parts: `p a (p b (p c d))` for a concatenation `p` (`++` on strings)
whose parts are programs bottom-up search has already kept (`Domain.concatenations`).

Bottom-up search reaches `(++ a (++ " " (++ (str-take 1 b) ".")))` only after every program
cheaper than it, and in a large DSL that is tens of millions of programs away. Its parts, each
a few nodes, are in the banks early. So at the root, for a request whose return type `t` has a
concatenation `p : t -> t -> t`, the outputs are split into parts found in the banks: a state
is what is left of each output; a part is a kept root program whose value at every example is
a left part of what is left there (looked up by the size of its value at the first example,
then that value: only sizes some kept program has are tried, so a long output costs no more
than a short one); a state whose remainders are one kept program's values ends the split.

Search order: a uniform-cost search over states, a split costing its description length
(`cost(p)` per join plus the parts' costs), bounded by the root level reached plus `slack`
nats; the cheapest split found is handed to `_Loop.found_deduced`, which confirms it with the
checker and keeps it until the root level comes near its cost (or the budget ends), as it does
deduced lambdas. It runs again as the parts' bank grows (by a quarter) or the level rises by a
nat, and each run stops after `max_states` states; it takes at most `share` of the time the
search has run (on a task it cannot split, a third of the time went to splitting without it).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from hylo.core.domain import Concatenation
from hylo.core.grammar import QUANTUM
from hylo.core.types import returns
from hylo.search.enumerate import FAILED

if TYPE_CHECKING:
    from hylo.search.bottom_up import Bank, BottomUpRun, _Loop


class _Join:
    """One concatenation production at the root: its inverse, production id, the cost of a
    join at the root and inside a join's right argument, and the banks of its two parts."""

    __slots__ = ("name", "inverse", "pid", "outer", "inner", "left", "right")

    def __init__(self, name: str, inverse: Concatenation, pid: int, outer: int, inner: int,
                 left: Bank, right: Bank) -> None:
        self.name = name
        self.inverse = inverse
        self.pid = pid
        self.outer = outer
        self.inner = inner
        self.left = left
        self.right = right


class _Index:
    """A bank's kept programs that fail at no example, by the size of their value at the first
    example and then that value (so a state looks up only the sizes that exist, never every
    left part of a long output)."""

    def __init__(self, bank: Bank, inverse: Concatenation) -> None:
        self.bank = bank
        self.inverse = inverse
        self.by_first: dict[int, dict[Hashable, list[int]]] = {}
        self.cost: dict[int, int] = {}
        self.upto = 0  # levels 1..upto are indexed
        self.size = 0

    def update(self, run: BottomUpRun) -> None:
        bank = self.bank
        key = run.key
        for level in bank.nonempty:
            if level <= self.upto:
                continue
            if level > bank.upto:
                break
            for eid in bank.levels[level]:
                if run.bad[eid]:
                    continue
                vs = run.vals[eid]
                self.cost[eid] = level
                n = self.inverse.size(vs[0])
                self.by_first.setdefault(n, {}).setdefault(key((vs[0],)), []).append(eid)
                self.size += 1
        self.upto = bank.upto


class Splitter:
    """The split step of one bottom-up run (see the module docstring)."""

    def __init__(self, run: BottomUpRun, concatenations: dict[str, Concatenation],
                 slack: float, max_states: int = 20_000, share: float = 0.2) -> None:
        self.run = run
        self.share = share
        self.started = time.perf_counter()
        self.spent = 0.0
        self.slack = round(slack * QUANTUM)
        self.max_states = max_states
        self.joins: list[_Join] = []
        self.indexes: dict[tuple[int, int], _Index] = {}
        self.outputs = tuple(ex.output for ex in run.task.examples)
        self.last_level = 0
        self.last_size = 0
        self.best: int | None = None  # the cost of the cheapest split handed over
        if run.split or not self.outputs:  # queries have no outputs to split
            return
        tau = returns(run.task.request)
        root = run.contexts[0]
        grammar = run.grammar
        context = grammar.context
        for prod in grammar.productions(tau, root.env, run.root.gctx):
            inverse = concatenations.get(prod.name)
            if inverse is None or prod.var_index >= 0 or prod.arg_types != (tau, tau):
                continue
            inner = _cost(grammar.productions(tau, root.env, context(prod.name, 1)), prod.name)
            if inner is None:
                continue
            left = run._bank(root, tau, context(prod.name, 0))
            right = run._bank(root, tau, context(prod.name, 1))
            pid = run._prod_id(prod.name, -1, (0, 0))
            self.joins.append(_Join(prod.name, inverse, pid, prod.cost, inner, left, right))

    def _index(self, bank: Bank, inverse: Concatenation) -> _Index:
        at = (bank.bid, id(inverse))
        ix = self.indexes.get(at)
        if ix is None:
            ix = self.indexes[at] = _Index(bank, inverse)
        return ix

    def advance(self, loop: _Loop, level: int) -> None:
        """Split the outputs with the parts kept so far, when enough is new since the last
        time (raises `_Found` through `loop.found_deduced` for a split the checker accepts)."""
        if not self.joins:
            return
        run = self.run
        size = len(run.vals)
        if level < self.last_level + QUANTUM and size < self.last_size * 1.25 + 64:
            return
        t0 = time.perf_counter()
        if self.spent > self.share * (t0 - self.started):
            return
        self.last_level, self.last_size = level, size
        bound = level + self.slack
        if self.best is not None:
            bound = min(bound, self.best - 1)
        try:
            for join in self.joins:
                left = self._index(join.left, join.inverse)
                right = self._index(join.right, join.inverse)
                left.update(run)
                if right is not left:
                    right.update(run)
                self._search(loop, join, left, right, bound)
        finally:
            self.spent += time.perf_counter() - t0

    def _search(self, loop: _Loop, join: _Join, left: _Index, right: _Index,
                bound: int) -> None:
        run = self.run
        key = run.key
        inverse = join.inverse
        seen = join.right.seen
        start = self.outputs
        # heap items: (cost so far, tie, remainders, path of parts, goal entry or -1)
        heap: list[tuple[int, int, tuple[Any, ...], tuple[int, ...], int]] = [
            (0, 0, start, (), -1)]
        done: set[Hashable] = set()
        tie = 1
        states = 0
        while heap:
            cost, _, rest, path, goal = heapq.heappop(heap)
            if goal >= 0:
                self._hand_over(loop, join, path, goal, cost)
                if self.best is not None and self.best <= cost:
                    return
                continue
            k = key(rest)
            if k in done:
                continue
            done.add(k)
            states += 1
            if states > self.max_states:
                return
            if run.evaluated >= loop.next_check or states % 64 == 0:
                loop.check()  # the clock, also where lookups find nothing to try
            join_cost = join.outer if not path else join.inner
            if path:  # what is left is one kept program: the split ends here
                eid = seen.get(k)
                if eid is not None and eid in right.cost:
                    total = cost + right.cost[eid]
                    if total <= bound:
                        heapq.heappush(heap, (total, tie, rest, path, eid))
                        tie += 1
            first = rest[0]
            sizes = [inverse.size(r) for r in rest]
            limit = sizes[0]
            for n, by_value in left.by_first.items():
                if n > limit:
                    continue
                prefix = inverse.prefix(first, n)
                if prefix is None:
                    continue
                for eid in by_value.get(key((prefix,)), ()):
                    c = cost + join_cost + left.cost[eid]
                    if c + join.inner > bound:  # a part is never the last one: one more join
                        continue
                    run.evaluated += 1
                    after = self._after(inverse, rest, run.vals[eid], sizes)
                    if after is not None:
                        heapq.heappush(heap, (c, tie, after, (*path, eid), -1))
                        tie += 1

    @staticmethod
    def _after(inverse: Concatenation, rest: tuple[Any, ...], values: tuple[Any, ...],
               sizes: list[int]) -> tuple[Any, ...] | None:
        """The remainders after part `values`, None when it is not a left part everywhere or
        leaves every remainder as it was."""
        out = []
        shorter = False
        for r, v, n in zip(rest, values, sizes, strict=False):
            if v is FAILED:
                return None
            after = inverse.rest(r, v)
            if after is None:
                return None
            shorter = shorter or inverse.size(after) < n
            out.append(after)
        return tuple(out) if shorter else None

    def _hand_over(self, loop: _Loop, join: _Join, path: tuple[int, ...], last: int,
                   cost: int) -> None:
        """Build `p a (p b .. (p y z))` from the parts and give it to the loop's deduced fits
        (the inner joins are entries of no bank, as `found_deduced`'s are)."""
        run = self.run
        tail = last
        n = len(self.outputs)
        for eid in reversed(path[1:]):
            vals = tuple(join.inverse.join(a, b) for a, b in zip(run.vals[eid][:n],
                                                                   run.vals[tail][:n],
                                                                   strict=True))
            tail = _entry(run, join.pid, (eid, tail), vals, join.right)
        before = loop.deduced
        loop.found_deduced(join.pid, (path[0], tail), cost)
        if loop.deduced is not before or loop.fallback is not None:
            self.best = cost if self.best is None else min(self.best, cost)


def _entry(run: BottomUpRun, pid: int, children: tuple[int, int], vals: tuple[Any, ...],
           bank: Bank) -> int:
    """A root entry of no bank's levels (its program is what matters, its values are the
    examples')."""
    eid = len(run.vals)
    run.vals.append(vals)
    run.struct.append((pid, *children))
    run.bad.append(False)
    run.bank_of.append(bank.bid)
    run.masks.append(run.mask(pid, children))
    return eid


def _cost(productions: Any, name: str) -> int | None:
    for prod in productions:
        if prod.name == name and prod.var_index < 0:
            return int(prod.cost)
    return None
