"""`hylo bench psb1`: runs of genetic programming per problem, judged on the unseen test set."""

from __future__ import annotations

import json
import random

from typer.testing import CliRunner

from hylo.cli import app

runner = CliRunner()


def _problem(root, name: str, f, n_train: int = 12, n_test: int = 30, seed: int = 0) -> None:
    rng = random.Random(seed)
    d = root / name
    d.mkdir(parents=True)

    def cases(n: int) -> str:
        rows = []
        for _ in range(n):
            a, b = rng.randint(-50, 50), rng.randint(-50, 50)
            rows.append(json.dumps({"input1": a, "input2": b, "output1": f(a, b)}))
        return "\n".join(rows) + "\n"

    (d / "train.jsonl").write_text(cases(n_train))
    (d / "test.jsonl").write_text(cases(n_test))
    (d / "edge.jsonl").write_text("")


def test_runs_are_judged_on_the_whole_test_set(tmp_path):
    _problem(tmp_path, "add", lambda a, b: a + b)
    _problem(tmp_path, "trap", lambda a, b: max(a, b), n_train=1, seed=3)
    out = tmp_path / "r.json"
    r = runner.invoke(app, ["bench", "psb1", "--data", str(tmp_path), "--runs", "2",
                            "--generations", "5", "--population", "60", "--timeout", "20",
                            "--workers", "0", "--json", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert doc["runs"] == 2 and doc["total_problems"] == 2 and doc["searcher"] == "genetic"
    rows = {p["name"]: p for p in doc["problems"]}
    add = rows["add"]
    assert set(add) >= {"name", "runs", "successes", "executions", "best_test_error", "program"}
    assert add["runs"] == 2 and add["successes"] == 2 and add["best_test_error"] == 0.0
    assert add["executions"] > 0 and len(add["generations"]) == 2
    assert rows["trap"]["runs"] == 2
    assert doc["solved_problems"] == sum(1 for p in doc["problems"] if p["successes"])


def test_bad_requests_are_one_error_line(tmp_path):
    _problem(tmp_path, "add", lambda a, b: a + b)
    for args in (["--problems", "no-such"], ["--runs", "0"], ["--timeout", "0"],
                 ["--selection", "roulette"]):
        r = runner.invoke(app, ["bench", "psb1", "--data", str(tmp_path), "--workers", "0",
                                "--generations", "1", "--population", "10", *args])
        assert r.exit_code == 2, (args, r.output)
        assert "Traceback" not in r.output
    r = runner.invoke(app, ["bench", "psb1", "--data", str(tmp_path / "none"), "--workers",
                            "0"])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_a_fit_of_the_training_cases_wrong_on_one_test_case_is_no_success(tmp_path):
    from hylo.cli_general import _record
    from hylo.domains import get_domain
    from hylo.domains.general.psb1 import load_psb1_problem
    from hylo.search.base import SearchResult

    _problem(tmp_path, "first", lambda a, b: a, n_train=5, n_test=20)
    task = load_psb1_problem(tmp_path / "first")
    domain = get_domain("general")
    row = {"runs": 0, "successes": 0, "train_fits": 0, "executions": 0,
           "best_test_error": None, "program": None, "best_run": None, "seconds": [],
           "generations": []}
    _record(row, SearchResult("first", True, program="(lam (lam $1))",
                              stats={"executions": 7}), task, domain, 0)
    assert row["successes"] == 1 and row["best_test_error"] == 0.0 and row["executions"] == 7
    # change one test case: the same program now fails the rule
    ex = task.held_out[0]
    from dataclasses import replace
    task = replace(task, held_out=(replace(ex, output=ex.output + 1), *task.held_out[1:]))
    _record(row, SearchResult("first", True, program="(lam (lam $1))"), task, domain, 1)
    assert row["successes"] == 1 and row["runs"] == 2 and row["train_fits"] == 2
