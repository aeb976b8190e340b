"""Piece selectors: the output is one piece of the input, picked by a property the train
pairs reveal (the one with most holes, the only one of its shape, the topmost).

A *selector* names how the input is cut into pieces (connected objects 4- or 8-connected, of
one colour or of any, or the cells between separator lines), what a piece shows (its own cells
only, or its whole bounding box), a property and how the property picks (the largest value,
the smallest, or the one value no other piece has). `learn_selectors` reads them off the
train pairs: each pair's output must be one of its input's pieces, and the selector must pick
such a piece in every pair and exactly one piece on every test input. A selector is a literal
constant of type `selector`, `select:SEG:SHOW:PROPERTY:MODE`, used as
`(select-piece G select:o8:own:holes:max)`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from hylo.domains.grids.families import MAX_OBJECTS, split_cells
from hylo.domains.grids.grid import Grid

_S4 = ndimage.generate_binary_structure(2, 1)
_S8 = ndimage.generate_binary_structure(2, 2)


@dataclass(frozen=True)
class Piece:
    own: np.ndarray  # the piece's cells, the rest of its box background
    box: np.ndarray  # the input's cells in the piece's bounding box
    mask: np.ndarray  # which cells of the box are the piece's
    top: int
    left: int


def _components(a: np.ndarray, diagonal: bool, by_colour: bool) -> list[Piece]:
    structure = _S8 if diagonal else _S4
    masks = [a == c for c in np.unique(a).tolist() if c != 0] if by_colour else [a != 0]
    out: list[Piece] = []
    for mask in masks:
        labels, count = ndimage.label(mask, structure=structure)
        if len(out) + count > MAX_OBJECTS:
            raise ValueError(f"more than {MAX_OBJECTS} pieces")
        for k, sl in enumerate(ndimage.find_objects(labels), start=1):
            if sl is None:
                continue
            m = labels[sl] == k
            out.append(Piece(np.where(m, a[sl], 0), a[sl], m, sl[0].start, sl[1].start))
    out.sort(key=lambda p: (p.top, p.left))
    return out


def _cells(a: np.ndarray) -> list[Piece]:
    cells = split_cells(Grid(a))
    if len(cells) > MAX_OBJECTS:  # properties compare pieces pairwise
        raise ValueError(f"more than {MAX_OBJECTS} pieces")
    out = []
    for c in cells:
        out.append(Piece(c.a, c.a, c.a != 0, 0, 0))
    for i, p in enumerate(out):  # reading order stands in for the position
        out[i] = Piece(p.own, p.box, p.mask, i, 0)
    return out


SEGMENTS: dict[str, Callable[[np.ndarray], list[Piece]]] = {
    "o4": lambda a: _components(a, False, False),
    "o8": lambda a: _components(a, True, False),
    "c4": lambda a: _components(a, False, True),
    "c8": lambda a: _components(a, True, True),
    "cells": _cells,
}


def _holes(p: Piece) -> int:
    inside = np.pad(~p.mask, 1, constant_values=True)
    regions, count = ndimage.label(inside, structure=_S4)
    return count - 1


def _shape_key(p: Piece) -> bytes:
    return bytes(p.mask.shape) + np.packbits(p.mask).tobytes()


def _symmetric(p: Piece) -> int:
    a = p.own
    return int(np.array_equal(a, a[:, ::-1])) + 2 * int(np.array_equal(a, a[::-1]))


#: properties of a piece among its pieces: name -> (piece, all pieces) -> int
PROPERTIES: dict[str, Callable[[Piece, list[Piece]], int]] = {
    "size": lambda p, ps: int(p.mask.sum()),
    "area": lambda p, ps: p.mask.size,
    "height": lambda p, ps: p.mask.shape[0],
    "width": lambda p, ps: p.mask.shape[1],
    "colours": lambda p, ps: len(np.unique(p.own[p.mask])),
    "holes": lambda p, ps: _holes(p),
    "fill": lambda p, ps: int(100 * p.mask.sum() / p.mask.size),
    "background": lambda p, ps: int((p.box == 0).sum()),
    "shape-count": lambda p, ps: sum(_shape_key(q) == _shape_key(p) for q in ps),
    "colour-count": lambda p, ps: sum(
        set(np.unique(q.own[q.mask]).tolist()) == set(np.unique(p.own[p.mask]).tolist())
        for q in ps),
    "content-count": lambda p, ps: sum(np.array_equal(q.own, p.own) for q in ps),
    "symmetry": lambda p, ps: _symmetric(p),
    "top": lambda p, ps: p.top,
    "left": lambda p, ps: p.left,
    "bottom": lambda p, ps: p.top + p.mask.shape[0],
    "right": lambda p, ps: p.left + p.mask.shape[1],
}
MODES = ("max", "min", "unique")
_LITERAL = re.compile(r"select:([a-z0-9]+):(own|box):([a-z-]+):(max|min|unique)", re.ASCII)


@dataclass(frozen=True)
class Selector:
    segment: str
    show: str
    prop: str
    mode: str

    def pick_index(self, pieces: list[Piece]) -> int:
        if not pieces:
            raise ValueError("no pieces")
        values = [PROPERTIES[self.prop](p, pieces) for p in pieces]
        if self.mode == "unique":
            hits = [i for i, v in enumerate(values) if values.count(v) == 1]
        else:
            best = max(values) if self.mode == "max" else min(values)
            hits = [i for i, v in enumerate(values) if v == best]
        if len(hits) != 1:
            raise ValueError("the property picks no single piece")
        return hits[0]

    def apply(self, g: Grid) -> Grid:
        pieces = SEGMENTS[self.segment](g.a)
        p = pieces[self.pick_index(pieces)]
        return Grid(p.own if self.show == "own" else p.box)

    def literal(self) -> str:
        return f"select:{self.segment}:{self.show}:{self.prop}:{self.mode}"


def parse_selector(text: str) -> Selector | None:
    """The selector a literal `select:SEG:SHOW:PROPERTY:MODE` stands for, else None."""
    if len(text) > 64 or not text.startswith("select:"):
        return None
    m = _LITERAL.fullmatch(text)
    if m is None or m.group(1) not in SEGMENTS or m.group(3) not in PROPERTIES:
        return None
    return Selector(m.group(1), m.group(2), m.group(3), m.group(4))


def learn_selectors(grids: Sequence[np.ndarray], targets: Sequence[np.ndarray],
                    queries: Sequence[np.ndarray], limit: int = 2,
                    deadline: float | None = None) -> list[Selector]:
    """Selectors that pick, in each train pair, a piece equal to the output, and exactly one
    piece on each test input; at most `limit`, with distinct predictions on the queries (those
    found by `deadline`, if given)."""
    out: list[Selector] = []
    seen: set[bytes] = set()
    for seg, cut in SEGMENTS.items():
        if deadline is not None and time.perf_counter() > deadline:
            break
        try:
            pieces = [cut(g) for g in grids]
            qpieces = [cut(q) for q in queries]
        except ValueError:
            continue
        if any(not ps for ps in (*pieces, *qpieces)):
            continue
        for show in ("own", "box"):
            right = [{i for i, p in enumerate(ps)
                      if np.array_equal(p.own if show == "own" else p.box, t)}
                     for ps, t in zip(pieces, targets, strict=True)]
            if not all(right):
                continue
            for prop in PROPERTIES:
                if deadline is not None and time.perf_counter() > deadline:
                    return out
                for mode in MODES:
                    s = Selector(seg, show, prop, mode)
                    try:
                        if not all(s.pick_index(ps) in r for ps, r in zip(pieces, right,
                                                                          strict=True)):
                            continue
                        picks = [s.pick_index(ps) for ps in qpieces]
                    except ValueError:
                        continue
                    key = b"".join((ps[i].own if show == "own" else ps[i].box).tobytes()
                                   + bytes(ps[i].own.shape) for ps, i in zip(qpieces, picks,
                                                                             strict=True))
                    if key in seen:
                        continue
                    seen.add(key)
                    out.append(s)
                    if len(out) >= limit:
                        return out
    return out
