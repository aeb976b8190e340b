"""Output-size prediction (grids): the rules the train pairs keep, and plausibility."""

from __future__ import annotations

import numpy as np

from hylo.core.task import Example, Task
from hylo.domains.grids.grid import Grid
from hylo.domains.grids.sizes import plausible, predicted_sizes
from hylo.domains.grids.tasks import REQUEST


def Z(h: int, w: int) -> Grid:
    return Grid(np.zeros((h, w), dtype=np.uint8))


def _task(pairs: list[tuple[tuple[int, int], tuple[int, int]]], queries: list[tuple[int, int]]
          ) -> Task:
    return Task("t", REQUEST, tuple(Example((Z(*i),), Z(*o)) for i, o in pairs), (),
                tuple((Z(*q),) for q in queries))


def test_rules() -> None:
    assert predicted_sizes(_task([((3, 4), (3, 4)), ((5, 2), (5, 2))], [(7, 7)])) == [(7, 7)]
    assert predicted_sizes(_task([((3, 4), (2, 2)), ((5, 6), (2, 2))], [(9, 9)])) == [(2, 2)]
    assert predicted_sizes(_task([((3, 4), (4, 3)), ((5, 2), (2, 5))], [(1, 6)])) == [(6, 1)]
    assert predicted_sizes(_task([((2, 3), (6, 9)), ((1, 1), (3, 3))], [(4, 2)])) == [(12, 6)]
    assert predicted_sizes(_task([((4, 6), (2, 3)), ((2, 2), (1, 1))], [(6, 6), (5, 5)]
                                 )) == [(3, 3), None]
    assert predicted_sizes(_task([((3, 3), (1, 5)), ((4, 4), (2, 7))], [(5, 5)])) is None


def test_plausible() -> None:
    t = _task([((3, 4), (3, 4)), ((5, 2), (5, 2))], [(7, 7), (2, 2)])
    assert plausible(t, [Z(7, 7), Z(2, 2)])
    assert not plausible(t, [Z(7, 7), Z(3, 2)])
    assert not plausible(t, [Z(7, 7), 3])
    free = _task([((3, 3), (1, 5)), ((4, 4), (2, 7))], [(5, 5)])
    assert plausible(free, [Z(9, 9)])  # nothing predicted: anything goes


def test_colour_weights_favour_the_pairs_colours_in_the_task_grammar() -> None:
    from hylo.domains.grids import load_domain
    from hylo.domains.grids.sizes import colour_weights
    from hylo.search.bottom_up import BottomUpSearcher

    g_in = Grid(np.array([[0, 3], [4, 0]], dtype=np.uint8))
    g_out = Grid(np.array([[3, 7]], dtype=np.uint8))
    test_only = Grid(np.array([[9]], dtype=np.uint8))
    task = Task("t", REQUEST, (Example((g_in,), g_out),), (Example((test_only,), test_only),),
                ((test_only,),))
    w = colour_weights(task)
    assert w == {"c0": 1.0, "c3": 2.0, "c4": 1.0, "c7": 2.0}  # never the test pair's c9
    domain = load_domain()
    s = BottomUpSearcher(domain.prior(), domain)
    grammar = s.grammar_for(task)
    assert grammar.log_weights["c7"] == s.grammar.log_weights["c7"] + 2.0
    assert grammar.log_weights["c9"] == s.grammar.log_weights["c9"]
    assert s.grammar_for(task) is grammar  # one grammar per task, cached
