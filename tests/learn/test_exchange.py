"""Library export/import as plain text: a round trip keeps everything, a bad file changes
nothing."""

from __future__ import annotations

import json

import pytest
from learn_helpers import LISTS

from hylo.core.dsl import Invention
from hylo.core.grammar import Grammar
from hylo.core.infer import infer_type
from hylo.core.program import parse
from hylo.library import open_store
from hylo.library.exchange import (
    ExchangeError,
    export_file,
    export_library,
    import_file,
    import_library,
)
from hylo.library.grammar_store import load_grammar, save_grammar, save_invention

BODIES = [
    ("fn_0", "(lam (lam (lam (take $1 (drop $2 $0)))))", 1),
    ("fn_1", "(lam (lam (map (lam (+ $0 $2)) $0)))", 1),
    ("fn_2", "(lam (lam (fn_0 0 $1 $0)))", 2),  # uses an earlier abstraction
]


def _library():
    store = open_store(None)
    dsl = LISTS
    for name, text, it in BODIES:
        body = parse(text, dsl.invention_bodies())
        inv = Invention(name, body, infer_type(body, dsl))
        dsl = dsl.with_inventions([inv])
        save_invention(store, inv, it, "lists", {"tasks": ["a", "b"], "uses": 3})
    weights = {n: 0.1 * i for i, n in enumerate(dsl.names())}
    save_grammar(store, Grammar(dsl, weights, 1.5), 2, "lists")
    store.set_meta("learn:lists:frontiers", {"keep": 3, "entries": {"a": [["(lam $0)", 1.0]]}})
    return store


def _strip(doc: dict) -> dict:
    return json.loads(json.dumps(doc))


def test_round_trip(tmp_path):
    src = _library()
    path = tmp_path / "lib.json"
    doc = export_file(src, path, "lists")
    text = path.read_text()
    assert "fn_2" in text and "pickle" not in text
    dst_path = tmp_path / "other.db"
    out = import_file(dst_path, path)
    assert out["added"] == ["fn_0", "fn_1", "fn_2"]
    with open_store(dst_path) as dst:
        again = export_library(dst, "lists")
        assert _strip(again) == _strip(doc)
        g1 = load_grammar(src, LISTS, "lists")
        g2 = load_grammar(dst, LISTS, "lists")
        assert g1.log_weights == g2.log_weights and g1.log_variable == g2.log_variable
        assert {n: (str(i.body), str(i.type)) for n, i in g1.dsl.inventions.items()} == {
            n: (str(i.body), str(i.type)) for n, i in g2.dsl.inventions.items()}
    # importing the same file again adds nothing and fails nothing
    assert import_file(dst_path, path)["added"] == []


def _snapshot(store) -> tuple:
    return ([(a.name, a.body, a.type, a.iteration) for a in store.abstractions()],
            store.grammar("lists"), store.get_meta("learn:lists:frontiers"))


@pytest.mark.parametrize("corrupt", [
    lambda d: d.update(format="something-else"),
    lambda d: d["abstractions"][1].update(type="int -> int"),
    lambda d: d["abstractions"][2].update(body="(lam (lam (fn_0 0 $1 $5)))"),
    lambda d: d["abstractions"][0].update(body="(lam (take $0"),
    lambda d: d["primitives"].append({"name": "teleport", "type": "int"}),
    lambda d: d["grammar"].update(nonexistent=1.0),
    lambda d: d["abstractions"][0].update(name="map"),
])
def test_bad_files_change_nothing(corrupt):
    doc = export_library(_library(), "lists")
    corrupt(doc)
    target = open_store(None)
    save_invention(target, Invention("fn_9", LISTS.parse("(lam (sort $0))"),
                                     infer_type(LISTS.parse("(lam (sort $0))"), LISTS)), 0,
                   "lists")
    before = _snapshot(target)
    with pytest.raises(ExchangeError):
        import_library(target, doc)
    assert _snapshot(target) == before


def test_name_clash_is_refused():
    doc = export_library(_library(), "lists")
    target = open_store(None)
    body = LISTS.parse("(lam (reverse $0))")
    save_invention(target, Invention("fn_1", body, infer_type(body, LISTS)), 0, "lists")
    with pytest.raises(ExchangeError, match="already has a different"):
        import_library(target, doc)


def test_import_after_a_library_shifts_iterations():
    doc = export_library(_library(), "lists")
    target = open_store(None)
    body = LISTS.parse("(lam (reverse $0))")
    save_invention(target, Invention("fn_7", body, infer_type(body, LISTS)), 4, "lists")
    out = import_library(target, doc)
    assert out["iteration_offset"] == 5 and out["grammar_iteration"] == 7
    assert [a.iteration for a in target.abstractions()] == [4, 6, 6, 7]
    g = load_grammar(target, LISTS, "lists")
    assert {"fn_0", "fn_1", "fn_2", "fn_7"} == set(g.dsl.inventions)
