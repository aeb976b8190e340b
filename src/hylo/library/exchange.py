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

Nothing is ever pickled; an import checks everything before it writes anything: the format, that
every primitive named exists in the target domain with the same type, that every body parses,
is closed and has the type it claims, and that no name clashes with a different abstraction
already in the target library. Then it writes all of it in one transaction, or nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hylo.library.grammar_store import load_inventions
from hylo.library.store import Store, open_store

FORMAT = "hylo-library"
VERSION = 1
LIBRARY_ITERATION_KEY = "library:iteration"
META_PREFIXES = ("learn:",)


class ExchangeError(ValueError):
    """A library file is malformed, or does not fit the target library or domain."""


def _latest_iteration(store: Store, domain: str) -> int | None:
    found = [it.iteration for it in store.iterations()]
    found += [a.iteration for a in store.abstractions()
              if a.provenance.get("domain", domain) == domain]
    meta = store.get_meta(LIBRARY_ITERATION_KEY)
    if isinstance(meta, int):
        found.append(meta)
    return max(found, default=None)


def export_library(store: Store, domain: str = "lists") -> dict:
    """The library of `domain` in `store` as a JSON-able document."""
    from hylo.core.types import show_type
    from hylo.domains import get_domain

    dsl = get_domain(domain).dsl
    abstractions = [
        {"name": a.name, "body": a.body, "type": a.type, "iteration": a.iteration,
         "provenance": a.provenance}
        for a in store.abstractions()
        if a.provenance.get("domain", domain) == domain
    ]
    meta = {}
    for key in (f"learn:{domain}:frontiers",):
        value = store.get_meta(key)
        if value is not None:
            meta[key] = value
    return {
        "format": FORMAT,
        "version": VERSION,
        "domain": domain,
        "iteration": _latest_iteration(store, domain),
        "primitives": [{"name": n, "type": show_type(p.type)} for n, p in dsl.primitives.items()],
        "abstractions": abstractions,
        "grammar": store.grammar(),
        "meta": meta,
    }


def export_file(library: str | Path | Store, out: str | Path, domain: str = "lists") -> dict:
    store = open_store(library)
    try:
        doc = export_library(store, domain)
    finally:
        if not isinstance(library, Store):
            store.close()
    Path(out).write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return doc


def _check(doc: Any) -> None:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ExchangeError(f"not a {FORMAT} document")
    if doc.get("version") != VERSION:
        raise ExchangeError(f"unsupported {FORMAT} version {doc.get('version')!r}")
    for key, kind in (("domain", str), ("primitives", list), ("abstractions", list)):
        if not isinstance(doc.get(key), kind):
            raise ExchangeError(f"field {key!r} must be a {kind.__name__}")
    if doc.get("grammar") is not None and not isinstance(doc["grammar"], dict):
        raise ExchangeError("field 'grammar' must be an object or null")
    it = doc.get("iteration")
    if it is not None and (isinstance(it, bool) or not isinstance(it, int)):
        raise ExchangeError("field 'iteration' must be an integer or null")


def import_library(store: Store, doc: Any) -> dict:
    """Add the document's library to `store` (checked first, then one transaction).

    Iteration numbers are kept when the target holds no numbered library yet; otherwise they are
    shifted after the target's last iteration, so that the imported grammar becomes the latest.
    An abstraction already present with the same body and type is skipped; a name already used
    by a different one is an `ExchangeError` (and nothing is written).
    """
    from hylo.core.dsl import Invention
    from hylo.core.infer import ProgramTypeError, infer_type
    from hylo.core.program import free_indices, parse
    from hylo.core.types import TypeParseError, canonical, parse_type, show_type
    from hylo.domains import get_domain

    _check(doc)
    domain = doc["domain"]
    try:
        dsl = get_domain(domain).dsl
    except KeyError as e:
        raise ExchangeError(str(e)) from None
    for p in doc["primitives"]:
        name, typ = p.get("name"), p.get("type")
        if name not in dsl.primitives:
            raise ExchangeError(f"primitive {name!r} is not in domain {domain!r} here")
        if show_type(dsl.primitives[name].type) != typ:
            raise ExchangeError(f"primitive {name!r} has type {typ!r} in the file but "
                                f"{show_type(dsl.primitives[name].type)!r} here")
    existing = {a.name: a for a in store.abstractions()}
    known_dsl = dsl.with_inventions(load_inventions(store, domain))
    new = []
    for k, a in enumerate(doc["abstractions"]):
        where = f"abstraction {k} ({a.get('name')!r})" if isinstance(a, dict) else f"entry {k}"
        if not isinstance(a, dict):
            raise ExchangeError(f"{where}: must be an object")
        name, body_text, type_text = a.get("name"), a.get("body"), a.get("type")
        if not all(isinstance(x, str) and x for x in (name, body_text, type_text)):
            raise ExchangeError(f"{where}: needs non-empty 'name', 'body' and 'type'")
        if name in dsl.primitives:
            raise ExchangeError(f"{where}: the name is a primitive of {domain!r}")
        try:
            body = parse(body_text, known_dsl.invention_bodies())
            claimed = parse_type(type_text)
        except (ValueError, TypeParseError) as e:
            raise ExchangeError(f"{where}: {e}") from None
        if free_indices(body):
            raise ExchangeError(f"{where}: body is not closed")
        try:
            inferred = infer_type(body, known_dsl)
        except (ProgramTypeError, RecursionError) as e:
            raise ExchangeError(f"{where}: ill-typed body: {e}") from None
        if canonical(inferred) != canonical(claimed):
            raise ExchangeError(f"{where}: body has type {show_type(inferred)}, "
                                f"the file says {type_text}")
        if name in existing:
            if existing[name].body == body_text and existing[name].type == type_text:
                continue
            raise ExchangeError(f"{where}: the target library already has a different {name!r}")
        known_dsl = known_dsl.with_inventions([Invention(name, body, claimed)])
        new.append(a)
    grammar = doc.get("grammar")
    if grammar is not None:
        names = set(known_dsl.names())
        unknown = [n for n in grammar if n not in names and not n.startswith("$")]
        if unknown:
            raise ExchangeError(f"grammar weights for unknown names: {sorted(unknown)[:5]}")
    last = _latest_iteration(store, domain)
    offset = 0 if last is None else last + 1
    src_iter = doc.get("iteration")
    top = None if src_iter is None else src_iter + offset
    with store.transaction():
        for a in new:
            prov = dict(a.get("provenance") or {})
            prov.setdefault("domain", domain)
            store.add_abstraction(a["name"], a["body"], a["type"],
                                  int(a.get("iteration", 0)) + offset, prov)
        if grammar is not None:
            it = top if top is not None else offset
            store.set_grammar(it, grammar)
            store.set_meta(LIBRARY_ITERATION_KEY, it)
        for key, value in (doc.get("meta") or {}).items():
            if key.startswith(META_PREFIXES) and store.get_meta(key) is None:
                store.set_meta(key, value)
    return {"added": [a["name"] for a in new], "iteration_offset": offset,
            "grammar_iteration": top if grammar is not None else None}


def import_file(library: str | Path | Store, src: str | Path) -> dict:
    try:
        doc = json.loads(Path(src).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ExchangeError(f"{src}: not JSON: {e}") from None
    store = open_store(library)
    try:
        return import_library(store, doc)
    finally:
        if not isinstance(library, Store):
            store.close()
