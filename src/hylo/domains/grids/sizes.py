"""Output-size prediction from the train pairs: the size a test output should have.

A rule relates each train pair's output size to its input size; a rule that holds for every
pair predicts the test outputs' sizes. The rules, tried in order: the same size as the input,
a fixed size, the input's size times (or divided by) integer factors per side, the input
transposed. A fit whose predictions have other sizes is implausible: search keeps looking for
a fit whose predictions agree (`Domain.plausible`, used by bottom-up's attempts).

The colours a task's train pairs show are what its programs mostly name: `colour_weights` makes
them likelier in that task's grammar (`Domain.task_weights`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from hylo.core.task import Task
from hylo.domains.grids.grid import Grid

Shape = tuple[int, int]
Rule = Callable[[Shape], Shape | None]


def _rules(pairs: Sequence[tuple[Shape, Shape]]) -> list[Rule]:
    (h0, w0), (oh, ow) = pairs[0]
    rules: list[Rule] = [lambda s: s, lambda s: (oh, ow), lambda s: (s[1], s[0])]
    if oh % h0 == 0 and ow % w0 == 0:
        a, b = oh // h0, ow // w0
        rules.append(lambda s: (s[0] * a, s[1] * b))
    if h0 % oh == 0 and w0 % ow == 0:
        a, b = h0 // oh, w0 // ow
        rules.append(lambda s: (s[0] // a, s[1] // b) if s[0] % a == 0 and s[1] % b == 0
                     else None)
    return rules


def predicted_sizes(task: Task) -> list[Shape | None] | None:
    """The size of each test output (per query), by the first rule every train pair keeps;
    None when no rule does (or the task is not grid to grid)."""
    pairs = []
    for ex in task.examples:
        if len(ex.inputs) != 1 or type(ex.inputs[0]) is not Grid or type(ex.output) is not Grid:
            return None
        pairs.append((ex.inputs[0].shape, ex.output.shape))
    if not pairs:
        return None
    for rule in _rules(pairs):
        if all(rule(i) == o for i, o in pairs):
            out: list[Shape | None] = []
            for q in task.queries:
                g = q[0] if len(q) == 1 else None
                out.append(rule(g.shape) if type(g) is Grid else None)
            return out
    return None


def plausible(task: Task, predictions: Sequence[Any]) -> bool:
    """Whether predicted test outputs have the sizes the train pairs predict (true when no
    rule predicts them)."""
    sizes = predicted_sizes(task)
    if sizes is None:
        return True
    return all(s is None or (type(p) is Grid and p.shape == s)
               for s, p in zip(sizes, predictions, strict=False))


#: log-weight offsets of the colour constants a task's pairs show (outputs, then inputs only)
OUTPUT_COLOR_BONUS = 2.0
INPUT_COLOR_BONUS = 1.0


def colour_weights(task: Task) -> dict[str, float]:
    """The grids domain's `task_weights`: colours that the train outputs show are likelier
    constants, those only the inputs show a little, the rest keep their weight (never the test
    outputs: a search does not see them)."""
    seen_out: set[int] = set()
    seen_in: set[int] = set()
    for ex in task.examples:
        if type(ex.output) is Grid:
            seen_out.update(np.unique(ex.output.a).tolist())
        for v in ex.inputs:
            if type(v) is Grid:
                seen_in.update(np.unique(v.a).tolist())
    out = {f"c{c}": INPUT_COLOR_BONUS for c in seen_in}
    out.update({f"c{c}": OUTPUT_COLOR_BONUS for c in seen_out})
    return out
