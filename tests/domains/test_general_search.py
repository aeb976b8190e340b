"""Search in the general domain: `hylo bench FILE --domain general` on SyGuS-like string tasks,
and bottom-up and top-down search on easy tasks of the built-in suite (quality tests: what
search finds, within seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hylo.domains
from hylo.cli import app
from hylo.search.base import Budget
from hylo.search.registry import build_searcher

runner = CliRunner()

SYGUS_LIKE = [
    {"name": "firstname", "type": {"input": ["string"], "output": "string"},
     "examples": [{"i": ["Nancy FreeHafer"], "o": "Nancy"},
                  {"i": ["Andrew Cencici"], "o": "Andrew"},
                  {"i": ["Jan Kotas"], "o": "Jan"}, {"i": ["Jan Kotas"], "o": "Jan"}],
     "constants": {"string": [" "], "int": [0, 1]}},
    {"name": "name-combine", "type": {"input": ["string", "string"], "output": "string"},
     "examples": [{"i": ["Nancy", "FreeHafer"], "o": "Nancy FreeHafer"},
                  {"i": ["Andrew", "Cencici"], "o": "Andrew Cencici"},
                  {"i": ["Jan", "Kotas"], "o": "Jan Kotas"}],
     "constants": {"string": [" "], "int": [0, 1]}},
    {"name": "phone-dots", "type": {"input": ["string"], "output": "string"},
     "examples": [{"i": ["938-242-504"], "o": "938.242.504"},
                  {"i": ["308-916-545"], "o": "308.916.545"}],
     "held_out": [{"i": ["623-599-749"], "o": "623.599.749"}],
     "constants": {"string": [" ", "-", "."], "int": [0, 1, 2, 3]}},
]


def test_bench_solves_sygus_like_string_tasks_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "sygus.json"
    path.write_text(json.dumps(SYGUS_LIKE))
    out = tmp_path / "bench.json"
    r = runner.invoke(app, ["bench", str(path), "--domain", "general", "--timeout", "2",
                            "--workers", "0", "--json", str(out)])
    assert r.exit_code == 0, r.output
    report = json.loads(out.read_text())
    solved = {t["name"]: t for t in report["tasks"] if t["solved"]}
    assert set(solved) == {"firstname", "name-combine", "phone-dots"}, r.output
    assert solved["phone-dots"]["held_out"] is True
    assert all(t["seconds"] < 2.5 for t in solved.values())


def test_solve_checks_a_program_with_a_task_constant(tmp_path: Path) -> None:
    path = tmp_path / "sygus.json"
    path.write_text(json.dumps(SYGUS_LIKE))
    r = runner.invoke(app, ["solve", str(path), "--domain", "general", "--task", "phone-dots",
                            "--program", "(lam (replace '-' '.' $0))"])
    assert r.exit_code == 0, r.output


def test_a_malformed_file_is_one_error_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"name": "x", "type": {"input": "widget", "output": "str"},
                                 "examples": []}]))
    r = runner.invoke(app, ["bench", str(path), "--domain", "general", "--workers", "0"])
    assert r.exit_code != 0 and "type.input" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize(("searcher", "names"), [
    ("bottom-up", ["upper-case", "first-word", "word-count", "round-to-int", "abs-difference",
                   "email-domain"]),
    ("enumerative", ["upper-case", "double-float", "round-to-int", "word-count"]),
])
def test_searchers_solve_easy_builtin_tasks_within_seconds(searcher: str,
                                                           names: list[str]) -> None:
    domain = hylo.domains.get_domain("general")
    tasks = {t.name: t for t in domain.suites["general"]()}
    s = build_searcher({"name": searcher, "params": {}}, domain.prior(), domain)
    for name in names:
        result = s.solve(tasks[name], Budget(4.0))
        assert result.solved, (name, result.stopped)
        assert result.seconds < 4.0
