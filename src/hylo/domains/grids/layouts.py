"""Block layouts: an output made of K x L blocks, each a fixed symmetry of one grid (or empty).

Tasks that tile a grid with its mirror images and rotations (a 2x2 pinwheel, a 3x2 strip of
flips) differ only in which symmetry sits in which block. A layout names them, one letter per
block, row by row: `0` empty, `i` the grid, `h`/`v` mirrored left-right/top-bottom, `r` half a
turn, `t` transposed, `a` anti-transposed, `c`/`w` a quarter turn clockwise/anticlockwise.
`learn_layout` reads it off the train pairs; `(apply-layout G layout:2x2:icwr)` applies it, the
layout a literal constant of type `layout` that the grid DSL's literal hook reads back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from hylo.domains.grids.grid import MAX_SIDE, Grid

TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "i": lambda a: a,
    "h": lambda a: a[:, ::-1],
    "v": lambda a: a[::-1],
    "r": lambda a: a[::-1, ::-1],
    "t": lambda a: a.T,
    "a": lambda a: a[::-1, ::-1].T,
    "c": lambda a: np.rot90(a, -1),
    "w": lambda a: np.rot90(a, 1),
    "0": np.zeros_like,
}
_SQUARE_ONLY = set("tacw")  # these turn a non-square block's shape
MAX_BLOCKS = 5  # per side
_LITERAL = re.compile(r"layout:([1-5])x([1-5]):([ihvrtacw0]{1,25})", re.ASCII)


@dataclass(frozen=True)
class Layout:
    rows: int
    cols: int
    codes: str

    def apply(self, g: Grid) -> Grid:
        a = g.a
        h, w = a.shape
        if h != w and _SQUARE_ONLY & set(self.codes):
            raise ValueError("a layout with turns needs a square grid")
        if h * self.rows > MAX_SIDE or w * self.cols > MAX_SIDE:
            raise ValueError("layout too large")
        blocks = [TRANSFORMS[c](a) for c in self.codes]
        rows = [np.hstack(blocks[r * self.cols:(r + 1) * self.cols]) for r in range(self.rows)]
        return Grid(np.vstack(rows))

    def literal(self) -> str:
        return f"layout:{self.rows}x{self.cols}:{self.codes}"


def parse_layout(text: str) -> Layout | None:
    """The layout a literal `layout:KxL:CODES` stands for; None if `text` is none."""
    if len(text) > 40 or not text.startswith("layout:"):
        return None
    m = _LITERAL.fullmatch(text)
    if m is None:
        return None
    k, n, codes = int(m.group(1)), int(m.group(2)), m.group(3)
    if len(codes) != k * n:
        return None
    return Layout(k, n, codes)


def learn_layout(grids: Sequence[np.ndarray], targets: Sequence[np.ndarray]) -> Layout | None:
    """The layout that makes each target from its grid, if one does (blocks of the grid's
    size, the same multiples in every pair, at least two blocks, not all empty)."""
    if not grids or len(grids) != len(targets):
        return None
    (h, w), (oh, ow) = grids[0].shape, targets[0].shape
    if oh % h or ow % w:
        return None
    k, n = oh // h, ow // w
    if k * n < 2 or k > MAX_BLOCKS or n > MAX_BLOCKS:
        return None
    if any(t.shape != (g.shape[0] * k, g.shape[1] * n) for g, t in zip(grids, targets,
                                                                          strict=True)):
        return None
    square = all(g.shape[0] == g.shape[1] for g in grids)
    codes = []
    for bi in range(k):
        for bj in range(n):
            for code, f in TRANSFORMS.items():
                if code in _SQUARE_ONLY and not square:
                    continue
                if all(np.array_equal(t[bi * g.shape[0]:(bi + 1) * g.shape[0],
                                        bj * g.shape[1]:(bj + 1) * g.shape[1]], f(g))
                       for g, t in zip(grids, targets, strict=True)):
                    codes.append(code)
                    break
            else:
                return None
    if set(codes) == {"0"}:
        return None
    return Layout(k, n, "".join(codes))
