"""A library written by schema version 1 (grammars by iteration only, abstraction names unique
across the library, runs without pid) opens: it is migrated in place, in one transaction, and
reads back as the same library scoped by domain."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from hylo.domains import get_domain
from hylo.library import open_store
from hylo.library.grammar_store import load_grammar

# The version-1 schema, as hylo wrote it before domains scoped the library.
V1_SCHEMA = """
CREATE TABLE hylo_schema (version INTEGER NOT NULL, created_at REAL NOT NULL);
CREATE TABLE runs (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, config TEXT NOT NULL,
    summary TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
    started_at REAL NOT NULL, finished_at REAL);
CREATE TABLE tasks (id INTEGER PRIMARY KEY, domain TEXT NOT NULL, name TEXT NOT NULL,
    request TEXT NOT NULL, examples TEXT NOT NULL, UNIQUE (domain, name));
CREATE TABLE solutions (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs (id),
    task TEXT NOT NULL, domain TEXT NOT NULL, program TEXT NOT NULL,
    description_length REAL NOT NULL, seconds REAL NOT NULL, candidates INTEGER NOT NULL,
    iteration INTEGER, created_at REAL NOT NULL);
CREATE INDEX solutions_by_task ON solutions (task);
CREATE INDEX solutions_by_run ON solutions (run_id, iteration);
CREATE TABLE attempts (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs (id),
    task TEXT NOT NULL, solved INTEGER NOT NULL, seconds REAL NOT NULL,
    candidates INTEGER NOT NULL, error TEXT, iteration INTEGER, created_at REAL NOT NULL);
CREATE INDEX attempts_by_run ON attempts (run_id, iteration);
CREATE TABLE primitives (id INTEGER PRIMARY KEY, domain TEXT NOT NULL, name TEXT NOT NULL,
    type TEXT NOT NULL, UNIQUE (domain, name));
CREATE TABLE abstractions (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL, type TEXT NOT NULL, iteration INTEGER NOT NULL,
    provenance TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE grammars (iteration INTEGER PRIMARY KEY, weights TEXT NOT NULL,
    created_at REAL NOT NULL);
CREATE TABLE iterations (run_id INTEGER NOT NULL REFERENCES runs (id),
    iteration INTEGER NOT NULL, metrics TEXT NOT NULL, finished_at REAL NOT NULL,
    PRIMARY KEY (run_id, iteration));
CREATE TABLE modules (id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL,
    kind TEXT NOT NULL, spec TEXT NOT NULL, weights BLOB NOT NULL, metrics TEXT NOT NULL,
    provenance TEXT NOT NULL, created_at REAL NOT NULL, UNIQUE (name, version));
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO hylo_schema VALUES (1, 0.0);
"""


def write_v1(path: Path) -> None:
    """A small version-1 lists library: a finished learn run with an abstraction (one with its
    domain in the provenance, one without), two grammars, a solution and metadata."""
    connection = sqlite3.connect(path)
    connection.executescript(V1_SCHEMA)
    rows = [
        ("INSERT INTO runs VALUES (1, 'learn', ?, '{}', 'finished', 1.0, 2.0)",
         (json.dumps({"domain": "lists"}),)),
        ("INSERT INTO primitives (domain, name, type) VALUES ('lists', 'map', "
         "'(t0 -> t1) -> list(t0) -> list(t1)')", ()),
        ("INSERT INTO primitives (domain, name, type) VALUES ('lists', '+', "
         "'int -> int -> int')", ()),
        ("INSERT INTO tasks (domain, name, request, examples) VALUES ('lists', 't', "
         "'list(int) -> list(int)', '[]')", ()),
        ("INSERT INTO solutions VALUES (1, 1, 't', 'lists', '(lam (fn_0 $0))', 3.0, 0.1, 9, 0, "
         "1.5)", ()),
        ("INSERT INTO abstractions VALUES (1, 'fn_0', '(lam (map (lam (+ $0 1)) $0))', "
         "'list(int) -> list(int)', 0, ?, 1.0)", (json.dumps({"domain": "lists", "uses": 2}),)),
        ("INSERT INTO abstractions VALUES (2, 'fn_1', '(lam (fn_0 (fn_0 $0)))', "
         "'list(int) -> list(int)', 1, '{}', 1.0)", ()),
        ("INSERT INTO grammars VALUES (0, ?, 1.0)", (json.dumps({"map": -1.0, "fn_0": -0.5}),)),
        ("INSERT INTO grammars VALUES (1, ?, 1.0)",
         (json.dumps({"map": -2.0, "fn_1": -0.25, "$variable": 0.5}),)),
        ("INSERT INTO iterations VALUES (1, 0, '{}', 2.0)", ()),
        ("INSERT INTO meta VALUES ('library:iteration', '1')", ()),
        ("INSERT INTO meta VALUES ('learn:lists:frontiers', ?)",
         (json.dumps({"keep": 3, "entries": {}}),)),
    ]
    for sql, parameters in rows:
        connection.execute(sql, parameters)
    connection.commit()
    connection.close()


def test_a_version_1_library_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "hylo.db"
    write_v1(path)
    with open_store(path) as store:
        (run,) = store.runs()
        assert (run.kind, run.status, run.pid, run.host) == ("learn", "finished", None, "")
        assert [(a.domain, a.name, a.provenance) for a in store.abstractions()] == [
            ("lists", "fn_0", {"domain": "lists", "uses": 2}),
            ("lists", "fn_1", {}),  # no domain in its provenance: the library's only domain
        ]
        assert store.grammar("lists", 0) == {"map": -1.0, "fn_0": -0.5}
        assert store.grammar("lists") == {"map": -2.0, "fn_1": -0.25, "$variable": 0.5}
        assert store.get_meta("library:lists:iteration") == 1
        assert store.get_meta("library:iteration") is None
        assert [s.program for s in store.solutions(1)] == ["(lam (fn_0 $0))"]
        assert store.last_iteration(1) == 0
        grammar = load_grammar(store, get_domain("lists").dsl, "lists")
        assert set(grammar.dsl.inventions) == {"fn_0", "fn_1"}
        assert grammar.log_weights["fn_1"] == -0.25 and grammar.log_variable == 0.5
        # The migrated file takes the new writes: an interrupted run, a second domain's fn_0.
        store.finish_run(store.start_run("bench", {}), {}, status="interrupted")
        store.add_abstraction("other", "fn_0", "(lam $0)", "t0 -> t0", 0, {})
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT version FROM hylo_schema").fetchall() == [(2,)]
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()
    with open_store(path) as store:  # and reopens as version 2, untouched
        assert len(store.abstractions()) == 3 and len(store.runs()) == 2
