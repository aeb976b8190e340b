"""Pattern completion: cells of one colour hide part of a regular pattern, and the task is to
restore it (or to show only what was hidden).

Two regularities are searched, each fitted to the cells that are not hidden:
- **periodic tiling**: the smallest rectangular period (py, px) under which all visible cells
  of each residue class agree; each hidden cell takes its class's colour;
- **mirror symmetry** about a vertical and/or horizontal axis anywhere in the grid (not only
  the middle), and the transpose symmetry of a square pattern: a hidden cell takes its mirror
  images' colour.

The `*-patch` forms return only the bounding box of the hidden cells, restored. Every search is
vectorised and bounded (periods up to half a side, axes at each half-cell position), so a
primitive costs at most a few milliseconds on a 30x30 grid.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from hylo.domains.grids.grid import COLORS, Grid


def _color(c: int) -> int:
    if not 0 <= c < COLORS:
        raise ValueError(f"colour {c} outside 0-9")
    return c


def _hidden(g: Grid, c: int) -> np.ndarray:
    mask = g.a == _color(c)
    if not mask.any():
        raise ValueError("no hidden cells")
    if mask.all():
        raise ValueError("every cell is hidden")
    return mask


def _period_fill(a: np.ndarray, mask: np.ndarray, py: int, px: int) -> np.ndarray | None:
    """`a` with hidden cells restored under period (py, px), None if the visible cells
    disagree or a hidden cell's class has no visible cell."""
    h, w = a.shape
    ys, xs = np.indices((h, w))
    cls = (ys % py) * px + (xs % px)
    known = ~mask
    k_cls = cls[known]
    k_col = a[known].astype(np.int64)
    n = py * px
    lo = np.full(n, 99, dtype=np.int64)
    hi = np.full(n, -1, dtype=np.int64)
    np.minimum.at(lo, k_cls, k_col)
    np.maximum.at(hi, k_cls, k_col)
    seen = hi >= 0
    if (lo[seen] != hi[seen]).any():
        return None
    need = cls[mask]
    if not seen[need].all():
        return None
    out = a.copy()
    out[mask] = lo[need]
    return out


def _shifts(a: np.ndarray, known: np.ndarray, limit: int) -> list[int]:
    """Row shifts `p` (1..limit, and the height) under which every visible cell agrees with
    the visible cell `p` rows below it: a period must pass this test on each axis."""
    h = a.shape[0]
    out = []
    for p in range(1, limit + 1):
        both = known[:-p] & known[p:]
        if (a[:-p][both] == a[p:][both]).all():
            out.append(p)
    return [*out, h]


def fill_period(g: Grid, c: int) -> Grid:
    """Cells of colour `c` restored from the smallest period the other cells keep."""
    return _fill_period(g, _color(c))


@lru_cache(maxsize=1024)
def _fill_period(g: Grid, c: int) -> Grid:
    # cached: `fill-period` and `period-patch` ask for the same grid and colour
    mask = _hidden(g, c)
    h, w = g.shape
    known = ~mask
    ys = _shifts(g.a, known, h // 2)
    xs = _shifts(g.a.T, known.T, w // 2)
    periods = sorted(((py, px) for py in ys for px in xs if (py, px) != (h, w)),
                     key=lambda p: (p[0] * p[1], p))
    for py, px in periods:
        out = _period_fill(g.a, mask, py, px)
        if out is not None:
            return Grid(out)
    raise ValueError("no period fits the visible cells")


def _mirror_axes(a: np.ndarray, mask: np.ndarray) -> list[int]:
    """Positions `s` (twice the axis: column j mirrors to s - j) of vertical mirror axes the
    visible cells agree with, with at least half the columns paired, the nearest the middle
    first."""
    w = a.shape[1]
    known = ~mask
    out = []
    for s in range(w // 2, 2 * w - 1 - w // 2):
        j0, j1 = max(0, s - (w - 1)), min(w - 1, s)  # columns j with a mirror s - j inside
        if j1 - j0 + 1 < w // 2 + (w % 2):
            continue
        left, right = a[:, j0:j1 + 1], a[:, s - j1:s - j0 + 1][:, ::-1]
        both = known[:, j0:j1 + 1] & known[:, s - j1:s - j0 + 1][:, ::-1]
        if both.any() and (left[both] == right[both]).all():
            out.append(s)
    return sorted(out, key=lambda s: abs(s - (w - 1)))


def _restore_mirrors(a: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Hidden cells filled from their images under every mirror axis the visible cells keep
    (vertical, horizontal, and the transpose of a square grid), repeatedly."""
    out = a.copy()
    mask = mask.copy()
    vs = _mirror_axes(out, mask)[:1]
    hs = _mirror_axes(out.T, mask.T)[:1]
    both = ~mask & ~mask.T if out.shape[0] == out.shape[1] else None
    transposable = both is not None and both.any() and bool((out[both] == out.T[both]).all())
    for _ in range(4):
        if not mask.any():
            break
        before = int(mask.sum())
        for s in vs:
            _reflect(out, mask, s)
        for s in hs:
            t, tm = out.T, mask.T  # views: reflecting them fills rows
            _reflect(t, tm, s)
        if transposable:
            t = out.T.copy()
            tm = mask.T.copy()
            take = mask & ~tm
            out[take] = t[take]
            mask &= ~take
        if int(mask.sum()) == before:
            break
    if mask.any():
        raise ValueError("no symmetry restores every hidden cell")
    return out


def _reflect(a: np.ndarray, mask: np.ndarray, s: int) -> None:
    w = a.shape[1]
    for j in range(w):
        m = s - j
        if 0 <= m < w and m != j:
            take = mask[:, j] & ~mask[:, m]
            a[take, j] = a[take, m]
            mask[take, j] = False


def fill_mirror(g: Grid, c: int) -> Grid:
    """Cells of colour `c` restored from the grid's mirror symmetries."""
    return _fill_mirror(g, _color(c))


@lru_cache(maxsize=1024)
def _fill_mirror(g: Grid, c: int) -> Grid:
    # cached: `fill-mirror` and `mirror-patch` ask for the same grid and colour
    return Grid(_restore_mirrors(g.a, _hidden(g, c)))


def _patch(g: Grid, c: int, full: Grid) -> Grid:
    ys, xs = np.nonzero(g.a == c)
    return Grid(full.a[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1])


def period_patch(g: Grid, c: int) -> Grid:
    """What the cells of colour `c` hide, under the periodic pattern (their bounding box)."""
    return _patch(g, c, fill_period(g, c))


def mirror_patch(g: Grid, c: int) -> Grid:
    """What the cells of colour `c` hide, under the mirror symmetries (their bounding box)."""
    return _patch(g, c, fill_mirror(g, c))
