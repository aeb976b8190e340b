"""Both backends against the shared conformance suite, plus a differential test between them."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hylo.library import open_store
from hylo.library.conformance import CHECKS, Check, run_all
from hylo.library.memory_store import MemoryStore
from hylo.library.sqlite_store import SQLiteStore
from hylo.library.store import Store, StoreError

BACKENDS = ["memory", "sqlite"]


@pytest.fixture(params=BACKENDS)
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    if request.param == "memory":
        return MemoryStore
    counter = itertools.count()
    return lambda: SQLiteStore(tmp_path / f"store-{next(counter)}.db")


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_conformance(check: Check, make_store: Callable[[], Store]) -> None:
    check(make_store)


def test_run_all_runs_every_check() -> None:
    made: list[Store] = []

    def factory() -> Store:
        made.append(MemoryStore())
        return made[-1]

    run_all(factory)
    assert len(made) >= len(CHECKS)


def test_suite_catches_a_broken_backend() -> None:
    class ForgetfulStore(MemoryStore):
        """Breaks the contract: the second version of a module is numbered 1 again."""

        def put_module(self, name: str, *args: Any, **kwargs: Any) -> int:
            super().put_module(name, *args, **kwargs)
            return 1

    failing = [check.__name__ for check in CHECKS if _fails(check, ForgetfulStore)]
    assert "check_modules_versions" in failing


def _fails(check: Check, factory: Callable[[], Store]) -> bool:
    try:
        check(factory)
    except AssertionError:
        return True
    return False


def test_open_store(tmp_path: Path) -> None:
    memory = open_store(None)
    assert isinstance(memory, MemoryStore)
    assert open_store(memory) is memory
    for target in (tmp_path / "a.db", str(tmp_path / "b.db")):
        with open_store(target) as store:
            assert isinstance(store, SQLiteStore)
            assert Path(target).exists()
    with open_store(tmp_path / "nested" / "dir" / "c.db") as store:
        store.set_meta("k", 1)
    with pytest.raises(TypeError):
        open_store(42)  # type: ignore[arg-type]


def test_sqlite_pragmas(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "h.db") as store:
        with store._use() as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
            assert connection.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
            version = connection.execute("SELECT version FROM hylo_schema").fetchone()[0]
            assert version == 2


def test_store_error_names_the_problem() -> None:
    with MemoryStore() as store:
        with pytest.raises(StoreError, match="unknown run id 7"):
            store.add_attempt(7, "t", False, 1.0, 1)


# ---------------------------------------------------------------------------------------------
# Differential test: the same random sequence of operations gives the same answers on both
# backends (timestamps aside). Failures (StoreError, KeyError) must agree too.

_names = st.sampled_from(["a", "b", "c"])
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=6,
)
_dicts = st.dictionaries(st.text(max_size=2), _json, max_size=3)
_iteration = st.none() | st.integers(0, 3)
_run_id = st.integers(1, 4)
_number = st.floats(0, 10, allow_nan=False)

_operations = st.one_of(
    st.tuples(st.just("start_run"), _names, _dicts),
    st.tuples(
        st.just("finish_run"),
        _run_id,
        _dicts,
        st.sampled_from(["finished", "failed", "interrupted"]),
    ),
    st.tuples(st.just("adopt_run"), _run_id),
    st.tuples(st.just("put_task"), _names, _names, _names, st.lists(_json, max_size=2)),
    st.tuples(
        st.just("add_solution"),
        _run_id,
        _names,
        _names,
        _number,
        _number,
        st.integers(0, 9),
        _iteration,
        _names,
    ),
    st.tuples(
        st.just("add_attempt"),
        _run_id,
        _names,
        st.booleans(),
        _number,
        st.integers(0, 9),
        st.none() | _names,
        _iteration,
    ),
    st.tuples(st.just("put_primitive"), _names, _names, _names),
    st.tuples(
        st.just("add_abstraction"), _names, _names, _names, _names, st.integers(0, 3), _dicts
    ),
    st.tuples(
        st.just("set_grammar"),
        _names,
        st.integers(0, 3),
        st.dictionaries(_names, st.floats(-10, 0, allow_nan=False)),
    ),
    st.tuples(st.just("finish_iteration"), _run_id, st.integers(0, 3), _dicts),
    st.tuples(st.just("put_module"), _names, _names, _dicts, st.binary(max_size=8), _dicts, _dicts),
    st.tuples(st.just("set_meta"), _names, _json),
    st.tuples(st.just("rollback"), st.integers(1, 3)),
)


def _answers(store: Store) -> list[Any]:
    """Everything readable from the store, timestamps removed."""

    def plain(record: Any) -> Any:
        fields = dict(vars(record))
        for stamp in ("started_at", "finished_at", "created_at"):
            if stamp in fields:
                fields[stamp] = fields[stamp] is not None
        return fields

    result: list[Any] = [
        [plain(r) for r in store.runs()],
        [plain(t) for t in store.tasks()],
        [plain(t) for t in store.tasks("a")],
        [plain(s) for s in store.solutions()],
        [plain(s) for s in store.solutions(run_id=1)],
        {k: plain(s) for k, s in store.best_solutions().items()},
        {k: plain(s) for k, s in store.best_solutions(run_id=1).items()},
        [plain(a) for a in store.attempts(run_id=2)],
        [plain(p) for p in store.primitives()],
        [plain(a) for a in store.abstractions()],
        [plain(a) for a in store.abstractions(up_to_iteration=1)],
        [store.grammar(d, i) for d in ("a", "b") for i in (None, 0, 1, 2, 3)],
        [plain(a) for a in store.abstractions(1, domain="b")],
        [plain(i) for i in store.iterations()],
        [plain(m) for m in store.modules()],
        [store.get_meta(k, "default") for k in ("a", "b", "c")],
    ]
    for run in range(1, 5):
        result.append(_outcome(lambda run=run: store.last_iteration(run)))
    for name in ("a", "b"):
        result.append(_outcome(lambda name=name: plain(store.get_module(name))))
    return result


def _outcome(action: Callable[[], Any]) -> Any:
    try:
        return ("ok", action())
    except (StoreError, KeyError) as error:
        return ("error", type(error).__name__)


def _apply(store: Store, operation: tuple[Any, ...]) -> Any:
    name, *args = operation
    if name == "rollback":
        # Replay nothing but prove that a rolled-back block of writes leaves no trace.
        def block() -> None:
            with store.transaction():
                for i in range(args[0]):
                    store.start_run("doomed", {"i": i})
                    store.set_meta("a", "doomed")
                raise ValueError("roll back")

        try:
            block()
        except ValueError:
            return ("rolled back",)
        raise AssertionError("the block did not raise")
    return _outcome(lambda: getattr(store, name)(*args))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_operations, max_size=40))
def test_backends_agree(operations: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        with MemoryStore() as memory, SQLiteStore(Path(folder) / "h.db") as sqlite:
            for store in (memory, sqlite):  # runs 1 and 2 exist, so run ids often hit
                store.start_run("seed", {})
                store.start_run("seed", {})
            for operation in operations:
                assert _apply(memory, operation) == _apply(sqlite, operation), operation
            assert _answers(memory) == _answers(sqlite)
