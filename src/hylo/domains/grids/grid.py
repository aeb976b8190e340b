"""Grid values of the grids domain: immutable numpy arrays of colours 0-9 with equality and a
canonical key (`value_key`), so search can merge programs by the grids they produce."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

MAX_SIDE = 60  # ARC grids are at most 30x30; twice that leaves room for scaling and tiling
MAX_CELLS = MAX_SIDE * MAX_SIDE
COLORS = 10


class GridError(ValueError):
    """A grid that is not one: ragged rows, a colour outside 0-9, too large, empty."""


class Grid:
    """A read-only 2-D array of colours (uint8). Equal grids have equal shapes and cells."""

    __slots__ = ("a", "_key")

    def __init__(self, a: np.ndarray) -> None:
        if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
            raise GridError(f"a grid is a non-empty 2-D array, got shape {a.shape}")
        if a.shape[0] > MAX_SIDE or a.shape[1] > MAX_SIDE:
            raise GridError(f"grid {a.shape[0]}x{a.shape[1]} exceeds {MAX_SIDE} per side")
        if a.dtype != np.uint8:
            a = a.astype(np.uint8)
        if not a.flags.c_contiguous:
            a = np.ascontiguousarray(a)
        a.flags.writeable = False
        self.a = a
        self._key: tuple[int, int, bytes] | None = None

    @classmethod
    def from_rows(cls, rows: Any) -> Grid:
        """From ARC JSON (a list of equal-length lists of ints 0-9); a clear error otherwise."""
        if not isinstance(rows, Sequence) or isinstance(rows, (str, bytes)) or not rows:
            raise GridError("a grid is a non-empty list of rows")
        width = None
        for r in rows:
            if not isinstance(r, Sequence) or isinstance(r, (str, bytes)) or not r:
                raise GridError("each row of a grid is a non-empty list of colours")
            if width is None:
                width = len(r)
            elif len(r) != width:
                raise GridError("rows of a grid must have the same length")
            for c in r:
                if type(c) is not int or not 0 <= c < COLORS:
                    raise GridError(f"a colour is an integer 0-9, got {c!r}")
        if len(rows) > MAX_SIDE or (width or 0) > MAX_SIDE:
            raise GridError(f"grid exceeds {MAX_SIDE} per side")
        return cls(np.array(rows, dtype=np.uint8))

    def rows(self) -> list[list[int]]:
        return self.a.tolist()

    tolist = rows  # JSON data, as numpy arrays give it (the library stores examples so)

    @property
    def shape(self) -> tuple[int, int]:
        return self.a.shape[0], self.a.shape[1]

    def key(self) -> tuple[int, int, bytes]:
        if self._key is None:
            self._key = (self.a.shape[0], self.a.shape[1], self.a.tobytes())
        return self._key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Grid) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        return "Grid(" + "|".join("".join(map(str, r)) for r in self.rows()) + ")"


def value_key(v: Any) -> Hashable:
    """The canonical key of a grids-domain value: grids by shape and cells, lists by their
    elements' keys, integers and booleans kept apart (`True` is not `1`)."""
    t = type(v)
    if t is Grid:
        return ("g", *v.key())
    if t is bool:
        return ("b", v)
    if t is int:
        return v
    if t is list or t is tuple:
        return ("l", tuple(value_key(x) for x in v))
    if isinstance(v, np.integer):
        return int(v)
    raise TypeError(f"not a grids-domain value: {type(v).__name__}")


def equal(a: Any, b: Any) -> bool:
    try:
        return value_key(a) == value_key(b)
    except TypeError:
        return False
