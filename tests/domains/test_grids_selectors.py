"""Piece selectors in the grids domain (`selectors`): on hand-made tasks (the largest object,
the one with a hole, the one of a unique shape, the topmost) a learned selector picks the right
piece of a held-out input; every learned selector is right on every train pair and picks one
piece on every test input; literals read back and run as programs, hostile ones are refused
without raising; too many pieces are refused; and the combiner proposes
`(select-piece p S)` for the candidate whose pieces are the outputs."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hylo.core.evaluate import run_program
from hylo.core.infer import infer_type
from hylo.core.limits import DEFAULT_LIMITS, EvalFailure
from hylo.domains.grids.combine import combine_selectors
from hylo.domains.grids.families import MAX_OBJECTS
from hylo.domains.grids.grid import Grid
from hylo.domains.grids.primitives import GRIDS_DSL
from hylo.domains.grids.selectors import (
    MODES,
    PROPERTIES,
    SEGMENTS,
    Selector,
    learn_selectors,
    parse_selector,
)
from hylo.search.enumerate import FAILED

# no deadline (it is fixed at import: one a long test run could reach)
LATER = time.perf_counter() + 1e6
Shape = list[list[int]]


def G(rows: list[list[int]] | np.ndarray) -> Grid:
    return Grid(np.array(rows, dtype=np.uint8))  # a copy: a Grid freezes its array


def place(h: int, w: int, objects: list[tuple[int, int, Shape]]) -> np.ndarray:
    """A background grid with each shape's non-zero cells drawn at (top, left)."""
    a = np.zeros((h, w), dtype=np.uint8)
    for y, x, shape in objects:
        s = np.array(shape, dtype=np.uint8)
        sub = a[y:y + s.shape[0], x:x + s.shape[1]]
        assert sub.shape == s.shape and not sub[s != 0].any(), "objects overlap or spill"
        sub[s != 0] = s[s != 0]
    return a


def crop(shape: Shape) -> np.ndarray:
    return np.array(shape, dtype=np.uint8)


def right_pieces(s: Selector, a: np.ndarray, target: np.ndarray) -> bool:
    """Whether `s` picks, in `a`, exactly one piece and that piece shows `target`."""
    try:
        got = s.apply(Grid(a))
    except ValueError:
        return False
    return got == Grid(target)


def solves(found: list[Selector], query: np.ndarray, want: np.ndarray) -> bool:
    """ARC's two attempts: one of the first two selectors predicts `want`."""
    return any(right_pieces(s, query, want) for s in found[:2])


def check_learned(found: list[Selector], grids: list[np.ndarray], targets: list[np.ndarray],
                  queries: list[np.ndarray]) -> None:
    """What every learned selector promises: right on each train pair, one piece on each test
    input, and no two with the same predictions."""
    predictions = set()
    for s in found:
        for a, t in zip(grids, targets, strict=True):
            assert right_pieces(s, a, t), (s, a.tolist(), t.tolist())
        preds = []
        for q in queries:
            pieces = SEGMENTS[s.segment](q)
            s.pick_index(pieces)  # raises on a tie: no tie may be returned
            preds.append(s.apply(Grid(q)).key())
        predictions.add(tuple(preds))
    assert len(predictions) == len(found)


# ------------------------------------------------------------------- hand-made tasks

SQ = [[1, 1], [1, 1]]
BAR = [[2, 2, 2]]
DOT = [[3]]
ELL = [[4, 0], [4, 4]]
RING = [[6, 6, 6], [6, 0, 6], [6, 6, 6]]
BLOCK = [[5, 5, 5, 5], [5, 5, 5, 5], [5, 5, 5, 5]]

# the largest object: sizes vary, position and colour do not tell
LARGEST = (
    [place(8, 8, [(0, 0, SQ), (4, 4, BAR), (6, 0, DOT)]),
     place(8, 8, [(0, 5, DOT), (3, 0, [[5, 5, 5], [5, 5, 5]]), (6, 5, ELL)]),
     place(8, 8, [(0, 0, ELL), (5, 3, [[6, 6, 6, 6]]), (2, 5, DOT)])],
    [crop(SQ), crop([[5, 5, 5], [5, 5, 5]]), crop([[6, 6, 6, 6]])],
    place(9, 9, [(0, 0, DOT), (2, 3, [[7, 7, 7], [7, 7, 7], [7, 7, 7]]), (7, 0, BAR)]),
    crop([[7, 7, 7], [7, 7, 7], [7, 7, 7]]),
)

# the only object with a hole, smaller than a solid block beside it
HOLE = (
    [place(9, 10, [(0, 0, RING), (4, 5, BLOCK), (7, 0, BAR)]),
     place(9, 10, [(5, 6, [[2, 2, 2], [2, 0, 2], [2, 2, 2]]), (0, 0, BLOCK), (0, 6, DOT)]),
     place(9, 10, [(1, 1, [[3, 3, 3, 3], [3, 0, 0, 3], [3, 3, 3, 3]]),
                   (5, 0, [[8, 8, 8, 8, 8], [8, 8, 8, 8, 8], [8, 8, 8, 8, 8]]), (0, 8, DOT)])],
    [crop(RING), crop([[2, 2, 2], [2, 0, 2], [2, 2, 2]]),
     crop([[3, 3, 3, 3], [3, 0, 0, 3], [3, 3, 3, 3]])],
    place(10, 10, [(0, 0, BLOCK), (0, 6, DOT), (5, 5, [[4, 4, 4], [4, 0, 4], [4, 0, 4],
                                                       [4, 4, 4]]), (6, 0, SQ)]),
    crop([[4, 4, 4], [4, 0, 4], [4, 0, 4], [4, 4, 4]]),
)

# the object whose shape occurs once: the same colour and size as the others
L1 = [[1, 0], [1, 1]]
I1 = [[1, 1, 1]]
ODD = (
    [place(8, 8, [(0, 0, L1), (0, 4, L1), (4, 0, I1), (4, 4, L1)]),
     place(8, 8, [(0, 0, I1), (0, 5, I1), (4, 0, L1), (4, 5, I1)]),
     place(8, 8, [(0, 0, [[1, 1], [1, 0]]), (3, 3, L1), (6, 0, [[1, 1], [1, 0]])])],
    [crop(I1), crop(L1), crop(L1)],
    place(9, 9, [(0, 0, [[1, 1], [0, 1]]), (0, 4, [[1, 1], [0, 1]]),
                 (5, 0, [[1, 1], [0, 1]]), (5, 5, [[1], [1], [1]])]),
    crop([[1], [1], [1]]),
)

# the topmost object, not the largest nor the leftmost
TOP = (
    [place(8, 8, [(3, 0, BLOCK), (0, 5, DOT), (6, 5, BAR)]),
     place(8, 8, [(1, 3, SQ), (4, 0, RING), (6, 5, DOT)]),
     place(8, 8, [(5, 0, BAR), (2, 6, ELL), (0, 2, [[2, 2]])])],
    [crop(DOT), crop(SQ), crop([[2, 2]])],
    place(9, 9, [(4, 0, RING), (1, 7, [[9], [9]]), (6, 5, BAR)]),
    crop([[9], [9]]),
)

TASKS = {"largest": LARGEST, "hole": HOLE, "odd-shape": ODD, "topmost": TOP}
INTENDED = {
    "largest": [Selector("o4", "own", "size", "max"), Selector("o8", "own", "size", "max")],
    "hole": [Selector("o4", "own", "holes", "max"), Selector("o8", "own", "holes", "unique")],
    "odd-shape": [Selector("o8", "own", "shape-count", "unique"),
                  Selector("o8", "own", "shape-count", "min")],
    "topmost": [Selector("o4", "own", "top", "min"), Selector("c8", "box", "top", "min")],
}


@pytest.mark.parametrize("name", list(TASKS))
def test_a_learned_selector_picks_the_right_piece_of_a_held_out_input(name: str) -> None:
    grids, targets, query, want = TASKS[name]
    # the intended selectors explain the task (the task is what it says it is)
    for s in INTENDED[name]:
        assert all(right_pieces(s, a, t) for a, t in zip(grids, targets, strict=True)), s
        assert right_pieces(s, query, want), s
    found = learn_selectors(grids, targets, [query])
    assert 1 <= len(found) <= 2
    assert solves(found, query, want), found
    check_learned(found, grids, targets, [query])
    # with room for more, still only selectors keeping their promises
    more = learn_selectors(grids, targets, [query], limit=50)
    assert more[:len(found)] == found
    check_learned(more, grids, targets, [query])


def test_a_selector_that_ties_on_a_test_input_is_not_returned() -> None:
    grids, targets, _, _ = LARGEST
    tie = place(9, 9, [(0, 0, SQ), (5, 5, [[7, 7], [7, 7]]), (0, 6, DOT)])  # two largest
    largest = Selector("o4", "own", "size", "max")
    with pytest.raises(ValueError):
        largest.pick_index(SEGMENTS["o4"](tie))
    with pytest.raises(ValueError):
        largest.apply(Grid(tie))
    for limit in (2, 50):
        found = learn_selectors(grids, targets, [tie], limit=limit)
        assert largest not in found
        check_learned(found, grids, targets, [tie])
    # with a second test input that does not tie, the tie still rules the selector out
    _, _, query, _ = LARGEST
    found = learn_selectors(grids, targets, [query, tie], limit=50)
    assert largest not in found
    check_learned(found, grids, targets, [query, tie])


def test_pick_index_raises_on_ties_and_on_no_pieces() -> None:
    pieces = SEGMENTS["o4"](place(5, 7, [(0, 0, SQ), (3, 3, SQ), (0, 5, DOT)]))
    assert len(pieces) == 3
    assert Selector("o4", "own", "size", "min").pick_index(pieces) == 1  # the dot (reading order)
    for prop, mode in (("size", "max"), ("shape-count", "max"), ("colours", "unique"),
                       ("colours", "max"), ("height", "max")):
        with pytest.raises(ValueError):
            Selector("o4", "own", prop, mode).pick_index(pieces)
    for mode in MODES:
        with pytest.raises(ValueError):
            Selector("o4", "own", "size", mode).pick_index([])
    with pytest.raises(ValueError):  # an empty grid has no pieces
        Selector("o4", "own", "size", "max").apply(G(np.zeros((3, 3))))


def test_properties_measure_what_they_say() -> None:
    a = place(9, 12, [(0, 0, RING), (0, 4, [[3, 3, 3, 3, 3], [3, 0, 3, 0, 3], [3, 3, 3, 3, 3]]),
                      (5, 0, SQ), (5, 4, SQ), (4, 9, [[7, 2], [0, 2]]), (8, 11, DOT)])
    pieces = SEGMENTS["o4"](a)
    assert [(p.top, p.left) for p in pieces] == [(0, 0), (0, 4), (4, 9), (5, 0), (5, 4), (8, 11)]

    def values(prop: str) -> list[int]:
        return [PROPERTIES[prop](p, pieces) for p in pieces]

    assert values("size") == [8, 13, 3, 4, 4, 1]
    assert values("area") == [9, 15, 4, 4, 4, 1]
    assert values("height") == [3, 3, 2, 2, 2, 1]
    assert values("width") == [3, 5, 2, 2, 2, 1]
    assert values("holes") == [1, 2, 0, 0, 0, 0]
    assert values("colours") == [1, 1, 2, 1, 1, 1]
    assert values("shape-count") == [1, 1, 1, 2, 2, 1]
    assert values("content-count") == [1, 1, 1, 2, 2, 1]
    assert values("top") == [0, 0, 4, 5, 5, 8]
    assert values("left") == [0, 4, 9, 0, 4, 11]
    assert values("bottom") == [3, 3, 6, 7, 7, 9]
    assert values("right") == [3, 9, 11, 2, 6, 12]
    assert values("background") == [1, 2, 1, 0, 0, 0]
    assert values("fill") == [88, 86, 75, 100, 100, 100]
    # symmetric left-right (1) and top-bottom (2): the ring and squares both, the L neither
    assert values("symmetry") == [3, 3, 0, 3, 3, 3]


def test_nothing_is_learned_when_an_output_is_no_piece() -> None:
    grids, targets, query, _ = LARGEST
    assert learn_selectors(grids, [*targets[:2], crop([[9, 9]])], [query], limit=50) == []
    # a train input or a test input with no pieces at all
    empty = np.zeros((4, 4), dtype=np.uint8)
    assert learn_selectors([*grids[:2], empty], targets, [query], limit=50) == []
    assert learn_selectors(grids, targets, [query, empty], limit=50) == []
    assert learn_selectors(grids, targets, [query], limit=50)  # the task itself is learned


def _random_task(rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray],
                                                     list[np.ndarray]]:
    """Grids of a few random blobs; each output a piece of its grid chosen by a random
    selector when it picks one, else any piece."""
    prop = str(rng.choice(list(PROPERTIES)))
    mode = str(rng.choice(MODES))
    chooser = Selector(str(rng.choice(["o4", "o8", "c4"])), str(rng.choice(["own", "box"])),
                       prop, mode)
    grids, targets = [], []
    queries = []
    for k in range(4):
        a = ((rng.random((7, 7)) < 0.3) * rng.integers(1, 4, (7, 7))).astype(np.uint8)
        if not a.any():
            a[3, 3] = 1
        if k == 3:
            queries.append(a)
            break
        pieces = SEGMENTS[chooser.segment](a)
        try:
            p = pieces[chooser.pick_index(pieces)]
        except ValueError:
            p = pieces[int(rng.integers(0, len(pieces)))]
        grids.append(a)
        targets.append(p.own if chooser.show == "own" else p.box)
    return grids, targets, queries


def test_every_learned_selector_keeps_its_promises_on_random_tasks() -> None:
    rng = np.random.default_rng(17)
    learned = 0
    for _ in range(40):
        grids, targets, queries = _random_task(rng)
        found = learn_selectors(grids, targets, queries, limit=3)
        assert len(found) <= 3
        check_learned(found, grids, targets, queries)
        learned += bool(found)
    assert learned >= 5  # the promises were tested on something


# ------------------------------------------------------------------- too many pieces

def _dots(n: int, big: bool = True) -> np.ndarray:
    """`n` isolated pieces (4- and 8-connected, one colour): the first two cells wide."""
    a = np.zeros((30, 30), dtype=np.uint8)
    spots = [(2 * i, 3 * j) for i in range(15) for j in range(10)][:n]
    for y, x in spots:
        a[y, x] = 1
    if big:
        a[0, 1] = 1
    return a


@pytest.mark.parametrize("segment", ["o4", "o8", "c4", "c8"])
def test_more_pieces_than_max_objects_are_refused(segment: str) -> None:
    s = Selector(segment, "own", "size", "max")
    assert len(SEGMENTS[segment](_dots(MAX_OBJECTS))) == MAX_OBJECTS
    assert s.apply(G(_dots(MAX_OBJECTS))) == G([[1, 1]])  # the boundary itself is fine
    with pytest.raises(ValueError):
        s.apply(G(_dots(MAX_OBJECTS + 1)))
    with pytest.raises(ValueError):
        SEGMENTS[segment](_dots(MAX_OBJECTS + 1))
    with pytest.raises(EvalFailure) as e:
        _run(f"(lam (select-piece $0 {s.literal()}))", G(_dots(MAX_OBJECTS + 1)))
    assert e.value.detail.startswith("ValueError")
    # learning skips the segmentation rather than failing
    many = _dots(MAX_OBJECTS + 1)
    assert all(f.segment != segment for f in
               learn_selectors([many], [crop([[1, 1]])], [many], limit=50))


def _separated(n_side: int) -> np.ndarray:
    """Cells of one pixel between separator lines of colour 5: n_side x n_side cells, the
    first one coloured 1, the others 2."""
    side = 2 * n_side - 1
    a = np.full((side, side), 2, dtype=np.uint8)
    a[1::2, :] = 5
    a[:, 1::2] = 5
    a[0, 0] = 1
    return a


def test_more_cells_than_max_objects_are_refused() -> None:
    top = Selector("cells", "own", "top", "min")  # the first cell: always a single piece
    assert top.apply(G(_separated(8))) == G([[1]])  # 64 cells: fine
    with pytest.raises(ValueError):  # 81 cells: the segment refuses them, as the others do
        SEGMENTS["cells"](_separated(9))
    with pytest.raises(ValueError):
        top.apply(G(_separated(9)))  # 81 cells > MAX_OBJECTS, as for the other segments


def test_cells_are_pieces_in_reading_order() -> None:
    a = _separated(3)
    pieces = SEGMENTS["cells"](a)
    assert len(pieces) == 9
    assert Selector("cells", "own", "top", "min").apply(G(a)) == G([[1]])
    assert Selector("cells", "own", "top", "max").apply(G(a)) == G([[2]])
    assert Selector("cells", "own", "colour-count", "unique").apply(G(a)) == G([[1]])
    with pytest.raises(ValueError):  # no separator lines: no cells
        SEGMENTS["cells"](place(4, 4, [(0, 0, SQ)]))


# --------------------------------------------------------------- literals, programs

def _run(text: str, g: Grid) -> object:
    return run_program(GRIDS_DSL.parse(text), GRIDS_DSL, (g,), DEFAULT_LIMITS)


def test_every_selector_reads_back_and_runs_as_a_program() -> None:
    grids, targets, query, want = HOLE
    hook = GRIDS_DSL.literal
    assert hook is not None
    ran = 0
    for seg in SEGMENTS:
        for show in ("own", "box"):
            for prop in PROPERTIES:
                for mode in MODES:
                    s = Selector(seg, show, prop, mode)
                    lit = s.literal()
                    assert lit == f"select:{seg}:{show}:{prop}:{mode}"
                    assert parse_selector(lit) == s
                    assert hook(lit) is not None and GRIDS_DSL.primitive(lit).impl() == s
                    text = f"(lam (select-piece $0 {lit}))"
                    program = GRIDS_DSL.parse(text)
                    assert str(program) == text
                    try:
                        direct = s.apply(Grid(query))
                    except ValueError:
                        with pytest.raises(EvalFailure) as e:
                            run_program(program, GRIDS_DSL, (Grid(query),), DEFAULT_LIMITS)
                        assert e.value.kind == "error"
                        assert e.value.detail.startswith("ValueError")
                        continue
                    assert run_program(program, GRIDS_DSL, (Grid(query),),
                                       DEFAULT_LIMITS) == direct
                    ran += 1
    assert ran > 50
    learned = learn_selectors(grids, targets, [query])
    for s in learned:
        text = f"(lam (select-piece $0 {s.literal()}))"
        assert str(infer_type(GRIDS_DSL.parse(text), GRIDS_DSL)) == "grid -> grid"
    assert any(_run(f"(lam (select-piece $0 {s.literal()}))", Grid(query)) == Grid(want)
               for s in learned)


HOSTILE = [
    "", "select", "select:", "select:o4", "select:o4:own", "select:o4:own:size",
    "select:o4:own:size:", "Select:o4:own:size:max", "SELECT:o4:own:size:max",
    "selector:o4:own:size:max", "layout:o4:own:size:max", "rule:o4:own:size:max",
    " select:o4:own:size:max", "select:o4:own:size:max ", "select:o4:own:size:max\n",
    "select:o4:own:size :max", "select:o4:\town:size:max", "select:o4:own:size:max:max",
    "select:o5:own:size:max", "select:O4:own:size:max", "select:cells4:own:size:max",
    "select:o4:all:size:max", "select:o4:Own:size:max", "select:o4:own:Size:max",
    "select:o4:own:sizes:max", "select:o4:own:-:max", "select:o4:own:colour:max",
    "select:o4:own:size:MAX", "select:o4:own:size:maximum", "select:o4:own:size:mean",
    "select:o4:own:size:max\x00", "select:o4:own:s\u0131ze:max", "select:o4:own:size:m\u0430x",
    "select:\uff4f4:own:size:max", "select:o\u0664:own:size:max", "select:o4:own:size\u200b:max",
    "select::own:size:max", "select:o4::size:max", "select:o4:own::max",
    "select:o4:own:__class__:max", "select:o4:own:pick_index:max",
    "select:o4:own:" + "size-" * 20 + ":max", "select:" + "o4:" * 1000 + "own:size:max",
    "x" * 1_000_000,
]


def test_hostile_literals_are_refused_without_raising() -> None:
    hook = GRIDS_DSL.literal
    assert hook is not None
    for lit in HOSTILE:
        assert parse_selector(lit) is None, repr(lit)
        assert hook(lit) is None, repr(lit)
        with pytest.raises(KeyError):
            GRIDS_DSL.primitive(lit)
    t0 = time.perf_counter()
    assert parse_selector("select:o4:own:" + "s" * 10_000_000 + ":max") is None
    assert time.perf_counter() - t0 < 2.0
    for ok in ("select:o4:own:size:max", "select:cells:box:shape-count:unique",
               "select:c8:own:colour-count:min"):
        assert parse_selector(ok) is not None, ok


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["o4", "o8", "c4", "cells", "own", "box", "size", "holes",
                                 "shape-count", "max", "min", "unique", "", "x", "O4", "-",
                                 " ", "\u0131", "select"]), max_size=6)
       .map(lambda parts: "select:" + ":".join(parts))
       | st.text(max_size=70))
def test_any_text_reads_as_its_own_literal_or_as_none(text: str) -> None:
    s = parse_selector(text)
    hook = GRIDS_DSL.literal
    assert hook is not None
    if s is None:
        assert hook(text) is None
        return
    assert s.literal() == text  # one literal per selector
    assert s.segment in SEGMENTS and s.prop in PROPERTIES and s.mode in MODES
    assert s.show in ("own", "box")


# ------------------------------------------------------------------------ the combiner

def _selector_values() -> tuple[list[tuple[object, ...]], tuple[Grid, ...], Grid]:
    grids, targets, query, want = LARGEST
    good = (*(Grid(a) for a in grids), Grid(query))
    outputs = tuple(Grid(t) for t in targets)
    values: list[tuple[object, ...]] = [
        tuple(G(np.ones((2, 2))) for _ in good),  # one piece, never the outputs
        (good[0], FAILED, *good[2:]),  # failed on a train input
        (*good[:3], FAILED),  # failed on the test input
        (*good[:2], 3, good[3]),  # not a grid
        good,
    ]
    return values, outputs, Grid(want)


def test_combine_selectors_proposes_a_selector_on_the_right_candidate() -> None:
    values, outputs, want = _selector_values()
    props = combine_selectors(values, outputs, LATER)
    assert props
    n = len(outputs)
    assert {i for _, (i, _) in props} == {4}
    for name, (i, lit) in props:
        assert name == "select-piece"
        assert isinstance(i, int) and isinstance(lit, str)
        s = parse_selector(lit)
        assert s is not None
        assert all(s.apply(v) == o for v, o in zip(values[i][:n], outputs, strict=True))
    query = values[4][n]
    assert isinstance(query, Grid)
    assert any(_run(f"(lam (select-piece $0 {lit}))", query) == want for _, (_, lit) in props)
    # outputs that are no grids, no candidates, no outputs: nothing
    assert combine_selectors(values, (3, 4, 5), LATER) == []
    assert combine_selectors([], outputs, LATER) == []
    assert combine_selectors(values, (), LATER) == []


def _crowded(seed: int) -> np.ndarray:
    """A grid of about fifty small objects: learning on it takes a good fraction of a second."""
    rng = np.random.default_rng(seed)
    a = np.zeros((28, 28), dtype=np.uint8)
    for i in range(7):
        for j in range(7):
            a[4 * i:4 * i + 2, 4 * j:4 * j + 2] = rng.integers(1, 10, (2, 2))
    return a


def test_combine_selectors_returns_quickly_past_its_deadline() -> None:
    values, outputs, _ = _selector_values()
    many = values * 200
    t0 = time.perf_counter()
    late = combine_selectors(many, outputs, t0 - 1.0)
    assert time.perf_counter() - t0 < 5.0
    assert isinstance(late, list)
    assert all(p in combine_selectors(many, outputs, LATER) for p in late)
    # candidates that are slow to learn on: past the deadline none of them is tried
    slow = [tuple(G(_crowded(j)) for j in range(4))] * 8
    crowded_outputs = tuple(G(_crowded(j)[:2, :2]) for j in range(3))  # a piece of each
    t0 = time.perf_counter()
    assert isinstance(combine_selectors(slow, crowded_outputs, t0 - 1.0), list)
    assert time.perf_counter() - t0 < 5.0
