"""More grid primitive families (issue 9): halves and cell-wise logic, separators and cells,
gravity and moves in four directions, lines, outlines and hulls, compression, kaleidoscopes and
self-similar tiling, denoising, picks from lists of pieces. Conventions as `primitives`' (values
never mutated; failure an ordinary exception; colour 0 the background).

The families follow what the strongest ARC searches rely on (icecuber's transformation list,
Hodel's arc-dsl): a task is most often a short chain of such whole-grid transformations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
from scipy import ndimage

from hylo.domains.grids.grid import COLORS, Grid

_S4 = ndimage.generate_binary_structure(2, 1)
_S8 = ndimage.generate_binary_structure(2, 2)


def _g(a: np.ndarray) -> Grid:
    return Grid(np.ascontiguousarray(a, dtype=np.uint8))


def _color(c: int) -> int:
    if not 0 <= c < COLORS:
        raise ValueError(f"colour {c} outside 0-9")
    return c


# ------------------------------------------------------------------ halves, cell-wise logic
def _uniform_line(v: np.ndarray) -> bool:
    return bool(v[0] != 0 and (v == v[0]).all())


def halves(g: Grid, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The two halves of a grid along `axis` (1: left/right, 0: top/bottom). An odd middle
    line in one colour is a separator and belongs to neither; an odd one that is not fails."""
    a = g.a if axis == 1 else g.a.T
    w = a.shape[1]
    if w % 2:
        mid = w // 2
        if not _uniform_line(a[:, mid]):
            raise ValueError("odd width without a separator line")
        first, second = a[:, :mid], a[:, mid + 1:]
    else:
        first, second = a[:, : w // 2], a[:, w // 2:]
    if first.shape[1] == 0:
        raise ValueError("grid too narrow to halve")
    return (first, second) if axis == 1 else (first.T, second.T)


def _half(axis: int, which: int) -> Callable[[Grid], Grid]:
    def half(g: Grid) -> Grid:
        return _g(halves(g, axis)[which])
    return half


def _cellwise(op: Callable[[np.ndarray, np.ndarray], np.ndarray], axis: int
              ) -> Callable[[Grid, int], Grid]:
    def combine(g: Grid, c: int) -> Grid:
        """The halves compared cell by cell: `c` where the relation holds, else background."""
        x, y = halves(g, axis)
        return _g(np.where(op(x != 0, y != 0), _color(c), 0))
    return combine


CELLWISE: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "and": np.logical_and,
    "or": np.logical_or,
    "xor": np.logical_xor,
    "nor": lambda x, y: ~(x | y),
    "left-only": lambda x, y: x & ~y,
    "right-only": lambda x, y: y & ~x,
}


# ------------------------------------------------------------------ separators and cells
def _separator_lines(a: np.ndarray) -> tuple[list[int], list[int], int]:
    """Rows and columns that are entirely one non-background colour (the same colour for all)."""
    rows = [i for i in range(a.shape[0]) if _uniform_line(a[i, :])]
    cols = [j for j in range(a.shape[1]) if _uniform_line(a[:, j])]
    colors = {int(a[i, 0]) for i in rows} | {int(a[0, j]) for j in cols}
    if len(colors) != 1:
        raise ValueError("no separator lines of one colour")
    return rows, cols, colors.pop()


def _spans(cuts: list[int], n: int) -> list[tuple[int, int]]:
    out, start = [], 0
    for c in [*cuts, n]:
        if c > start:
            out.append((start, c))
        start = c + 1
    return out


def split_cells(g: Grid) -> list[Grid]:
    """The cells between separator lines (full rows/columns of one colour), in reading order."""
    rows, cols, _ = _separator_lines(g.a)
    out = []
    for y0, y1 in _spans(rows, g.shape[0]):
        for x0, x1 in _spans(cols, g.shape[1]):
            out.append(_g(g.a[y0:y1, x0:x1]))
    if len(out) < 2:
        raise ValueError("separator lines make fewer than two cells")
    return out


def cell_grid(g: Grid) -> Grid:
    """The grid of cells between separator lines, each cell one pixel: its majority colour
    other than the background (background when empty)."""
    rows, cols, _ = _separator_lines(g.a)
    ys, xs = _spans(rows, g.shape[0]), _spans(cols, g.shape[1])
    out = np.zeros((len(ys), len(xs)), dtype=np.uint8)
    for i, (y0, y1) in enumerate(ys):
        for j, (x0, x1) in enumerate(xs):
            counts = np.bincount(g.a[y0:y1, x0:x1].ravel(), minlength=COLORS)[1:]
            if counts.any():
                out[i, j] = int(np.argmax(counts)) + 1
    return _g(out)


def erase_separators(g: Grid) -> Grid:
    rows, cols, _ = _separator_lines(g.a)
    keep_r = [i for i in range(g.shape[0]) if i not in set(rows)]
    keep_c = [j for j in range(g.shape[1]) if j not in set(cols)]
    if not keep_r or not keep_c:
        raise ValueError("nothing but separators")
    return _g(g.a[np.ix_(keep_r, keep_c)])


def overlay_all(gs: list[Grid]) -> Grid:
    """Pieces of one shape stacked, later ones on top."""
    if not gs:
        raise ValueError("no pieces")
    out = gs[0].a.copy()
    for p in gs[1:]:
        if p.shape != gs[0].shape:
            raise ValueError("pieces of different shapes")
        out = np.where(p.a != 0, p.a, out)
    return _g(out)


def _colors_of(g: Grid) -> int:
    return len(set(np.unique(g.a).tolist()) - {0})


def unique_piece(gs: list[Grid]) -> Grid:
    """The piece that differs from all the others (exactly one must)."""
    counts = Counter(p.key() for p in gs)
    once = [p for p in gs if counts[p.key()] == 1]
    if len(once) != 1 or len(gs) < 3:
        raise ValueError("no single odd piece out")
    return once[0]


def common_piece(gs: list[Grid]) -> Grid:
    """The piece that occurs most often (the first on ties)."""
    if not gs:
        raise ValueError("no pieces")
    counts = Counter(p.key() for p in gs)
    return max(gs, key=lambda p: counts[p.key()])


def most_colorful(gs: list[Grid]) -> Grid:
    if not gs:
        raise ValueError("no pieces")
    return max(gs, key=_colors_of)


def unique_color_piece(gs: list[Grid]) -> Grid:
    """The piece whose colour set no other piece has."""
    sets = [frozenset(np.unique(p.a).tolist()) - {0} for p in gs]
    counts = Counter(sets)
    once = [p for p, s in zip(gs, sets, strict=True) if counts[s] == 1]
    if len(once) != 1 or len(gs) < 3:
        raise ValueError("no piece with colours of its own")
    return once[0]


def _first(gs: list[Grid]) -> Grid:
    if not gs:
        raise ValueError("no pieces")
    return gs[0]


def _last(gs: list[Grid]) -> Grid:
    if not gs:
        raise ValueError("no pieces")
    return gs[-1]


# ------------------------------------------------------------------ objects (scipy labelling)
#: more objects than this make a grid a texture, not a scene: object primitives fail on it
MAX_OBJECTS = 64


def objects(g: Grid, diagonal: bool, by_color: bool) -> list[Grid]:
    """Connected non-background components (4- or 8-connected; of one colour each with
    `by_color`), each cropped to its bounding box with the other cells background, in reading
    order of their first cell; fails beyond `MAX_OBJECTS`."""
    structure = _S8 if diagonal else _S4
    masks = ([g.a == c for c in np.unique(g.a).tolist() if c != 0] if by_color
             else [g.a != 0])
    found = []
    w = g.shape[1]
    total = 0
    for mask in masks:
        labels, count = ndimage.label(mask, structure=structure)
        total += count
        if total > MAX_OBJECTS:
            raise ValueError(f"more than {MAX_OBJECTS} objects")
        for i, sl in enumerate(ndimage.find_objects(labels), start=1):
            if sl is None:
                continue
            own = labels[sl] == i
            first = int(np.argmax(own.ravel()))  # the object's first cell in its box
            y, x = sl[0].start + first // own.shape[1], sl[1].start + first % own.shape[1]
            found.append((y * w + x, np.where(own, g.a[sl], 0)))
    found.sort(key=lambda t: t[0])
    return [_g(p) for _, p in found]


def largest_object_in_place(g: Grid) -> Grid:
    """Only the largest 8-connected object stays, where it is (others erased)."""
    labels, n = ndimage.label(g.a != 0, structure=_S8)
    if n == 0:
        raise ValueError("no objects")
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=range(1, n + 1))
    keep = int(np.argmax(sizes)) + 1
    return _g(np.where(labels == keep, g.a, 0))


def remove_small(g: Grid, k: int) -> Grid:
    """Objects (8-connected) of fewer than `k`+1 cells erased: denoising."""
    labels, n = ndimage.label(g.a != 0, structure=_S8)
    if n == 0:
        return g
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=range(1, n + 1))
    small = np.isin(labels, [i + 1 for i, s in enumerate(sizes) if s <= k])
    return _g(np.where(small, 0, g.a))


def recolor_by_size(g: Grid) -> Grid:
    """Each 8-connected object painted by the rank of its size (largest 1, next 2, ...)."""
    labels, n = ndimage.label(g.a != 0, structure=_S8)
    if n == 0 or n > 9:
        raise ValueError("between one and nine objects needed")
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=range(1, n + 1))
    order = sorted(range(n), key=lambda i: -sizes[i])
    out = np.zeros_like(g.a)
    for rank, i in enumerate(order, start=1):
        out[labels == i + 1] = rank
    return _g(out)


# ------------------------------------------------------------------ gravity and moves
def gravity(g: Grid, direction: str) -> Grid:
    """Non-background cells fall towards `direction` along their line, keeping their order."""
    turns = {"down": 0, "left": 1, "up": 2, "right": 3}[direction]
    a = np.rot90(g.a, turns)  # bring `direction` to the bottom
    out = np.zeros_like(a)
    h = a.shape[0]
    for x in range(a.shape[1]):
        col = a[:, x][a[:, x] != 0]
        if len(col):
            out[h - len(col):, x] = col
    return _g(np.rot90(out, -turns))


def shift(g: Grid, dy: int, dx: int) -> Grid:
    """Everything moved by (dy, dx), cells pushed off the edge lost, background coming in."""
    out = np.zeros_like(g.a)
    h, w = g.shape
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[yd, xd] = g.a[ys, xs]
    return _g(out)


# ------------------------------------------------------------------ lines
def rays(g: Grid, direction: str) -> Grid:
    """From every non-background cell, a line of its colour to the edge in `direction`
    (drawn over background only)."""
    turns = {"down": 0, "left": 1, "up": 2, "right": 3}[direction]
    a = np.rot90(g.a, turns)
    # forward fill down each column: the row of the last non-background cell above or at
    rows = np.where(a != 0, np.arange(a.shape[0])[:, None], 0)
    np.maximum.accumulate(rows, axis=0, out=rows)
    filled = a[rows, np.arange(a.shape[1])[None, :]]
    return _g(np.rot90(filled, -turns))


def connect(g: Grid) -> Grid:
    """Between two cells of the same colour in a row or column, with only background between
    them, a line of that colour."""
    out = g.a.copy()
    for a in (out, out.T):  # the transpose is a view: rows, then columns
        for row in a:
            last_c, last_i = 0, -1
            for i, c in enumerate(row.tolist()):
                if c == 0:
                    continue
                if c == last_c and i - last_i > 1:
                    row[last_i + 1: i] = c
                last_c, last_i = c, i
    return _g(out)


def cross_lines(g: Grid) -> Grid:
    """Through every non-background cell, its row and column in its colour (over background;
    a line takes the colour of its first cell, rows drawn before columns)."""
    a = g.a
    fg = a != 0
    out = a.copy()
    rows = np.nonzero(fg.any(axis=1))[0]
    row_color = a[rows, fg[rows].argmax(axis=1)]
    block = out[rows]
    out[rows] = np.where(block == 0, row_color[:, None], block)
    cols = np.nonzero(fg.any(axis=0))[0]
    col_color = a[fg[:, cols].argmax(axis=0), cols]
    block = out[:, cols]
    out[:, cols] = np.where(block == 0, col_color[None, :], block)
    return _g(out)


def hlines(g: Grid) -> Grid:
    """Each row with a non-background cell filled with that row's most common colour."""
    out = g.a.copy()
    for y in range(g.shape[0]):
        counts = np.bincount(g.a[y], minlength=COLORS)[1:]
        if counts.any():
            out[y, :] = int(np.argmax(counts)) + 1
    return _g(out)


def vlines(g: Grid) -> Grid:
    return _g(hlines(Grid(np.ascontiguousarray(g.a.T))).a.T)


# ------------------------------------------------------------------ outlines, hulls, frames
def outline(g: Grid, c: int) -> Grid:
    """Background cells 8-adjacent to an object become `c`."""
    fg = g.a != 0
    near = ndimage.binary_dilation(fg, structure=_S8) & ~fg
    return _g(np.where(near, _color(c), g.a))


def interior(g: Grid, c: int) -> Grid:
    """Object cells whose four neighbours are all object cells become `c`."""
    fg = g.a != 0
    inner = ndimage.binary_erosion(fg, structure=_S4, border_value=0)
    return _g(np.where(inner, _color(c), g.a))


def box_fill(g: Grid, c: int) -> Grid:
    """Background cells inside the bounding box of each 8-connected object become `c`."""
    labels, _ = ndimage.label(g.a != 0, structure=_S8)
    out = g.a.copy()
    for sl in ndimage.find_objects(labels):
        if sl is None:
            continue
        view = out[sl]
        view[view == 0] = _color(c)
    return _g(out)


def frame(g: Grid, c: int) -> Grid:
    """The grid's outermost rows and columns in colour `c`."""
    out = g.a.copy()
    out[0, :] = out[-1, :] = out[:, 0] = out[:, -1] = _color(c)
    return _g(out)


def fill_background(g: Grid, c: int) -> Grid:
    return _g(np.where(g.a == 0, _color(c), g.a))


def invert(g: Grid, c: int) -> Grid:
    """Background becomes `c`, everything else background."""
    return _g(np.where(g.a == 0, _color(c), 0))


def majority_to_background(g: Grid) -> Grid:
    """The most common colour (background included) becomes the background and the
    background takes its place: tasks drawn on a coloured ground."""
    counts = np.bincount(g.a.ravel(), minlength=COLORS)
    m = int(np.argmax(counts))
    if m == 0:
        return g
    out = g.a.copy()
    out[g.a == m] = 0
    out[g.a == 0] = m
    return _g(out)


# ------------------------------------------------------------------ compression and tiling
def compress(g: Grid) -> Grid:
    """Runs of equal adjacent rows, then columns, kept once."""
    a = g.a
    keep = [0] + [i for i in range(1, a.shape[0]) if not np.array_equal(a[i], a[i - 1])]
    a = a[keep]
    keep = [0] + [j for j in range(1, a.shape[1]) if not np.array_equal(a[:, j], a[:, j - 1])]
    return _g(a[:, keep])


def drop_empty_lines(g: Grid) -> Grid:
    """Rows and columns that are all background removed."""
    rows = np.nonzero(g.a.any(axis=1))[0]
    cols = np.nonzero(g.a.any(axis=0))[0]
    if len(rows) == 0:
        raise ValueError("an all-background grid")
    return _g(g.a[np.ix_(rows, cols)])


def kaleidoscope(g: Grid) -> Grid:
    """The grid, its left-right mirror to the right, and both mirrored below."""
    top = np.hstack([g.a, g.a[:, ::-1]])
    return _g(np.vstack([top, top[::-1, :]]))


def self_tile(g: Grid) -> Grid:
    """A copy of the grid in place of each non-background cell (the grid as its own mask)."""
    h, w = g.shape
    if h * h > 60 or w * w > 60:
        raise ValueError("too large to tile by itself")
    mask = (g.a != 0).astype(np.uint8)
    return _g(mask.repeat(h, axis=0).repeat(w, axis=1) * np.tile(g.a, (h, w)))


def symmetrize_rot(g: Grid) -> Grid:
    """Background cells take the colour of their images under quarter turns (square grids)."""
    if g.shape[0] != g.shape[1]:
        raise ValueError("rotational completion needs a square grid")
    out = g.a.copy()
    for k in (1, 2, 3):
        r = np.rot90(g.a, k)
        out = np.where(out == 0, r, out)
    return _g(out)


def symmetrize_diag(g: Grid) -> Grid:
    if g.shape[0] != g.shape[1]:
        raise ValueError("diagonal completion needs a square grid")
    return _g(np.where(g.a == 0, g.a.T, g.a))


def colour_count_bar(g: Grid) -> Grid:
    """One row: each colour present, as many cells as its count ranks (most common first)."""
    counts = np.bincount(g.a.ravel(), minlength=COLORS)[1:]
    present = [c + 1 for c in np.argsort(-counts, kind="stable") if counts[c] > 0]
    if not present:
        raise ValueError("no colour but the background")
    return _g(np.array([present], dtype=np.uint8))
