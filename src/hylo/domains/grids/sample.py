"""Input sampler and recognition encoder of the grids domain.

`sample_inputs(request, rng, n)`: random ARC-like grids for dreams: a background (black most
of the time), then one of a few styles drawn per grid: a handful of solid rectangles, a few
random connected shapes, scattered pixels, or a small repeating pattern. Sides 3-12. Colours
are values of their own type; integers are small. Types the domain has no values of raise
ValueError.

`task_encoder(spec)`: the recognition model's encoder (`GridPairEncoder`), over the train
pairs (a task's queries have no outputs and are not read).
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from hylo.core.task import Task
from hylo.core.types import INT, TCon, Type, arguments
from hylo.domains.grids.grid import COLORS, Grid

GRID = TCon("grid")
COLOR = TCon("color")
LIST_GRID = TCon("list", (GRID,))


def _shape(rng: random.Random, h: int, w: int) -> np.ndarray:
    """A random 4-connected blob inside an h x w box."""
    mask = np.zeros((h, w), dtype=bool)
    y, x = rng.randrange(h), rng.randrange(w)
    for _ in range(rng.randint(2, max(2, h * w // 2))):
        mask[y, x] = True
        dy, dx = rng.choice(((0, 1), (1, 0), (0, -1), (-1, 0)))
        y, x = min(h - 1, max(0, y + dy)), min(w - 1, max(0, x + dx))
    return mask


def sample_grid(rng: random.Random) -> Grid:
    h, w = rng.randint(3, 12), rng.randint(3, 12)
    background = 0 if rng.random() < 0.8 else rng.randrange(COLORS)
    a = np.full((h, w), background, dtype=np.uint8)
    others = [c for c in range(COLORS) if c != background]
    style = rng.randrange(4)
    if style == 0:  # solid rectangles
        for _ in range(rng.randint(1, 4)):
            y0, x0 = rng.randrange(h), rng.randrange(w)
            y1, x1 = rng.randint(y0, min(h - 1, y0 + 4)), rng.randint(x0, min(w - 1, x0 + 4))
            a[y0:y1 + 1, x0:x1 + 1] = rng.choice(others)
    elif style == 1:  # connected shapes
        for _ in range(rng.randint(1, 3)):
            bh, bw = rng.randint(1, min(h, 5)), rng.randint(1, min(w, 5))
            y0, x0 = rng.randint(0, h - bh), rng.randint(0, w - bw)
            a[y0:y0 + bh, x0:x0 + bw][_shape(rng, bh, bw)] = rng.choice(others)
    elif style == 2:  # scattered pixels
        colours = rng.sample(others, rng.randint(1, 3))
        density = rng.uniform(0.05, 0.3)
        for y in range(h):
            for x in range(w):
                if rng.random() < density:
                    a[y, x] = rng.choice(colours)
    else:  # a small tile repeated
        th, tw = rng.randint(1, 3), rng.randint(1, 3)
        tile = np.array([[rng.choice([background, *rng.sample(others, 2)]) for _ in range(tw)]
                         for _ in range(th)], dtype=np.uint8)
        a = np.tile(tile, (h // th + 1, w // tw + 1))[:h, :w]
    return Grid(a)


def sample_value(t: Type, rng: random.Random) -> Any:
    if t == GRID:
        return sample_grid(rng)
    if t == COLOR:
        return rng.randrange(COLORS)
    if t == INT:
        return rng.randint(0, 5)
    if t == LIST_GRID:
        return [sample_grid(rng) for _ in range(rng.randint(1, 4))]
    raise ValueError(f"the grids domain does not sample values of type {t}")


def sample_inputs(request: Type, rng: random.Random, n: int) -> list[tuple[Any, ...]]:
    args = arguments(request)
    return [tuple(sample_value(a, rng) for a in args) for _ in range(n)]


def _pairs(task: Task) -> list[tuple[Any, Any]]:
    out = []
    for ex in task.examples:
        if len(ex.inputs) == 1 and isinstance(ex.inputs[0], Grid) and isinstance(ex.output,
                                                                                   Grid):
            out.append((ex.inputs[0].a, ex.output.a))
    return out


DEFAULT_SPEC: dict[str, Any] = {"size": 30, "colours": COLORS, "max_pairs": 5,
                                "channels": [32, 32], "hidden": 64}


def task_encoder(spec: dict[str, Any] | None = None) -> Any:
    from hylo.neural.encoders import GridPairEncoder

    return GridPairEncoder({**DEFAULT_SPEC, **(spec or {})}, _pairs)
