"""Block layouts in the grids domain (`layouts`): the layout that made the train outputs is
learned back and predicts held-out outputs, literals read back what they wrote and run as
programs, learning refuses what no layout explains, applying refuses turns of non-square grids
and outputs past the largest grid, hostile literals are refused without raising, and the
combiner proposes `(apply-layout p L)` for the candidate that makes the outputs."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hylo.core.evaluate import run_program
from hylo.core.infer import infer_type
from hylo.core.limits import DEFAULT_LIMITS, EvalFailure
from hylo.domains.grids.combine import combine_layouts
from hylo.domains.grids.grid import MAX_SIDE, Grid
from hylo.domains.grids.layouts import (
    MAX_BLOCKS,
    TRANSFORMS,
    Layout,
    learn_layout,
    parse_layout,
)
from hylo.domains.grids.primitives import GRIDS_DSL
from hylo.search.enumerate import FAILED

# no deadline (it is fixed at import: one a long test run could reach)
LATER = time.perf_counter() + 1e6
TURNS = "tacw"
FLAT = "ihvr0"  # codes that keep a block's shape


def G(rows: list[list[int]] | np.ndarray) -> Grid:
    return Grid(np.array(rows, dtype=np.uint8))  # a copy: a Grid freezes its array


def noise(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A grid with no symmetry (so each block names one transform) and no empty cell."""
    return rng.integers(1, 10, (h, w)).astype(np.uint8)


def reference(layout: Layout, a: np.ndarray) -> np.ndarray:
    """The layout applied by hand: block (r, c) is the transform named by code r*cols+c."""
    h, w = a.shape
    ref = {"i": a, "h": np.fliplr(a), "v": np.flipud(a), "r": np.rot90(a, 2),
           "t": a.T, "a": np.rot90(a, 2).T, "c": np.rot90(a, -1), "w": np.rot90(a, 1),
           "0": np.zeros_like(a)}
    out = np.zeros((h * layout.rows, w * layout.cols), dtype=np.uint8)
    for k, code in enumerate(layout.codes):
        r, c = divmod(k, layout.cols)
        out[r * h:(r + 1) * h, c * w:(c + 1) * w] = ref[code]
    return out


def _run(text: str, g: Grid) -> object:
    return run_program(GRIDS_DSL.parse(text), GRIDS_DSL, (g,), DEFAULT_LIMITS)


# -------------------------------------------------------------------- 1. learning

@pytest.mark.parametrize("layout, shapes", [
    (Layout(2, 2, "icwr"), [(3, 3), (4, 4), (5, 5), (6, 6)]),
    (Layout(3, 2, "rvhirv"), [(2, 3), (3, 5), (4, 2), (3, 3)]),
    (Layout(1, 2, "ih"), [(2, 5), (4, 3), (1, 4), (6, 2)]),
    (Layout(2, 3, "t0aw0c"), [(2, 2), (3, 3), (4, 4), (5, 5)]),
    (Layout(5, 1, "ivhr0"), [(2, 3), (3, 2), (1, 1), (4, 5)]),
])
def test_learn_recovers_the_generating_layout(layout: Layout,
                                              shapes: list[tuple[int, int]]) -> None:
    rng = np.random.default_rng(len(layout.codes))
    grids = [noise(rng, h, w) for h, w in shapes]  # a 1x1 grid is told apart by the others
    targets = [reference(layout, g) for g in grids]
    train, held = slice(0, 3), 3
    learned = learn_layout(grids[train], targets[train])
    assert learned == layout
    assert learned.apply(G(grids[held])) == G(targets[held])
    assert all(learned.apply(G(g)) == G(t) for g, t in zip(grids, targets, strict=True))


def test_random_layouts_are_learned_back_and_reproduce_their_pairs() -> None:
    rng = np.random.default_rng(3)
    learned_some = 0
    for _ in range(150):
        k, n = int(rng.integers(1, MAX_BLOCKS + 1)), int(rng.integers(1, MAX_BLOCKS + 1))
        square = bool(rng.integers(0, 2))
        alphabet = list(TRANSFORMS) if square else list(FLAT)
        codes = "".join(rng.choice(alphabet, size=k * n))
        layout = Layout(k, n, codes)
        sides = [int(rng.integers(2, 6)) for _ in range(3)]
        shapes = [(s, s) if square else (s, s + 1) for s in sides]
        grids = [noise(rng, h, w) for h, w in shapes]
        targets = [reference(layout, g) for g in grids]
        learned = learn_layout(grids, targets)
        if k * n < 2 or set(codes) == {"0"}:
            assert learned is None, layout  # one block, or every block empty
            continue
        assert learned == layout
        learned_some += 1
        for g, t in zip(grids, targets, strict=True):
            assert learned.apply(G(g)) == G(t)
    assert learned_some > 100


def test_learned_layouts_fit_every_pair_even_on_symmetric_grids() -> None:
    # symmetric grids make several codes fit a block: any learned layout still reproduces
    # every pair, and never names a turn when a grid is not square
    rng = np.random.default_rng(8)
    for _ in range(100):
        square = bool(rng.integers(0, 2))
        grids = []
        for _ in range(2):
            h = int(rng.integers(1, 5))
            w = h if square else h + int(rng.integers(1, 3))
            a = rng.integers(0, 3, (h, w)).astype(np.uint8)
            if rng.integers(0, 2):
                a = np.maximum(a, a[:, ::-1])  # left-right symmetric
            grids.append(a)
        k, n = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        alphabet = list(TRANSFORMS) if square else list(FLAT)
        layout = Layout(k, n, "".join(rng.choice(alphabet, size=k * n)))
        targets = [reference(layout, g) for g in grids]
        learned = learn_layout(grids, targets)
        if learned is None:
            assert k * n < 2 or not any(t.any() for t in targets) or set(layout.codes) == {"0"}
            continue
        assert (learned.rows, learned.cols) == (k, n)
        assert square or not set(learned.codes) & set(TURNS)
        assert set(learned.codes) != {"0"}
        for g, t in zip(grids, targets, strict=True):
            assert learned.apply(G(g)) == G(t)


# --------------------------------------------------------------------- 2. refusals

def test_learning_refuses_what_no_layout_explains() -> None:
    rng = np.random.default_rng(5)
    a, b = noise(rng, 3, 3), noise(rng, 4, 4)
    two_by_two = Layout(2, 2, "ihvr")
    assert learn_layout([a, b], [reference(two_by_two, a), reference(two_by_two, b)])
    # different multiples across pairs
    assert learn_layout([a, b], [reference(two_by_two, a),
                                 reference(Layout(1, 2, "ih"), b)]) is None
    # an output that is no multiple of its grid's shape
    assert learn_layout([a], [np.zeros((5, 6), np.uint8)]) is None
    assert learn_layout([a, b], [reference(two_by_two, a), np.zeros((8, 7), np.uint8)]) is None
    # every block empty
    assert learn_layout([a, b], [np.zeros((6, 6), np.uint8), np.zeros((8, 8), np.uint8)]) is None
    # one block only (the grid itself or a symmetry of it: no layout)
    for f in ("i", "h", "r", "c"):
        assert learn_layout([a, b], [TRANSFORMS[f](a), TRANSFORMS[f](b)]) is None
    # more blocks than a layout has per side
    wide = Layout(1, MAX_BLOCKS, "i" * MAX_BLOCKS)
    assert learn_layout([a], [np.hstack([reference(wide, a), a])]) is None
    # a block that is no symmetry of the grid
    bad = reference(two_by_two, a)
    bad[0, 0] = (bad[0, 0] % 9) + 1
    assert learn_layout([a], [bad]) is None
    # a block right in one pair and another symmetry in the next
    assert learn_layout([a, b], [reference(Layout(1, 2, "ih"), a),
                                 reference(Layout(1, 2, "iv"), b)]) is None
    # nothing to learn from, or pairs that do not pair
    assert learn_layout([], []) is None
    assert learn_layout([a, b], [reference(two_by_two, a)]) is None


def test_turns_are_never_learned_or_applied_on_non_square_grids() -> None:
    rng = np.random.default_rng(6)
    sq, flat = noise(rng, 3, 3), noise(rng, 2, 3)
    turned = Layout(1, 2, "ic")
    # the square pair alone needs a quarter turn; with a non-square pair nothing fits
    assert learn_layout([sq], [reference(turned, sq)]) == turned
    assert learn_layout([sq, flat], [reference(turned, sq),
                                     np.hstack([flat, flat[::-1, ::-1]])]) is None
    for code in TURNS:
        layout = Layout(1, 2, "i" + code)
        assert layout.apply(G(sq)) == G(reference(layout, sq))
        with pytest.raises(ValueError):
            layout.apply(G(flat))
        with pytest.raises(ValueError):
            Layout(2, 1, code + "0").apply(G(flat.T))
    for code in FLAT:  # the same grid takes the shape-keeping codes
        assert Layout(1, 2, "i" + code).apply(G(flat)).shape == (2, 6)


def test_applying_refuses_outputs_past_the_largest_grid() -> None:
    layout = parse_layout("layout:2x2:icwr")
    assert layout is not None
    with pytest.raises(ValueError):
        layout.apply(G(np.ones((40, 40))))
    half = MAX_SIDE // 2
    assert layout.apply(G(np.ones((half, half)))).shape == (MAX_SIDE, MAX_SIDE)
    with pytest.raises(ValueError):
        layout.apply(G(np.ones((half + 1, half + 1))))
    five = Layout(MAX_BLOCKS, MAX_BLOCKS, "i" * MAX_BLOCKS ** 2)
    side = MAX_SIDE // MAX_BLOCKS
    assert five.apply(G(np.ones((side, side)))).shape == (MAX_SIDE, MAX_SIDE)
    with pytest.raises(ValueError):
        five.apply(G(np.ones((side + 1, 1))))
    with pytest.raises(ValueError):
        five.apply(G(np.ones((1, side + 1))))
    # every layout on every grid: a grid of at most MAX_SIDE a side, or a ValueError
    rng = np.random.default_rng(2)
    for _ in range(200):
        k, n = int(rng.integers(1, MAX_BLOCKS + 1)), int(rng.integers(1, MAX_BLOCKS + 1))
        lay = Layout(k, n, "".join(rng.choice(list(TRANSFORMS), size=k * n)))
        h, w = int(rng.integers(1, 31)), int(rng.integers(1, 31))
        try:
            out = lay.apply(G(np.ones((h, w))))
        except ValueError:
            assert h * k > MAX_SIDE or w * n > MAX_SIDE or (h != w and set(lay.codes) & set(TURNS))
            continue
        assert out.shape == (h * k, w * n)
        assert out.shape[0] <= MAX_SIDE and out.shape[1] <= MAX_SIDE


# --------------------------------------------------------------- 3. literals, programs

LAYOUTS = [Layout(2, 2, "icwr"), Layout(3, 2, "rvhirv"), Layout(1, 2, "ih"),
           Layout(2, 1, "0i"), Layout(5, 5, "iahvrtcw0" * 2 + "icwrt0a"), Layout(2, 3, "ta0w0c")]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.literal())
def test_literals_read_back_print_back_and_run(layout: Layout) -> None:
    lit = layout.literal()
    assert lit == f"layout:{layout.rows}x{layout.cols}:{layout.codes}"
    assert parse_layout(lit) == layout
    hook = GRIDS_DSL.literal
    assert hook is not None and hook(lit) is not None
    assert GRIDS_DSL.primitive(lit).impl() == layout
    text = f"(lam (apply-layout $0 {lit}))"
    program = GRIDS_DSL.parse(text)
    assert str(program) == text
    assert str(infer_type(program, GRIDS_DSL)) == "grid -> grid"
    g = G(noise(np.random.default_rng(1), 3, 3))
    assert _run(text, g) == layout.apply(g) == G(reference(layout, g.a))


def test_programs_fail_cleanly_where_apply_refuses() -> None:
    for text, g in (("(lam (apply-layout $0 layout:2x2:icwr))", G(np.ones((40, 40)))),
                    ("(lam (apply-layout $0 layout:2x2:icwr))", G(np.ones((3, 4)))),
                    ("(lam (apply-layout $0 layout:1x2:it))", G(np.ones((1, 2))))):
        with pytest.raises(EvalFailure) as e:
            _run(text, g)
        assert e.value.kind == "error" and e.value.detail.startswith("ValueError")
    # an unknown literal is no primitive: the program fails, the hook does not raise
    with pytest.raises(EvalFailure) as e:
        _run("(lam (apply-layout $0 layout:2x2:icwx))", G(np.ones((2, 2))))
    assert e.value.detail.startswith("KeyError")


HOSTILE = [
    "", "layout", "layout:", "layout:2x2", "layout:2x2:", "Layout:2x2:icwr", "layouts:2x2:icwr",
    "rule:2x2:icwr", "select:2x2:icwr", " layout:2x2:icwr", "layout:2x2:icwr ",
    "layout:2x2:icwr\n", "layout:2x2:ic wr", "layout:2x2:\ticwr", "layout: 2x2:icwr",
    "layout:0x2:ii", "layout:2x0:ii", "layout:6x1:iiiiii", "layout:1x6:iiiiii",
    "layout:10x1:iiiiiiiiii", "layout:-1x2:ii", "layout:2x2:icw", "layout:2x2:icwri",
    "layout:1x2:i", "layout:2x2:ICWR", "layout:2x2:icwR", "layout:2X2:icwr", "LAYOUT:2x2:icwr",
    "layout:2x2:icwz", "layout:2x2:icw1", "layout:2x2:icw-", "layout:2x2:icw.",
    "layout:2x2:icwr:", "layout:2x2:icwr:icwr", "layout:2*2:icwr", "layout:2x2x2:icwr",
    "layout:\uff12x2:icwr", "layout:2\u00d72:icwr", "layout:2x2:icw\u0131", "layout:٢x2:icwr",
    "layout:2x2:icw\u0430", "layout:2x2:icwr\x00", "layout:2x2:" + "i" * 4 + "\u200b",
    "layout:5x5:" + "i" * 24, "layout:5x5:" + "i" * 26, "layout:5x5:" + "i" * 10_000,
    "layout:" + "2x2:" * 1000 + "icwr", "x" * 1_000_000,
]


def test_hostile_literals_are_refused_without_raising() -> None:
    hook = GRIDS_DSL.literal
    assert hook is not None
    for lit in HOSTILE:
        assert parse_layout(lit) is None, repr(lit)
        assert hook(lit) is None, repr(lit)
        with pytest.raises(KeyError):
            GRIDS_DSL.primitive(lit)
    t0 = time.perf_counter()
    assert parse_layout("layout:2x2:" + "i" * 10_000_000) is None
    assert time.perf_counter() - t0 < 2.0
    # the valid neighbours of a few of them read fine (the refusals are not accidents)
    for ok in ("layout:2x2:icwr", "layout:1x2:ih", "layout:5x5:" + "i" * 25,
               "layout:2x1:0i", "layout:5x1:ivhr0"):
        assert parse_layout(ok) is not None, ok


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("layout:x0123456ihvrtacwIHX \n\u0131\uff12"),
               max_size=30)
       | st.text(max_size=45).map(lambda t: "layout:" + t))
def test_any_text_reads_as_its_own_literal_or_as_none(text: str) -> None:
    layout = parse_layout(text)
    hook = GRIDS_DSL.literal
    assert hook is not None
    if layout is None:
        assert hook(text) is None
        return
    assert layout.literal() == text  # one literal per layout: nothing else reads as it
    assert layout.rows * layout.cols == len(layout.codes)
    assert 1 <= layout.rows <= MAX_BLOCKS and 1 <= layout.cols <= MAX_BLOCKS
    assert set(layout.codes) <= set(TRANSFORMS)


# ------------------------------------------------------------------- 4. the combiner

def _layout_values() -> tuple[list[tuple[object, ...]], tuple[Grid, ...], Layout]:
    rng = np.random.default_rng(12)
    layout = Layout(2, 2, "icwr")
    grids = [G(noise(rng, s, s)) for s in (2, 3, 4)]
    query = G(noise(rng, 5, 5))
    outputs = tuple(layout.apply(g) for g in grids)
    good = (*grids, query)
    flipped = tuple(G(g.a[:, ::-1]) for g in good)  # its layout reads differently
    values: list[tuple[object, ...]] = [
        tuple(G(np.zeros((1, 1))) for _ in good),  # no layout
        (grids[0], FAILED, grids[2], query),  # failed on a train input
        (*grids[:2], 3, query),  # not a grid
        good,
        flipped,
        good,  # the same layout again: proposed once
    ]
    return values, outputs, layout


def test_combine_layouts_proposes_the_layout_of_the_right_candidate() -> None:
    values, outputs, layout = _layout_values()
    props = combine_layouts(values, outputs, LATER)
    assert props[0] == ("apply-layout", [3, layout.literal()])
    assert len({lit for _, (_, lit) in props}) == len(props)  # one proposal per layout
    assert {i for _, (i, _) in props} == {3, 4}
    n = len(outputs)
    for name, (i, lit) in props:
        assert name == "apply-layout"
        assert isinstance(i, int) and isinstance(lit, str)
        found = parse_layout(lit)
        assert found is not None
        assert all(found.apply(v) == o for v, o in zip(values[i][:n], outputs, strict=True))
    # the proposal as a program makes the outputs and predicts the test output
    query = values[3][n]
    assert isinstance(query, Grid)
    assert _run(f"(lam (apply-layout $0 {layout.literal()}))", query) == G(reference(layout,
                                                                                  query.a))
    # outputs that are no grids, no candidates, no outputs: nothing
    assert combine_layouts(values, (3, 4, 5), LATER) == []
    assert combine_layouts([], outputs, LATER) == []
    assert combine_layouts(values, (), LATER) == []


def test_combine_layouts_returns_quickly_past_its_deadline() -> None:
    values, outputs, _ = _layout_values()
    many = values * 500
    t0 = time.perf_counter()
    late = combine_layouts(many, outputs, t0 - 1.0)
    assert time.perf_counter() - t0 < 5.0
    assert isinstance(late, list)
    assert all(p in combine_layouts(many[:6], outputs, LATER) for p in late)
