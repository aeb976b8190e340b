"""Module retrieval by scope and consolidation after a task (fresh -> kind, tuned -> special)."""

import pytest

torch = pytest.importorskip("torch")

from hylo.core.program import parse  # noqa: E402
from hylo.core.types import parse_type  # noqa: E402
from hylo.learn.consolidate import consolidate  # noqa: E402
from hylo.library import open_store  # noqa: E402
from hylo.library.modules import ModuleLibrary  # noqa: E402
from hylo.neural import kinds  # noqa: E402
from hylo.neural.hybrid import CompileOptions, compile_program  # noqa: E402
from hylo.neural.names import KIND_TYPES  # noqa: E402

LINEAR = {"arch": "linear"}
SCOPE = {"domain": "toy", "split_seed": 0}


def _put(store, name, provenance):
    spec = kinds.full_spec("classify", LINEAR)
    return store.put_module(name, "classify", spec, kinds.to_bytes(kinds.build("classify", spec)),
                            {}, provenance)


def test_usable_modules_are_the_latest_in_scope_split_by_provenance():
    store = open_store(None)
    _put(store, "classify", SCOPE)
    _put(store, "classify", SCOPE)
    _put(store, "classify", {"domain": "toy", "split_seed": 1})  # another split: never offered
    _put(store, "other", {"domain": "elsewhere"})
    _put(store, "classify-sum", {**SCOPE, "parent": "nn:classify@v1"})
    lib = ModuleLibrary(store, SCOPE)
    assert lib.usable() == {"nn:classify@v2": KIND_TYPES["classify"],
                            "nn:classify-sum@v1": KIND_TYPES["classify"]}
    general, special = lib.by_parent()
    assert set(general) == {"nn:classify@v2"} and set(special) == {"nn:classify-sum@v1"}
    assert lib.module("nn:classify@v2") is lib.module("nn:classify@v2")  # built once


def test_consolidation_saves_fresh_and_tuned_modules_and_renames_the_program():
    store = open_store(None)
    _put(store, "classify", SCOPE)
    lib = ModuleLibrary(store, SCOPE)
    program = parse("(lam (+ (nn:new:classify $0) (nn:classify@v1 $0)))")
    model = compile_program(program, parse_type("image -> int"), resolve=lib.resolve,
                            options=CompileOptions(semantics={"+": (2, None)},
                                                   fresh_specs={"classify": LINEAR},
                                                   finetune=True))
    done = consolidate(lib, program, model, "sum", {"acc": 1.0}, {"run_id": 7})
    assert done.saved == ["nn:classify@v2", "nn:classify-sum@v1"]
    assert done.program == "(lam (+ (nn:classify@v2 $0) (nn:classify-sum@v1 $0)))"
    special = store.get_module("classify-sum", 1)
    assert special.provenance["parent"] == "nn:classify@v1"
    assert special.provenance["domain"] == "toy" and special.provenance["run_id"] == 7
    assert store.get_module("classify", 2).provenance["parent"] is None


def test_frozen_modules_are_left_alone():
    store = open_store(None)
    _put(store, "classify", SCOPE)
    lib = ModuleLibrary(store, SCOPE)
    program = parse("(lam (nn:classify@v1 $0))")
    model = compile_program(program, parse_type("image -> int"), resolve=lib.resolve)
    done = consolidate(lib, program, model, "t", {}, {})
    assert done.saved == [] and done.program == "(lam (nn:classify@v1 $0))"
    assert len(store.modules()) == 1
