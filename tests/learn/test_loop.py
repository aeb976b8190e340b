"""The learning loop end to end on a few real list tasks with tiny budgets: a run killed with
SIGKILL in the middle of an iteration loses only that iteration and resumes; the library it
leaves loads for search; the report renders from it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from learn_helpers import LISTS

import hylo.learn.loop
from hylo.library import open_store
from hylo.library.grammar_store import load_grammar

SRC = Path(hylo.learn.loop.__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import sys
    from hylo.learn.loop import LearnConfig, learn
    config = LearnConfig(
        domain="lists", suite="lists", iterations=3, workers=0, train_names=TRAIN,
        test_names=TEST, keep=2, search_keep=2,
        train_timeouts=(3.0,), resolve_timeout=1.0, test_timeout=2.0, probe_timeout=2.0)
    learn(sys.argv[1], config)
""")
# Easy families (so that tiny budgets solve them and a shared abstraction exists), plus one
# task plain enumeration does not solve in the budget, which keeps every iteration a few
# seconds long: long enough to be killed in the middle.
TRAIN = ("kth-smallest with k=1", "kth-smallest with k=2", "kth-smallest with k=3",
         "slice-k-n with k=1 and n=2", "slice-k-n with k=3 and n=2", "slice-k-n with k=1 and n=3",
         "caesar-cipher-k-modulo-n with k=2 and n=3")
TEST = ("kth-smallest with k=4", "slice-k-n with k=2 and n=2", "slice-k-n with k=4 and n=1")
CHILD = f"TRAIN = {TRAIN!r}\nTEST = {TEST!r}\n" + CHILD


def _start(db: Path) -> subprocess.Popen:
    paths = [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(db)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _iterations(db: Path) -> list[int]:
    with open_store(db) as store:
        return [it.iteration for it in store.iterations()]


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory) -> dict:
    db = tmp_path_factory.mktemp("learn") / "lib.db"
    proc = _start(db)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if db.exists() and _iterations(db) == [0]:
                break
            if proc.poll() is not None:
                pytest.fail(f"learning run ended early: {proc.communicate()[1].decode()[-2000:]}")
            time.sleep(0.05)
        else:
            pytest.fail("iteration 0 did not finish in time")
        os.kill(proc.pid, signal.SIGKILL)  # in the middle of iteration 1
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    after_kill = _iterations(db)
    with open_store(db) as store:
        status_after_kill = [r.status for r in store.runs()]
    resumed = _start(db)
    out, errs = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, errs.decode()[-3000:]
    return {"db": db, "after_kill": after_kill, "status_after_kill": status_after_kill}


def test_kill_loses_at_most_the_iteration_in_progress(killed_and_resumed):
    assert killed_and_resumed["after_kill"] == [0]
    assert killed_and_resumed["status_after_kill"] == ["running"]


def test_resume_continues_after_the_last_finished_iteration(killed_and_resumed):
    db = killed_and_resumed["db"]
    with open_store(db) as store:
        runs = store.runs()
        assert len(runs) == 1 and runs[0].status == "finished"
        its = store.iterations(runs[0].id)
        assert [it.iteration for it in its] == [0, 1, 2]
        # every attempt belongs to a finished iteration, exactly once per task searched
        for it in its:
            attempts = [a for a in store.attempts(runs[0].id) if a.iteration == it.iteration]
            searched = it.metrics["train"]["searched"] + it.metrics["test"]["searched"]
            assert len(attempts) == searched
            assert len({a.task for a in attempts}) == len(attempts)
        names = [a.name for a in store.abstractions()]
        assert len(names) == len(set(names))
        assert store.get_meta("learn:lists:frontiers")["entries"]
        assert runs[0].summary["last_iteration"] == 2


def test_library_loads_for_search(killed_and_resumed):
    with open_store(killed_and_resumed["db"]) as store:
        g = load_grammar(store, LISTS, "lists")
        assert set(g.dsl.inventions) == {a.name for a in store.abstractions()}
        # iteration by iteration: the library grows, never shrinks
        sizes = [len(load_grammar(store, LISTS, "lists", i).dsl.inventions) for i in range(3)]
        assert sizes == sorted(sizes)
        last = store.iterations()[-1].metrics
        assert last["library_size"] == sizes[-1]


def test_report_renders(killed_and_resumed, tmp_path):
    from hylo.report.html import write_report

    out = write_report(killed_and_resumed["db"], tmp_path / "report.html")
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert text.count("data:image/png;base64,") >= 3
    assert "Learning curve" in text and "Library" in text
    with open_store(killed_and_resumed["db"]) as store:
        for a in store.abstractions():
            assert a.name in text
        if store.abstractions():
            assert "which abstraction calls which" not in text or text.count("data:image") >= 4


def test_a_new_run_continues_the_numbering(killed_and_resumed, tmp_path):
    import shutil

    from hylo.learn.loop import LearnConfig, learn

    db = tmp_path / "copy.db"
    shutil.copy(killed_and_resumed["db"], db)
    config = LearnConfig("lists", "lists", iterations=1, workers=0, train_names=TRAIN,
                         test_limit=0, keep=2,
                         search_keep=2, train_timeouts=(0.3,), resolve_timeout=0.2,
                         test_timeout=0.2, probe_timeout=0.2)
    out = learn(db, config)
    assert out["finished"]
    with open_store(db) as store:
        runs = store.runs()
        assert [r.status for r in runs] == ["finished", "finished"]
        assert [it.iteration for it in store.iterations(runs[1].id)] == [3]


def test_the_library_makes_test_tasks_cheaper(killed_and_resumed):
    """Search enumerates fewer candidates for the test tasks once the library exists (counts of
    candidates, not seconds: independent of the machine's load)."""
    with open_store(killed_and_resumed["db"]) as store:
        assert store.abstractions(), "no abstraction learned from the easy families"
        its = store.iterations()
        first, last = its[0].metrics["test"]["tasks"], its[-1].metrics["test"]["tasks"]
        both = [n for n in first if first[n]["solved"] and last[n]["solved"]]
        assert both
        assert sum(last[n]["candidates"] for n in both) < sum(first[n]["candidates"]
                                                              for n in both)


def test_learning_continues_on_an_imported_library(killed_and_resumed, tmp_path):
    from hylo.learn.loop import LearnConfig, learn
    from hylo.library.exchange import export_file, import_file

    export_file(killed_and_resumed["db"], tmp_path / "lib.json", "lists")
    db = tmp_path / "imported.db"
    import_file(db, tmp_path / "lib.json")
    with open_store(db) as store:
        imported = {a.name for a in store.abstractions()}
    config = LearnConfig("lists", "lists", iterations=1, workers=0, train_names=TRAIN,
                         test_limit=0, keep=2,
                         search_keep=2, train_timeouts=(0.3,), resolve_timeout=0.2,
                         test_timeout=0.2)
    assert learn(db, config)["finished"]
    with open_store(db) as store:
        (run,) = store.runs()
        assert [it.iteration for it in store.iterations(run.id)] == [3]
        assert imported <= set(load_grammar(store, LISTS, "lists").dsl.inventions)
        # the imported frontiers were the first sleep's corpus
        assert store.iterations(run.id)[0].metrics["sleep"]["corpus"] > 0
