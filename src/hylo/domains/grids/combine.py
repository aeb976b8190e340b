"""Combining partial pieces, as icecuber's ARC search does: when no one program makes the
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

MAX_PIECES = 4


def combine_pieces(values: Sequence[tuple[Any, ...]], outputs: tuple[Any, ...],
                   deadline: float) -> list[tuple[str, list[int]]]:
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
    return [("overlay", chosen[::-1])]  # folded left, the bottom layer first
