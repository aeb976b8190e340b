"""Dreams, and the recognition model in the learning loop and in the benchmark commands."""

from __future__ import annotations

import json
import random

import pytest
import typer
from typer.testing import CliRunner

from hylo.core.evaluate import run_program
from hylo.core.types import parse_type
from hylo.domains import get_domain
from hylo.learn.dreams import dream
from hylo.learn.guide import GuideConfig, load_guide
from hylo.learn.loop import LearnConfig, learn
from hylo.library import open_store

DOMAIN = get_domain("lists")
REQUESTS = [parse_type("list(int) -> list(int)"), parse_type("list(int) -> int")]


def test_dreams_are_seeded_non_degenerate_and_what_their_programs_compute():
    g = DOMAIN.prior()
    a, stats = dream(g, DOMAIN, REQUESTS, 15, random.Random(4), seconds=60)
    b, _ = dream(g, DOMAIN, REQUESTS, 15, random.Random(4), seconds=60)
    assert [str(d.program) for d in a] == [str(d.program) for d in b]
    assert len(a) == 15 and stats["drawn"] >= 15
    assert len({str(d.program) for d in a}) == len(a)
    for d in a:
        outs = [DOMAIN.value_key(ex.output) for ex in d.task.examples]
        assert len(set(outs)) > 1  # not a constant program
        for ex in d.task.examples:
            assert run_program(d.program, g.dsl, ex.inputs) == ex.output
        assert d.description_length == pytest.approx(
            g.description_length(d.program, d.task.request))


def test_a_domain_that_cannot_sample_inputs_cannot_dream():
    from dataclasses import replace

    with pytest.raises(ValueError, match="cannot sample"):
        dream(DOMAIN.prior(), replace(DOMAIN, sample_inputs=None), REQUESTS, 3,
              random.Random(0))


GUIDE = GuideConfig(min_seconds=2.0, max_seconds=3.0, dreams=30).to_json()
TRAIN = ("kth-smallest with k=1", "kth-smallest with k=2", "slice-k-n with k=1 and n=2",
         "slice-k-n with k=3 and n=2")
TEST = ("kth-smallest with k=4", "slice-k-n with k=2 and n=2")


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    """A library learned in two iterations with a recognition model (shared by the tests)."""
    db = tmp_path_factory.mktemp("guide") / "lib.db"
    config = LearnConfig(domain="lists", suite="lists", iterations=2, workers=0,
                         train_names=TRAIN, test_names=TEST, keep=2, search_keep=2,
                         train_timeouts=(2.0,), resolve_timeout=0.5, test_timeout=1.0,
                         guide=GUIDE)
    return db, learn(db, config)


def test_the_loop_trains_stores_and_uses_a_model_each_iteration(learned):
    db, out = learned
    assert out["finished"]
    with open_store(db) as store:
        its = store.iterations()
        first, second = its[0].metrics, its[1].metrics
        assert first["guided"] is False and "guide" not in first  # nothing solved before it
        assert second["guided"] is True
        g = second["guide"]
        assert g["replays"] >= 1 and g["version"] == 1 and g["budget_seconds"] >= 2.0
        assert "test_log_likelihood" in g and second["seconds"]["dream"] > 0
        model = load_guide(store, DOMAIN)
        assert model.record == {"name": "recognition:lists", "version": 1, "iteration": 1,
                                "mode": "unigram"}


def _test_file(tmp_path):
    """The learner's test tasks as a task file (the whole suite's split would take minutes)."""
    from hylo.domains.lists.tasks import dump_tasks

    tasks = [t for t in DOMAIN.suites["lists"]() if t.name in TEST]
    path = tmp_path / "tasks.json"
    path.write_text(dump_tasks(tasks))
    return str(path)


def test_bench_is_guided_by_the_library_model_unless_told_not_to(learned, tmp_path):
    from hylo import cli

    db = learned[0]
    tasks = _test_file(tmp_path)
    app = typer.Typer()
    app.command("bench")(cli.bench_suite)
    app.command("solve")(cli.solve)
    runner = CliRunner()
    docs = {}
    for flag in ([], ["--no-guide"]):
        out = tmp_path / f"b{len(flag)}.json"
        r = runner.invoke(app, ["bench", tasks, "--domain", "lists", "--timeout", "1",
                                "--workers", "0", "--library", str(db), "--json", str(out),
                                *flag])
        assert r.exit_code == 0, r.output
        docs[bool(flag)] = json.loads(out.read_text())
    assert docs[False]["guided"] is True and docs[False]["guide"]["version"] == 1
    assert docs[True]["guided"] is False and docs[True]["guide"] is None
    r = runner.invoke(app, ["bench", tasks, "--domain", "lists", "--timeout", "0.2",
                            "--workers", "0", "--json", str(tmp_path / "n.json")])
    assert r.exit_code == 0 and json.loads((tmp_path / "n.json").read_text())["guided"] is False
    # the report shows the model per iteration and search times with vs without it
    from hylo.report.html import guided_pair, write_report

    with open_store(db) as store:
        pair = guided_pair(store, "lists")
        assert pair is not None
        guided, plain = pair
        assert guided.config["guided"] is True and plain.config["guided"] is False
    html = write_report(db, tmp_path / "r.html").read_text()
    assert "Guidance (recognition model)" in html and "without guidance" in html


def test_library_guide_trains_a_contextual_model_that_bench_then_uses(learned, tmp_path):
    from hylo import cli

    db = learned[0]
    app = typer.Typer()
    app.add_typer(cli.library_app, name="library")
    app.command("bench")(cli.bench_suite)
    runner = CliRunner()
    r = runner.invoke(app, ["library", "guide", "--library", str(db), "--mode", "contextual",
                            "--seconds", "3"])
    assert r.exit_code == 0, r.output
    assert "(contextual, from the previous model)" in r.output  # the loop's unigram one
    out = tmp_path / "c.json"
    r = runner.invoke(app, ["bench", _test_file(tmp_path), "--domain", "lists", "--timeout", "0.5",
                            "--workers", "0", "--library", str(db), "--json", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert doc["guided"] and doc["guide"]["mode"] == "contextual"
    for args in (["--mode", "trigram"], ["--seconds", "0"]):
        r = runner.invoke(app, ["library", "guide", "--library", str(db), *args])
        assert r.exit_code == 2, r.output
    r = runner.invoke(app, ["library", "guide", "--library", str(tmp_path / "none.db")])
    assert r.exit_code == 2


def test_guide_weights_keep_only_contextual_rows_the_model_sets_apart():
    from hylo.core.grammar import CONTEXTS_KEY
    from hylo.core.task import Example, Task
    from hylo.learn.guide import SAME_ROW, guide_weights

    g = DOMAIN.prior()
    names = sorted(g.log_weights)[:3]
    unigram = {n: -1.0 for n in g.log_weights}
    near = [-1.0 + SAME_ROW / 2] * 3
    far = [-1.0, -1.0 - 3 * SAME_ROW, -1.0]

    class Model:  # stands in for a trained contextual model
        def predict(self, tasks):
            rows = [["", -1, near], [names[0], 0, far], [names[1], 1, near],
                    ["no-such-primitive", 0, far]]
            return [{**unigram, "unknown-name": 0.0,
                     CONTEXTS_KEY: {"names": names, "rows": rows}} for _ in tasks]

    task = Task("t", REQUESTS[0], (Example(([1, 2],), [2, 1]),))
    w = guide_weights(Model(), g, [task])["t"]
    assert "unknown-name" not in w
    assert w[CONTEXTS_KEY] == {"names": names, "rows": [[names[0], 0, far]]}
    # a model that sets no row apart sends plain unigram weights
    Model.predict = lambda self, tasks: [{**unigram, CONTEXTS_KEY: {
        "names": names, "rows": [["", -1, near]]}} for _ in tasks]
    assert CONTEXTS_KEY not in guide_weights(Model(), g, [task])["t"]
