"""The grids domain's side of guidance: sampled inputs for dreams, the CNN task encoder."""

from __future__ import annotations

import random

import pytest

from hylo.core.types import parse_type
from hylo.domains import get_domain
from hylo.domains.grids.grid import Grid
from hylo.learn.dreams import dream
from hylo.neural.recognition import Dataset, TrainConfig, build_model, make_items, train_model

GRIDS = get_domain("grids")
REQ = parse_type("grid -> grid")


def test_sampled_inputs_are_seeded_grids_of_arc_sizes():
    a = GRIDS.sample_inputs(REQ, random.Random(1), 30)
    b = GRIDS.sample_inputs(REQ, random.Random(1), 30)
    assert [x[0].key() for x in a] == [x[0].key() for x in b]
    for (g,) in a:
        assert isinstance(g, Grid) and 3 <= g.shape[0] <= 12 and 3 <= g.shape[1] <= 12
    assert len({x[0].key() for x in a}) > 25
    with pytest.raises(ValueError):
        GRIDS.sample_inputs(parse_type("bool -> grid"), random.Random(0), 1)


def test_grids_dream_and_the_model_reads_their_pairs():
    g = GRIDS.prior()
    found, stats = dream(g, GRIDS, [REQ], 20, random.Random(0), seconds=60)
    assert len(found) == 20, stats
    model = build_model(g, GRIDS.task_encoder, "grids")
    pred = model.predict([d.task for d in found[:3]])
    assert len(pred) == 3 and set(pred[0]) == {"$variable", *g.log_weights}
    data = make_items(model, g, [(d.task, d.program) for d in found])
    assert len(data.items) == 20 and data.skipped == 0
    m = train_model(model, data, Dataset(), TrainConfig(seconds=600, max_epochs=2,
                                                        valid_share=0.0))
    assert m["epochs"] == 2


def test_hostile_task_shapes_do_not_break_the_encoder():
    from hylo.core.task import Example, Task

    model = build_model(GRIDS.prior(), GRIDS.task_encoder, "grids")
    big = Grid.from_rows([[9] * 60] * 60)  # larger than the encoder's 30x30 window
    odd = Task("odd", REQ, (Example((big,), Grid.from_rows([[1]])),))
    none = Task("none", REQ, ())
    assert len(model.predict([odd, none])) == 2
