"""What the grids domain builds from partial programs when search finds no whole one
(`Domain.combine`): pieces stacked, and local rules learned on top of a program.

**Pieces**, as icecuber's ARC search combines them: when no one program makes the
outputs, programs that are each right on part of them are stacked with `overlay`.

A candidate has, on every train pair, the output's grid shape. Pieces are chosen greedily as
layers from the top down: the next piece is one whose non-background cells have the output's
colours wherever it shows (on the cells no piece above it decided) and that shows the most
still-uncovered output cells (the cheaper on ties), until the outputs' non-background cells are
all covered: stacking the pieces is then the outputs exactly. The bottom-up searcher builds the
program `overlay(overlay(p1, p2), p3)` from them and the checker confirms it like any other
(`BottomUpSearcher.combine_share`, `Domain.combine`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from hylo.domains.grids.grid import Grid
from hylo.domains.grids.layouts import learn_layout
from hylo.domains.grids.rules import (
    MAX_UNSEEN,
    abstract_rule,
    greedy_rule,
    pair_rule,
    ranked_rules,
)
from hylo.domains.grids.selectors import learn_selectors

MAX_PIECES = 4
#: root programs a rule is learned on at most (the cheapest first), and those a greedy rule
#: (`rules.greedy_rule`, about ten times dearer) is learned on
MAX_RULE_BASES = 400
GREEDY_BASES = 10
#: rules whose test cells are nearly all known rank before those of cheaper programs
FAMILIAR = 0.05
#: pair rules: the first grids (the cheapest programs) and the second grids tried
PAIR_FIRSTS = 8
PAIR_SECONDS = 200


def combine(values: Sequence[tuple[Any, ...]], outputs: tuple[Any, ...],
            deadline: float) -> list[tuple[str, list[int | str]]]:
    """The grids domain's `combine`: stacked pieces first, then local rules on root programs
    (`(apply-rule p rule:...)`, the rule a literal)."""
    out: list[tuple[str, list[int | str]]] = list(combine_pieces(values, outputs, deadline))
    out.extend(combine_layouts(values, outputs, deadline))
    out.extend(combine_selectors(values, outputs, deadline))
    out.extend(combine_rules(values, outputs, deadline))
    out.extend(combine_pairs(values, outputs, deadline))
    return out


#: root programs a block layout is read off at most (the cheapest first)
LAYOUT_BASES = 400


def combine_layouts(values: Sequence[tuple[Any, ...]], outputs: tuple[Any, ...],
                    deadline: float) -> list[tuple[str, list[int | str]]]:
    """`(apply-layout p L)` proposals: the outputs are blocks of symmetries of root program
    `p`'s grids (`layouts`); the cheapest programs first, one proposal per layout."""
    n = len(outputs)
    if not n or not all(type(o) is Grid for o in outputs):
        return []
    targets = [o.a for o in outputs]
    out: list[tuple[str, list[int | str]]] = []
    seen: set[str] = set()
    for i, vs in enumerate(values[:LAYOUT_BASES]):
        if time.perf_counter() > deadline:
            break
        if not all(type(v) is Grid for v in vs):
            continue
        layout = learn_layout([v.a for v in vs[:n]], targets)
        if layout is not None and layout.literal() not in seen:
            seen.add(layout.literal())
            out.append(("apply-layout", [i, layout.literal()]))
    return out


#: root programs pieces are selected from at most (the cheapest first)
SELECT_BASES = 8


def combine_selectors(values: Sequence[tuple[Any, ...]], outputs: tuple[Any, ...],
                      deadline: float) -> list[tuple[str, list[int | str]]]:
    """`(select-piece p S)` proposals: each output is one piece of root program `p`'s grid,
    picked by a property (`selectors`)."""
    n = len(outputs)
    if not n or not all(type(o) is Grid for o in outputs):
        return []
    targets = [o.a for o in outputs]
    out: list[tuple[str, list[int | str]]] = []
    tried = 0
    for i, vs in enumerate(values):
        if tried >= SELECT_BASES or time.perf_counter() > deadline:
            break
        if not all(type(v) is Grid for v in vs):
            continue
        tried += 1
        for s in learn_selectors([v.a for v in vs[:n]], targets, [v.a for v in vs[n:]],
                                 deadline=deadline):
            out.append(("select-piece", [i, s.literal()]))
    return out


def _shaped(values: Sequence[tuple[Any, ...]], outputs: tuple[Any, ...]) -> list[int]:
    """Indices of the root programs whose values are grids everywhere, of the outputs' shapes
    on the train points."""
    n = len(outputs)
    if not n or not all(type(o) is Grid for o in outputs):
        return []
    return [i for i, vs in enumerate(values)
            if all(type(v) is Grid for v in vs)
            and all(vs[j].shape == outputs[j].shape for j in range(n))]


def combine_pairs(values: Sequence[tuple[Any, ...]], outputs: tuple[Any, ...],
                  deadline: float) -> list[tuple[str, list[int | str]]]:
    """`(apply-rule2 p q R)` proposals: a cell-wise table from (colour in p, colour in q) to
    the output's colour, for p among the cheapest programs and q among the others; the tables
    with the fewest entries first."""
    n = len(outputs)
    shaped = _shaped(values, outputs)
    if len(shaped) < 2:
        return []
    targets = [o.a for o in outputs]
    found: list[tuple[bool, int, int, int, str]] = []
    for i in shaped[:PAIR_FIRSTS]:
        a = values[i]
        for j in shaped[:PAIR_SECONDS]:
            if time.perf_counter() > deadline:
                break
            if j == i:
                continue
            b = values[j]
            fit = pair_rule([v.a for v in a[:n]], [v.a for v in b[:n]], targets,
                            [v.a for v in a[n:]], [v.a for v in b[n:]])
            if fit is not None:
                unseen, rule = fit
                found.append((unseen > FAMILIAR, len(rule.table), i, j, rule.literal()))
    found.sort(key=lambda f: f[:4])
    return [("apply-rule2", [i, j, lit]) for *_, i, j, lit in found]


def combine_rules(values: Sequence[tuple[Any, ...]], outputs: tuple[Any, ...],
                  deadline: float) -> list[tuple[str, list[int | str]]]:
    """`(apply-rule p R)` proposals: for root programs `p` (the cheapest first) whose values
    have the outputs' shapes, the local rules (`rules`) that turn them into the outputs. Rules
    that know almost every test cell's key come first, then the smaller tables (a shorter
    description), then by the program's rank."""
    n = len(outputs)
    if not n or not all(type(o) is Grid for o in outputs):
        return []
    targets = [o.a for o in outputs]
    found: list[tuple[bool, int, int, int, str]] = []
    tried = 0
    for i, vs in enumerate(values):
        if tried >= MAX_RULE_BASES or time.perf_counter() > deadline:
            break
        if not all(type(v) is Grid for v in vs):
            continue
        if any(vs[j].shape != targets[j].shape for j in range(n)):
            continue
        tried += 1
        ga, qa = [v.a for v in vs[:n]], [v.a for v in vs[n:]]
        rules = ranked_rules(ga, targets, qa, deadline)
        if tried <= GREEDY_BASES:
            greedy = greedy_rule(ga, targets, qa, deadline)
            if greedy is not None:  # and the same planes seeing colours only as present
                rules.append(greedy)
                general = abstract_rule(greedy[1].name, ga, targets, qa)
                rules += [general] if general is not None else []
        for rank, (unseen, rule) in enumerate(rules):
            if unseen <= MAX_UNSEEN:
                found.append((unseen > FAMILIAR, len(rule.table), i, rank, rule.literal()))
    found.sort(key=lambda f: f[:4])
    return [("apply-rule", [i, lit]) for _, _, i, _, lit in found]


def combine_pieces(values: Sequence[tuple[Any, ...]], outputs: tuple[Any, ...],
                   deadline: float) -> list[tuple[str, list[int | str]]]:
    """(binary primitive, indices into `values`, folded left) proposals; `values[i]` holds a
    candidate's values on the train inputs (as many as `outputs`) then on the test inputs."""
    n = len(outputs)
    if not n or not all(type(o) is Grid for o in outputs):
        return []
    shapes = [o.shape for o in outputs]
    target = np.concatenate([o.a.ravel() for o in outputs])
    need = target != 0
    if not need.any():
        return []
    cands: list[tuple[int, np.ndarray, np.ndarray]] = []  # (index, cells, non-background)
    for i, vs in enumerate(values):
        if i % 256 == 0 and time.perf_counter() > deadline:
            break
        if not all(type(v) is Grid for v in vs):
            continue  # failed somewhere (a test input included): no prediction to offer
        if any(vs[j].shape != shapes[j] for j in range(n)):
            continue
        cells = np.concatenate([vs[j].a.ravel() for j in range(n)])
        nz = cells != 0
        if (nz & need & (cells == target)).any():
            cands.append((i, cells, nz))
    # Layers from the top down: a piece must be right wherever it shows, that is on the cells
    # no piece above it has decided yet.
    chosen: list[int] = []
    open_ = np.ones_like(need)
    while (need & open_).any() and len(chosen) < MAX_PIECES:
        if time.perf_counter() > deadline:
            return []
        best, gain, best_nz = -1, 0, None
        for k, (i, cells, nz) in enumerate(cands):
            if k % 256 == 255 and time.perf_counter() > deadline:
                return []
            shows = nz & open_
            g = int(np.count_nonzero(shows & need))
            if g > gain and (cells[shows] == target[shows]).all():
                best, gain, best_nz = i, g, shows
        if best < 0 or best_nz is None:
            return []
        chosen.append(best)
        open_ &= ~best_nz
    if (need & open_).any() or len(chosen) < 2:
        return []  # one piece alone would have been found by the search itself
    return [("overlay", list(chosen[::-1]))]  # folded left, the bottom layer first
