"""What `hylo.db` promises across processes: data survives reopening, other processes see
committed writes, a killed writer leaves the file readable with only committed data in it, and
a file that is not a hylo library is refused."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import hylo.library.store
from hylo.library.conformance import fill, snapshot
from hylo.library.sqlite_store import SQLiteStore
from hylo.library.store import StoreError

SRC = Path(hylo.library.store.__file__).resolve().parents[2]


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def _env() -> dict[str, str]:
    paths = [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _run(code: str, *args: str) -> str:
    done = subprocess.run(
        [*_python(code), *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_reopen_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "hylo.db"
    with SQLiteStore(path) as store:
        run = fill(store, "one")
        store.finish_run(run, {"solved": 1})
        store.put_module("nn-one", "mlp", {}, os.urandom(100_000), {}, {})
        before = snapshot(store)
    with SQLiteStore(path) as store:
        assert snapshot(store) == before
        # Reopened, it goes on where it stopped: new ids and versions follow the old ones.
        assert store.start_run("wake", {}) > run
        assert store.put_module("nn-one", "mlp", {}, b"", {}, {}) == 3
        assert store.last_iteration(run) == 0


READ_BACK = """
    import json, sys
    from hylo.library.sqlite_store import SQLiteStore
    with SQLiteStore(sys.argv[1]) as store:
        print(json.dumps({
            "runs": [[r.kind, r.status, r.config] for r in store.runs()],
            "solutions": [[s.task, s.program] for s in store.solutions()],
            "module": store.get_module("nn-one").weights.hex(),
            "meta": store.get_meta("key"),
        }))
"""


def test_another_process_reads_what_one_wrote(tmp_path: Path) -> None:
    path = tmp_path / "hylo.db"
    with SQLiteStore(path) as store:
        run = fill(store, "one")
        store.finish_run(run, {})
    seen = json.loads(_run(READ_BACK, str(path)))
    assert seen == {
        "runs": [["wake", "finished", {"tag": "one"}]],
        "solutions": [["task-one", "(lam $0)"]],
        "module": "0001",
        "meta": "one",
    }


def test_processes_see_each_others_commits_while_open(tmp_path: Path) -> None:
    path = tmp_path / "hylo.db"
    with SQLiteStore(path) as store:
        run = store.start_run("wake", {})
        store.add_solution(run, "first", "(lam $0)", 1.0, 0.1, 1)
        # The writer stays open; a reader in another process sees what it committed.
        seen = _run(
            """
            import sys
            from hylo.library.sqlite_store import SQLiteStore
            with SQLiteStore(sys.argv[1]) as store:
                print([s.task for s in store.solutions()])
                run = store.runs()[0].id
                store.add_solution(run, "second", "(lam $0)", 2.0, 0.1, 1)
            """,
            str(path),
        )
        assert seen.strip() == "['first']"
        # And this still-open connection sees what the other process committed.
        assert [s.task for s in store.solutions()] == ["first", "second"]


WRITER = """
    import sys
    from hylo.library.sqlite_store import SQLiteStore
    store = SQLiteStore(sys.argv[1])
    run = store.start_run("writer", {"worker": sys.argv[2]})
    for i in range(20):
        with store.transaction():
            store.add_solution(run, "t" + sys.argv[2], f"(p {i})", float(i), 0.0, i)
            store.add_attempt(run, "t" + sys.argv[2], True, 0.0, i)
    store.finish_run(run, {"written": 20})
    store.close()
"""


def test_concurrent_writers_on_a_new_file(tmp_path: Path) -> None:
    # Several processes create the same file at once and then write to it together: the schema
    # is created once, writers wait for each other (busy timeout) and nothing is lost.
    path = tmp_path / "shared.db"
    workers = [
        subprocess.Popen(
            [*_python(WRITER), str(path), str(w)],
            env=_env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(3)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=30)
        assert worker.returncode == 0, stderr
    with SQLiteStore(path) as store:
        assert sorted(r.config["worker"] for r in store.runs()) == ["0", "1", "2"]
        assert all(r.status == "finished" for r in store.runs())
        solutions = store.solutions()
        assert len(solutions) == 60 and len({s.id for s in solutions}) == 60
        assert len(store.attempts()) == 60
        for w in range(3):
            assert [s.program for s in store.solutions() if s.task == f"t{w}"] == [
                f"(p {i})" for i in range(20)
            ]


KILLED_WRITER = """
    import os, sys, time
    from hylo.library.sqlite_store import SQLiteStore
    store = SQLiteStore(sys.argv[1])
    run = store.start_run("committed", {})
    store.add_solution(run, "kept", "(lam $0)", 1.0, 0.1, 1)
    store.put_module("nn", "mlp", {}, b"v1", {}, {})
    store.set_meta("state", "committed")
    with store.transaction():
        store.start_run("uncommitted", {})
        store.add_solution(run, "lost", "(lam $0)", 1.0, 0.1, 1)
        store.finish_iteration(run, 0, {})
        store.add_abstraction("lists", "fn_lost", "(lam $0)", "t0 -> t0", 0, {})
        # Big enough to spill out of SQLite's page cache into the WAL before any commit.
        store.put_module("nn", "mlp", {}, os.urandom(8_000_000), {}, {})
        store.set_meta("state", "uncommitted")
        print("in transaction", flush=True)
        time.sleep(60)
"""


def test_killed_writer_leaves_committed_data_only(tmp_path: Path) -> None:
    path = tmp_path / "hylo.db"
    writer = subprocess.Popen(
        [*_python(KILLED_WRITER), str(path)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        line = writer.stdout.readline()
        assert line.strip() == "in transaction", writer.stderr.read() if writer.stderr else ""
        wal = Path(f"{path}-wal")
        assert wal.exists() and wal.stat().st_size > 1_000_000  # uncommitted pages on disk
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    assert writer.returncode == -signal.SIGKILL

    with SQLiteStore(path) as store:
        assert [r.kind for r in store.runs()] == ["committed"]
        assert [s.task for s in store.solutions()] == ["kept"]
        assert store.iterations() == [] and store.abstractions() == []
        assert [(m.name, m.version) for m in store.modules()] == [("nn", 1)]
        assert store.get_meta("state") == "committed"
        with store._use() as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # The dead writer's lock is gone: this process can write, versions continue.
        assert store.put_module("nn", "mlp", {}, b"v2", {}, {}) == 2
        store.finish_iteration(store.runs()[0].id, 0, {"resumed": True})
    # Another process agrees.
    seen = _run(
        """
        import sys
        from hylo.library.sqlite_store import SQLiteStore
        with SQLiteStore(sys.argv[1]) as store:
            print([r.kind for r in store.runs()], store.get_module("nn").weights)
        """,
        str(path),
    )
    assert seen.strip() == "['committed'] b'v2'"


def test_writer_waits_for_another_process_transaction(tmp_path: Path) -> None:
    path = tmp_path / "hylo.db"
    release = tmp_path / "release"
    SQLiteStore(path).close()
    # The holder keeps its write transaction open until the release file appears.
    holder = subprocess.Popen(
        [
            *_python(
                """
                import pathlib, sys, time
                from hylo.library.sqlite_store import SQLiteStore
                with SQLiteStore(sys.argv[1]) as store, store.transaction():
                    store.start_run("holder", {})
                    print("holding", flush=True)
                    while not pathlib.Path(sys.argv[2]).exists():
                        time.sleep(0.01)
                """
            ),
            str(path),
            str(release),
        ],
        env=_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        with SQLiteStore(path) as store:
            started = time.monotonic()
            threading.Timer(0.3, release.touch).start()
            store.start_run("waiter", {})  # blocks until the holder commits, then succeeds
            waited = time.monotonic() - started
            assert [r.kind for r in store.runs()] == ["holder", "waiter"]
        assert waited >= 0.25
        assert holder.wait(timeout=10) == 0
    finally:
        release.touch()
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_garbage_file_is_refused(tmp_path: Path) -> None:
    for name, content in [
        ("random.db", os.urandom(8192)),
        ("text.db", b"this is not a database\n" * 10),
    ]:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(StoreError, match=name):
            SQLiteStore(path)
        assert path.read_bytes() == content  # left untouched


def test_other_sqlite_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE studies (id INTEGER PRIMARY KEY)")
    connection.commit()
    connection.close()
    with pytest.raises(StoreError, match=r"other\.db.*not a hylo library"):
        SQLiteStore(path)
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # untouched
    connection.close()


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    SQLiteStore(path).close()
    connection = sqlite3.connect(path)
    connection.execute("UPDATE hylo_schema SET version = 99")
    connection.commit()
    connection.close()
    with pytest.raises(StoreError, match=r"future\.db.*version 99"):
        SQLiteStore(path)


def test_empty_file_becomes_a_library(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with SQLiteStore(path) as store:
        store.set_meta("k", [1])
    with SQLiteStore(path) as store:
        assert store.get_meta("k") == [1]


def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="folder"):
        SQLiteStore(tmp_path / "folder" / "..")
