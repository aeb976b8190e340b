"""Runs always end in a status that says what happened: finished, failed, or interrupted (by
Ctrl-C, or because the process died without a word: its pid is gone); a search result is
recorded one way (task, attempt, solution) by every command; one learner holds a library."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import hylo.library
from hylo.core.task import Example, Task
from hylo.core.types import INT, arrow
from hylo.library import open_store
from hylo.library.lock import LibraryBusy, exclusive
from hylo.library.runs import describe_runs, record_result, run_scope, run_state
from hylo.search.base import SearchResult

SRC = Path(hylo.library.__file__).resolve().parents[2]
TASK = Task("plus-one", arrow(INT, INT), (Example((1,), 2), Example((5,), 6)))


def _env() -> dict[str, str]:
    paths = [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def test_run_scope_statuses() -> None:
    store = open_store(None)
    with run_scope(store, "bench", {"suite": "s"}) as run:
        run.summary["solved"] = 3
    with pytest.raises(ZeroDivisionError), run_scope(store, "bench", {}) as run:
        run.summary["partial"] = True
        _ = 1 / 0
    with pytest.raises(KeyboardInterrupt), run_scope(store, "bench", {}):
        raise KeyboardInterrupt
    finished, failed, interrupted = store.runs()
    assert (finished.status, finished.summary) == ("finished", {"solved": 3})
    assert failed.status == "failed"
    assert failed.summary == {"partial": True, "error": "ZeroDivisionError: division by zero"}
    assert interrupted.status == "interrupted" and interrupted.finished_at is not None
    assert [run_state(r) for r in store.runs()] == ["finished", "failed", "interrupted"]


def test_record_result() -> None:
    store = open_store(None)
    run = store.start_run("bench", {})
    record_result(store, run, "toy", TASK, SearchResult("plus-one", True, "(lam (inc $0))",
                                                         2.5, 0.5, 7, "solved"), 3)
    record_result(store, run, "toy", TASK, SearchResult("plus-one", False, None, None, 1.0, 9,
                                                         "timeout"))
    (task,) = store.tasks("toy")
    assert (task.name, task.request) == ("plus-one", "int -> int")
    assert task.examples == [{"i": [1], "o": 2}, {"i": [5], "o": 6}]
    solved, failed = store.attempts(run)
    assert (solved.solved, solved.error, solved.iteration, solved.candidates) == (True, None, 3, 7)
    assert (failed.solved, failed.error, failed.iteration) == (False, "timeout", None)
    (solution,) = store.solutions(run)
    assert (solution.program, solution.description_length, solution.domain) == (
        "(lam (inc $0))", 2.5, "toy")
    (view,) = describe_runs(store)
    assert (view.state, view.attempted, view.solved) == ("running", 2, 1)
    assert view.where == f"pid {os.getpid()} on {store.runs()[0].host}"


DIES = """
    import os, signal, sys
    from hylo.library import open_store
    store = open_store(sys.argv[1])
    store.start_run("bench", {})
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_run_whose_process_died_reads_as_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "hylo.db"
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(DIES), str(path)],
                          env=_env(), capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    with open_store(path) as store:
        (run,) = store.runs()
        assert run.status == "running" and run.pid not in (None, os.getpid())
        assert run_state(run) == "interrupted"
        assert describe_runs(store)[0].state == "interrupted"
        # A run of a live process on this host stays running.
        store.start_run("bench", {})
        assert run_state(store.runs()[1]) == "running"


HOLDS = """
    import sys, time
    from hylo.library.lock import exclusive
    with exclusive(sys.argv[1], "learn"):
        print("held", flush=True)
        time.sleep(60)
"""


def test_a_second_learner_is_refused_while_the_first_lives(tmp_path: Path) -> None:
    from hylo.learn.loop import LearnConfig, learn

    path = tmp_path / "hylo.db"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HOLDS), str(path)],
                              env=_env(), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        with pytest.raises(LibraryBusy, match=rf"another hylo learn \(pid {holder.pid} on "):
            learn(path, LearnConfig(domain="lists", suite="lists", iterations=1))
        assert time.monotonic() - t0 < 5  # refused at once, no work done
        assert not path.exists()  # learn() opened nothing
    finally:
        holder.kill()
        holder.wait(timeout=30)
    # The kernel dropped the dead holder's lock: the library is free again.
    with exclusive(path):
        pass


def test_the_lock_is_exclusive_within_a_process_too(tmp_path: Path) -> None:
    path = tmp_path / "hylo.db"
    with exclusive(path), pytest.raises(LibraryBusy):
        with exclusive(path):
            pass
