"""`MemoryStore`: the Store contract held in Python dicts, for tests and throw-away runs.

Rows are plain dicts laid out like the SQLite tables (JSON columns as text) and are never
mutated in place, only replaced; so a transaction's snapshot is a shallow copy of each table,
and rolling back puts those copies back.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hylo.library.store import (
    AbstractionRecord,
    AttemptRecord,
    IterationRecord,
    ModuleRecord,
    PrimitiveRecord,
    RunRecord,
    SolutionRecord,
    Store,
    StoreError,
    TaskRecord,
    abstraction_from_row,
    attempt_from_row,
    check_dict,
    check_float,
    check_grammar,
    check_int,
    check_meta,
    check_name,
    check_optional_int,
    check_status,
    check_text,
    check_weights,
    decode_grammar,
    decode_json,
    encode_json,
    iteration_from_row,
    module_from_row,
    primitive_from_row,
    run_from_row,
    solution_from_row,
    task_from_row,
)

Row = dict[str, Any]

_TABLES = (
    "runs",
    "tasks",
    "solutions",
    "attempts",
    "primitives",
    "abstractions",
    "grammars",
    "iterations",
    "modules",
    "meta",
)


class MemoryStore(Store):
    """The in-memory backend; `open_store(None)` gives one."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._closed = False
        self._depth = 0  # how many transaction blocks are open
        # Each table maps a key to a row; dicts keep the order keys were first inserted.
        self._tables: dict[str, dict[Any, Any]] = {name: {} for name in _TABLES}
        self._next_id: dict[str, int] = {name: 1 for name in _TABLES}

    def __repr__(self) -> str:
        return "MemoryStore()"

    # -- plumbing -----------------------------------------------------------------------------

    @contextmanager
    def _use(self) -> Iterator[dict[str, dict[Any, Any]]]:
        with self._lock:
            if self._closed:
                raise StoreError("the store is closed")
            yield self._tables

    def _new_id(self, table: str) -> int:
        value = self._next_id[table]
        self._next_id[table] = value + 1
        return value

    def _require_run(self, tables: dict[str, dict[Any, Any]], run_id: Any) -> Row:
        check_int(run_id, "run_id")
        row = tables["runs"].get(run_id)
        if row is None:
            raise StoreError(f"unknown run id {run_id}")
        return row

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        with self._use() as tables:
            saved_tables = {name: table.copy() for name, table in tables.items()}
            saved_ids = dict(self._next_id)
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._tables = saved_tables
                self._next_id = saved_ids
                raise
            finally:
                self._depth -= 1

    def close(self) -> None:
        with self._lock:
            if self._depth:
                raise StoreError("cannot close the store inside a transaction")
            self._closed = True

    # -- runs ---------------------------------------------------------------------------------

    def start_run(self, kind: str, config: dict) -> int:
        check_name(kind, "run kind")
        config_json = check_dict(config, "run config")
        with self._use() as tables:
            run_id = self._new_id("runs")
            tables["runs"][run_id] = {
                "id": run_id,
                "kind": kind,
                "config": config_json,
                "summary": "{}",
                "status": "running",
                "started_at": time.time(),
                "finished_at": None,
                "pid": os.getpid(),
                "host": socket.gethostname(),
            }
            return run_id

    def adopt_run(self, run_id: int) -> None:
        with self._use() as tables:
            row = self._require_run(tables, run_id)
            if row["status"] != "running":
                raise StoreError(f"run {run_id} is already {row['status']}, not running")
            tables["runs"][run_id] = {**row, "pid": os.getpid(), "host": socket.gethostname()}

    def finish_run(self, run_id: int, summary: dict, status: str = "finished") -> None:
        summary_json = check_dict(summary, "run summary")
        check_status(status)
        with self._use() as tables:
            row = self._require_run(tables, run_id)
            if row["status"] != "running":
                raise StoreError(f"run {run_id} is already {row['status']}, not running")
            tables["runs"][run_id] = {
                **row,
                "summary": summary_json,
                "status": status,
                "finished_at": time.time(),
            }

    def runs(self) -> list[RunRecord]:
        with self._use() as tables:
            return [run_from_row(row) for row in tables["runs"].values()]

    # -- tasks --------------------------------------------------------------------------------

    def put_task(self, name: str, domain: str, request: str, examples: list) -> None:
        check_name(name, "task name")
        check_text(domain, "task domain")
        check_text(request, "task request")
        if not isinstance(examples, list):
            raise StoreError(f"task examples must be a list, got {type(examples).__name__}")
        examples_json = encode_json(examples, "task examples")
        with self._use() as tables:
            tables["tasks"][(domain, name)] = {
                "name": name,
                "domain": domain,
                "request": request,
                "examples": examples_json,
            }

    def tasks(self, domain: str | None = None) -> list[TaskRecord]:
        with self._use() as tables:
            return [
                task_from_row(row)
                for row in tables["tasks"].values()
                if domain is None or row["domain"] == domain
            ]

    # -- solutions and attempts ---------------------------------------------------------------

    def add_solution(
        self,
        run_id: int,
        task: str,
        program: str,
        description_length: float,
        seconds: float,
        candidates: int,
        iteration: int | None = None,
        domain: str = "",
    ) -> int:
        check_name(task, "task name")
        check_name(program, "program")
        row = {
            "run_id": run_id,
            "task": task,
            "program": program,
            "description_length": check_float(description_length, "description_length"),
            "seconds": check_float(seconds, "seconds"),
            "candidates": check_int(candidates, "candidates"),
            "iteration": check_optional_int(iteration, "iteration"),
            "domain": check_text(domain, "domain"),
        }
        with self._use() as tables:
            self._require_run(tables, run_id)
            solution_id = self._new_id("solutions")
            tables["solutions"][solution_id] = {
                **row,
                "id": solution_id,
                "created_at": time.time(),
            }
            return solution_id

    def solutions(self, run_id: int | None = None) -> list[SolutionRecord]:
        with self._use() as tables:
            return [
                solution_from_row(row)
                for row in tables["solutions"].values()
                if run_id is None or row["run_id"] == run_id
            ]

    def add_attempt(
        self,
        run_id: int,
        task: str,
        solved: bool,
        seconds: float,
        candidates: int,
        error: str | None = None,
        iteration: int | None = None,
    ) -> int:
        check_name(task, "task name")
        if not isinstance(solved, bool):
            raise StoreError(f"solved must be a bool, got {solved!r}")
        if error is not None:
            check_text(error, "error")
        row = {
            "run_id": run_id,
            "task": task,
            "solved": solved,
            "seconds": check_float(seconds, "seconds"),
            "candidates": check_int(candidates, "candidates"),
            "error": error,
            "iteration": check_optional_int(iteration, "iteration"),
        }
        with self._use() as tables:
            self._require_run(tables, run_id)
            attempt_id = self._new_id("attempts")
            tables["attempts"][attempt_id] = {**row, "id": attempt_id, "created_at": time.time()}
            return attempt_id

    def attempts(self, run_id: int | None = None) -> list[AttemptRecord]:
        with self._use() as tables:
            return [
                attempt_from_row(row)
                for row in tables["attempts"].values()
                if run_id is None or row["run_id"] == run_id
            ]

    # -- library entries ----------------------------------------------------------------------

    def put_primitive(self, name: str, type: str, domain: str) -> None:
        check_name(name, "primitive name")
        check_name(type, "primitive type")
        check_text(domain, "primitive domain")
        with self._use() as tables:
            tables["primitives"][(domain, name)] = {"name": name, "type": type, "domain": domain}

    def primitives(self, domain: str | None = None) -> list[PrimitiveRecord]:
        with self._use() as tables:
            return [
                primitive_from_row(row)
                for row in tables["primitives"].values()
                if domain is None or row["domain"] == domain
            ]

    def add_abstraction(
        self, domain: str, name: str, body: str, type: str, iteration: int, provenance: dict
    ) -> None:
        check_text(domain, "abstraction domain")
        check_name(name, "abstraction name")
        check_name(body, "abstraction body")
        check_name(type, "abstraction type")
        check_int(iteration, "iteration")
        provenance_json = check_dict(provenance, "abstraction provenance")
        with self._use() as tables:
            if (domain, name) in tables["abstractions"]:
                raise StoreError(
                    f"an abstraction named {name!r} already exists in domain {domain!r}"
                )
            tables["abstractions"][(domain, name)] = {
                "id": self._new_id("abstractions"),
                "domain": domain,
                "name": name,
                "body": body,
                "type": type,
                "iteration": iteration,
                "provenance": provenance_json,
                "created_at": time.time(),
            }

    def abstractions(
        self, up_to_iteration: int | None = None, domain: str | None = None
    ) -> list[AbstractionRecord]:
        if up_to_iteration is not None:
            check_int(up_to_iteration, "up_to_iteration")
        with self._use() as tables:
            rows = [
                row
                for row in tables["abstractions"].values()
                if (up_to_iteration is None or row["iteration"] <= up_to_iteration)
                and (domain is None or row["domain"] == domain)
            ]
            rows.sort(key=lambda row: (row["iteration"], row["id"]))
            return [abstraction_from_row(row) for row in rows]

    def set_grammar(self, domain: str, iteration: int, weights: dict[str, float]) -> None:
        check_text(domain, "grammar domain")
        check_int(iteration, "iteration")
        weights_json = check_grammar(weights)
        with self._use() as tables:
            tables["grammars"][(domain, iteration)] = weights_json

    def grammar(self, domain: str, iteration: int | None = None) -> dict[str, float] | None:
        check_text(domain, "grammar domain")
        if iteration is not None:
            check_int(iteration, "iteration")
        with self._use() as tables:
            grammars = tables["grammars"]
            if iteration is None:
                iteration = max((key[1] for key in grammars if key[0] == domain), default=None)
                if iteration is None:
                    return None
            text = grammars.get((domain, iteration))
            return None if text is None else decode_grammar(text, domain, iteration)

    # -- iterations ---------------------------------------------------------------------------

    def finish_iteration(self, run_id: int, iteration: int, metrics: dict) -> None:
        check_int(iteration, "iteration")
        metrics_json = check_dict(metrics, "iteration metrics")
        with self._use() as tables:
            self._require_run(tables, run_id)
            if (run_id, iteration) in tables["iterations"]:
                raise StoreError(f"iteration {iteration} of run {run_id} is already finished")
            tables["iterations"][(run_id, iteration)] = {
                "run_id": run_id,
                "iteration": iteration,
                "metrics": metrics_json,
                "finished_at": time.time(),
            }

    def iterations(self, run_id: int | None = None) -> list[IterationRecord]:
        with self._use() as tables:
            return [
                iteration_from_row(tables["iterations"][key])
                for key in sorted(tables["iterations"])
                if run_id is None or key[0] == run_id
            ]

    # -- neural modules -----------------------------------------------------------------------

    def put_module(
        self,
        name: str,
        kind: str,
        spec: dict,
        weights: bytes,
        metrics: dict,
        provenance: dict,
    ) -> int:
        check_name(name, "module name")
        check_name(kind, "module kind")
        row = {
            "name": name,
            "kind": kind,
            "spec": check_dict(spec, "module spec"),
            "weights": check_weights(weights),
            "metrics": check_dict(metrics, "module metrics"),
            "provenance": check_dict(provenance, "module provenance"),
        }
        with self._use() as tables:
            versions = [key[1] for key in tables["modules"] if key[0] == name]
            version = max(versions, default=0) + 1
            tables["modules"][(name, version)] = {
                **row,
                "version": version,
                "created_at": time.time(),
            }
            return version

    def get_module(self, name: str, version: int | None = None) -> ModuleRecord:
        with self._use() as tables:
            if version is None:
                versions = [key[1] for key in tables["modules"] if key[0] == name]
                if not versions:
                    raise KeyError(f"no module named {name!r}")
                version = max(versions)
            row = tables["modules"].get((name, version))
            if row is None:
                raise KeyError(f"no version {version} of module {name!r}")
            return module_from_row(row)

    def modules(self) -> list[ModuleRecord]:
        with self._use() as tables:
            return [module_from_row(row) for row in tables["modules"].values()]

    # -- metadata -----------------------------------------------------------------------------

    def set_meta(self, key: str, value: dict | list | str | float | int) -> None:
        check_name(key, "metadata key")
        value_json = check_meta(value)
        with self._use() as tables:
            tables["meta"][key] = value_json

    def get_meta(self, key: str, default: Any = None) -> Any:
        with self._use() as tables:
            text = tables["meta"].get(key)
            return default if text is None else decode_json(text, f"metadata {key!r}")
