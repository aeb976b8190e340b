"""Constants from the task: integers its examples show, for that task's grammar.

String synthesizers take their constants from the examples; so does this domain. The integers
that occur in a task's examples (scalar inputs and outputs, list elements, list lengths) and
their neighbours (+/-1: a filter above 49 shows 50) become int constants named by their decimal
literal (`"7"`, `"-1"`, `"49"`), which the list DSL's literal hook (`int_literal`) resolves
anywhere. Those the DSL already has (0 to 5) are left out.

Ranking (deterministic): each example gives a value 4 points if it is a scalar input or output
or the length of an output list there, 2 if it is a list element or an input list's length, 1
if it is only a neighbour of one of those; values are ranked by total points, then by
magnitude, then by value, and the first `limit` are kept. Scalars and output lengths first,
because a task's parameters (take 7) show there in every example, where list elements and
input lengths are mostly the data itself; summing over examples puts a value that recurs
(a threshold next to the data) before one seen once.

The cap and weight (`search_defaults["constants"]` of the domain: 4 constants at -2.5) were
measured as candidates to the first fit on DreamCoder list tasks (cost over no constants:
+10%; 8 at -2.0: +83%) and on hand-made tasks that need a constant (filter above 49, take 7,
add 10, count above 9, times 10: all found; at 8 and -3.0 about twice the candidates).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hylo.core.dsl import Primitive
from hylo.core.task import Task
from hylo.domains.lists.primitives import LISTS_DSL, MAX_INT, int_literal

#: How many constants a task gets at most (measured: see docs and the brief's report).
MAX_CONSTANTS = 4

_SCALAR, _ELEMENT, _NEIGHBOUR = 4, 2, 1


def _ints(value: Any, role: int, length_role: int, into: dict[int, int]) -> None:
    """Record, per integer in `value`, the best role it plays (lists: lengths and elements)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if role > into.get(value, 0):
            into[value] = role
    elif isinstance(value, list):
        n = len(value)
        if length_role > into.get(n, 0):
            into[n] = length_role
        for x in value:
            _ints(x, _ELEMENT, _ELEMENT, into)


def _example_points(inputs: Iterable[Any], output: Any) -> dict[int, int]:
    roles: dict[int, int] = {}
    for v in inputs:
        _ints(v, _SCALAR, _ELEMENT, roles)
    _ints(output, _SCALAR, _SCALAR, roles)
    points = dict(roles)
    for v in roles:
        for n in (v - 1, v + 1):
            points.setdefault(n, _NEIGHBOUR)
    return points


def ranked_constants(task: Task) -> list[int]:
    """Every candidate integer of `task` (not only the first `limit`), best first."""
    total: dict[int, int] = {}
    for ex in task.examples:  # never `held_out`: a search must not see those
        for v, p in _example_points(ex.inputs, ex.output).items():
            total[v] = total.get(v, 0) + p
    have = LISTS_DSL.primitives
    keep = [v for v in total if abs(v) <= MAX_INT and str(v) not in have]
    keep.sort(key=lambda v: (-total[v], abs(v), v))
    return keep


def task_constants(task: Task, limit: int = MAX_CONSTANTS) -> list[Primitive]:
    """The task's constants, best first, at most `limit` (the domain's `task_constants`)."""
    out = []
    for v in ranked_constants(task)[: max(0, limit)]:
        p = int_literal(str(v))
        if p is not None:
            out.append(p)
    return out
