"""Held-out examples in task files and benches, and `hylo bench synth` (generate, export, run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hylo.cli import app
from hylo.domains.lists.tasks import TaskFileError, dump_tasks, load_tasks, parse_tasks

runner = CliRunner()

SUM = {"name": "sum", "type": {"input": "list-of-int", "output": "int"},
       "examples": [{"i": [1, 2], "o": 3}, {"i": [], "o": 0}, {"i": [5, 5, 1], "o": 11}]}


def _file(tmp_path: Path, tasks: list) -> Path:
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks))
    return path


def test_bench_counts_only_programs_right_on_held_out_examples(tmp_path: Path) -> None:
    tasks = [
        {**SUM, "name": "plain"},  # no held-out examples: null
        {**SUM, "name": "generalizes", "held_out": [{"i": [4, 4], "o": 8}]},
        # held-out examples that no program fitting the examples meets (sum [1, 2] is 3)
        {**SUM, "name": "contradicts", "held_out": [{"i": [1, 2], "o": 4}]},
    ]
    out = tmp_path / "bench.json"
    result = runner.invoke(app, ["bench", str(_file(tmp_path, tasks)), "--timeout", "5",
                                 "--workers", "0", "--json", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    held = {t["name"]: t["held_out"] for t in doc["tasks"]}
    assert held == {"plain": None, "generalizes": True, "contradicts": False}
    assert doc["fits_examples"] == 3 and doc["solved"] == 2 and doc["held_out_tasks"] == 2
    assert all(t["solved"] for t in doc["tasks"])  # the per-task field keeps its meaning
    assert {"strategy", "candidates"} <= set(doc["tasks"][0])
    assert "fits only" in result.output


def test_held_out_examples_load_and_name_their_field(tmp_path: Path) -> None:
    task = {**SUM, "held_out": [{"i": [4], "o": 4}]}
    (loaded,) = load_tasks(_file(tmp_path, [task]))
    assert [e.inputs for e in loaded.held_out] == [([4],)]
    for bad, fragment in (({"held_out": {"i": 1}}, "held_out: expected a list"),
                          ({"held_out": [{"i": [1]}]}, "held_out[0].o: missing"),
                          ({"held_out": [{"i": [1], "o": True}]}, "held_out[0].o: expected int")):
        with pytest.raises(TaskFileError, match=fragment.replace("[", r"\[")):
            parse_tasks(json.dumps([{**SUM, **bad}]), "f.json")


def test_dump_tasks_round_trips(tmp_path: Path) -> None:
    two = {"name": "two", "type": {"input": ["int", "list-of-list-of-int"], "output": "bool"},
           "examples": [{"i": [1, [[2]]], "o": True}],
           "held_out": [{"i": [0, []], "o": False}]}
    tasks = load_tasks(_file(tmp_path, [SUM, two]))
    text = dump_tasks(tasks, {"two": {"ground_truth": "(lam (lam #t))"}})
    assert parse_tasks(text, "again.json") == tasks
    assert json.loads(text)[1]["ground_truth"] == "(lam (lam #t))"


def test_bench_synth_exports_a_suite_that_reruns(tmp_path: Path) -> None:
    suite = tmp_path / "synth.json"
    args = ["bench", "synth", "--count", "4", "--depth", "2-3", "--seed", "3", "--held-out", "3"]
    made = runner.invoke(app, [*args, "--export", str(suite)])
    assert made.exit_code == 0, made.output
    entries = json.loads(suite.read_text())
    assert [e["name"] for e in entries] == [f"synth-3-{i:04d}" for i in range(4)]
    assert all(len(e["held_out"]) == 3 and "ground_truth" in e and 2 <= e["depth"] <= 3
               for e in entries)
    again = runner.invoke(app, [*args, "--export", str(tmp_path / "again.json")])
    assert again.exit_code == 0
    assert (tmp_path / "again.json").read_text() == suite.read_text()  # seeded
    out = tmp_path / "run.json"
    rerun = runner.invoke(app, ["bench", str(suite), "--timeout", "0.5", "--workers", "0",
                                "--json", str(out)])
    assert rerun.exit_code == 0, rerun.output
    assert json.loads(out.read_text())["held_out_tasks"] == 4


def test_bench_synth_runs_and_reports_the_suite(tmp_path: Path) -> None:
    out = tmp_path / "synth-run.json"
    result = runner.invoke(app, ["bench", "synth", "--count", "3", "--depth", "2-3",
                                 "--timeout", "0.5", "--workers", "0", "--json", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["suite"] == "synth" and doc["total"] == 3
    assert doc["synthetic"]["depths"] == [2, 3] and doc["synthetic"]["seed"] == 0
    assert doc["synthetic"]["generation"]["kept"] == 3
    for t in doc["tasks"]:
        assert {"depth", "ground_truth", "held_out", "strategy", "candidates"} <= set(t)
        assert t["ground_truth"] not in t["name"]
    assert doc["solved"] <= doc["fits_examples"] <= 3


@pytest.mark.parametrize("bad", [["--depth", "6-4"], ["--depth", "x"], ["--examples", "0-2"],
                                 ["--count", "-1"]])
def test_bench_synth_refuses_bad_options(bad: list[str]) -> None:
    result = runner.invoke(app, ["bench", "synth", *bad, "--export", "/dev/null"])
    assert result.exit_code == 2, result.output
