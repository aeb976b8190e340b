"""The grid DSL's first primitive families (issue 9; more follow): geometry, size, colour,
objects, gravity, filling and overlay. Conventions as the list DSL's (`impl` uncurried, values
never mutated, failure an ordinary exception). Colour 0 is the background. Types: `grid`,
`color`, `int`, `bool`, `list(grid)`.

Every grid a primitive returns is at most `MAX_SIDE` per side (`Grid` raises otherwise), so no
program of any depth builds a large value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import ndimage

from hylo.core.dsl import DSL, Primitive
from hylo.core.types import parse_type
from hylo.domains.grids import complete as K
from hylo.domains.grids import families as F
from hylo.domains.grids.grid import COLORS, Grid
from hylo.domains.grids.layouts import Layout, parse_layout
from hylo.domains.grids.rules import Rule, parse_rule
from hylo.domains.grids.selectors import Selector, parse_selector

_S4 = ndimage.generate_binary_structure(2, 1)


def _g(a: np.ndarray) -> Grid:
    return Grid(np.ascontiguousarray(a))


# ------------------------------------------------------------------ size
def _crop(g: Grid) -> Grid:
    """The bounding box of the non-background cells; fails on an all-background grid."""
    ys, xs = np.nonzero(g.a)
    if len(ys) == 0:
        raise ValueError("crop of an empty grid")
    return _g(g.a[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1])


def _scale(k: int) -> Callable[[Grid], Grid]:
    def up(g: Grid) -> Grid:
        return _g(g.a.repeat(k, axis=0).repeat(k, axis=1))
    return up


def _downscale(k: int) -> Callable[[Grid], Grid]:
    def down(g: Grid) -> Grid:
        h, w = g.shape
        if h % k or w % k:
            raise ValueError(f"grid {h}x{w} does not divide by {k}")
        a = g.a[::k, ::k]
        if not np.array_equal(a.repeat(k, axis=0).repeat(k, axis=1), g.a):
            raise ValueError("grid is not made of uniform blocks")
        return _g(a)
    return down


def _hconcat(a: Grid, b: Grid) -> Grid:
    if a.shape[0] != b.shape[0]:
        raise ValueError("hconcat of grids of different heights")
    return _g(np.hstack([a.a, b.a]))


def _vconcat(a: Grid, b: Grid) -> Grid:
    if a.shape[1] != b.shape[1]:
        raise ValueError("vconcat of grids of different widths")
    return _g(np.vstack([a.a, b.a]))


# ------------------------------------------------------------------ colour
def _check_color(c: int) -> int:
    if not 0 <= c < COLORS:
        raise ValueError(f"colour {c} outside 0-9")
    return c


def _recolor(g: Grid, a: int, b: int) -> Grid:
    out = g.a.copy()
    out[g.a == _check_color(a)] = _check_color(b)
    return _g(out)


def _keep_color(g: Grid, c: int) -> Grid:
    return _g(np.where(g.a == _check_color(c), g.a, 0).astype(np.uint8))


def _erase_color(g: Grid, c: int) -> Grid:
    return _g(np.where(g.a == _check_color(c), 0, g.a).astype(np.uint8))


def _color_counts(g: Grid) -> np.ndarray:
    return np.bincount(g.a.ravel(), minlength=COLORS)


def _most_common(g: Grid) -> int:
    """The most common non-background colour (the lowest on ties); fails if there is none."""
    counts = _color_counts(g)[1:]
    if not counts.any():
        raise ValueError("no colour but the background")
    return int(np.argmax(counts)) + 1


def _least_common(g: Grid) -> int:
    counts = _color_counts(g)[1:].astype(float)
    if not counts.any():
        raise ValueError("no colour but the background")
    counts[counts == 0] = np.inf
    return int(np.argmin(counts)) + 1


def _paint(g: Grid, c: int) -> Grid:
    """Every non-background cell in colour `c`."""
    return _g(np.where(g.a != 0, _check_color(c), 0).astype(np.uint8))


# ------------------------------------------------------------------ objects
def _cells(g: Grid) -> int:
    return int(np.count_nonzero(g.a))


def _pick(choose: Callable[..., Any]) -> Callable[[list[Grid]], Grid]:
    def pick(gs: list[Grid]) -> Grid:
        if not gs:
            raise ValueError("no objects")
        return choose(gs, key=_cells)  # the first on ties: `max`/`min` keep it
    return pick


# ------------------------------------------------------------------ gravity, filling, overlay
def _fill_enclosed(g: Grid, c: int) -> Grid:
    """Background cells not 4-connected to the border through background become `c`."""
    a = g.a
    labels, _ = ndimage.label(a == 0, structure=_S4)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    enclosed = (labels != 0) & ~np.isin(labels, edge)
    out = a.copy()
    out[enclosed] = _check_color(c)
    return _g(out)


def _overlay(under: Grid, over: Grid) -> Grid:
    """`over`'s non-background cells on top of `under` (same shape)."""
    if under.shape != over.shape:
        raise ValueError("overlay of grids of different shapes")
    return _g(np.where(over.a != 0, over.a, under.a).astype(np.uint8))


def _symmetrize(flip: Callable[[np.ndarray], np.ndarray]) -> Callable[[Grid], Grid]:
    def complete(g: Grid) -> Grid:
        """Symmetry completion: background cells take their mirror image's colour."""
        m = flip(g.a)
        return _g(np.where(g.a != 0, g.a, m).astype(np.uint8))
    return complete


def _prim(name: str, type_text: str, impl: Any, doc: str) -> Primitive:
    return Primitive(name, parse_type(type_text), impl, doc=doc)


def _dir(fn: Callable[..., Grid], direction: str) -> Callable[[Grid], Grid]:
    return lambda g: fn(g, direction)


FAMILIES: tuple[Primitive, ...] = (
    # halves and cell-wise logic between them (a separator line in the middle is dropped)
    _prim("left-half", "grid -> grid", F._half(1, 0), "the left half"),
    _prim("right-half", "grid -> grid", F._half(1, 1), "the right half"),
    _prim("top-half", "grid -> grid", F._half(0, 0), "the top half"),
    _prim("bottom-half", "grid -> grid", F._half(0, 1), "the bottom half"),
    *(_prim(f"h-{name}", "grid -> color -> grid", F._cellwise(op, 1),
            f"left and right halves combined cell-wise ({name}), in colour c")
      for name, op in F.CELLWISE.items()),
    *(_prim(f"v-{name}", "grid -> color -> grid", F._cellwise(op, 0),
            f"top and bottom halves combined cell-wise ({name}), in colour c")
      for name, op in F.CELLWISE.items() if name in ("and", "or", "xor", "nor")),
    # separators and cells
    _prim("split-cells", "grid -> list(grid)", F.split_cells,
          "the cells between separator lines"),
    _prim("cell-grid", "grid -> grid", F.cell_grid,
          "one pixel per separated cell: its main colour"),
    _prim("erase-separators", "grid -> grid", F.erase_separators, "separator lines removed"),
    _prim("overlay-all", "list(grid) -> grid", F.overlay_all, "pieces of one shape stacked"),
    _prim("unique-piece", "list(grid) -> grid", F.unique_piece, "the odd piece out"),
    _prim("common-piece", "list(grid) -> grid", F.common_piece, "the most frequent piece"),
    _prim("most-colorful", "list(grid) -> grid", F.most_colorful,
          "the piece with most colours"),
    _prim("unique-color-piece", "list(grid) -> grid", F.unique_color_piece,
          "the piece whose colours no other has"),
    _prim("first", "list(grid) -> grid", F._first, "the first piece"),
    _prim("last", "list(grid) -> grid", F._last, "the last piece"),
    # objects in place
    _prim("keep-largest", "grid -> grid", F.largest_object_in_place,
          "only the largest object stays, in place"),
    _prim("remove-small", "grid -> int -> grid", F.remove_small,
          "objects of at most k cells erased"),
    _prim("recolor-by-size", "grid -> grid", F.recolor_by_size,
          "objects coloured by size rank (largest 1)"),
    # gravity and moves
    *(_prim(f"gravity-{d}", "grid -> grid", _dir(F.gravity, d), f"cells fall {d}")
      for d in ("up", "left", "right")),
    _prim("shift-down", "grid -> grid", lambda g: F.shift(g, 1, 0), "moved one cell down"),
    _prim("shift-up", "grid -> grid", lambda g: F.shift(g, -1, 0), "moved one cell up"),
    _prim("shift-right", "grid -> grid", lambda g: F.shift(g, 0, 1), "moved one cell right"),
    _prim("shift-left", "grid -> grid", lambda g: F.shift(g, 0, -1), "moved one cell left"),
    # lines
    *(_prim(f"rays-{d}", "grid -> grid", _dir(F.rays, d), f"every cell extended {d}")
      for d in ("down", "up", "left", "right")),
    _prim("connect", "grid -> grid", F.connect, "same-colour cells in a line joined"),
    _prim("cross-lines", "grid -> grid", F.cross_lines, "row and column through every cell"),
    _prim("hlines", "grid -> grid", F.hlines, "rows with a cell filled"),
    _prim("vlines", "grid -> grid", F.vlines, "columns with a cell filled"),
    # outlines, hulls, frames, background
    _prim("outline", "grid -> color -> grid", F.outline, "background around objects in c"),
    _prim("interior", "grid -> color -> grid", F.interior, "inner cells of objects in c"),
    _prim("box-fill", "grid -> color -> grid", F.box_fill,
          "background in each object's bounding box in c"),
    _prim("frame", "grid -> color -> grid", F.frame, "the grid's border in c"),
    _prim("fill-background", "grid -> color -> grid", F.fill_background, "background to c"),
    _prim("invert", "grid -> color -> grid", F.invert, "background to c, the rest erased"),
    _prim("majority-to-background", "grid -> grid", F.majority_to_background,
          "the commonest colour swapped with the background"),
    # compression, tiling, symmetry, counting
    _prim("compress", "grid -> grid", F.compress, "repeated adjacent rows/columns once"),
    _prim("drop-empty", "grid -> grid", F.drop_empty_lines, "empty rows and columns removed"),
    _prim("kaleidoscope", "grid -> grid", F.kaleidoscope, "the grid mirrored four ways"),
    _prim("self-tile", "grid -> grid", F.self_tile, "the grid in place of each of its cells"),
    _prim("symmetrize-rot", "grid -> grid", F.symmetrize_rot, "complete quarter-turn symmetry"),
    _prim("symmetrize-diag", "grid -> grid", F.symmetrize_diag, "complete diagonal symmetry"),
    _prim("color-bar", "grid -> grid", F.colour_count_bar, "colours present, commonest first"),
    # pattern completion: cells of colour c hide part of a periodic or mirrored pattern
    _prim("fill-period", "grid -> color -> grid", K.fill_period,
          "cells of colour c restored from the pattern's period"),
    _prim("fill-mirror", "grid -> color -> grid", K.fill_mirror,
          "cells of colour c restored from the pattern's mirror symmetries"),
    _prim("period-patch", "grid -> color -> grid", K.period_patch,
          "what the cells of colour c hide, under the period"),
    _prim("mirror-patch", "grid -> color -> grid", K.mirror_patch,
          "what the cells of colour c hide, under the mirror symmetries"),
)


PRIMITIVES: tuple[Primitive, ...] = (
    *(_prim(f"c{c}", "color", (lambda c=c: c), f"colour {c}") for c in range(COLORS)),
    _prim("1", "int", lambda: 1, "the integer 1"),
    _prim("2", "int", lambda: 2, "the integer 2"),
    _prim("3", "int", lambda: 3, "the integer 3"),
    # geometry
    _prim("rot90", "grid -> grid", lambda g: _g(np.rot90(g.a, -1)), "rotate a quarter clockwise"),
    _prim("rot180", "grid -> grid", lambda g: _g(np.rot90(g.a, 2)), "rotate half a turn"),
    _prim("rot270", "grid -> grid", lambda g: _g(np.rot90(g.a, 1)),
          "rotate a quarter anticlockwise"),
    _prim("flip-h", "grid -> grid", lambda g: _g(g.a[:, ::-1]), "mirror left to right"),
    _prim("flip-v", "grid -> grid", lambda g: _g(g.a[::-1, :]), "mirror top to bottom"),
    _prim("transpose", "grid -> grid", lambda g: _g(g.a.T), "swap rows and columns"),
    # size
    _prim("crop", "grid -> grid", _crop, "bounding box of the non-background cells"),
    _prim("scale2", "grid -> grid", _scale(2), "each cell becomes a 2x2 block"),
    _prim("scale3", "grid -> grid", _scale(3), "each cell becomes a 3x3 block"),
    _prim("downscale2", "grid -> grid", _downscale(2), "inverse of scale2"),
    _prim("downscale3", "grid -> grid", _downscale(3), "inverse of scale3"),
    _prim("tile2x2", "grid -> grid", lambda g: _g(np.tile(g.a, (2, 2))), "the grid 2x2 times"),
    _prim("tile3x3", "grid -> grid", lambda g: _g(np.tile(g.a, (3, 3))), "the grid 3x3 times"),
    _prim("hconcat", "grid -> grid -> grid", _hconcat, "side by side (same height)"),
    _prim("vconcat", "grid -> grid -> grid", _vconcat, "one above the other (same width)"),
    _prim("mirror-h", "grid -> grid", lambda g: _hconcat(g, _g(g.a[:, ::-1])),
          "the grid, then its mirror image to the right"),
    _prim("mirror-v", "grid -> grid", lambda g: _vconcat(g, _g(g.a[::-1, :])),
          "the grid, then its mirror image below"),
    _prim("width", "grid -> int", lambda g: g.shape[1], "number of columns"),
    _prim("height", "grid -> int", lambda g: g.shape[0], "number of rows"),
    # colour
    _prim("recolor", "grid -> color -> color -> grid", _recolor, "cells of colour a become b"),
    _prim("keep-color", "grid -> color -> grid", _keep_color, "only cells of colour c remain"),
    _prim("erase-color", "grid -> color -> grid", _erase_color, "cells of colour c erased"),
    _prim("paint", "grid -> color -> grid", _paint, "every non-background cell in colour c"),
    _prim("most-common-color", "grid -> color", _most_common,
          "the most common non-background colour"),
    _prim("least-common-color", "grid -> color", _least_common,
          "the least common non-background colour present"),
    _prim("count-cells", "grid -> int", _cells, "number of non-background cells"),
    # objects
    _prim("objects4", "grid -> list(grid)", lambda g: F.objects(g, False, False),
          "4-connected non-background objects, cropped"),
    _prim("objects8", "grid -> list(grid)", lambda g: F.objects(g, True, False),
          "8-connected non-background objects, cropped"),
    _prim("color-objects", "grid -> list(grid)", lambda g: F.objects(g, False, True),
          "4-connected single-colour objects, cropped"),
    _prim("largest", "list(grid) -> grid", _pick(max), "the object with most cells"),
    _prim("smallest", "list(grid) -> grid", _pick(min), "the object with fewest cells"),
    _prim("count-objects", "list(grid) -> int", len, "number of objects"),
    # gravity, filling, overlay, symmetry
    _prim("gravity-down", "grid -> grid", lambda g: F.gravity(g, "down"),
          "cells fall to the bottom"),
    _prim("fill-enclosed", "grid -> color -> grid", _fill_enclosed,
          "background enclosed from the border becomes c"),
    _prim("overlay", "grid -> grid -> grid", _overlay, "the second's cells over the first"),
    _prim("symmetrize-h", "grid -> grid", _symmetrize(lambda a: a[:, ::-1]),
          "complete left-right symmetry"),
    _prim("symmetrize-v", "grid -> grid", _symmetrize(lambda a: a[::-1, :]),
          "complete top-bottom symmetry"),
    *FAMILIES,
)

def _apply_rule(g: Grid, rule: Rule) -> Grid:
    return rule.apply(g)


def _apply_rule2(g: Grid, other: Grid, rule: Rule) -> Grid:
    return rule.apply(g, other)


_RULE = parse_type("rule")
_LAYOUT = parse_type("layout")
_SELECTOR = parse_type("selector")


def _select_piece(g: Grid, selector: Selector) -> Grid:
    return selector.apply(g)


def _apply_layout(g: Grid, layout: Layout) -> Grid:
    return layout.apply(g)


def grid_literal(name: str) -> Primitive | None:
    """The grid DSL's literal hook: constants learned from a task's pairs, a local rule
    (`rules`, written `rule:SET:ENTRIES`, type `rule`) or a block layout (`layouts`,
    `layout:KxL:CODES`, type `layout`) or a piece selector (`selectors`,
    `select:SEG:SHOW:PROPERTY:MODE`, type `selector`); None for any other name."""
    if name.startswith("rule:"):
        rule = parse_rule(name)
        if rule is None:
            return None
        return Primitive(name, _RULE, lambda: rule,
                         doc=f"a local rule on features {rule.name}")
    if name.startswith("layout:"):
        layout = parse_layout(name)
        if layout is None:
            return None
        return Primitive(name, _LAYOUT, lambda: layout, doc="a block layout")
    if name.startswith("select:"):
        selector = parse_selector(name)
        if selector is None:
            return None
        return Primitive(name, _SELECTOR, lambda: selector, doc="a piece selector")
    return None


PRIMITIVES = (*PRIMITIVES, _prim(
    "apply-rule", "grid -> rule -> grid", _apply_rule,
    "each cell recoloured by a learned local rule (keys it lacks keep their colour)"), _prim(
    "apply-rule2", "grid -> grid -> rule -> grid", _apply_rule2,
    "cell-wise: a learned table of (colour here, colour in the second grid) -> colour"), _prim(
    "apply-layout", "grid -> layout -> grid", _apply_layout,
    "blocks of the grid's symmetries, laid out as learned"), _prim(
    "select-piece", "grid -> selector -> grid", _select_piece,
    "the piece a learned selector picks"))

GRIDS_DSL = DSL(dict(DSL.from_table(PRIMITIVES).primitives), literal=grid_literal)
