"""Combining partial pieces (grids' `Domain.combine`): consistent pieces only, a cover of the
outputs or nothing, and bottom-up search turning a cover into a checked overlay program."""

from __future__ import annotations

import time

import numpy as np

from hylo.core.domain import Domain
from hylo.core.dsl import DSL
from hylo.core.grammar import Grammar
from hylo.core.task import Example, Task
from hylo.domains.grids.combine import combine_pieces
from hylo.domains.grids.grid import Grid, equal, value_key
from hylo.domains.grids.primitives import PRIMITIVES
from hylo.domains.grids.tasks import REQUEST
from hylo.search.base import Budget
from hylo.search.bottom_up import BottomUpSearcher
from hylo.search.check import Checker
from hylo.search.enumerate import FAILED

# no deadline (it is fixed at import: one a long test run could reach)
LATER = time.perf_counter() + 1e6


def G(rows: list[list[int]]) -> Grid:
    return Grid(np.array(rows, dtype=np.uint8))


def test_cover_from_consistent_pieces_only() -> None:
    out = (G([[1, 0], [0, 2]]),)
    left = G([[1, 0], [0, 0]])
    right = G([[0, 0], [0, 2]])
    wrong = G([[0, 3], [0, 2]])  # a colour where the output has background: never right
    other_shape = G([[1, 0, 0], [0, 2, 0]])
    query = G([[5]])
    values = [(wrong, query), (other_shape, query), (left, query), (right, query)]
    assert combine_pieces(values, out, LATER) == [("overlay", [3, 2])]  # bottom layer first
    # a piece that fails on a test input gives no prediction: never chosen
    assert combine_pieces([(left, query), (right, FAILED)], out, LATER) == []
    # no cover, or a cover by one piece alone (search finds that itself): nothing
    assert combine_pieces([(left, query)], out, LATER) == []
    assert combine_pieces([(G([[1, 0], [0, 2]]), query)], out, LATER) == []
    assert combine_pieces(values, (G([[0, 0], [0, 0]]),), LATER) == []
    # a piece hidden under another where it is wrong: right only as the lower layer
    under = G([[2, 2], [0, 2]])
    top = G([[1, 0], [0, 0]])
    assert combine_pieces([(under, query), (top, query)], (G([[1, 2], [0, 2]]),), LATER) == \
        [("overlay", [0, 1])]
    assert combine_pieces(values, (3,), LATER) == []


def _mini_domain() -> Domain:
    names = {"c1", "c2", "flip-h", "flip-v", "keep-color", "overlay"}
    dsl = DSL.from_table([p for p in PRIMITIVES if p.name in names])
    return Domain(name="grids-mini", dsl=dsl, equal=equal, value_key=value_key,
                  combine=combine_pieces)


def _task() -> Task:
    rng = np.random.default_rng(3)

    def target(g: Grid) -> Grid:  # colour 1 mirrored left-right over colour 2 mirrored up-down
        a = np.where(g.a == 2, g.a, 0)[::-1, :]
        b = np.where(g.a == 1, g.a, 0)[:, ::-1]
        return Grid(np.where(b != 0, b, a))

    grids = [Grid(rng.integers(0, 3, size=(4, 5)).astype(np.uint8)) for _ in range(4)]
    examples = tuple(Example((g,), target(g)) for g in grids[:3])
    return Task("pieces", REQUEST, examples, (Example((grids[3],), target(grids[3])),),
                ((grids[3],),))


def test_bottom_up_combines_pieces_into_a_checked_program() -> None:
    domain = _mini_domain()
    task = _task()
    grammar = Grammar.uniform(domain.dsl)
    # few enough candidates that enumeration alone cannot reach the overlay of the two
    budget = Budget(seconds=30, max_candidates=60)
    plain = BottomUpSearcher(grammar, domain).solve(task, budget)
    assert not plain.solved
    r = BottomUpSearcher(grammar, domain, combine_share=0.2).solve(task, budget)
    assert r.solved and r.program is not None and "overlay" in r.program
    checker = Checker(domain.dsl, equal)
    assert checker.fits(r.program, task)
    assert checker.check(r.program, Task("held", REQUEST, task.held_out)).ok
    # a share out of range is refused
    for bad in (-0.1, 0.95, True, "0.2"):
        try:
            BottomUpSearcher(grammar, domain, combine_share=bad)
        except ValueError:
            continue
        raise AssertionError(f"combine_share={bad!r} accepted")
