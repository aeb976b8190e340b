"""Writes the library part of the hostile corpus: `corpus/library/` (library files, opened and
shown) and `corpus/exports/` (library export files, imported), plus `corpus/library.json`, the
outcome each must have: `null` (valid: opens or imports) or a piece of the one-line error.

Run `python tests/hostile/make_library_corpus.py` after editing the tables; the files are
committed (library files with 512-byte pages, so each is a few KB), the tests do not run it.
Directories, paths under a file and files over the size cap are made at test time.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "corpus"
LIBRARY = HERE / "library"
EXPORTS = HERE / "exports"

FN_0 = ("fn_0", "(lam (map (lam (+ $0 1)) $0))", "list(int) -> list(int)")
FN_1 = ("fn_1", "(lam (fn_0 (fn_0 $0)))", "list(int) -> list(int)")


def valid_library(path: Path) -> None:
    """A small lists library as `hylo learn` leaves it: a run, two abstractions, the grammar,
    a solved task, the frontiers."""
    from hylo.library.sqlite_store import SQLiteStore

    with SQLiteStore(path) as store:
        run = store.start_run("learn", {"domain": "lists"})
        store.put_primitive("map", "(t0 -> t1) -> list(t0) -> list(t1)", "lists")
        store.put_task("add-2", "lists", "list(int) -> list(int)", [{"i": [[1]], "o": [3]}])
        for name, body, typ in (FN_0, FN_1):
            store.add_abstraction("lists", name, body, typ, 0, {"uses": 2})
        store.set_grammar("lists", 0, {"map": -1.0, "fn_0": -0.5, "$variable": 0.25})
        store.add_solution(run, "add-2", "(lam (fn_1 $0))", 4.0, 0.1, 12, 0, "lists")
        store.add_attempt(run, "add-2", True, 0.1, 12, None, 0)
        store.set_meta("learn:lists:frontiers",
                       {"keep": 3, "entries": {"add-2": [["(lam (fn_1 $0))", 4.0]]}})
        store.finish_iteration(run, 0, {"solved": 1})
        store.finish_run(run, {"solved": 1, "total": 1})
    _compact(path)


def _compact(path: Path) -> None:
    """Small pages, no WAL file beside it: a few KB in the repository."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = DELETE")
    connection.execute("PRAGMA page_size = 512")
    connection.execute("VACUUM")
    connection.close()


def _sql(*statements: str) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        connection = sqlite3.connect(path)
        for statement in statements:
            connection.execute(statement)
        connection.commit()
        connection.close()
        _compact(path)

    return change


def _deep(n: int) -> str:
    return "[" * n + "]" * n


#: library file -> (how to damage the valid library, or raw bytes; the expected error or None)
LIBRARIES: dict[str, tuple[Callable[[Path], None] | bytes, str | None]] = {
    "ok_valid.db": (lambda p: None, None),
    "ok_empty_file.db": (b"", None),  # SQLite reads 0 bytes as an empty database: a new library
    "not_sqlite_text.db": (b"this is not a database\n" * 20, "not a usable hylo library"),
    "random_bytes.db": (bytes((i * 97 + 13) % 256 for i in range(4096)), "not a usable"),
    "sqlite_header_only.db": (b"SQLite format 3\x00" + b"\x00" * 84, "not a usable"),
    "truncated_half.db": (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
                          "library"),
    "other_application.db": (_sql("DROP TABLE hylo_schema"), "not a hylo library"),
    "future_schema.db": (_sql("UPDATE hylo_schema SET version = 99"), "schema version 99"),
    "schema_version_text.db": (_sql("UPDATE hylo_schema SET version = 'two'"),
                               "schema version"),
    "missing_tables.db": (_sql("DROP TABLE grammars", "DROP TABLE meta"), "lacks the tables"),
    "grammar_invalid_json.db": (_sql("UPDATE grammars SET weights = '{\"map\": -1.0,'"),
                                "not valid JSON"),
    "grammar_not_object.db": (_sql("UPDATE grammars SET weights = '[1, 2]'"),
                              "grammar weights must be a dict"),
    "grammar_string_weight.db": (_sql("UPDATE grammars SET weights = '{\"map\": \"heavy\"}'"),
                                 "must be a number"),
    "grammar_nan_weight.db": (_sql("UPDATE grammars SET weights = '{\"map\": NaN}'"), "NaN"),
    "grammar_unknown_name.db": (_sql("UPDATE grammars SET weights = '{\"teleport\": -1.0}'"),
                                "'teleport'"),
    "grammar_deep_json.db": (_sql(f"UPDATE grammars SET weights = '{_deep(5_000)}'"),
                             "not valid JSON"),
    "abstraction_unparsable.db": (
        _sql("UPDATE abstractions SET body = '(lam (map (lam' WHERE name = 'fn_0'"), "fn_0"),
    "abstraction_ill_typed.db": (
        _sql("UPDATE abstractions SET body = '(lam (+ $0 map))' WHERE name = 'fn_0'"),
        "ill-typed"),
    "abstraction_wrong_type.db": (
        _sql("UPDATE abstractions SET type = 'int -> bool' WHERE name = 'fn_0'"), "row says"),
    "abstraction_bad_type_text.db": (
        _sql("UPDATE abstractions SET type = 'list(' WHERE name = 'fn_0'"), "fn_0"),
    "abstraction_open_body.db": (
        _sql("UPDATE abstractions SET body = '(lam (map (lam (+ $0 $5)) $0))' "
             "WHERE name = 'fn_0'"), "not closed"),
    "abstraction_deep_body.db": (
        _sql("UPDATE abstractions SET body = '" + "(lam " * 3000 + "$0" + ")" * 3000
             + "' WHERE name = 'fn_0'"), "nests too deeply"),
    "abstraction_unknown_primitive.db": (
        _sql("UPDATE abstractions SET body = '(lam (teleport $0))' WHERE name = 'fn_0'"),
        "fn_0"),
    "abstraction_named_like_primitive.db": (
        _sql("UPDATE abstractions SET name = 'map' WHERE name = 'fn_0'"), "'map'"),
    "abstraction_provenance_invalid.db": (
        _sql("UPDATE abstractions SET provenance = '{oops' WHERE name = 'fn_1'"),
        "provenance of abstraction 'fn_1'"),
    "meta_invalid_json.db": (_sql("UPDATE meta SET value = '{\"keep\": 3' "), "not valid JSON"),
    "run_config_invalid_json.db": (_sql("UPDATE runs SET config = 'nope'"), "config of run 1"),
    "run_summary_invalid_json.db": (_sql("UPDATE runs SET summary = '{'"), "summary of run 1"),
    "task_examples_invalid_json.db": (_sql("UPDATE tasks SET examples = '[['"),
                                      "examples of task"),
    "iteration_metrics_invalid_json.db": (_sql("UPDATE iterations SET metrics = 'x'"),
                                          "metrics of iteration"),
    "ok_running_run_of_dead_process.db": (
        _sql("UPDATE runs SET status = 'running', finished_at = NULL, pid = 999999999"), None),
}


def _export(**changes: Any) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        doc.update(changes)

    return change


def _abstraction(k: int, **changes: Any) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        doc["abstractions"][k].update(changes)

    return change


def _grammar(**changes: Any) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        doc["grammar"].update(changes)

    return change


def _frontiers(value: Any) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        doc["meta"]["learn:lists:frontiers"] = value

    return change


def _entries(entries: Any) -> Callable[[dict], None]:
    return _frontiers({"keep": 3, "entries": {"add-2": entries}})


#: export file -> (a change to the valid export, or raw text/bytes; expected error or None)
EXPORT_FILES: dict[str, tuple[Callable[[dict], None] | str | bytes, str | None]] = {
    "ok_valid.json": (lambda d: None, None),
    "ok_no_grammar_no_meta.json": (_export(grammar=None, meta={}), None),
    "empty.json": ("", "not JSON"),
    "not_json.json": ("{format: hylo-library}", "not JSON"),
    "non_utf8.json": (b'{"format": "hylo-library", "domain": "l\xe9sts"}', "not UTF-8"),
    "utf8_bom.json": ("\ufeff{}", "not JSON"),
    "deep_nesting.json": (_deep(5_000), "nests too deeply"),
    "deep_provenance.json": (_abstraction(0, provenance={"a": json.loads(_deep(70))}),
                             "nests deeper than 64"),
    "top_level_list.json": ("[]", "not a hylo-library document"),
    "wrong_format.json": (_export(format="stitch"), "not a hylo-library document"),
    "version_text.json": (_export(version="1"), "unsupported hylo-library version '1'"),
    "version_2.json": (_export(version=2), "unsupported hylo-library version 2"),
    "unknown_field.json": (_export(extra=1), "unknown field 'extra'"),
    "domain_number.json": (_export(domain=7), "field 'domain' must be a string"),
    "domain_unknown.json": (_export(domain="no-such-domain"), "no-such-domain"),
    "iteration_negative.json": (_export(iteration=-1), "between 0 and"),
    "iteration_float.json": (_export(iteration=1.5), "must be an integer"),
    "iteration_huge.json": (_export(iteration=10**30), "between 0 and"),
    "primitives_not_list.json": (_export(primitives={"map": "x"}), "must be a list"),
    "primitive_unknown.json": (_export(primitives=[{"name": "teleport", "type": "int"}]),
                               "not a primitive"),
    "primitive_wrong_type.json": (
        _export(primitives=[{"name": "map", "type": "int -> int"}]), "has type"),
    "primitive_name_number.json": (_export(primitives=[{"name": 3, "type": "int"}]),
                                   "must be a string"),
    "abstractions_not_list.json": (_export(abstractions="fn_0"), "must be a list"),
    "abstraction_not_object.json": (_export(abstractions=[["fn_0"]]), "must be an object"),
    "abstraction_unknown_field.json": (_abstraction(0, weight=3), "unknown field 'weight'"),
    "name_dollar.json": (_abstraction(0, name="$x"), "not a valid abstraction name"),
    "name_lam.json": (_abstraction(0, name="lam"), "reserved word"),
    "name_space.json": (_abstraction(0, name="my fn"), "not a valid abstraction name"),
    "name_paren.json": (_abstraction(0, name="fn)"), "not a valid abstraction name"),
    "name_number.json": (_abstraction(0, name=42), "must be a string"),
    "name_empty.json": (_abstraction(0, name=""), "not a valid abstraction name"),
    "name_surrogate.json": ('{"format": "hylo-library", "version": 1, "domain": "lists", '
                            '"primitives": [], "abstractions": [{"name": "\\ud800", '
                            '"body": "(lam $0)", "type": "t0 -> t0"}]}',
                            "not a valid abstraction name"),
    "name_too_long.json": (_abstraction(0, name="f" * 65), "not a valid abstraction name"),
    "name_is_primitive.json": (_abstraction(0, name="map"), "not a valid|primitive"),
    "name_duplicate.json": (_abstraction(1, name="fn_0", body=FN_0[1]), "twice"),
    "body_unparsable.json": (_abstraction(0, body="(lam (map"), "abstraction 0"),
    "body_number.json": (_abstraction(0, body=7), "'body' must be a string"),
    "body_open.json": (_abstraction(0, body="(lam (map (lam (+ $0 $3)) $0))"), "not closed"),
    "body_ill_typed.json": (_abstraction(0, body="(lam (+ $0 map))"), "ill-typed"),
    "body_type_claim_wrong.json": (_abstraction(0, type="int -> int"), "has type"),
    "body_deep.json": (_abstraction(0, body="(lam " * 3000 + "$0" + ")" * 3000),
                       "nests too deeply"),
    "body_forward_reference.json": (_abstraction(0, body="(lam (fn_1 $0))"), "abstraction 0"),
    "provenance_list.json": (_abstraction(0, provenance=[1]), "must be an object"),
    "abstraction_iteration_text.json": (_abstraction(0, iteration="0"), "must be an integer"),
    "grammar_list.json": (_export(grammar=[1.0]), "field 'grammar' must be an object"),
    "grammar_infinity.json": (json.dumps({"grammar": {"map": "INF"}}).replace('"INF"',
                                                                               "Infinity"),
                              "Infinity is not a JSON number"),
    "grammar_minus_infinity.json": ('{"grammar": {"map": -Infinity}}',
                                    "-Infinity is not a JSON number"),
    "grammar_nan.json": ('{"grammar": {"map": NaN}}', "NaN is not a JSON number"),
    "grammar_1e300.json": (_grammar(map=1e300), "finite log-weight"),
    "grammar_1e400.json": (None, "finite log-weight"),  # written below: 1e400 parses to inf
    "grammar_string_weight.json": (_grammar(map="-1"), "must be a number"),
    "grammar_bool_weight.json": (_grammar(map=True), "must be a number"),
    "grammar_unknown_name.json": (_grammar(teleport=-1.0), "'teleport'"),
    "grammar_dollar_name.json": (_grammar(**{"$x": -1.0}), "'$x'"),
    "meta_unknown_key.json": (_export(meta={"learn:other:frontiers": {}}), "unknown key"),
    "meta_not_object.json": (_export(meta=[1]), "field 'meta' must be an object"),
    "frontiers_not_object.json": (_frontiers([1, 2]), "must be an object"),
    "frontiers_unknown_field.json": (_frontiers({"keep": 3, "tasks": {}}), "unknown field"),
    "frontiers_keep_zero.json": (_frontiers({"keep": 0, "entries": {}}), "'keep' must be"),
    "frontiers_keep_text.json": (_frontiers({"keep": "3", "entries": {}}), "must be an integer"),
    "frontiers_entries_list.json": (_frontiers({"keep": 3, "entries": []}), "must be an object"),
    "frontiers_entry_not_pair.json": (_entries([["(lam $0)"]]), "must be [program"),
    "frontiers_program_unparsable.json": (_entries([["(lam (", 1.0]]), "entry 0"),
    "frontiers_program_number.json": (_entries([[5, 1.0]]), "must be a string"),
    "frontiers_program_ill_typed.json": (_entries([["(lam (+ map $0))", 1.0]]), "entry 0"),
    "frontiers_dl_text.json": (_entries([["(lam $0)", "1"]]), "description length"),
    "frontiers_dl_negative.json": (_entries([["(lam $0)", -1.0]]), "description length"),
    "frontiers_dl_huge.json": (_entries([["(lam $0)", 1e300]]), "description length"),
    "frontiers_too_many.json": (_entries([["(lam $0)", 1.0]] * 4), "more than 'keep'"),
}


def write() -> dict[str, str | None]:
    expected: dict[str, str | None] = {}
    LIBRARY.mkdir(parents=True, exist_ok=True)
    EXPORTS.mkdir(parents=True, exist_ok=True)
    for stale in [*LIBRARY.iterdir(), *EXPORTS.iterdir()]:
        stale.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "valid.db"
        valid_library(source)
        for name, (make, error) in LIBRARIES.items():
            target = LIBRARY / name
            if isinstance(make, bytes):
                target.write_bytes(make)
            else:
                target.write_bytes(source.read_bytes())
                make(target)
            expected[f"library/{name}"] = error
        from hylo.library import open_store
        from hylo.library.exchange import export_library

        with open_store(source) as store:
            doc = export_library(store, "lists")
    for name, (make, error) in EXPORT_FILES.items():
        target = EXPORTS / name
        if isinstance(make, bytes):
            target.write_bytes(make)
        elif isinstance(make, str):
            target.write_text(make, encoding="utf-8")
        else:
            copy = json.loads(json.dumps(doc))
            if make is not None:
                make(copy)
            text = json.dumps(copy, indent=1)
            if name == "grammar_1e400.json":
                text = text.replace('"map": -1.0', '"map": 1e400')
            target.write_text(text + "\n", encoding="utf-8")
        expected[f"exports/{name}"] = error
    (HERE / "library.json").write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
    return expected


if __name__ == "__main__":
    written = write()
    print(f"wrote {len(written)} files under {HERE}")
