"""`SQLiteStore`: the Store contract in one SQLite file (`hylo.db`), the embedded default.

One connection per Store object, in autocommit mode: this module opens every transaction itself
(`BEGIN IMMEDIATE`, so a writer takes the write lock up front instead of failing to upgrade a
read lock later) and nests them as savepoints. WAL lets readers in other processes see the last
committed state while one process writes; `synchronous=NORMAL` is durable against a killed
process (a power cut may lose the last transactions, never corrupt the file). The schema carries
its version in `hylo_schema`; a file without that table is not a hylo library and is refused.

Schema versions: 1 kept grammars by iteration only and abstraction names unique across the
library; 2 scopes both by domain and stores each run's pid and host. A version-1 file is
migrated in place when opened, in one transaction (`_migrate_1_to_2`).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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

SCHEMA_VERSION = 2
BUSY_TIMEOUT_S = 5.0

_RUNS = """CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        config TEXT NOT NULL,
        summary TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
        started_at REAL NOT NULL,
        finished_at REAL,
        pid INTEGER,
        host TEXT NOT NULL DEFAULT ''
    )"""
_ABSTRACTIONS = """CREATE TABLE abstractions (
        id INTEGER PRIMARY KEY,
        domain TEXT NOT NULL,
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        type TEXT NOT NULL,
        iteration INTEGER NOT NULL,
        provenance TEXT NOT NULL,
        created_at REAL NOT NULL,
        UNIQUE (domain, name)
    )"""
_GRAMMARS = """CREATE TABLE grammars (
        domain TEXT NOT NULL,
        iteration INTEGER NOT NULL,
        weights TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (domain, iteration)
    )"""

_SCHEMA = (
    """CREATE TABLE hylo_schema (
        version INTEGER NOT NULL,
        created_at REAL NOT NULL
    )""",
    _RUNS,
    """CREATE TABLE tasks (
        id INTEGER PRIMARY KEY,
        domain TEXT NOT NULL,
        name TEXT NOT NULL,
        request TEXT NOT NULL,
        examples TEXT NOT NULL,
        UNIQUE (domain, name)
    )""",
    """CREATE TABLE solutions (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs (id),
        task TEXT NOT NULL,
        domain TEXT NOT NULL,
        program TEXT NOT NULL,
        description_length REAL NOT NULL,
        seconds REAL NOT NULL,
        candidates INTEGER NOT NULL,
        iteration INTEGER,
        created_at REAL NOT NULL
    )""",
    "CREATE INDEX solutions_by_task ON solutions (task)",
    "CREATE INDEX solutions_by_run ON solutions (run_id, iteration)",
    """CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs (id),
        task TEXT NOT NULL,
        solved INTEGER NOT NULL,
        seconds REAL NOT NULL,
        candidates INTEGER NOT NULL,
        error TEXT,
        iteration INTEGER,
        created_at REAL NOT NULL
    )""",
    "CREATE INDEX attempts_by_run ON attempts (run_id, iteration)",
    """CREATE TABLE primitives (
        id INTEGER PRIMARY KEY,
        domain TEXT NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        UNIQUE (domain, name)
    )""",
    _ABSTRACTIONS,
    _GRAMMARS,
    """CREATE TABLE iterations (
        run_id INTEGER NOT NULL REFERENCES runs (id),
        iteration INTEGER NOT NULL,
        metrics TEXT NOT NULL,
        finished_at REAL NOT NULL,
        PRIMARY KEY (run_id, iteration)
    )""",
    """CREATE TABLE modules (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        kind TEXT NOT NULL,
        spec TEXT NOT NULL,
        weights BLOB NOT NULL,
        metrics TEXT NOT NULL,
        provenance TEXT NOT NULL,
        created_at REAL NOT NULL,
        UNIQUE (name, version)
    )""",
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
)
_TABLES = frozenset(
    statement.split()[2] for statement in _SCHEMA if statement.startswith("CREATE TABLE")
)


class SQLiteStore(Store):
    """The SQLite backend. `path` is created (with its parent folders) if missing."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._depth = 0  # how many transaction blocks are open
        if self.path != ":memory:":
            self._check_path(Path(self.path))
        try:
            connection = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_S,
                isolation_level=None,
                check_same_thread=False,
            )
        except (sqlite3.Error, ValueError) as error:  # ValueError: a NUL in the path
            raise StoreError(f"cannot open the hylo library {self.path!r}: {error}") from None
        connection.row_factory = sqlite3.Row
        try:
            self._prepare(connection)
        except (sqlite3.Error, UnicodeDecodeError) as error:
            connection.close()
            raise StoreError(
                f"{self.path!r} is not a usable hylo library database: {error}"
            ) from None
        except BaseException:
            connection.close()
            raise
        self._connection: sqlite3.Connection | None = connection

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    def _check_path(self, path: Path) -> None:
        """Refuse, with one clear line, a path SQLite could not open, before it tries."""
        try:
            kind = _kind_of(path)
        except (OSError, ValueError) as error:  # ValueError: a NUL in the path
            raise StoreError(f"cannot open the hylo library {self.path!r}: {error}") from None
        if kind == "directory":
            raise StoreError(f"cannot open the hylo library {self.path!r}: it is a directory")
        if kind == "special":  # a FIFO or a device would block or stream, never be a database
            raise StoreError(f"cannot open the hylo library {self.path!r}: not a regular file")
        for parent in path.parents:
            if parent.exists() and not parent.is_dir():
                raise StoreError(
                    f"cannot open the hylo library {self.path!r}: {str(parent)!r} is a file, "
                    "not a folder"
                )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"cannot create the folder for the hylo library {self.path!r}: "
                f"{error.strerror or error}"
            ) from None

    def _prepare(self, connection: sqlite3.Connection) -> None:
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        connection.execute("PRAGMA foreign_keys = ON")
        # Check what the file holds before any pragma writes to it: a file that is not SQLite
        # fails on this first read, and another program's database is refused untouched.
        fresh = not _table_names(connection)
        if not fresh:
            self._check_schema(connection, migrate=True)
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() not in ("wal", "memory"):
            raise StoreError(f"{self.path!r}: could not switch to WAL journaling (got {mode!r})")
        connection.execute("PRAGMA synchronous = NORMAL")
        if fresh:
            # Create the schema, unless another process did since we looked.
            connection.execute("BEGIN IMMEDIATE")
            try:
                if not _table_names(connection):
                    for statement in _SCHEMA:
                        connection.execute(statement)
                    connection.execute(
                        "INSERT INTO hylo_schema (version, created_at) VALUES (?, ?)",
                        (SCHEMA_VERSION, time.time()),
                    )
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            self._check_schema(connection)

    def _check_schema(self, connection: sqlite3.Connection, migrate: bool = False) -> None:
        tables = _table_names(connection)
        if "hylo_schema" not in tables:
            raise StoreError(
                f"{self.path!r} is an SQLite database but not a hylo library "
                f"(it has tables {sorted(tables)[:5]} and no hylo_schema table)"
            )
        version = connection.execute("SELECT max(version) FROM hylo_schema").fetchone()[0]
        if version == 1 and migrate and _TABLES <= tables:
            self._migrate(connection)
            return self._check_schema(connection)
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path!r} holds hylo library schema version {version!r}; "
                f"this hylo reads versions 1 (migrated when opened) and {SCHEMA_VERSION}"
            )
        missing = _TABLES - tables
        if missing:
            raise StoreError(
                f"{self.path!r} is a damaged hylo library: it lacks the tables {sorted(missing)}"
            )

    def _migrate(self, connection: sqlite3.Connection) -> None:
        """Version 1 to 2, in one transaction. Foreign keys are off while tables are rebuilt
        (SQLite's documented procedure), so dropping the old `runs` touches no solution."""
        connection.execute("PRAGMA foreign_keys = OFF")
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                version = connection.execute("SELECT max(version) FROM hylo_schema").fetchone()
                if version[0] == 1:  # another process may have migrated since we looked
                    _migrate_1_to_2(connection)
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
        finally:
            connection.execute("PRAGMA foreign_keys = ON")

    # -- plumbing -----------------------------------------------------------------------------

    @contextmanager
    def _use(self) -> Iterator[sqlite3.Connection]:
        """The connection, held by this thread; sqlite3 errors become StoreError."""
        with self._lock:
            if self._connection is None:
                raise StoreError(f"the store {self.path!r} is closed")
            try:
                yield self._connection
            except sqlite3.Error as error:
                raise StoreError(f"{self.path!r}: {error}") from error

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        with self._use() as connection:
            savepoint = f"hylo_{self._depth}"
            if self._depth == 0:
                connection.execute("BEGIN IMMEDIATE")
            else:
                connection.execute(f"SAVEPOINT {savepoint}")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                # SQLite may already have rolled back by itself (e.g. on a full disk).
                if connection.in_transaction:
                    if self._depth == 0:
                        connection.execute("ROLLBACK")
                    else:
                        connection.execute(f"ROLLBACK TO {savepoint}")
                        connection.execute(f"RELEASE {savepoint}")
                raise
            self._depth -= 1
            if self._depth == 0:
                try:
                    connection.execute("COMMIT")
                except sqlite3.Error:
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
                    raise
            else:
                connection.execute(f"RELEASE {savepoint}")

    def _write(self, sql: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self.transaction(), self._use() as connection:
            return connection.execute(sql, parameters)

    def _read(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._use() as connection:
            return connection.execute(sql, parameters).fetchall()

    def _require_run(self, run_id: Any) -> sqlite3.Row:
        check_int(run_id, "run_id")
        rows = self._read("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise StoreError(f"unknown run id {run_id}")
        return rows[0]

    def close(self) -> None:
        with self._lock:
            if self._connection is None:
                return
            if self._depth:
                raise StoreError("cannot close the store inside a transaction")
            self._connection.close()
            self._connection = None

    # -- runs ---------------------------------------------------------------------------------

    def start_run(self, kind: str, config: dict) -> int:
        check_name(kind, "run kind")
        config_json = check_dict(config, "run config")
        cursor = self._write(
            "INSERT INTO runs (kind, config, summary, status, started_at, pid, host) "
            "VALUES (?, ?, '{}', 'running', ?, ?, ?)",
            (kind, config_json, time.time(), os.getpid(), socket.gethostname()),
        )
        return int(cursor.lastrowid or 0)

    def _update_running(self, run_id: int, assignments: str, values: tuple[Any, ...]) -> None:
        """`UPDATE runs SET <assignments>` on a run that is still running, else StoreError."""
        with self.transaction():
            row = self._require_run(run_id)
            if row["status"] != "running":
                raise StoreError(f"run {run_id} is already {row['status']}, not running")
            self._write(f"UPDATE runs SET {assignments} WHERE id = ?", (*values, run_id))

    def adopt_run(self, run_id: int) -> None:
        self._update_running(run_id, "pid = ?, host = ?", (os.getpid(), socket.gethostname()))

    def finish_run(self, run_id: int, summary: dict, status: str = "finished") -> None:
        summary_json = check_dict(summary, "run summary")
        check_status(status)
        self._update_running(
            run_id, "summary = ?, status = ?, finished_at = ?", (summary_json, status, time.time())
        )

    def runs(self) -> list[RunRecord]:
        return [run_from_row(row) for row in self._read("SELECT * FROM runs ORDER BY id")]

    # -- tasks --------------------------------------------------------------------------------

    def put_task(self, name: str, domain: str, request: str, examples: list) -> None:
        check_name(name, "task name")
        check_text(domain, "task domain")
        check_text(request, "task request")
        if not isinstance(examples, list):
            raise StoreError(f"task examples must be a list, got {type(examples).__name__}")
        examples_json = encode_json(examples, "task examples")
        self._write(
            "INSERT INTO tasks (domain, name, request, examples) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (domain, name) DO UPDATE "
            "SET request = excluded.request, examples = excluded.examples",
            (domain, name, request, examples_json),
        )

    def tasks(self, domain: str | None = None) -> list[TaskRecord]:
        if domain is None:
            rows = self._read("SELECT * FROM tasks ORDER BY id")
        else:
            rows = self._read("SELECT * FROM tasks WHERE domain = ? ORDER BY id", (domain,))
        return [task_from_row(row) for row in rows]

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
        values = (
            run_id,
            task,
            program,
            check_float(description_length, "description_length"),
            check_float(seconds, "seconds"),
            check_int(candidates, "candidates"),
            check_optional_int(iteration, "iteration"),
            check_text(domain, "domain"),
            time.time(),
        )
        with self.transaction():
            self._require_run(run_id)
            cursor = self._write(
                "INSERT INTO solutions (run_id, task, program, description_length, seconds, "
                "candidates, iteration, domain, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
            return int(cursor.lastrowid or 0)

    def solutions(self, run_id: int | None = None) -> list[SolutionRecord]:
        where, parameters = _filters(run_id=run_id)
        rows = self._read(f"SELECT * FROM solutions{where} ORDER BY id", parameters)
        return [solution_from_row(row) for row in rows]

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
        values = (
            run_id,
            task,
            int(solved),
            check_float(seconds, "seconds"),
            check_int(candidates, "candidates"),
            error,
            check_optional_int(iteration, "iteration"),
            time.time(),
        )
        with self.transaction():
            self._require_run(run_id)
            cursor = self._write(
                "INSERT INTO attempts (run_id, task, solved, seconds, candidates, error, "
                "iteration, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
            return int(cursor.lastrowid or 0)

    def attempts(self, run_id: int | None = None) -> list[AttemptRecord]:
        where, parameters = _filters(run_id=run_id)
        rows = self._read(f"SELECT * FROM attempts{where} ORDER BY id", parameters)
        return [attempt_from_row(row) for row in rows]

    # -- library entries ----------------------------------------------------------------------

    def put_primitive(self, name: str, type: str, domain: str) -> None:
        check_name(name, "primitive name")
        check_name(type, "primitive type")
        check_text(domain, "primitive domain")
        self._write(
            "INSERT INTO primitives (domain, name, type) VALUES (?, ?, ?) "
            "ON CONFLICT (domain, name) DO UPDATE SET type = excluded.type",
            (domain, name, type),
        )

    def primitives(self, domain: str | None = None) -> list[PrimitiveRecord]:
        if domain is None:
            rows = self._read("SELECT * FROM primitives ORDER BY id")
        else:
            rows = self._read("SELECT * FROM primitives WHERE domain = ? ORDER BY id", (domain,))
        return [primitive_from_row(row) for row in rows]

    def add_abstraction(
        self, domain: str, name: str, body: str, type: str, iteration: int, provenance: dict
    ) -> None:
        check_text(domain, "abstraction domain")
        check_name(name, "abstraction name")
        check_name(body, "abstraction body")
        check_name(type, "abstraction type")
        check_int(iteration, "iteration")
        provenance_json = check_dict(provenance, "abstraction provenance")
        with self.transaction():
            if self._read(
                "SELECT 1 FROM abstractions WHERE domain = ? AND name = ?", (domain, name)
            ):
                raise StoreError(
                    f"an abstraction named {name!r} already exists in domain {domain!r}"
                )
            self._write(
                "INSERT INTO abstractions (domain, name, body, type, iteration, provenance, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (domain, name, body, type, iteration, provenance_json, time.time()),
            )

    def abstractions(
        self, up_to_iteration: int | None = None, domain: str | None = None
    ) -> list[AbstractionRecord]:
        where, parameters = _filters(domain=domain)
        if up_to_iteration is not None:
            check_int(up_to_iteration, "up_to_iteration")
            where += (" AND" if where else " WHERE") + " iteration <= ?"
            parameters += (up_to_iteration,)
        rows = self._read(
            f"SELECT * FROM abstractions{where} ORDER BY iteration, id", parameters
        )
        return [abstraction_from_row(row) for row in rows]

    def set_grammar(self, domain: str, iteration: int, weights: dict[str, float]) -> None:
        check_text(domain, "grammar domain")
        check_int(iteration, "iteration")
        weights_json = check_grammar(weights)
        self._write(
            "INSERT INTO grammars (domain, iteration, weights, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (domain, iteration) DO UPDATE "
            "SET weights = excluded.weights, created_at = excluded.created_at",
            (domain, iteration, weights_json, time.time()),
        )

    def grammar(self, domain: str, iteration: int | None = None) -> dict[str, float] | None:
        check_text(domain, "grammar domain")
        if iteration is None:
            rows = self._read(
                "SELECT iteration, weights FROM grammars WHERE domain = ? "
                "ORDER BY iteration DESC LIMIT 1",
                (domain,),
            )
        else:
            check_int(iteration, "iteration")
            rows = self._read(
                "SELECT iteration, weights FROM grammars WHERE domain = ? AND iteration = ?",
                (domain, iteration),
            )
        if not rows:
            return None
        return decode_grammar(rows[0]["weights"], domain, rows[0]["iteration"])

    # -- iterations ---------------------------------------------------------------------------

    def finish_iteration(self, run_id: int, iteration: int, metrics: dict) -> None:
        check_int(iteration, "iteration")
        metrics_json = check_dict(metrics, "iteration metrics")
        with self.transaction():
            self._require_run(run_id)
            if self._read(
                "SELECT 1 FROM iterations WHERE run_id = ? AND iteration = ?", (run_id, iteration)
            ):
                raise StoreError(f"iteration {iteration} of run {run_id} is already finished")
            self._write(
                "INSERT INTO iterations (run_id, iteration, metrics, finished_at) "
                "VALUES (?, ?, ?, ?)",
                (run_id, iteration, metrics_json, time.time()),
            )

    def iterations(self, run_id: int | None = None) -> list[IterationRecord]:
        where, parameters = _filters(run_id=run_id)
        rows = self._read(f"SELECT * FROM iterations{where} ORDER BY run_id, iteration", parameters)
        return [iteration_from_row(row) for row in rows]

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
        spec_json = check_dict(spec, "module spec")
        blob = check_weights(weights)
        metrics_json = check_dict(metrics, "module metrics")
        provenance_json = check_dict(provenance, "module provenance")
        with self.transaction():
            rows = self._read("SELECT max(version) FROM modules WHERE name = ?", (name,))
            version = (rows[0][0] or 0) + 1
            self._write(
                "INSERT INTO modules (name, version, kind, spec, weights, metrics, provenance, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (name, version, kind, spec_json, blob, metrics_json, provenance_json, time.time()),
            )
            return version

    def get_module(self, name: str, version: int | None = None) -> ModuleRecord:
        if version is None:
            rows = self._read(
                "SELECT * FROM modules WHERE name = ? ORDER BY version DESC LIMIT 1", (name,)
            )
            if not rows:
                raise KeyError(f"no module named {name!r}")
        else:
            rows = self._read(
                "SELECT * FROM modules WHERE name = ? AND version = ?", (name, version)
            )
            if not rows:
                raise KeyError(f"no version {version} of module {name!r}")
        return module_from_row(rows[0])

    def modules(self) -> list[ModuleRecord]:
        return [module_from_row(row) for row in self._read("SELECT * FROM modules ORDER BY id")]

    # -- metadata -----------------------------------------------------------------------------

    def set_meta(self, key: str, value: dict | list | str | float | int) -> None:
        check_name(key, "metadata key")
        value_json = check_meta(value)
        self._write(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value_json),
        )

    def get_meta(self, key: str, default: Any = None) -> Any:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return decode_json(rows[0]["value"], f"metadata {key!r}") if rows else default


def _kind_of(path: Path) -> str:
    """'missing', 'file', 'directory' or 'special' (FIFO, socket, device)."""
    if not path.exists():
        return "missing"
    if path.is_dir():
        return "directory"
    return "file" if path.is_file() else "special"


def _table_names(connection: sqlite3.Connection) -> set[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return {row[0] for row in rows}


def _filters(**columns: Any) -> tuple[str, tuple[Any, ...]]:
    """A WHERE clause matching every column whose value is not None."""
    given = [(column, value) for column, value in columns.items() if value is not None]
    if not given:
        return "", ()
    clause = " AND ".join(f"{column} = ?" for column, _ in given)
    return f" WHERE {clause}", tuple(value for _, value in given)


def _migrate_1_to_2(connection: sqlite3.Connection) -> None:
    """Rebuild the tables whose keys changed. Version 1 stored an abstraction's domain in its
    provenance (when known) and a grammar without one: a grammar goes to the domain whose stored
    primitives its weights name most, else to the library's only domain ('' if it has several
    or none; such rows stay readable, under domain '')."""
    domains = [
        row[0]
        for row in connection.execute(
            "SELECT domain FROM primitives UNION SELECT domain FROM tasks"
        )
    ]
    only = domains[0] if len(domains) == 1 else ""
    primitives: dict[str, set[str]] = {}
    for domain, name in connection.execute("SELECT domain, name FROM primitives"):
        primitives.setdefault(domain, set()).add(name)

    # Build the new table beside the old one and rename it last: renaming the old one instead
    # would rewrite the foreign keys of solutions, attempts and iterations to point at it.
    connection.execute(_RUNS.replace("CREATE TABLE runs", "CREATE TABLE runs_v2", 1))
    connection.execute(
        "INSERT INTO runs_v2 (id, kind, config, summary, status, started_at, finished_at) "
        "SELECT id, kind, config, summary, status, started_at, finished_at FROM runs"
    )
    connection.execute("DROP TABLE runs")
    connection.execute("ALTER TABLE runs_v2 RENAME TO runs")

    old = connection.execute("SELECT * FROM abstractions ORDER BY id").fetchall()
    connection.execute("DROP TABLE abstractions")
    connection.execute(_ABSTRACTIONS)
    for row in old:
        domain = _provenance_domain(row["provenance"]) or only
        connection.execute(
            "INSERT INTO abstractions (id, domain, name, body, type, iteration, provenance, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (row["id"], domain, row["name"], row["body"], row["type"], row["iteration"],
             row["provenance"], row["created_at"]),
        )
    inventions: dict[str, set[str]] = {}
    for row in connection.execute("SELECT domain, name FROM abstractions"):
        inventions.setdefault(row[0], set()).add(row[1])

    old = connection.execute("SELECT * FROM grammars ORDER BY iteration").fetchall()
    connection.execute("DROP TABLE grammars")
    connection.execute(_GRAMMARS)
    for row in old:
        names = _weight_names(row["weights"])
        overlap = {
            domain: len(names & (primitives.get(domain, set()) | inventions.get(domain, set())))
            for domain in {*primitives, *inventions}
        }
        best = max(overlap.values(), default=0)
        winners = [domain for domain, count in overlap.items() if count == best]
        domain = winners[0] if best and len(winners) == 1 else only
        connection.execute(
            "INSERT INTO grammars (domain, iteration, weights, created_at) VALUES (?, ?, ?, ?)",
            (domain, row["iteration"], row["weights"], row["created_at"]),
        )
    # The imported library's iteration was one key for the whole library; it is per domain now.
    if only:
        connection.execute(
            "UPDATE OR IGNORE meta SET key = ? WHERE key = 'library:iteration'",
            (f"library:{only}:iteration",),
        )
    connection.execute("UPDATE hylo_schema SET version = 2")


def _provenance_domain(text: str) -> str:
    try:
        provenance = json.loads(text)
    except (ValueError, RecursionError):
        return ""
    domain = provenance.get("domain") if isinstance(provenance, dict) else None
    return domain if isinstance(domain, str) else ""


def _weight_names(text: str) -> set[str]:
    try:
        weights = json.loads(text)
    except (ValueError, RecursionError):
        return set()
    return set(weights) if isinstance(weights, dict) else set()
