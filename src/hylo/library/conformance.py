"""The Store conformance suite: every backend must pass every check here.

Each check is a plain function taking a factory that returns a fresh, empty Store; it raises
AssertionError (or an unexpected exception) on failure. The suite is stdlib only, so a backend
living elsewhere (a PostgreSQL store, say) can run it under pytest:

    @pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
    def test_conformance(check, tmp_path):
        check(lambda: MyStore(tmp_path / f"{uuid4()}.db"))

or without it: `run_all(factory)`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from hylo.library.store import Store, StoreError

StoreFactory = Callable[[], Store]
Check = Callable[[StoreFactory], None]

CHECKS: list[Check] = []


def _check(function: Check) -> Check:
    CHECKS.append(function)
    return function


def run_all(make_store: StoreFactory) -> None:
    """Run every check against stores made by `make_store`."""
    for check in CHECKS:
        check(make_store)


class _Boom(Exception):
    """Raised inside transactions to make them roll back."""


@contextmanager
def raises(kind: type[BaseException], match: str | None = None) -> Iterator[None]:
    """Assert that the block raises `kind` (with a message matching `match`, if given)."""
    try:
        yield
    except kind as error:
        if match is not None and not re.search(match, str(error)):
            raise AssertionError(
                f"{kind.__name__} {str(error)!r} does not match {match!r}"
            ) from None
    else:
        raise AssertionError(f"expected {kind.__name__}")


def snapshot(store: Store) -> dict[str, object]:
    """Everything the store holds, for before/after comparisons."""
    return {
        "runs": store.runs(),
        "tasks": store.tasks(),
        "solutions": store.solutions(),
        "attempts": store.attempts(),
        "primitives": store.primitives(),
        "abstractions": store.abstractions(),
        "grammar": store.grammar("dom-a"),
        "iterations": store.iterations(),
        "modules": store.modules(),
        "meta": store.get_meta("key"),
    }


def fill(store: Store, tag: str) -> int:
    """Write one of every kind of record; returns the run id. Names are made unique by `tag`."""
    run = store.start_run("wake", {"tag": tag})
    store.put_task(f"task-{tag}", "dom-a", "list(int) -> list(int)", [[[1], [1]]])
    store.add_solution(run, f"task-{tag}", "(lam $0)", 1.0, 0.5, 3, iteration=0)
    store.add_attempt(run, f"task-{tag}", False, 0.5, 3, error="timeout", iteration=0)
    store.put_primitive(f"prim-{tag}", "int -> int", "dom-a")
    store.add_abstraction("dom-a", f"fn-{tag}", "(lam (+ $0 1))", "int -> int", 0, {"tag": tag})
    store.set_grammar("dom-a", 0, {f"prim-{tag}": -1.0})
    store.finish_iteration(run, 0, {"solved": 1})
    store.put_module(f"nn-{tag}", "mlp", {"hidden": 8}, b"\x00\x01", {}, {"tag": tag})
    store.set_meta("key", tag)
    return run


# ---------------------------------------------------------------------------------------------
# Runs


@_check
def check_runs_lifecycle(make_store: StoreFactory) -> None:
    with make_store() as store:
        assert store.runs() == []
        first = store.start_run("wake", {"seed": 1, "budget": (2, 3)})
        second = store.start_run("bench", {})
        assert isinstance(first, int) and first > 0
        assert second > first
        runs = store.runs()
        assert [run.id for run in runs] == [first, second]
        run = runs[0]
        assert run.kind == "wake"
        assert run.config == {"seed": 1, "budget": [2, 3]}  # JSON: tuples come back as lists
        assert run.status == "running"
        assert run.summary == {}
        assert run.finished_at is None
        assert isinstance(run.started_at, float) and run.started_at > 1e9
        assert run.pid == os.getpid() and isinstance(run.host, str) and run.host

        third = store.start_run("bench", {})
        store.finish_run(first, {"solved": 7})
        store.finish_run(second, {"error": "boom"}, status="failed")
        store.finish_run(third, {"done": 3}, status="interrupted")
        done, failed, interrupted = store.runs()
        assert done.status == "finished" and done.summary == {"solved": 7}
        assert done.finished_at is not None and done.finished_at >= done.started_at
        assert failed.status == "failed" and failed.summary == {"error": "boom"}
        assert interrupted.status == "interrupted" and interrupted.finished_at is not None


@_check
def check_adopt_run(make_store: StoreFactory) -> None:
    with make_store() as store:
        run = store.start_run("learn", {})
        store.adopt_run(run)  # adopting one's own run changes nothing visible
        assert (store.runs()[0].pid, store.runs()[0].status) == (os.getpid(), "running")
        with raises(StoreError, "unknown run"):
            store.adopt_run(run + 1)
        store.finish_run(run, {})
        with raises(StoreError, "not running"):
            store.adopt_run(run)


@_check
def check_runs_misuse(make_store: StoreFactory) -> None:
    with make_store() as store:
        run = store.start_run("wake", {})
        with raises(StoreError, "unknown run"):
            store.finish_run(run + 100, {})
        with raises(StoreError):
            store.finish_run(run, {}, status="running")
        with raises(StoreError):
            store.finish_run(run, {}, status="done")
        with raises(StoreError):
            store.start_run("wake", "not a dict")  # type: ignore[arg-type]
        assert [r.status for r in store.runs()] == ["running"]
        store.finish_run(run, {"n": 1})
        with raises(StoreError, "already"):
            store.finish_run(run, {"n": 2}, status="failed")
        assert store.runs()[0].summary == {"n": 1}


# ---------------------------------------------------------------------------------------------
# Tasks


@_check
def check_tasks_upsert(make_store: StoreFactory) -> None:
    with make_store() as store:
        assert store.tasks() == []
        store.put_task("reverse", "dom-a", "list(int) -> list(int)", [[[1, 2], [2, 1]]])
        store.put_task("upper", "strings", "str -> str", [["a", "A"]])
        store.put_task("reverse", "strings", "str -> str", [["ab", "ba"]])
        store.put_task("sort", "dom-a", "list(int) -> list(int)", [])
        assert [(t.domain, t.name) for t in store.tasks()] == [
            ("dom-a", "reverse"),
            ("strings", "upper"),
            ("strings", "reverse"),
            ("dom-a", "sort"),
        ]
        # Upsert by (domain, name): replaces the request and examples, keeps the position.
        store.put_task("reverse", "dom-a", "list(t0) -> list(t0)", [[[3], [3]], [[], []]])
        tasks = store.tasks("dom-a")
        assert [t.name for t in tasks] == ["reverse", "sort"]
        assert tasks[0].request == "list(t0) -> list(t0)"
        assert tasks[0].examples == [[[3], [3]], [[], []]]
        assert [t.name for t in store.tasks("strings")] == ["upper", "reverse"]
        assert store.tasks("grids") == []
        assert len(store.tasks()) == 4


@_check
def check_tasks_examples_are_json(make_store: StoreFactory) -> None:
    with make_store() as store:
        store.put_task("t", "d", "int -> int", [{"inputs": (1, 2), "output": 3}])
        assert store.tasks()[0].examples == [{"inputs": [1, 2], "output": 3}]
        with raises(StoreError, "JSON"):
            store.put_task("u", "d", "int -> int", [object()])
        with raises(StoreError):
            store.put_task("u", "d", "int -> int", ({"a": 1},))  # type: ignore[arg-type]
        assert [t.name for t in store.tasks()] == ["t"]


# ---------------------------------------------------------------------------------------------
# Solutions and attempts


@_check
def check_solutions(make_store: StoreFactory) -> None:
    with make_store() as store:
        run_a = store.start_run("wake", {})
        run_b = store.start_run("wake", {})
        ids = [
            store.add_solution(run_a, "t1", "(lam $0)", 2.5, 0.25, 10, iteration=0),
            store.add_solution(
                run_a, "t2", "(lam (+ $0 1))", 4.0, 1.0, 99, iteration=1, domain="dom-a"
            ),
            store.add_solution(run_b, "t1", "(lam (car $0))", 3.0, 0.5, 7),
        ]
        assert all(isinstance(i, int) for i in ids) and ids == sorted(set(ids))
        solutions = store.solutions()
        assert [s.id for s in solutions] == ids
        first = solutions[0]
        assert (first.run_id, first.task, first.program) == (run_a, "t1", "(lam $0)")
        assert (first.description_length, first.seconds, first.candidates) == (2.5, 0.25, 10)
        assert first.iteration == 0 and first.domain == ""
        assert solutions[1].domain == "dom-a"
        assert solutions[2].iteration is None
        assert isinstance(first.created_at, float)

        assert [s.id for s in store.solutions(run_id=run_a)] == ids[:2]
        assert [s.id for s in store.solutions(run_id=run_b)] == [ids[2]]
        assert store.solutions(run_id=run_b + 1) == []


@_check
def check_solutions_misuse(make_store: StoreFactory) -> None:
    with make_store() as store:
        with raises(StoreError, "unknown run"):
            store.add_solution(1, "t", "(lam $0)", 1.0, 0.1, 1)
        run = store.start_run("wake", {})
        with raises(StoreError, "unknown run"):
            store.add_solution(run + 1, "t", "(lam $0)", 1.0, 0.1, 1)
        with raises(StoreError):
            store.add_solution(run, "t", "(lam $0)", "short", 0.1, 1)  # type: ignore[arg-type]
        with raises(StoreError):
            store.add_solution(run, "t", "(lam $0)", 1.0, 0.1, 1.5)  # type: ignore[arg-type]
        assert store.solutions() == []


@_check
def check_best_solutions(make_store: StoreFactory) -> None:
    with make_store() as store:
        assert store.best_solutions() == {}
        run_a = store.start_run("wake", {})
        run_b = store.start_run("wake", {})
        store.add_solution(run_a, "t1", "(long)", 9.0, 1.0, 1)
        short_a = store.add_solution(run_a, "t1", "(short)", 3.0, 1.0, 1)
        store.add_solution(run_a, "t1", "(tie)", 3.0, 1.0, 1)  # ties go to the earliest
        only_t2 = store.add_solution(run_a, "t2", "(x)", 5.0, 1.0, 1)
        shortest = store.add_solution(run_b, "t1", "(shortest)", 1.5, 1.0, 1)
        best = store.best_solutions()
        assert set(best) == {"t1", "t2"}
        assert best["t1"].id == shortest and best["t1"].program == "(shortest)"
        assert best["t2"].id == only_t2
        best_a = store.best_solutions(run_id=run_a)
        assert best_a["t1"].id == short_a and best_a["t1"].program == "(short)"
        assert set(store.best_solutions(run_id=run_b)) == {"t1"}
        assert store.best_solutions(run_id=run_b + 1) == {}


@_check
def check_attempts(make_store: StoreFactory) -> None:
    with make_store() as store:
        run_a = store.start_run("wake", {})
        run_b = store.start_run("wake", {})
        ids = [
            store.add_attempt(run_a, "t1", True, 0.5, 10, iteration=0),
            store.add_attempt(run_a, "t2", False, 5.0, 1000, error="timeout", iteration=0),
            store.add_attempt(run_b, "t1", False, 1.0, 3, error="RecursionError: deep"),
            store.add_attempt(run_a, "t1", True, 0.1, 2, iteration=1),
        ]
        attempts = store.attempts()
        assert [a.id for a in attempts] == ids and ids == sorted(set(ids))
        solved, failed = attempts[0], attempts[1]
        assert solved.solved is True and solved.error is None
        assert (solved.run_id, solved.task, solved.seconds, solved.candidates) == (
            run_a,
            "t1",
            0.5,
            10,
        )
        assert failed.solved is False and failed.error == "timeout"
        assert attempts[2].iteration is None
        assert [a.id for a in store.attempts(run_id=run_a)] == [ids[0], ids[1], ids[3]]
        assert [a.id for a in store.attempts(run_id=run_b)] == [ids[2]]
        assert [a.iteration for a in store.attempts(run_id=run_a)] == [0, 0, 1]
        assert store.attempts(run_id=run_b + 1) == []
        with raises(StoreError, "unknown run"):
            store.add_attempt(run_b + 1, "t1", False, 1.0, 1)
        with raises(StoreError):
            store.add_attempt(run_a, "t1", 1, 1.0, 1)  # type: ignore[arg-type]
        assert len(store.attempts()) == 4


# ---------------------------------------------------------------------------------------------
# Library entries


@_check
def check_primitives_upsert(make_store: StoreFactory) -> None:
    with make_store() as store:
        assert store.primitives() == []
        store.put_primitive("map", "(t0 -> t1) -> list(t0) -> list(t1)", "dom-a")
        store.put_primitive("+", "int -> int -> int", "dom-a")
        store.put_primitive("upper", "str -> str", "strings")
        store.put_primitive("+", "str -> str -> str", "strings")
        store.put_primitive("+", "int -> int -> int -> int", "dom-a")  # replaces, keeps place
        assert [(p.domain, p.name, p.type) for p in store.primitives()] == [
            ("dom-a", "map", "(t0 -> t1) -> list(t0) -> list(t1)"),
            ("dom-a", "+", "int -> int -> int -> int"),
            ("strings", "upper", "str -> str"),
            ("strings", "+", "str -> str -> str"),
        ]
        assert [p.name for p in store.primitives("strings")] == ["upper", "+"]
        assert store.primitives("grids") == []


@_check
def check_abstractions(make_store: StoreFactory) -> None:
    with make_store() as store:
        assert store.abstractions() == []
        store.add_abstraction("dom-a", "fn_2", "(lam (fn_0 $0))", "int -> int", 2, {"from": ["t1"]})
        store.add_abstraction("dom-a", "fn_0", "(lam (+ $0 1))", "int -> int", 0, {"utility": 3.5})
        store.add_abstraction("dom-a", "fn_1", "(lam (* $0 2))", "int -> int", 1, {})
        store.add_abstraction("dom-a", "fn_0b", "(lam (- $0 1))", "int -> int", 0, {})
        assert [a.name for a in store.abstractions()] == ["fn_0", "fn_0b", "fn_1", "fn_2"]
        assert [a.name for a in store.abstractions(up_to_iteration=1)] == [
            "fn_0",
            "fn_0b",
            "fn_1",
        ]
        assert [a.name for a in store.abstractions(up_to_iteration=0)] == ["fn_0", "fn_0b"]
        assert store.abstractions(up_to_iteration=-1) == []
        fn_0 = store.abstractions()[0]
        assert (fn_0.body, fn_0.type, fn_0.iteration) == ("(lam (+ $0 1))", "int -> int", 0)
        assert fn_0.provenance == {"utility": 3.5} and fn_0.domain == "dom-a"
        assert store.abstractions()[-1].provenance == {"from": ["t1"]}

        before = store.abstractions()
        with raises(StoreError, "fn_1"):
            store.add_abstraction("dom-a", "fn_1", "(lam $0)", "t0 -> t0", 5, {})
        assert store.abstractions() == before


@_check
def check_abstractions_by_domain(make_store: StoreFactory) -> None:
    with make_store() as store:
        store.add_abstraction("dom-a", "fn_0", "(lam (+ $0 1))", "int -> int", 0, {})
        store.add_abstraction("strings", "fn_0", "(lam (upper $0))", "str -> str", 0, {})
        store.add_abstraction("strings", "fn_1", "(lam (fn_0 $0))", "str -> str", 1, {})
        assert [(a.domain, a.name) for a in store.abstractions()] == [
            ("dom-a", "fn_0"),
            ("strings", "fn_0"),
            ("strings", "fn_1"),
        ]
        assert [a.body for a in store.abstractions(domain="dom-a")] == ["(lam (+ $0 1))"]
        assert [a.name for a in store.abstractions(0, domain="strings")] == ["fn_0"]
        assert store.abstractions(domain="grids") == []
        with raises(StoreError, "strings"):
            store.add_abstraction("strings", "fn_1", "(lam $0)", "t0 -> t0", 2, {})
        assert len(store.abstractions()) == 3


@_check
def check_grammar(make_store: StoreFactory) -> None:
    with make_store() as store:
        assert store.grammar("dom-a") is None
        assert store.grammar("dom-a", 0) is None
        store.set_grammar("dom-a", 2, {"map": -1.5, "fn_0": -0.25})
        store.set_grammar("dom-a", 0, {"map": -2, "+": -math.inf})
        assert store.grammar("dom-a") == {"map": -1.5, "fn_0": -0.25}  # the highest iteration
        zero = store.grammar("dom-a", 0)
        assert zero == {"map": -2.0, "+": -math.inf}
        assert zero is not None and all(isinstance(w, float) for w in zero.values())
        assert store.grammar("dom-a", 1) is None
        store.set_grammar("dom-a", 2, {"car": -0.5})  # replaces that iteration's weights
        assert store.grammar("dom-a", 2) == {"car": -0.5}
        assert store.grammar("dom-a") == {"car": -0.5}
        with raises(StoreError):
            store.set_grammar("dom-a", 3, {"map": "heavy"})  # type: ignore[dict-item]
        with raises(StoreError):
            store.set_grammar("dom-a", 3, {"map": math.nan})
        assert store.grammar("dom-a", 3) is None


@_check
def check_grammar_by_domain(make_store: StoreFactory) -> None:
    with make_store() as store:
        store.set_grammar("dom-a", 0, {"map": -1.0})
        store.set_grammar("strings", 0, {"upper": -2.0})
        store.set_grammar("strings", 5, {"upper": -3.0})
        assert store.grammar("dom-a") == {"map": -1.0}  # not the other domain's iteration 5
        assert store.grammar("dom-a", 0) == {"map": -1.0}
        assert store.grammar("strings", 0) == {"upper": -2.0}
        assert store.grammar("strings") == {"upper": -3.0}
        assert store.grammar("dom-a", 5) is None and store.grammar("grids") is None


# ---------------------------------------------------------------------------------------------
# Iterations


@_check
def check_iterations(make_store: StoreFactory) -> None:
    with make_store() as store:
        run_a = store.start_run("learn", {})
        run_b = store.start_run("learn", {})
        assert store.iterations() == []
        assert store.last_iteration(run_a) is None
        store.finish_iteration(run_b, 0, {"solved": 1})
        store.finish_iteration(run_a, 1, {"solved": 5})
        store.finish_iteration(run_a, 0, {"solved": 3, "abstractions": ["fn_0"]})
        assert [(i.run_id, i.iteration) for i in store.iterations()] == [
            (run_a, 0),
            (run_a, 1),
            (run_b, 0),
        ]
        first = store.iterations(run_a)[0]
        assert first.metrics == {"solved": 3, "abstractions": ["fn_0"]}
        assert isinstance(first.finished_at, float)
        assert [i.iteration for i in store.iterations(run_b)] == [0]
        assert store.last_iteration(run_a) == 1
        assert store.last_iteration(run_b) == 0
        with raises(StoreError, "already"):
            store.finish_iteration(run_a, 1, {"solved": 6})
        assert store.iterations(run_a)[1].metrics == {"solved": 5}
        with raises(StoreError, "unknown run"):
            store.finish_iteration(run_b + 1, 0, {})
        with raises(StoreError, "unknown run"):
            store.last_iteration(run_b + 1)
        assert store.iterations(run_b + 1) == []


# ---------------------------------------------------------------------------------------------
# Neural modules


@_check
def check_modules_versions(make_store: StoreFactory) -> None:
    with make_store() as store:
        assert store.modules() == []
        blob = bytes(range(256)) * 4
        assert store.put_module("digit", "cnn", {"channels": 8}, blob, {"acc": 0.9}, {}) == 1
        assert store.put_module("digit", "cnn", {"channels": 16}, b"v2", {"acc": 0.95}, {}) == 2
        assert store.put_module("sign", "mlp", {}, bytearray(b"s1"), {}, {"task": "t"}) == 1
        assert store.put_module("digit", "cnn", {"channels": 32}, b"", {}, {}) == 3

        latest = store.get_module("digit")
        assert (latest.name, latest.version, latest.spec) == ("digit", 3, {"channels": 32})
        assert latest.weights == b""
        first = store.get_module("digit", 1)
        assert first.weights == blob and isinstance(first.weights, bytes)
        assert first.kind == "cnn" and first.metrics == {"acc": 0.9}
        assert isinstance(first.created_at, float)
        sign = store.get_module("sign")
        assert sign.weights == b"s1" and sign.provenance == {"task": "t"}
        assert "\\x00" not in repr(first)  # weights stay out of repr

        assert [(m.name, m.version) for m in store.modules()] == [
            ("digit", 1),
            ("digit", 2),
            ("sign", 1),
            ("digit", 3),
        ]
        with raises(KeyError):
            store.get_module("missing")
        with raises(KeyError):
            store.get_module("digit", 4)
        with raises(StoreError):
            store.put_module("digit", "cnn", {}, "not bytes", {}, {})  # type: ignore[arg-type]
        assert store.get_module("digit").version == 3


# ---------------------------------------------------------------------------------------------
# Metadata


@_check
def check_meta(make_store: StoreFactory) -> None:
    with make_store() as store:
        assert store.get_meta("missing") is None
        assert store.get_meta("missing", {"d": 1}) == {"d": 1}
        values: dict[str, dict | list | str | float | int] = {
            "dict": {"a": [1, 2], "b": {"c": None}},
            "list": [1, "two", 3.0],
            "str": "hello",
            "float": 0.125,
            "int": 42,
        }
        for key, value in values.items():
            store.set_meta(key, value)
        for key, value in values.items():
            assert store.get_meta(key) == value
        assert isinstance(store.get_meta("int"), int)
        store.set_meta("str", "replaced")
        assert store.get_meta("str") == "replaced"
        with raises(StoreError):
            store.set_meta("bad", object())  # type: ignore[arg-type]
        assert store.get_meta("bad", "absent") == "absent"


# ---------------------------------------------------------------------------------------------
# Values


@_check
def check_records_are_frozen_copies(make_store: StoreFactory) -> None:
    with make_store() as store:
        config = {"nested": {"x": 1}}
        run = store.start_run("wake", config)
        config["nested"]["x"] = 2  # the caller's dict is not the stored one
        record = store.runs()[0]
        assert record.config == {"nested": {"x": 1}}
        record.config["nested"]["x"] = 3  # nor is the returned one
        assert store.runs()[0].config == {"nested": {"x": 1}}
        with raises(dataclasses.FrozenInstanceError):
            record.status = "finished"  # type: ignore[misc]
        store.put_module("m", "mlp", {"layers": [4]}, b"w", {}, {})
        store.get_module("m").spec["layers"].append(5)
        assert store.get_module("m").spec == {"layers": [4]}
        store.set_meta("k", {"v": [1]})
        store.get_meta("k")["v"].append(2)
        assert store.get_meta("k") == {"v": [1]}
        assert store.runs()[0].id == run


# ---------------------------------------------------------------------------------------------
# Transactions


@_check
def check_transaction_commits(make_store: StoreFactory) -> None:
    with make_store() as store:
        with store.transaction() as inside:
            assert inside is store
            run = fill(store, "a")
            # Reads inside the transaction see its own writes.
            assert [r.id for r in store.runs()] == [run]
            assert store.get_meta("key") == "a"
        assert store.last_iteration(run) == 0
        assert store.get_module("nn-a").version == 1
        assert len(store.solutions()) == 1 and len(store.attempts()) == 1


@_check
def check_transaction_rolls_back(make_store: StoreFactory) -> None:
    with make_store() as store:
        fill(store, "before")
        before = snapshot(store)
        with raises(_Boom):
            with store.transaction():
                run = fill(store, "inside")
                store.finish_run(run, {"done": True})
                store.put_task("task-before", "dom-a", "changed", [])  # an upsert, undone too
                store.put_module("nn-before", "mlp", {}, b"v2", {}, {})
                store.set_grammar("dom-a", 0, {"changed": 0.0})
                raise _Boom
        assert snapshot(store) == before
        # The store stays usable, and versions continue from what was committed.
        assert store.put_module("nn-before", "mlp", {}, b"v2", {}, {}) == 2
        run = store.start_run("wake", {})
        assert run not in [r.id for r in before["runs"]]  # type: ignore[attr-defined]


@_check
def check_nested_transactions(make_store: StoreFactory) -> None:
    with make_store() as store:
        with store.transaction():
            outer = store.start_run("outer", {})
            with store.transaction():
                store.add_solution(outer, "kept", "(lam $0)", 1.0, 0.1, 1)
            try:
                with store.transaction():
                    store.add_solution(outer, "undone", "(lam $0)", 1.0, 0.1, 1)
                    store.set_meta("inner", 1)
                    raise _Boom
            except _Boom:
                pass
            store.add_solution(outer, "after", "(lam $0)", 1.0, 0.1, 1)
        assert [r.kind for r in store.runs()] == ["outer"]
        assert [s.task for s in store.solutions()] == ["kept", "after"]
        assert store.get_meta("inner") is None

        # An exception in the outer block undoes what inner blocks committed to it.
        with raises(_Boom):
            with store.transaction():
                with store.transaction():
                    store.set_meta("inner", 2)
                    store.start_run("lost", {})
                raise _Boom
        assert store.get_meta("inner") is None
        assert [r.kind for r in store.runs()] == ["outer"]


@_check
def check_failed_write_inside_transaction(make_store: StoreFactory) -> None:
    with make_store() as store:
        with store.transaction():
            run = store.start_run("wake", {})
            store.add_abstraction("dom-a", "fn_0", "(lam $0)", "t0 -> t0", 0, {})
            with raises(StoreError):
                store.add_abstraction("dom-a", "fn_0", "(lam $0)", "t0 -> t0", 1, {})
            with raises(StoreError):
                store.add_solution(run + 1, "t", "(lam $0)", 1.0, 0.1, 1)
            store.add_solution(run, "t", "(lam $0)", 1.0, 0.1, 1)
        assert [a.iteration for a in store.abstractions()] == [0]
        assert [s.run_id for s in store.solutions()] == [run]


@_check
def check_threads_share_a_store(make_store: StoreFactory) -> None:
    with make_store() as store:
        run = store.start_run("wake", {})
        errors: list[BaseException] = []

        def work(worker: int) -> None:
            try:
                for i in range(20):
                    with store.transaction():
                        store.add_solution(run, f"t{worker}", f"(p {i})", float(i), 0.0, i)
                        store.add_attempt(run, f"t{worker}", True, 0.0, i)
            except BaseException as error:  # reported below, in the main thread
                errors.append(error)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        solutions = store.solutions()
        assert len(solutions) == 80 and len({s.id for s in solutions}) == 80
        assert len(store.attempts()) == 80
        for worker in range(4):
            assert [s.program for s in store.solutions() if s.task == f"t{worker}"] == [
                f"(p {i})" for i in range(20)
            ]
        assert {task: s.program for task, s in store.best_solutions().items()} == {
            f"t{w}": "(p 0)" for w in range(4)
        }


# ---------------------------------------------------------------------------------------------
# Lifetime


@_check
def check_close(make_store: StoreFactory) -> None:
    store = make_store()
    with store as entered:
        assert entered is store
        store.start_run("wake", {})
        with raises(StoreError, "transaction"):
            with store.transaction():
                store.close()
        assert len(store.runs()) == 1
    # Leaving the `with` closed it: every use is now a StoreError; closing again is fine.
    for use in (
        store.runs,
        lambda: store.start_run("wake", {}),
        lambda: store.get_meta("key"),
        store.transaction().__enter__,
    ):
        with raises(StoreError, "closed"):
            use()
    store.close()
