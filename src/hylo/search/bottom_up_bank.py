"""Contexts, probes and value keys of the bottom-up searcher (`hylo.search.bottom_up`).

A *context* is where programs are built: the types of the de Bruijn variables in scope and
the *points*, one value environment per point, on which every program of the context is run.
The root context's points are the task's examples, then its queries (`Task.queries`). A
lambda body's context (the lambda's arguments in front of the outer variables, `$0` the
innermost argument) has, for each point of the outer context, a few *probe* bindings of the
arguments: values of the argument's type that occur in that point's example (inputs and
output), a few small integers, both booleans. A lambda over a type no example shows (other than
int and bool) is not built.
Bodies are merged by their values on these probes: an approximation (two bodies can agree on
the probes and differ elsewhere), which never makes a result wrong, since a lambda applied at
the outer level runs its body's real closure.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Hashable
from itertools import chain
from typing import Any

from hylo.core.domain import Domain
from hylo.core.task import Task
from hylo.core.types import BOOL, INT, TCon, Type, arguments, returns
from hylo.core.values import canonical_key
from hylo.search.enumerate import FAILED

_SMALL_INTS = (0, 1, -1, 2)
MIN_PROBES = 2  # probe bindings per example at least
_BOOLS = (False, True)
FAIL_KEY = "\0failed"  # the key of a failed point: no value's key is a str (see `key_fn`)
_TRUE_KEY, _FALSE_KEY = "\0true", "\0false"
_BOOL_LIST, _LIST_LIST, _CANON = "\0bools", "\0lists", "\0c"  # tags: no two kinds collide
_INT_TYPES = frozenset({int})
_BOOL_TYPES = frozenset({bool})
_INT_OR_FAILED = frozenset({int, type(FAILED)})
_LIST_TYPES = frozenset({list})


class Context:
    """Variables in scope (`env[0]` is `$0`) and the points programs are evaluated on."""

    __slots__ = ("cid", "parent", "env", "envs", "origin", "depth", "nargs")

    def __init__(self, cid: int, parent: Context | None, env: tuple[Type, ...],
                 envs: list[tuple[Any, ...]], origin: list[int], depth: int,
                 nargs: int) -> None:
        self.cid = cid
        self.parent = parent
        self.env = env
        self.envs = envs  # one value environment per point
        self.origin = origin  # the example each point comes from
        self.depth = depth  # lambdas between this context and the root
        self.nargs = nargs  # arguments of the lambda whose body lives here (0 at the root)


class Probes:
    """Probe values by (point, type), from the task's examples, then its queries' inputs
    (`Task.queries`, root points after the examples); deterministic."""

    def __init__(self, task: Task, domain: Domain | None, per_type: int) -> None:
        self.per_type = per_type
        self.found: list[dict[Type, list[Any]]] = []
        self.key = key_fn(domain)
        inputs = arguments(task.request)
        out_type = returns(task.request)
        for ex in task.examples:
            pools: dict[Type, dict[Hashable, Any]] = {}
            for value, t in [*zip(ex.inputs, inputs, strict=False), (ex.output, out_type)]:
                self._walk(value, t, pools)
            self.found.append({t: list(vs.values()) for t, vs in pools.items()})
        for query in task.queries:  # points after the examples: their inputs only
            pools = {}
            for value, t in zip(query, inputs, strict=False):
                self._walk(value, t, pools)
            self.found.append({t: list(vs.values()) for t, vs in pools.items()})
        self._cache: dict[tuple[int, Type], list[Any]] = {}

    def _walk(self, value: Any, t: Type, pools: dict[Type, dict[Hashable, Any]]) -> None:
        """Collect `value` under `t`, and the elements of a one-parameter container type whose
        value is a Python list or tuple under its parameter (iteratively: values can be deep)."""
        stack = [(value, t)]
        while stack:
            v, ty = stack.pop()
            try:
                k = self.key(v)
            except Exception:  # a value the key cannot take is not a probe
                continue
            pools.setdefault(ty, {}).setdefault(k, v)
            if (isinstance(ty, TCon) and len(ty.args) == 1 and ty.name != "->"
                    and type(v) in (list, tuple)):
                stack.extend((x, ty.args[0]) for x in reversed(v))

    def has(self, t: Type) -> bool:
        """Some example has values of `t` (ints and booleans always have probes)."""
        return t == INT or t == BOOL or any(t in found for found in self.found)

    def values(self, example: int, t: Type) -> list[Any]:
        cached = self._cache.get((example, t))
        if cached is not None:
            return cached
        pool = list(self.found[example].get(t, []))
        extra: tuple[Any, ...] = ()
        if t == INT:
            extra = _SMALL_INTS
        elif t == BOOL:
            extra = _BOOLS
        seen = {self.key(v) for v in pool}
        added = []
        for v in extra:
            if self.key(v) not in seen:
                added.append(v)
                seen.add(self.key(v))
        # The example's own values first, then the small extras, `per_type` in all.
        keep = max(0, self.per_type - len(added))
        pool = (pool[:keep] + added)[: self.per_type]
        self._cache[(example, t)] = pool
        return pool


def child_points(parent: Context, arg_types: tuple[Type, ...], probes: Probes,
                 max_points: int) -> tuple[list[tuple[Any, ...]], list[int]]:
    """Points of a lambda body's context: for each outer point, probe bindings of the
    arguments (outermost first in `arg_types`), `max_points` in all spread evenly over the
    outer points but at least `MIN_PROBES` per example under the root (with many examples,
    one or two probes each would merge bodies that differ), chosen by a fixed seed where
    there are more."""
    envs: list[tuple[Any, ...]] = []
    origin: list[int] = []
    n = len(parent.envs)
    if n == 0:
        return envs, origin
    per_point = max(MIN_PROBES if parent.parent is None else 1, max_points // n)
    for i, outer in enumerate(parent.envs):
        ex = parent.origin[i]
        pools = [probes.values(ex, t) for t in arg_types]
        total = 1
        for p in pools:
            total *= len(p)
        if total == 0:
            continue
        if total <= per_point:
            combos: Any = itertools.product(*pools)
        elif len(pools) == 1:  # the example's own values come first: those a lambda meets
            combos = [(v,) for v in pools[0][:per_point]]
        else:
            rng = random.Random(7919 * parent.cid + 31 * i + len(arg_types))
            picks = sorted(rng.sample(range(total), per_point))
            combos = [_unrank(j, pools) for j in picks]
        for combo in combos:
            envs.append((*reversed(combo), *outer))  # the innermost argument is $0
            origin.append(ex)
    return envs, origin


def _unrank(j: int, pools: list[list[Any]]) -> tuple[Any, ...]:
    out = []
    for p in reversed(pools):
        j, r = divmod(j, len(p))
        out.append(p[r])
    return tuple(reversed(out))


def key_fn(domain: Domain | None) -> Callable[[Any], Hashable]:
    """The domain's value key (`canonical_key` when it has the default)."""
    if domain is None:
        return canonical_key
    return domain.value_key


def tuple_key_fn(domain: Domain | None) -> Callable[[tuple[Any, ...]], Hashable]:
    """The key of a value tuple over a context's points: equal keys iff the domain's `equal`
    holds point by point (a failed point has its own key).

    Where the domain's key is the default `canonical_key`, a cheaper equivalent is used: a
    tuple of plain ints is its own key, a list of plain ints is keyed by the tuple of its
    elements (a tuple of ints and failures is its own key, the failure being a singleton),
    anything else by `canonical_key` under a tag (no key of one kind equals a key of
    another: ints, tuples of ints, pairs tagged by a string, strings for booleans and
    failures; `True` is not `1`)."""
    vkey = key_fn(domain)
    if vkey is not canonical_key:
        def custom(vals: tuple[Any, ...]) -> Hashable:
            return tuple(FAIL_KEY if v is FAILED else vkey(v) for v in vals)
        return custom

    def element(v: Any, depth: int = 0) -> Hashable:
        t = type(v)
        if t is int:
            return v
        if t is list and depth < 8:
            types = set(map(type, v))
            if types <= _INT_TYPES:
                return tuple(v)
            if types <= _BOOL_TYPES:
                return (_BOOL_LIST, tuple(v))
            if types <= _LIST_TYPES:
                return (_LIST_LIST, tuple([element(x, depth + 1) for x in v]))
        if t is bool:
            return _TRUE_KEY if v else _FALSE_KEY
        if v is FAILED:
            return FAIL_KEY
        return (_CANON, canonical_key(v))

    def default(vals: tuple[Any, ...]) -> Hashable:
        types = set(map(type, vals))
        if types <= _INT_OR_FAILED:  # FAILED is a singleton: equal only to itself
            return vals
        if types == _LIST_TYPES:
            if set(map(type, chain.from_iterable(vals))) <= _INT_TYPES:
                return tuple(map(tuple, vals))
            return tuple(map(element, vals))
        return tuple(map(element, vals))

    return default
