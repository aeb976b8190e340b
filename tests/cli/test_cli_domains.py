"""The CLI by domain: suites looked up across domains, searchers and executors by name or spec,
`hylo learn --domain`, `hylo solve --program`, and Ctrl-C during a recorded bench."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from hylo.cli import app
from hylo.library import open_store

runner = CliRunner()

TASKS = [
    {"name": "sum", "type": {"input": "list-of-int", "output": "int"},
     "examples": [{"i": [1, 2], "o": 3}, {"i": [], "o": 0}, {"i": [5, 5, 1], "o": 11}]},
    {"name": "inc", "type": {"input": "int", "output": "int"},
     "examples": [{"i": 1, "o": 2}, {"i": 5, "o": 6}]},
]


def _file(tmp_path: Path) -> Path:
    p = tmp_path / "tasks.json"
    p.write_text(json.dumps(TASKS))
    return p


def test_bench_with_a_searcher_spec_reports_it_and_the_strategy(tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    spec = '{"name": "enumerative", "params": {"keep": 2}}'
    r = runner.invoke(app, ["bench", str(_file(tmp_path)), "--searcher", spec, "--workers", "0",
                            "--timeout", "5", "--json", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["searcher"] == {"name": "enumerative", "params": {"keep": 2}}
    assert data["domain"] == "lists" and data["executor"] == "inline" and data["solved"] == 2
    assert {t["strategy"] for t in data["tasks"]} == {"enumerative"}


def test_bench_executor_errors_are_one_line(tmp_path: Path) -> None:
    f = str(_file(tmp_path))
    for args, words in (
        (["--executor", "nope"], "unknown executor"),
        (["--executor", "pool", "--workers", "0"], "workers"),
        (["--executor", "pool", "--address", "10.0.0.1:6379"], "--address"),
        (["--searcher", "{not json"], "not valid JSON"),
        (["--timeout", "-1"], "--timeout"),
        (["--workers", "-3"], "--workers"),
    ):
        r = runner.invoke(app, ["bench", f, *args])
        assert r.exit_code == 2, (args, r.output)
        assert words in r.output and "Traceback" not in r.output, (args, r.output)


def test_bench_unknown_suite_lists_the_suites_of_every_domain() -> None:
    r = runner.invoke(app, ["bench", "nosuchsuite"])
    assert r.exit_code == 2
    assert "lists (lists)" in " ".join(r.output.split())


def test_bench_suite_of_a_domain_that_lacks_it(tmp_path: Path) -> None:
    r = runner.invoke(app, ["bench", "lists", "--domain", "digits", "--split", "all"])
    assert r.exit_code == 2 and "unknown suite" in r.output


def test_enumerate_takes_its_request_and_task_from_the_domain(tmp_path: Path) -> None:
    out = tmp_path / "e.json"
    r = runner.invoke(app, ["bench", "enumerate", "--seconds", "0.2", "--domain", "lists",
                            "--json", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["domain"] == "lists" and data["request"] == "list(int) -> list(int)"
    assert data["programs_per_second"] > 0 and data["evaluated_per_second"] > 0
    r = runner.invoke(app, ["bench", "enumerate", "--seconds", "0.2", "--domain", "digits"])
    assert r.exit_code == 2 and "names no benchmark" in r.output


def test_learn_dispatch_by_domain_option_or_name() -> None:
    for args in (["learn", "--domain", "lists", "--help"], ["learn", "lists", "--help"],
                 ["learn", "--domain=lists", "--help"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 0, r.output
        assert "--iterations" in r.output and "--executor" in r.output
    r = runner.invoke(app, ["learn", "--domain", "nosuch", "--iterations", "1"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["learn", "--iterations", "1", "--domain", "lists", "--suite", "x"])
    assert r.exit_code == 2 and "no suite 'x'" in r.output
    r = runner.invoke(app, ["learn", "--iterations", "1", "--suite", "x"])  # default domain
    assert r.exit_code == 2 and "lists" in r.output


def test_solve_with_a_given_program(tmp_path: Path) -> None:
    f = str(_file(tmp_path))
    ok = runner.invoke(app, ["solve", f, "--task", "sum", "--program", "(lam (sum $0))"])
    assert ok.exit_code == 0 and "fits" in ok.output and "3/3 examples" in ok.output
    wrong = runner.invoke(app, ["solve", f, "--task", "sum", "--program", "(lam (length $0))"])
    assert wrong.exit_code == 1 and "does not fit" in wrong.output and "1/3" in wrong.output
    typed = runner.invoke(app, ["solve", f, "--program", "(lam (sum $0))"])
    assert typed.exit_code == 1 and "ill-typed" in typed.output  # for task inc
    bad = runner.invoke(app, ["solve", f, "--program", "(lam (sum $0"])
    assert bad.exit_code == 2 and "cannot parse" in bad.output


def _sigint_as_in_a_terminal() -> None:
    """The child gets SIGINT's default action, as a terminal's foreground job has: a parent
    that ignores SIGINT (a background job, as CI may run) passes SIG_IGN on, and Python keeps
    an inherited SIG_IGN, so Ctrl-C would never reach the code under test."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_bench_leaves_the_run_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    slow = [{"name": f"hard-{k}", "type": {"input": "list-of-int", "output": "int"},
             # one input, two outputs: unsolvable, so the bench is still busy when interrupted
             "examples": [{"i": [k, 2], "o": 982451653 + k}, {"i": [k, 2], "o": -7 * k}]}
            for k in range(6)]
    f = tmp_path / "slow.json"
    f.write_text(json.dumps(slow))
    proc = subprocess.Popen(
        # faulthandler: a hang is shown as every thread's stack (SIGABRT below)
        [sys.executable, "-X", "faulthandler", "-m", "hylo.cli", "bench", str(f), "--workers",
         "1", "--timeout", "30",
         "--library", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=_sigint_as_in_a_terminal,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the run is recorded as running
        time.sleep(0.3)
        if db.exists():
            try:
                with open_store(db) as store:
                    if [r.status for r in store.runs()] == ["running"]:
                        break
            except Exception:
                continue
    time.sleep(1.0)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:  # show where it hung instead of only that it did
        proc.send_signal(signal.SIGABRT)
        time.sleep(1.0)
        proc.kill()
        out, _ = proc.communicate()
        raise AssertionError(f"Ctrl-C did not stop the bench within 30 s; output:\n{out}") from None
    assert time.monotonic() - t0 < 15, "Ctrl-C must stop the bench promptly"
    assert proc.returncode == 130, out
    assert "Traceback" not in out and "interrupted" in out
    with open_store(db) as store:
        assert [r.status for r in store.runs()] == ["interrupted"]
    assert os.path.exists(db)
