"""Pattern completion in the grids domain (`complete`): a periodic tiling or a mirrored picture
with a block of cells hidden under one colour is restored exactly (the `*-patch` forms give
exactly what was hidden), the fills keep every visible cell and leave a periodic grid, bad
input is refused with ValueError only, and the primitives behave the same inside programs."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest

from hylo.core.evaluate import run_program
from hylo.core.infer import infer_type
from hylo.core.limits import DEFAULT_LIMITS, EvalFailure
from hylo.domains.grids.complete import fill_mirror, fill_period, mirror_patch, period_patch
from hylo.domains.grids.grid import MAX_SIDE, Grid
from hylo.domains.grids.primitives import GRIDS_DSL

Fill = Callable[[Grid, int], Grid]
FILLS = (fill_period, fill_mirror)
PATCHES = (period_patch, mirror_patch)
ALL = (*FILLS, *PATCHES)
NAMES = {fill_period: "fill-period", fill_mirror: "fill-mirror",
         period_patch: "period-patch", mirror_patch: "mirror-patch"}


def G(rows: list[list[int]] | np.ndarray) -> Grid:
    return Grid(np.array(rows, dtype=np.uint8))  # a copy: a Grid freezes its array


def tiling(motif: np.ndarray, h: int, w: int) -> np.ndarray:
    my, mx = motif.shape
    return np.tile(motif, (h // my + 1, w // mx + 1))[:h, :w].astype(np.uint8)


def mirrored(base: np.ndarray, s: int | None = None, t: int | None = None) -> np.ndarray:
    """`base` made symmetric about the vertical axis where column j mirrors to s - j and/or the
    horizontal one where row i mirrors to t - i (axes anywhere, not only the middle)."""
    a = base.astype(np.uint8).copy()
    h, w = a.shape
    if s is not None:
        for j in range(w):
            if 0 <= s - j < j:
                a[:, j] = a[:, s - j]
    if t is not None:
        for i in range(h):
            if 0 <= t - i < i:
                a[i] = a[t - i]
    return a


def hide(a: np.ndarray, box: tuple[slice, slice], c: int) -> np.ndarray:
    out = a.copy()
    out[box] = c
    return out


def period_of(a: np.ndarray) -> tuple[int, int] | None:
    """Some period (py, px) other than the whole grid under which `a` repeats, if any."""
    h, w = a.shape
    ys, xs = np.indices(a.shape)
    for py in range(1, h + 1):
        for px in range(1, w + 1):
            if (py, px) != (h, w) and (a == a[ys % py, xs % px]).all():
                return py, px
    return None


def _run(fn_name: str, grid: Grid, colour: int) -> object:
    program = GRIDS_DSL.parse(f"(lam ({fn_name} $0 c{colour}))")
    return run_program(program, GRIDS_DSL, (grid,), DEFAULT_LIMITS)


RNG = np.random.default_rng(11)
MOTIF = RNG.integers(1, 9, (3, 4)).astype(np.uint8)
TILED = tiling(MOTIF, 12, 12)
BOX = (slice(2, 7), slice(5, 11))  # 5x6: wider and taller than the motif
HIDDEN_TILED = hide(TILED, BOX, 9)

# a picture symmetric about the axis between columns 6 and 7 of 11 (columns 3..10 pair) and
# the axis between rows 3 and 4 of 10 (rows 0..7 pair), both off centre; columns 0..2 and rows
# 8..9 have no image across their axis
PICTURE = mirrored(RNG.integers(1, 9, (10, 11)), s=13, t=7)
V_ONLY = mirrored(RNG.integers(1, 9, (9, 12)), s=14)  # columns 3..11 pair around 7
H_ONLY = mirrored(RNG.integers(1, 9, (12, 7)), t=8)  # rows 0..8 pair around 4


# ---------------------------------------------------------------------- 1. restoration

def test_period_fill_restores_a_tiling_and_the_patch_is_the_hidden_block() -> None:
    g = G(HIDDEN_TILED)
    assert (HIDDEN_TILED == 9).sum() == 30 and not (TILED == 9).any()
    assert fill_period(g, 9) == G(TILED)
    assert period_patch(g, 9) == G(TILED[BOX])
    # the same tiling hidden under the background colour, or under several blocks
    assert fill_period(G(hide(TILED, BOX, 0)), 0) == G(TILED)
    two = hide(hide(TILED, (slice(0, 2), slice(0, 3)), 0), (slice(9, 12), slice(8, 12)), 0)
    assert fill_period(G(two), 0) == G(TILED)
    assert period_patch(G(two), 0) == G(TILED)  # the patch spans both blocks: the whole grid


@pytest.mark.parametrize("shape", [(2, 5), (4, 3), (1, 6), (5, 1), (3, 3)])
def test_period_fill_restores_tilings_of_many_motifs(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    for _ in range(5):
        motif = rng.integers(1, 9, shape)
        h, w = 3 * shape[0] + int(rng.integers(0, 3)), 3 * shape[1] + int(rng.integers(0, 3))
        full = tiling(motif, h, w)
        y, x = int(rng.integers(0, h - 1)), int(rng.integers(0, w - 1))
        box = (slice(y, y + 2), slice(x, x + 2))
        g = G(hide(full, box, 9))
        assert fill_period(g, 9) == G(full)
        assert period_patch(g, 9) == G(full[box])


@pytest.mark.parametrize("picture, box", [
    (V_ONLY, (slice(3, 6), slice(9, 12))),  # restored from the columns left of the axis
    (V_ONLY, (slice(0, 9), slice(10, 11))),  # a whole column
    (H_ONLY, (slice(0, 3), slice(2, 6))),  # from the rows below the axis
    (PICTURE, (slice(0, 2), slice(0, 3))),  # free columns: from the rows below the axis
    (PICTURE, (slice(0, 2), slice(5, 9))),  # straddles the vertical axis: from the rows
    (PICTURE, (slice(2, 6), slice(3, 5))),  # straddles the horizontal axis: from the columns
    (PICTURE, (slice(8, 10), slice(3, 7))),  # free rows: from the columns
])
def test_mirror_fill_restores_off_centre_symmetries(picture: np.ndarray,
                                                    box: tuple[slice, slice]) -> None:
    assert not (picture == 0).any()
    g = G(hide(picture, box, 0))
    assert fill_mirror(g, 0) == G(picture)
    assert mirror_patch(g, 0) == G(picture[box])


def test_mirror_fill_needs_both_axes_when_one_image_is_hidden_too() -> None:
    # hide a cell and its left-right image: only the top-bottom images can restore them
    a = PICTURE.copy()
    a[1, 4] = a[1, 13 - 4] = 0
    assert fill_mirror(G(a), 0) == G(PICTURE)
    # a cell whose three images are all hidden too cannot be restored
    a[7 - 1, 4] = a[7 - 1, 13 - 4] = 0
    with pytest.raises(ValueError):
        fill_mirror(G(a), 0)
    # nor can a cell in a free corner (no column image, no row image)
    b = PICTURE.copy()
    b[9, 1] = 0
    with pytest.raises(ValueError):
        fill_mirror(G(b), 0)


def test_mirror_fill_uses_the_transpose_of_a_square_pattern() -> None:
    base = np.random.default_rng(4).integers(1, 9, (7, 7))
    sym = np.triu(base) + np.triu(base, 1).T  # symmetric about the main diagonal only
    assert (sym == sym.T).all() and not (sym == sym[:, ::-1]).all()
    box = (slice(0, 2), slice(4, 7))
    g = G(hide(sym, box, 0))
    assert fill_mirror(g, 0) == G(sym)
    assert mirror_patch(g, 0) == G(sym[box])


# ------------------------------------------------------------------------ 2. refusals

def _noise(seed: int, shape: tuple[int, int] = (10, 12)) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, 9, shape).astype(np.uint8)


@pytest.mark.parametrize("fn", ALL, ids=lambda f: f.__name__)
def test_refusals_are_value_errors(fn: Fill) -> None:
    tiled = G(HIDDEN_TILED)
    absent = [c for c in range(10) if not (HIDDEN_TILED == c).any()]
    assert absent
    for colour in absent:
        with pytest.raises(ValueError):
            fn(tiled, colour)
    with pytest.raises(ValueError):
        fn(G(np.full((4, 5), 9)), 9)  # every cell hidden
    with pytest.raises(ValueError):
        fn(G([[9]]), 9)
    for colour in (-1, 10, 255, 10**12):
        with pytest.raises(ValueError):
            fn(tiled, colour)
    for seed in range(5):  # noise: no period or mirror explains the visible cells
        noise = hide(_noise(seed), (slice(3, 6), slice(4, 8)), 9)
        with pytest.raises(ValueError):
            fn(G(noise), 9)
    # a valid call on the same grid succeeds (the refusals are not accidents)
    if fn in (fill_period, period_patch):
        assert fn(tiled, 9).shape in ((12, 12), (5, 6))


def test_a_hidden_residue_class_cannot_be_restored() -> None:
    # period 3 across: hiding every third column leaves that class's colour unknown, and no
    # other period fits the visible columns (1 2 _ 1 2 _ ...: 2 then 1 a column apart)
    full = tiling(np.array([[1, 2, 3], [4, 5, 6]]), 6, 9)
    a = full.copy()
    a[:, 0::3] = 9
    with pytest.raises(ValueError):
        fill_period(G(a), 9)
    a[0, 0] = 1  # one visible cell of the class is enough for its row class
    a[1, 0] = 4
    assert fill_period(G(a), 9) == G(full)


def test_the_mask_colour_is_checked_like_any_colour() -> None:
    # the colour check comes first: an out-of-range colour is refused even when cached
    # results exist for the same grid
    g = G(HIDDEN_TILED)
    assert fill_period(g, 9) == G(TILED)
    for bad in (-1, 10):
        for fn in ALL:
            with pytest.raises(ValueError):
                fn(g, bad)


# ----------------------------------------------------------------------- 3. invariants

def _random_case(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    h, w = int(rng.integers(1, 14)), int(rng.integers(1, 14))
    kind = int(rng.integers(0, 3))
    if kind == 0:  # a tiling
        motif = rng.integers(0, 5, (int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))))
        a = tiling(motif, h, w)
    elif kind == 1:  # a mirrored picture
        a = mirrored(rng.integers(0, 5, (h, w)), s=int(rng.integers(w // 2, w + w // 2)),
                     t=int(rng.integers(h // 2, h + h // 2)))
    else:  # noise of few colours
        a = rng.integers(0, 3, (h, w)).astype(np.uint8)
    c = int(rng.integers(0, 10))
    a = a.copy()
    a[rng.random((h, w)) < rng.random() * 0.4] = c
    return a, c


def test_fills_keep_visible_cells_and_leave_a_periodic_grid() -> None:
    rng = np.random.default_rng(5)
    succeeded = {fill_period: 0, fill_mirror: 0}
    for _ in range(600):
        a, c = _random_case(rng)
        g = G(a)
        visible = a != c
        for fn in FILLS:
            try:
                out = fn(g, c)
            except ValueError:
                continue
            succeeded[fn] += 1
            assert out.shape == g.shape
            assert (out.a[visible] == a[visible]).all(), (fn.__name__, a.tolist(), c)
            assert not (out.a == c).any(), (fn.__name__, a.tolist(), c)  # nothing left hidden
            if fn is fill_period:
                assert period_of(out.a) is not None, (a.tolist(), c)
            patch = PATCHES[FILLS.index(fn)](g, c)  # the patch is the fill's hidden box
            ys, xs = np.nonzero(~visible)
            assert patch == G(out.a[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1])
    assert min(succeeded.values()) > 50, succeeded  # the property was exercised


def test_outputs_never_exceed_the_largest_grid_and_fills_are_quick() -> None:
    big = tiling(np.random.default_rng(2).integers(1, 9, (5, 7)), MAX_SIDE, MAX_SIDE)
    sym = mirrored(np.random.default_rng(3).integers(1, 9, (MAX_SIDE, MAX_SIDE)), s=61, t=57)
    for full, fn in ((big, fill_period), (sym, fill_mirror)):
        a = hide(full, (slice(10, 50), slice(20, 24)), 0)
        t0 = time.perf_counter()
        out = fn(G(a), 0)
        assert time.perf_counter() - t0 < 10.0
        assert out == G(full) and out.shape == (MAX_SIDE, MAX_SIDE)
    for fn in ALL:
        for full in (big, sym):
            try:
                out = fn(G(hide(full, (slice(0, 60), slice(0, 3)), 0)), 0)
            except ValueError:
                continue
            assert out.shape[0] <= MAX_SIDE and out.shape[1] <= MAX_SIDE


def test_results_are_deterministic() -> None:
    rng = np.random.default_rng(9)
    for _ in range(100):
        a, c = _random_case(rng)
        for fn in ALL:
            got = []
            for grid in (G(a), G(a.copy()), G(a)):  # fresh grids: no reliance on identity
                try:
                    got.append(fn(grid, c))
                except ValueError as e:
                    got.append(str(e))
            assert got[0] == got[1] == got[2], (fn.__name__, a.tolist(), c)


# ---------------------------------------------------------------------- 4. as programs

@pytest.mark.parametrize("fn", ALL, ids=lambda f: f.__name__)
def test_primitives_run_in_programs_like_the_functions(fn: Fill) -> None:
    name = NAMES[fn]
    text = f"(lam ({name} $0 c0))"
    program = GRIDS_DSL.parse(text)
    assert str(program) == text
    assert str(infer_type(program, GRIDS_DSL)) == "grid -> grid"
    cases = [G(hide(TILED, BOX, 0)), G(hide(PICTURE, (slice(0, 2), slice(5, 9)), 0)),
             G(hide(_noise(1), BOX, 0))]
    ran = 0
    for g in cases:
        try:
            want = fn(g, 0)
        except ValueError:
            with pytest.raises(EvalFailure) as e:
                _run(name, g, 0)
            assert e.value.kind == "error" and e.value.detail.startswith("ValueError")
            continue
        assert _run(name, g, 0) == want
        ran += 1
    assert ran >= 1
    # absent colour and every cell hidden fail cleanly too
    for g, c in ((G(TILED), 0), (G(np.zeros((3, 3))), 0)):
        with pytest.raises(EvalFailure) as e:
            _run(name, g, c)
        assert e.value.kind == "error" and e.value.detail.startswith("ValueError")


def test_programs_restore_the_examples() -> None:
    assert _run("fill-period", G(HIDDEN_TILED), 9) == G(TILED)
    assert _run("period-patch", G(HIDDEN_TILED), 9) == G(TILED[BOX])
    box = (slice(0, 2), slice(5, 9))
    assert _run("fill-mirror", G(hide(PICTURE, box, 0)), 0) == G(PICTURE)
    assert _run("mirror-patch", G(hide(PICTURE, box, 0)), 0) == G(PICTURE[box])
