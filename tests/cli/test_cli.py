"""The CLI end to end, on small task files (in-process, typer's runner)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hylo.cli import app
from hylo.library import open_store

runner = CliRunner()

TASKS = [
    {
        "name": "sum",
        "type": {"input": "list-of-int", "output": "int"},
        "examples": [{"i": [1, 2], "o": 3}, {"i": [], "o": 0}, {"i": [5, 5, 1], "o": 11}],
    },
    {
        "name": "reverse",
        "type": {"input": "list-of-int", "output": "list-of-int"},
        "examples": [
            {"i": [1, 2], "o": [2, 1]},
            {"i": [], "o": []},
            {"i": [3, 1, 2], "o": [2, 1, 3]},
        ],
    },
    {
        "name": "impossible",
        "type": {"input": "list-of-int", "output": "int"},
        # one input, two outputs: no program fits, whatever constants the task lends
        "examples": [{"i": [1], "o": 982451653}, {"i": [2], "o": -7}, {"i": [1], "o": 12}],
    },
]


def _write(tmp_path: Path, tasks: list) -> Path:
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks))
    return path


def test_solve_prints_and_checks_the_program(tmp_path: Path) -> None:
    path = _write(tmp_path, TASKS[:2])
    result = runner.invoke(app, ["solve", str(path), "--timeout", "5"])
    assert result.exit_code == 0, result.output
    assert "(lam (sum $0))" in result.output
    assert "(lam (reverse $0))" in result.output
    assert "checked: 3/3 examples" in result.output


def test_solve_one_task_by_name_and_unknown_name(tmp_path: Path) -> None:
    path = _write(tmp_path, TASKS)
    ok = runner.invoke(app, ["solve", str(path), "--task", "sum", "--timeout", "5"])
    assert ok.exit_code == 0 and "reverse" not in ok.output
    missing = runner.invoke(app, ["solve", str(path), "--task", "nope"])
    assert missing.exit_code == 2
    assert "no task named 'nope'" in missing.output


def test_unsolved_task_exits_non_zero(tmp_path: Path) -> None:
    path = _write(tmp_path, [TASKS[2]])
    result = runner.invoke(app, ["solve", str(path), "--timeout", "0.5"])
    assert result.exit_code == 1
    assert "not solved" in result.output


def test_malformed_task_file_names_file_task_and_field(tmp_path: Path) -> None:
    bad = [dict(TASKS[0], examples=[{"i": [1, 2], "o": "three"}])]
    path = _write(tmp_path, bad)
    result = runner.invoke(app, ["solve", str(path)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "tasks.json" in text and "sum" in text and "examples[0].o" in text


def test_bench_file_json_fields_and_library_record(tmp_path: Path) -> None:
    path = _write(tmp_path, TASKS)
    out = tmp_path / "bench.json"
    db = tmp_path / "lib.db"
    result = runner.invoke(
        app,
        ["bench", str(path), "--timeout", "1", "--workers", "0", "--json", str(out),
         "--library", str(db)],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    for field in ("suite", "split", "total", "solved", "timeout", "workers", "wall_seconds"):
        assert field in data
    assert data["total"] == 3 and data["solved"] == 2 and data["workers"] == 0
    by_name = {t["name"]: t for t in data["tasks"]}
    assert set(by_name) == {"sum", "reverse", "impossible"}
    for t in data["tasks"]:
        assert {"name", "solved", "seconds", "program"} <= set(t)
    assert by_name["sum"]["program"] == "(lam (sum $0))"
    assert by_name["impossible"]["solved"] is False and by_name["impossible"]["program"] is None
    with open_store(db) as store:
        runs = store.runs()
        assert len(runs) == 1 and runs[0].status == "finished"
        assert runs[0].summary["solved"] == 2
        assert set(store.best_solutions()) == {"sum", "reverse"}
        assert len(store.attempts()) == 3
        assert any(p.name == "fold" for p in store.primitives())
    shown = runner.invoke(app, ["library", "show", "--library", str(db)])
    assert shown.exit_code == 0, shown.output
    assert "fold" in shown.output and "3 tasks recorded, 2 with a solution" in shown.output


def test_bench_parallel_workers(tmp_path: Path) -> None:
    path = _write(tmp_path, TASKS[:2])
    out = tmp_path / "bench.json"
    result = runner.invoke(
        app, ["bench", str(path), "--timeout", "5", "--workers", "2", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["solved"] == 2


def test_bench_enumerate_json(tmp_path: Path) -> None:
    out = tmp_path / "enum.json"
    result = runner.invoke(app, ["bench", "enumerate", "--seconds", "0.3", "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["programs_per_second"] > 0 and data["evaluated_per_second"] > 0
    assert data["evaluation"]["solved"] is False


def test_bench_unknown_suite_and_bad_split(tmp_path: Path) -> None:
    assert runner.invoke(app, ["bench", "nosuchsuite"]).exit_code == 2
    assert runner.invoke(app, ["bench", "lists", "--split", "middle"]).exit_code == 2


def test_library_show_rejects_a_file_that_is_not_a_library(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    result = runner.invoke(app, ["library", "show", "--library", str(junk)])
    assert result.exit_code == 2
    missing = runner.invoke(app, ["library", "show", "--library", str(tmp_path / "x.db")])
    assert missing.exit_code == 2
