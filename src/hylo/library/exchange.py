"""Move a library between machines as plain text: one JSON document, programs as s-expressions.

The document (`FORMAT`, version `VERSION`):

    {"format": "hylo-library", "version": 1, "domain": "lists",
     "iteration": 7,                        # the iteration of the grammar below
     "primitives": [{"name": "map", "type": "(a -> b) -> list(a) -> list(b)"}, ...],
     "abstractions": [{"name": "fn_2", "body": "(lam (lam (take $1 (drop $2 $0))))",
                       "type": "int -> int -> list(a) -> list(a)", "iteration": 1,
                       "provenance": {...}}, ...],      # in library order
     "grammar": {"map": 0.7, ..., "$variable": 2.6},  # log-weights, as the store holds them
     "meta": {"learn:lists:frontiers": {...}}}        # the learning state, when exported

Nothing is ever pickled. A file is a hostile input until checked: it is read only up to
`MAX_FILE_BYTES`, must be UTF-8 JSON nesting at most `MAX_JSON_DEPTH` deep, and every field is
checked before anything is written: its type, every primitive named exists in the target domain
with the same type, abstraction names are plain identifiers (not `lam`, not `$x`, no spaces) that
clash with nothing different in the target, every body parses, is closed, nests boundedly and has
the type it claims, grammar weights are finite numbers of sane size for names the library knows,
frontier entries are programs of that DSL with finite description lengths. Then it writes all of
it in one transaction, or nothing; a refusal is one `ExchangeError` line naming the field.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from hylo.core.dsl import DSL
from hylo.library import open_store
from hylo.library.grammar_store import (
    VARIABLE_KEY,
    check_invention,
    check_program,
    load_inventions,
)
from hylo.library.store import Store, StoreError

FORMAT = "hylo-library"
VERSION = 1
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_JSON_DEPTH = 64
MAX_ITERATION = 1_000_000
MAX_ABS_LOG_WEIGHT = 1_000.0  # refit's weights are O(10); e^1000 is no probability
MAX_ENTRIES = 100_000  # abstractions, primitives, grammar names, frontier tasks
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
RESERVED = frozenset({"lam", "lambda"})
FIELDS = frozenset(
    {"format", "version", "domain", "iteration", "primitives", "abstractions", "grammar", "meta"}
)


class ExchangeError(ValueError):
    """A library file is malformed, or does not fit the target library or domain."""


def library_iteration_key(domain: str) -> str:
    """Meta key: the iteration of the grammar a `library import` of `domain` wrote last."""
    return f"library:{domain}:iteration"


def frontiers_key(domain: str) -> str:
    return f"learn:{domain}:frontiers"


def _latest_iteration(store: Store, domain: str) -> int | None:
    runs = {r.id for r in store.runs() if r.config.get("domain") == domain}
    found = [it.iteration for it in store.iterations() if it.run_id in runs]
    found += [a.iteration for a in store.abstractions(domain=domain)]
    meta = store.get_meta(library_iteration_key(domain))
    if isinstance(meta, int) and not isinstance(meta, bool):
        found.append(meta)
    return max(found, default=None)


def _dsl(domain: str) -> DSL:
    from hylo.domains import get_domain

    try:
        return get_domain(domain).dsl
    except KeyError as error:
        raise ExchangeError(str(error.args[0] if error.args else error)) from None


def export_library(store: Store, domain: str) -> dict:
    """The library of `domain` in `store` as a JSON-able document."""
    from hylo.core.types import show_type

    dsl = _dsl(domain)
    abstractions = [
        {"name": a.name, "body": a.body, "type": a.type, "iteration": a.iteration,
         "provenance": a.provenance}
        for a in store.abstractions(domain=domain)
    ]
    meta = {}
    value = store.get_meta(frontiers_key(domain))
    if value is not None:
        meta[frontiers_key(domain)] = value
    return {
        "format": FORMAT,
        "version": VERSION,
        "domain": domain,
        "iteration": _latest_iteration(store, domain),
        "primitives": [{"name": n, "type": show_type(p.type)} for n, p in dsl.primitives.items()],
        "abstractions": abstractions,
        "grammar": store.grammar(domain),
        "meta": meta,
    }


def export_file(library: str | Path | Store, out: str | Path, domain: str) -> dict:
    store = open_store(library)
    try:
        doc = export_library(store, domain)
    finally:
        if not isinstance(library, Store):
            store.close()
    try:
        Path(out).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    except OSError as error:
        raise ExchangeError(f"cannot write {str(out)!r}: {error.strerror or error}") from None
    return doc


# ------------------------------------------------------------------ reading a file
def read_document(src: str | Path) -> Any:
    """The JSON value in `src`, or one `ExchangeError` line: not a regular file, too big, not
    UTF-8, not JSON (NaN and Infinity are not JSON), nested deeper than `MAX_JSON_DEPTH`."""
    path = Path(src)
    if path.is_dir():
        raise ExchangeError(f"{str(src)!r} is a directory, not a library file")
    if path.exists() and not path.is_file():  # a FIFO or a device: reading would block
        raise ExchangeError(f"{str(src)!r} is not a regular file")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ExchangeError(f"cannot read {str(src)!r}: {error.strerror or error}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ExchangeError(f"{str(src)!r} is larger than {MAX_FILE_BYTES // 2**20} MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ExchangeError(
            f"{str(src)!r} is not UTF-8 text (byte {error.start} cannot be decoded)"
        ) from None
    return parse_document(text, str(src))


def parse_document(text: str, where: str = "the document") -> Any:
    def constant(name: str) -> Any:
        raise ExchangeError(f"{where}: {name} is not a JSON number")

    try:
        doc = json.loads(text, parse_constant=constant)
    except RecursionError:
        raise ExchangeError(f"{where}: JSON nests too deeply") from None
    except json.JSONDecodeError as error:
        raise ExchangeError(f"{where}: not JSON: {error}") from None
    if _depth_exceeds(doc, MAX_JSON_DEPTH):
        raise ExchangeError(f"{where}: JSON nests deeper than {MAX_JSON_DEPTH} levels")
    return doc


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return False


# ------------------------------------------------------------------ checking fields
def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _want(value: Any, kind: type, where: str) -> Any:
    if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
        names = {dict: "an object", list: "a list", str: "a string", int: "an integer"}
        raise ExchangeError(f"{where} must be {names.get(kind, kind.__name__)}, "
                            f"not {_kind(value)}")
    return value


def _iteration(value: Any, where: str) -> int:
    _want(value, int, where)
    if not 0 <= value <= MAX_ITERATION:
        raise ExchangeError(f"{where} must be between 0 and {MAX_ITERATION}, not {value}")
    return int(value)


def _entries(value: Any, where: str) -> list:
    _want(value, list, where)
    if len(value) > MAX_ENTRIES:
        raise ExchangeError(f"{where} has more than {MAX_ENTRIES} entries")
    return value


def _name(value: Any, where: str) -> str:
    _want(value, str, where)
    if value in RESERVED or not NAME.fullmatch(value):
        raise ExchangeError(
            f"{where}: {value[:40]!r} is not a valid abstraction name (a letter or '_', then "
            "letters, digits or '_', at most 64, and not a reserved word such as 'lam')"
        )
    return value


def _check_header(doc: Any) -> None:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ExchangeError(f"not a {FORMAT} document (no \"format\": \"{FORMAT}\" field)")
    if doc.get("version") != VERSION or isinstance(doc.get("version"), bool):
        raise ExchangeError(f"unsupported {FORMAT} version {repr(doc.get('version'))[:20]}; "
                            f"this hylo reads version {VERSION}")
    unknown = sorted(set(doc) - FIELDS)
    if unknown:
        raise ExchangeError(f"unknown field {unknown[0][:40]!r} (the fields are "
                            f"{', '.join(sorted(FIELDS))})")
    for key in ("domain", "primitives", "abstractions"):
        if key not in doc:
            raise ExchangeError(f"field {key!r} is missing")
    _want(doc["domain"], str, "field 'domain'")
    if doc.get("iteration") is not None:
        _iteration(doc["iteration"], "field 'iteration'")
    if doc.get("grammar") is not None:
        _want(doc["grammar"], dict, "field 'grammar'")
    if doc.get("meta") is not None:
        _want(doc["meta"], dict, "field 'meta'")


def _check_primitives(doc: dict, dsl: DSL, domain: str) -> None:
    from hylo.core.types import show_type

    for k, p in enumerate(_entries(doc["primitives"], "field 'primitives'")):
        where = f"primitive {k}"
        _want(p, dict, where)
        name = _want(p.get("name"), str, f"{where}: 'name'")
        typ = _want(p.get("type"), str, f"{where}: 'type'")
        if name not in dsl.primitives:
            raise ExchangeError(f"{where}: {name[:40]!r} is not a primitive of domain "
                                f"{domain!r} here")
        here = show_type(dsl.primitives[name].type)
        if here != typ:
            raise ExchangeError(f"{where}: {name!r} has type {typ[:80]!r} in the file but "
                                f"{here!r} here")


def _check_grammar(grammar: dict, dsl: DSL) -> dict[str, float]:
    if len(grammar) > MAX_ENTRIES:
        raise ExchangeError(f"field 'grammar' has more than {MAX_ENTRIES} entries")
    names = set(dsl.names())
    out: dict[str, float] = {}
    for name, weight in grammar.items():
        if name != VARIABLE_KEY and name not in names:
            raise ExchangeError(f"grammar: weight for {name[:40]!r}, which is neither a "
                                "primitive nor an abstraction of the library")
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ExchangeError(f"grammar: the weight of {name!r} must be a number, "
                                f"not {_kind(weight)}")
        value = float(weight)
        if not math.isfinite(value) or abs(value) > MAX_ABS_LOG_WEIGHT:
            raise ExchangeError(f"grammar: the weight of {name!r} must be a finite log-weight "
                                f"within +/-{MAX_ABS_LOG_WEIGHT:g}, not {weight!r}")
        out[name] = value
    return out


def _check_program(text: Any, dsl: DSL, where: str) -> None:
    _want(text, str, where)
    try:
        check_program(dsl, text, where)
    except ValueError as error:
        raise ExchangeError(str(error)) from None


def _check_meta(meta: dict, dsl: DSL, domain: str) -> dict[str, Any]:
    key = frontiers_key(domain)
    for other in meta:
        if other != key:
            raise ExchangeError(f"meta: unknown key {other[:60]!r} (a {domain!r} library "
                                f"carries only {key!r})")
    if key not in meta:
        return {}
    value = meta[key]
    where = f"meta {key!r}"
    _want(value, dict, where)
    extra = sorted(set(value) - {"keep", "entries"})
    if extra:
        raise ExchangeError(f"{where}: unknown field {extra[0][:40]!r}")
    keep = value.get("keep", 3)
    _want(keep, int, f"{where}: 'keep'")
    if not 1 <= keep <= 1000:
        raise ExchangeError(f"{where}: 'keep' must be between 1 and 1000, not {keep}")
    entries = _want(value.get("entries", {}), dict, f"{where}: 'entries'")
    if len(entries) > MAX_ENTRIES:
        raise ExchangeError(f"{where}: more than {MAX_ENTRIES} tasks")
    for task, programs in entries.items():
        at = f"{where}: task {task[:60]!r}"
        _want(programs, list, at)
        if len(programs) > keep:
            raise ExchangeError(f"{at}: {len(programs)} programs, more than 'keep' ({keep})")
        for j, entry in enumerate(programs):
            if not isinstance(entry, list) or len(entry) != 2:
                raise ExchangeError(f"{at}: entry {j} must be [program, description length]")
            program, dl = entry
            _check_program(program, dsl, f"{at}: entry {j}")
            if isinstance(dl, bool) or not isinstance(dl, int | float) or not (
                math.isfinite(dl) and 0 <= dl <= 1e6
            ):
                raise ExchangeError(f"{at}: entry {j}: the description length must be a "
                                    f"finite number between 0 and 1e6, not {dl!r}")
    return {key: value}


def import_library(store: Store, doc: Any) -> dict:
    """Add the document's library to `store` (checked first, then one transaction).

    Iteration numbers are kept when the target holds no numbered library of that domain yet;
    otherwise they are shifted after its last iteration, so that the imported grammar becomes
    the latest. An abstraction already present with the same body and type is skipped; a name
    already used by a different one is an `ExchangeError` (and nothing is written).
    """
    _check_header(doc)
    domain = doc["domain"]
    dsl = _dsl(domain)
    _check_primitives(doc, dsl, domain)
    try:
        known_dsl = dsl.with_inventions(load_inventions(store, dsl, domain))
    except StoreError as error:
        raise ExchangeError(f"the target library cannot take an import: {error}") from None
    existing = {a.name: a for a in store.abstractions(domain=domain)}
    new: list[tuple[dict, int, dict]] = []  # (entry, iteration, provenance)
    top_seen = 0
    for k, a in enumerate(_entries(doc["abstractions"], "field 'abstractions'")):
        where = f"abstraction {k}"
        _want(a, dict, where)
        extra = sorted(set(a) - {"name", "body", "type", "iteration", "provenance"})
        if extra:
            raise ExchangeError(f"{where}: unknown field {extra[0][:40]!r}")
        name = _name(a.get("name"), f"{where}: 'name'")
        where = f"abstraction {k} ({name!r})"
        body_text = _want(a.get("body"), str, f"{where}: 'body'")
        type_text = _want(a.get("type"), str, f"{where}: 'type'")
        iteration = _iteration(a.get("iteration", 0), f"{where}: 'iteration'")
        provenance = _want(a.get("provenance", {}), dict, f"{where}: 'provenance'")
        top_seen = max(top_seen, iteration)
        if name in dsl.primitives:
            raise ExchangeError(f"{where}: the name is a primitive of {domain!r}")
        if name in existing:
            if existing[name].body == body_text and existing[name].type == type_text:
                continue
            raise ExchangeError(f"{where}: the target library already has a different {name!r}")
        if name in known_dsl.inventions:
            raise ExchangeError(f"{where}: the file defines {name!r} twice")
        try:
            inv = check_invention(known_dsl, name, body_text, type_text, where)
        except ValueError as error:
            raise ExchangeError(str(error)) from None
        known_dsl = known_dsl.with_inventions([inv])
        new.append((a, iteration, provenance))
    grammar = doc.get("grammar")
    weights = None if grammar is None else _check_grammar(grammar, known_dsl)
    meta = _check_meta(doc.get("meta") or {}, known_dsl, domain)
    src_iter = doc.get("iteration")
    if src_iter is not None and new and src_iter < top_seen:
        raise ExchangeError(f"field 'iteration' ({src_iter}) is older than an abstraction's "
                            f"iteration ({top_seen})")
    last = _latest_iteration(store, domain)
    offset = 0 if last is None else last + 1
    top = offset + (src_iter if src_iter is not None else top_seen)
    with store.transaction():
        for a, iteration, provenance in new:
            store.add_abstraction(domain, a["name"], a["body"], a["type"], iteration + offset,
                                  provenance)
        if weights is not None:
            store.set_grammar(domain, top, weights)
            store.set_meta(library_iteration_key(domain), top)
        for key, value in meta.items():
            if store.get_meta(key) is None:
                store.set_meta(key, value)
    return {"added": [a["name"] for a, _, _ in new], "iteration_offset": offset,
            "grammar_iteration": top if weights is not None else None}


def import_file(library: str | Path | Store, src: str | Path) -> dict:
    """Import the library file `src` into `library` (a path or a Store)."""
    doc = read_document(src)
    store = open_store(library)
    try:
        return import_library(store, doc)
    finally:
        if not isinstance(library, Store):
            store.close()
