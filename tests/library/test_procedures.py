"""Procedures in the library: recorded with a module, read back, checked, reused."""

import sqlite3
from dataclasses import replace

import pytest

from hylo.library import open_store
from hylo.library.modules import ModuleLibrary
from hylo.library.procedures import (
    MAX_PROCEDURE_BYTES,
    ProcedureError,
    check_procedure,
    describe_procedure,
    latest_procedure,
    make_procedure,
    procedure_of,
    train_config,
)
from hylo.neural.train import TrainConfig

SCOPE = {"domain": "digits", "split_seed": 0}


def _procedure(**train):
    return make_procedure(replace(TrainConfig(), **train),
                          schedule={"min_steps": 4, "eta": 3, "final_steps": 7},
                          tuning={"study": "s1", "storage": "lib.db.optuna.db"},
                          metrics={"val_accuracy": 0.75, "val_loss": 0.5, "note": "x"})


def _put(store, name="classify", kind="classify", procedure=None):
    prov = {**SCOPE, "task": "t"}
    if procedure is not None:
        prov["procedure"] = procedure
    return store.put_module(name, kind, {"arch": "mlp"}, b"w", {"acc": 1.0}, prov)


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_round_trip(tmp_path, backend):
    store = open_store(None if backend == "memory" else tmp_path / "lib.db")
    proc = _procedure(lr=0.01, batch_size=32)
    assert proc["metrics"] == {"val_accuracy": 0.75, "val_loss": 0.5}  # non-numbers dropped
    version = _put(store, procedure=proc)
    got = procedure_of(store.get_module("classify", version))
    assert got == proc and got["train"]["lr"] == 0.01 and got["tuning"]["study"] == "s1"
    assert "lr=0.01" in describe_procedure(store.get_module("classify", version))
    library = ModuleLibrary(store, SCOPE)
    name, found = latest_procedure(library, "classify")
    assert name == "nn:classify@v1" and found == proc
    assert latest_procedure(library, "regress") is None
    tc = train_config(found, TrainConfig(seed=5))
    assert (tc.lr, tc.batch_size, tc.seed) == (0.01, 32, 5)
    store.close()


def test_old_entries_without_a_procedure_load(tmp_path):
    path = tmp_path / "lib.db"
    store = open_store(path)
    _put(store)  # as written before procedures existed
    store.close()
    store = open_store(path)
    rec = store.get_module("classify", 1)
    assert procedure_of(rec) is None and describe_procedure(rec) == ""
    assert latest_procedure(ModuleLibrary(store, SCOPE), "classify") is None
    store.close()


@pytest.mark.parametrize("bad", [
    "text", [1], {"unknown": 1}, {"train": {"lr": "fast"}}, {"train": {"lr": float("nan")}},
    {"train": {"lr": -1.0}}, {"train": {"steps": 1.5}}, {"train": {"augment": 1}},
    {"train": {"seed": 3}}, {"train": []}, {"tuning": {"study": 3}}, {"tuning": {"x": "y"}},
    {"metrics": {"a": "b"}}, {"metrics": {str(i): 1.0 for i in range(100)}},
    {"method": "x" * 1000}, {"schedule": {"eta": 0}}, {"train": {"steps": True}},
    {"metrics": {"a": object()}}, {"method": "x" * (MAX_PROCEDURE_BYTES + 1)},
])
def test_malformed_procedures_are_refused(bad):
    with pytest.raises(ProcedureError):
        check_procedure(bad)


def test_saving_refuses_a_malformed_procedure(tmp_path):
    store = open_store(tmp_path / "lib.db")
    library = ModuleLibrary(store, SCOPE)
    with pytest.raises(ProcedureError, match="unknown keys"):
        library.save("m", "classify", {}, None, {}, {"procedure": {"evil": 1}})
    assert store.modules() == []
    store.close()


def test_a_hostile_stored_procedure_is_refused_on_read_not_crashed(tmp_path):
    path = tmp_path / "lib.db"
    store = open_store(path)
    _put(store, procedure={"train": {"lr": "fast"}})  # the store itself does not check it
    store.close()
    store = open_store(path)
    rec = store.get_module("classify", 1)
    with pytest.raises(ProcedureError):
        procedure_of(rec)
    assert describe_procedure(rec).startswith("invalid:")
    store.close()
    assert sqlite3.connect(path).execute("SELECT count(*) FROM modules").fetchone()[0] == 1


def test_reuse_procedure_changes_the_training_config(tmp_path):
    pytest.importorskip("torch")
    import torch

    from hylo.domains.digits.experiment import module_library, quick_config, solve
    from hylo.domains.digits.tasks import make_task

    torch.set_num_threads(1)
    store = open_store(tmp_path / "lib.db")
    cfg = quick_config(0)
    proc = make_procedure(replace(cfg.search.train, lr=0.0123, batch_size=8),
                          schedule={"min_steps": 2, "eta": 3, "final_steps": 6})
    from hylo.neural import kinds

    library = module_library(store, 0)
    spec = kinds.full_spec("classify", {"arch": "mlp", "hidden": 16})
    library.save("classify", "classify", spec, kinds.build("classify", spec, seed=0), {},
                 {"procedure": proc})
    assert latest_procedure(library, "classify") is not None
    task = make_task("classify", 20, 0, cfg.n_test)
    default = solve(task, library, cfg)
    assert default.procedure_from is None
    assert default.procedure["train"]["lr"] == cfg.search.train.lr
    reused = solve(task, library, replace(cfg, reuse_procedure=True))
    assert reused.procedure_from == "nn:classify@v1"
    assert reused.procedure["train"]["lr"] == 0.0123
    assert reused.procedure["train"]["batch_size"] == 8
    assert reused.procedure["schedule"]["final_steps"] == 6
    store.close()


def test_library_show_lists_the_procedure(tmp_path):
    from typer.testing import CliRunner

    from hylo.cli import app

    db = tmp_path / "lib.db"
    store = open_store(db)
    _put(store, procedure=_procedure(lr=0.01))
    _put(store, name="old")
    store.close()
    shown = CliRunner().invoke(app, ["library", "show", "--library", str(db)],
                               env={"COLUMNS": "300"})
    assert shown.exit_code == 0, shown.output
    assert "procedure" in shown.output and "lr=0.01" in shown.output
