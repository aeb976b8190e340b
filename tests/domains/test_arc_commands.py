"""The ARC commands: `score` (ARC's two attempts per test input), `hylo bench arc` (its JSON
fields, its errors) and `hylo show arc` (a PNG and an HTML page, or one clean error)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hylo.cli import app
from hylo.core.limits import Limits
from hylo.core.task import Example, Task
from hylo.domains.grids import load_domain
from hylo.domains.grids.arc_bench import ATTEMPTS, load_arc, predict, score
from hylo.domains.grids.grid import Grid
from hylo.domains.grids.tasks import REQUEST, task_from_json
from hylo.search.base import SearchResult

DOMAIN = load_domain()
DSL = DOMAIN.dsl
LIMITS = Limits(max_steps=20_000, max_seconds=0.5)
G = Grid.from_rows
P = {name: p.impl for name, p in DSL.primitives.items()}
runner = CliRunner()

TRAIN = (G([[1, 2, 0], [3, 0, 0], [1, 2, 0]]), G([[0, 4, 5], [0, 4, 5]]))
Q1 = G([[1, 2, 0], [0, 0, 3]])
Q2 = G([[0, 0], [5, 0], [0, 6]])

IDENTITY = "(lam $0)"
FLIP = "(lam (flip-h $0))"
ROT180 = "(lam (rot180 $0))"


def _task(truths: tuple[Grid, ...] = (P["flip-h"](Q1),), queries: tuple[Grid, ...] = (Q1,)
          ) -> Task:
    """Train pairs `flip-h` fits; the test outputs `truths` for the inputs `queries`."""
    return Task("fake", REQUEST, tuple(Example((g,), P["flip-h"](g)) for g in TRAIN),
                tuple(Example((q,), t) for q, t in zip(queries, truths, strict=False)),
                tuple((q,) for q in queries))


def _result(program: str | None, *extra: str, solved: bool = True) -> SearchResult:
    return SearchResult("fake", solved, program, 8.75, seconds=0.123456, candidates=7,
                        stopped="solved" if solved else "timeout",
                        extra=[(p, 9.0) for p in extra])


def _score(task: Task, result: SearchResult) -> dict[str, Any]:
    return score(DSL, DOMAIN.equal, task, result, LIMITS)


# ------------------------------------------------------------------ score
def test_a_right_program_solves_the_task() -> None:
    s = _score(_task(), _result(FLIP))
    assert s["solved"] and s["right_outputs"] == 1 and s["outputs"] == 1
    assert s["attempts"] == [{"program": FLIP, "right": [True]}]
    assert s["name"] == "fake" and s["program"] == FLIP and s["seconds"] == 0.1235
    assert s["fits_examples"] and s["candidates"] == 7 and s["stopped"] == "solved"


def test_a_wrong_program_does_not() -> None:
    s = _score(_task(), _result(IDENTITY))
    assert not s["solved"] and s["right_outputs"] == 0
    assert s["attempts"] == [{"program": IDENTITY, "right": [False]}]


def test_the_second_attempt_counts() -> None:
    s = _score(_task(), _result(IDENTITY, FLIP))
    assert s["solved"] and s["right_outputs"] == 1
    assert [a["program"] for a in s["attempts"]] == [IDENTITY, FLIP]
    assert [a["right"] for a in s["attempts"]] == [[False], [True]]


def test_only_two_attempts_count() -> None:
    assert ATTEMPTS == 2
    s = _score(_task(), _result(IDENTITY, "(lam (rot90 $0))", FLIP))
    assert not s["solved"] and len(s["attempts"]) == 2
    assert FLIP not in [a["program"] for a in s["attempts"]]


def test_duplicate_predictions_are_one_attempt() -> None:
    # rot180 twice is the identity: the same predictions are no second attempt, so FLIP is
    s = _score(_task(), _result(IDENTITY, "(lam (rot180 (rot180 $0)))", FLIP))
    assert s["solved"] and [a["program"] for a in s["attempts"]] == [IDENTITY, FLIP]
    s = _score(_task(), _result(FLIP, FLIP, "(lam (flip-h (flip-h (flip-h $0))))"))
    assert s["solved"] and len(s["attempts"]) == 1


def test_each_test_output_may_be_right_in_a_different_attempt() -> None:
    # ROT180 is right on Q2 only (it is not vertically symmetric), FLIP on Q1 only
    truths = (P["flip-h"](Q1), P["rot180"](Q2))
    task = _task(truths, (Q1, Q2))
    assert P["flip-h"](Q2) != truths[1] and P["rot180"](Q1) != truths[0]
    s = _score(task, _result(FLIP, ROT180))
    assert s["solved"] and s["outputs"] == 2 and s["right_outputs"] == 2
    assert [a["right"] for a in s["attempts"]] == [[True, False], [False, True]]
    s = _score(task, _result(FLIP))
    assert not s["solved"] and s["right_outputs"] == 1


@pytest.mark.parametrize("bad", ["((((", "(lam (no-such-primitive $0))", "(lam $3)",
                                 "(lam (rot90 $0 $0))", "(" * 3000, "x" * 5000])
def test_an_unparsable_program_is_a_wrong_attempt(bad: str) -> None:
    assert predict(DSL, bad, _task().queries, LIMITS) == [None]
    s = _score(_task(), _result(bad, "))", FLIP))
    # both unparsable programs predict nothing: one attempt; FLIP is the second
    assert s["solved"] and [a["program"] for a in s["attempts"]] == [bad, FLIP]
    assert s["attempts"][0]["right"] == [False]
    s = _score(_task(), _result(bad))
    assert not s["solved"] and s["right_outputs"] == 0


def test_an_empty_program_is_no_attempt() -> None:
    assert predict(DSL, "", _task().queries, LIMITS) == [None]
    s = _score(_task(), _result("", FLIP))
    assert not s["solved"] and s["attempts"] == []


def test_a_program_of_the_wrong_type_or_that_fails_is_wrong() -> None:
    for program in ("(lam (width $0))", "(lam (crop (erase-color $0 c1)))"):
        s = _score(_task(), _result(program))
        assert not s["solved"] and s["attempts"][0]["right"] == [False], program


def test_an_unsolved_result_has_no_attempts() -> None:
    s = _score(_task(), _result(None, solved=False))
    assert s == {**s, "solved": False, "attempts": [], "program": None, "right_outputs": 0,
                 "fits_examples": False, "stopped": "timeout"}
    s = _score(_task(), _result(FLIP, solved=False))  # a program not confirmed is no attempt
    assert not s["solved"] and s["attempts"] == []


def test_a_task_without_test_outputs_is_never_solved() -> None:
    s = _score(_task((), (Q1,)), _result(FLIP))
    assert not s["solved"] and s["outputs"] == 0 and s["right_outputs"] == 0


def test_test_outputs_are_matched_to_their_own_inputs() -> None:
    raw = {"train": [{"input": [[1]], "output": [[1]]}],
           "test": [{"input": [[2]]}, {"input": [[3]], "output": [[3]]}]}
    task = task_from_json("mixed", raw)
    s = _score(task, _result(IDENTITY))
    assert s["solved"], s


def test_load_arc_refuses_unknown_sets() -> None:
    with pytest.raises(ValueError, match="--version"):
        load_arc("arc3", "training")
    with pytest.raises(ValueError, match="--split"):
        load_arc("arc1", "test")


# ------------------------------------------------------------------ hylo bench arc
FIELDS = {"version", "split", "total_tasks", "solved_tasks", "solved_outputs", "total_outputs",
          "timeout", "workers", "wall_seconds", "tasks"}
TASK_FIELDS = {"name", "solved", "attempts", "program", "seconds"}


def _clean_failure(r: Any, words: str) -> None:
    assert r.exit_code not in (0, 1), r.output  # 1: an uncaught exception under CliRunner
    assert isinstance(r.exception, SystemExit), r.exception
    flat = " ".join(r.output.split())  # the console wraps long lines
    assert "Traceback" not in r.output and words in flat, r.output


def test_bench_arc_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "arc.json"
    r = runner.invoke(app, ["bench", "arc", "--task", "1e0a9b12", "--task", "1cf80156",
                            "--timeout", "2", "--workers", "0", "--json", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert FIELDS <= set(data), set(data)
    assert data["version"] == "arc1" and data["split"] == "training"
    assert data["total_tasks"] == 2 and data["solved_tasks"] == 2, data
    assert data["solved_outputs"] == data["total_outputs"] == 2
    assert data["timeout"] == 2.0 and data["workers"] == 0 and data["wall_seconds"] >= 0
    rows = {t["name"]: t for t in data["tasks"]}
    assert set(rows) == {"1e0a9b12", "1cf80156"}
    for row in rows.values():
        assert TASK_FIELDS <= set(row) and row["solved"] is True, row
        assert 1 <= len(row["attempts"]) <= 2 and row["attempts"][0]["right"] == [True]
        assert row["attempts"][0]["program"] == row["program"] and row["seconds"] <= 10
    assert rows["1e0a9b12"]["program"] == "(lam (gravity-down $0))"
    assert rows["1cf80156"]["program"] == "(lam (crop $0))"
    assert "2/2 tasks solved" in " ".join(r.output.split())


@pytest.mark.parametrize("args,words", [
    (["--version", "arc3"], "--version"),
    (["--split", "test"], "--split"),
    (["--task", "no-such-task"], "no-such-task"),
    (["--task", "1e0a9b12", "--version", "arc2", "--split", "evaluation"], "1e0a9b12"),
    (["--limit", "0"], "--limit"),
    (["--timeout", "-1"], "--timeout"),
])
def test_bench_arc_errors_are_clean(args: list[str], words: str) -> None:
    r = runner.invoke(app, ["bench", "arc", "--workers", "0", "--timeout", "1", *args])
    _clean_failure(r, words)


# ------------------------------------------------------------------ hylo show arc
def test_show_arc_writes_a_picture_and_a_page(tmp_path: Path) -> None:
    from PIL import Image

    r = runner.invoke(app, ["show", "arc", "1e0a9b12", "--timeout", "2", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    png, page = tmp_path / "1e0a9b12.png", tmp_path / "1e0a9b12.html"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(png) as im:
        im.verify()
    with Image.open(png) as im:
        assert im.format == "PNG" and im.width > 50 and im.height > 50
    text = page.read_text()
    assert text.startswith("<!doctype html>") and "(lam (gravity-down $0))" in text
    assert "1e0a9b12.png" in text and "solved" in text


def test_show_arc_on_a_task_file(tmp_path: Path) -> None:
    f = tmp_path / "my task.json"  # the file's stem names the task; odd characters are dropped
    f.write_text(json.dumps({"train": [{"input": [[1, 0], [0, 0]], "output": [[0, 1], [0, 0]]},
                                       {"input": [[2, 3, 0], [0, 0, 4]],
                                        "output": [[0, 3, 2], [4, 0, 0]]}],
                             "test": [{"input": [[4, 5], [6, 0]], "output": [[5, 4], [0, 6]]}]}))
    r = runner.invoke(app, ["show", "arc", str(f), "--timeout", "1", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "my_task.png").read_bytes()[:4] == b"\x89PNG"
    text = (tmp_path / "my_task.html").read_text()
    assert "attempt 1: (lam (flip-h $0))" in text and "ARC my task: solved" in text


@pytest.mark.parametrize("content,words", [
    ('{"train": [', "not JSON"),
    ("[]", "train"),
    ("{}", "no tasks"),
    ('{"train": []}', "train"),
    ('{"train": [{"input": [[1]], "output": [[1, 2], [3]]}]}', "same length"),
    ('{"train": [{"input": [[1]], "output": [[1]]}], "test": [{"input": [[12]]}]}', "test"),
])
def test_show_arc_on_a_malformed_file_fails_cleanly(tmp_path: Path, content: str,
                                                    words: str) -> None:
    f = tmp_path / "bad.json"
    f.write_text(content)
    out = tmp_path / "out"
    r = runner.invoke(app, ["show", "arc", str(f), "--timeout", "1", "--out", str(out)])
    _clean_failure(r, words)
    assert not out.exists()


def test_show_arc_on_a_missing_file_or_task_fails_cleanly(tmp_path: Path) -> None:
    r = runner.invoke(app, ["show", "arc", str(tmp_path / "nothing.json"), "--out",
                            str(tmp_path / "out")])
    _clean_failure(r, "cannot read")
    r = runner.invoke(app, ["show", "arc", "zzzzzzzz", "--out", str(tmp_path / "out")])
    _clean_failure(r, "zzzzzzzz")
