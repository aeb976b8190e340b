"""Tuned procedures in the library: `hylo bench tune --library` saves each tuned arm's final
model with its procedure (tuning study, tuned spec and hyperparameters, metrics); reusing a
procedure applies its architecture and its hyperparameters to fresh holes of the kind, in the
digits search (`--reuse-procedure`) and in `hylo bench tune --reuse-from`."""

import math
from dataclasses import replace

import pytest

torch = pytest.importorskip("torch")
optuna = pytest.importorskip("optuna")

from hylo.library import open_store  # noqa: E402
from hylo.library.procedures import (  # noqa: E402
    ProcedureError,
    choose_reuse,
    make_procedure,
    procedure_of,
    reused_spec,
)
from hylo.neural import kinds  # noqa: E402
from hylo.neural.train import TrainConfig  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)
torch.set_num_threads(1)

TUNED_SPEC = {"arch": "mlp", "hidden": 24, "depth": 2, "dropout": 0.1}
TUNING = {"study": "bench-tune/digits/classify/b20/s0/tpe", "storage": "lib.db.optuna.db",
          "searcher": "tpe", "trials": 2}


def _tiny(**kw):
    from hylo.domains.digits.tune import TuneBenchConfig

    return TuneBenchConfig(**{"trials": 2, "searchers": ("tpe",), "repeats": 1,
                              "examples": 160, "n_test": 40, **kw})


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """One tiny classify study at budget 20, its final model saved to a library file."""
    from hylo.domains.digits.tune import bench

    lib = tmp_path_factory.mktemp("tuned") / "lib.db"
    report = bench(("classify",), [20], (), _tiny(), lib)
    return lib, report


def test_a_tuned_arm_is_saved_with_its_tuning_study_spec_and_metrics(tuned):
    lib, report = tuned
    arm = report["digits"][0]["tuned"]["tpe"]
    assert report["saved_modules"] == [arm["saved_module"]] == ["nn:tuned_classify_b20_tpe@v1"]
    store = open_store(lib)
    rec = store.get_module("tuned_classify_b20_tpe", 1)
    assert rec.kind == "classify"
    assert rec.spec == arm["spec"] == arm["tuning"]["best_spec"]  # the tuned architecture
    assert rec.provenance["domain"] == "digits" and rec.provenance["split_seed"] == 0
    assert rec.provenance["task"] == "classify" and rec.provenance["budget"] == 20
    proc = procedure_of(rec)
    assert proc["tuning"] == {"study": "bench-tune/digits/classify/b20/s0/tpe",
                              "storage": f"{lib}.optuna.db", "searcher": "tpe", "trials": 2}
    best = arm["tuning"]["best_params"]
    assert proc["train"]["lr"] == best["lr"] and proc["train"]["batch_size"] == best["batch_size"]
    assert proc["train"]["weight_decay"] == best["weight_decay"]
    assert proc["train"]["steps"] == arm["steps"] == math.ceil(160 / best["batch_size"])
    assert proc["metrics"]["val_loss"] == arm["tuning"]["best_val_loss"]
    assert proc["metrics"]["test_accuracy"] == arm["test_accuracies"][0]
    # the saved weights are the final model's: they rebuild under the stored spec
    kinds.from_bytes(rec.kind, rec.spec, rec.weights)
    store.close()


def test_nothing_is_saved_without_a_library():
    from hylo.domains.digits.tune import bench

    report = bench(("classify",), [20], (), _tiny(trials=1), None)
    assert report["saved_modules"] == [] and report["library"] is None
    (cell,) = report["digits"]
    assert cell["tuned"]["tpe"]["saved_module"] is None and "reused" not in cell
    assert "reused" not in report["summary"] and "reuse_from" not in report["config"]


def test_reusing_the_tuned_procedure_on_its_own_task_reproduces_the_tuned_arm(tuned):
    from hylo.domains.digits.experiment import module_library
    from hylo.domains.digits.tune import (
        digits_problem,
        reused_final,
        to_data,
        tuned_procedures,
    )
    from hylo.neural.tuning import joined

    lib, report = tuned
    arm = report["digits"][0]["tuned"]["tpe"]
    cfg = _tiny()
    task, problem = digits_problem("classify", 20, cfg)
    store = open_store(lib)
    reuse = tuned_procedures(module_library(store, 0), "classify", 20)["tpe"]
    store.close()
    assert reuse.module == arm["saved_module"] and reuse.spec == arm["spec"]
    got = reused_final(problem, reuse, joined(problem.train, problem.val),
                       to_data(task, task.test), cfg)
    # the same architecture, hyperparameters, examples, data and seed: the same final model
    assert got["test_accuracies"] == arm["test_accuracies"]
    assert (got["batch_size"], got["lr"], got["steps"]) == (arm["batch_size"], arm["lr"],
                                                           arm["steps"])


def test_bench_reuse_from_trains_other_tasks_with_the_tuned_procedure(tuned):
    from hylo.domains.digits.tune import bench

    lib, report = tuned
    tuned_arm = report["digits"][0]["tuned"]["tpe"]
    out = bench(("sum",), [20], (), _tiny(searchers=(), reuse_from="classify"), lib)
    (cell,) = out["digits"]
    assert cell["tuned"] == {} and set(cell["reused"]) == {"tpe"}
    arm = cell["reused"]["tpe"]
    assert arm["procedure_from"] == tuned_arm["saved_module"]
    assert arm["spec"] == tuned_arm["spec"]  # the tuned architecture on the sum program's hole
    assert (arm["batch_size"], arm["lr"], arm["weight_decay"], arm["steps"]) == (
        tuned_arm["batch_size"], tuned_arm["lr"], tuned_arm["weight_decay"], tuned_arm["steps"])
    assert arm["gain"] == arm["test_accuracy"] - cell["default"]["test_accuracy"]
    assert out["config"]["reuse_from"] == "classify" and out["saved_modules"] == []
    assert out["summary"]["reused"]["tpe"]["cells"] == 1


def test_checked_reuse_adopts_a_procedure_only_where_it_wins_on_the_new_tasks_folds(tuned):
    from hylo.domains.digits.tune import bench

    lib, _ = tuned
    out = bench(("sum",), [20], (), _tiny(searchers=(), reuse_from="classify", check_reuse=2),
                lib)
    (cell,) = out["digits"]
    arm = cell["reused"]["tpe"]
    check = arm["checked"]
    assert check["folds"] == 2 and len(check["default_losses"]) == len(check["reused_losses"]) == 2
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    assert check["adopted"] == (mean(check["reused_losses"]) < mean(check["default_losses"]))
    # the policy's models are the reused arm's where it adopts, else the default arm's
    chosen = arm if check["adopted"] else cell["default"]
    assert check["test_accuracies"] == chosen["test_accuracies"]
    assert check["gain"] == chosen["test_accuracy"] - cell["default"]["test_accuracy"]
    summary = out["summary"]["reused"]["tpe"]["checked"]
    assert summary["cells"] == 1 and summary["adopted"] == int(check["adopted"])
    assert out["config"]["check_reuse"] == 2


def test_a_procedure_that_is_the_default_is_never_adopted_over_it():
    from hylo.domains.digits.tune import check_reuse, digits_problem
    from hylo.library.procedures import Reuse, make_procedure
    from hylo.neural.tuning import default_params

    _, problem = digits_problem("classify", 100, _tiny())  # 80 to train, 20 to validate
    params = default_params(problem.space, problem.train_config)
    same = Reuse("nn:same@v1", "classify",
                 make_procedure(problem.space.to_train(params, problem.train_config)),
                 problem.space.to_spec(params))
    tiny_lr = Reuse("nn:slow@v1", "classify",
                    make_procedure(replace(problem.train_config, lr=1e-6)), same.spec)
    report = check_reuse(problem, {"tpe": same, "evolution": tiny_lr}, 2, 0, 3200)
    # the same training on the same folds and seeds: equal losses, and a tie keeps the default
    assert report["tpe"]["reused_losses"] == report["tpe"]["default_losses"]
    assert report["tpe"]["adopted"] is False
    # a procedure that barely moves the weights loses on the new task's folds
    assert report["evolution"]["adopted"] is False
    assert min(report["evolution"]["reused_losses"]) > max(report["evolution"]["default_losses"])


def test_check_reuse_needs_reuse_from(tmp_path):
    from typer import BadParameter

    from hylo.cli_tune import bench_tune

    with pytest.raises(BadParameter, match="--reuse-from"):
        bench_tune(tasks="sum", budgets="20", trials=1, searcher="none", tabular="none",
                   repeats=1, examples=100, pruner="halving", warm_start=0, json_path=None,
                   library=tmp_path / "l.db", seed=0, threads=1, check_reuse=2)


def test_reuse_from_needs_a_stored_tuned_procedure(tmp_path):
    from typer import BadParameter

    from hylo.cli_tune import bench_tune
    from hylo.domains.digits.tune import bench

    with pytest.raises(ValueError, match="no module tuned on classify at budget 20"):
        bench(("sum",), [20], (), _tiny(searchers=(), reuse_from="classify"), tmp_path / "l.db")
    with pytest.raises(BadParameter, match="--library"):
        bench_tune(tasks="sum", budgets="20", trials=1, searcher="none", tabular="none",
                   repeats=1, examples=100, pruner="halving", warm_start=0, json_path=None,
                   library=None, seed=0, threads=1, reuse_from="classify")


# ----------------------------------------------------------------------------- digits search
def _save(library, name, spec, procedure):
    full = kinds.full_spec("classify", spec)
    return library.save(name, "classify", full, kinds.build("classify", full, seed=0), {},
                        {"task": "classify", "procedure": procedure})


def test_reuse_procedure_applies_the_tuned_spec_and_hyperparameters(tmp_path):
    from hylo.core.program import parse
    from hylo.domains.digits.experiment import (
        _domain,
        module_library,
        quick_config,
        search_config,
    )
    from hylo.domains.digits.tasks import make_task
    from hylo.neural.hybrid import CompileOptions, compile_program

    store = open_store(tmp_path / "lib.db")
    library = module_library(store, 0)
    cfg = quick_config(0)
    proc = make_procedure(replace(cfg.search.train, lr=0.0042, batch_size=8), tuning=TUNING)
    _save(library, "tuned_classify_b20_tpe", TUNED_SPEC, proc)
    # a newer module with the default procedure (as `ensure_classify_module` saves) does not
    # hide the tuned one
    _save(library, "classify", {"arch": "mlp", "hidden": 16}, make_procedure(cfg.search.train))
    scfg, reused = search_config(replace(cfg, reuse_procedure=True), library)
    assert reused.module == "nn:tuned_classify_b20_tpe@v1" and reused.tuned
    assert scfg.fresh_specs["classify"] == kinds.full_spec("classify", TUNED_SPEC)
    assert (scfg.train.lr, scfg.train.batch_size, scfg.train.seed) == (0.0042, 8, 0)
    task = make_task("sum", 20, 0, 20)
    model = compile_program(parse("(lam (sum (map nn:new:classify $0)))"), task.request,
                            options=CompileOptions(semantics=_domain().soft_semantics or {},
                                                   fresh_specs=scfg.fresh_specs, seed=0))
    assert model.slots["nn:new:classify"].spec == kinds.full_spec("classify", TUNED_SPEC)
    store.close()


def test_without_the_flag_nothing_changes(tmp_path):
    from hylo.domains.digits.experiment import (
        module_library,
        quick_config,
        search_config,
        solve,
    )
    from hylo.domains.digits.tasks import make_task

    store = open_store(tmp_path / "lib.db")
    library = module_library(store, 0)
    cfg = quick_config(0)
    _save(library, "tuned_classify_b20_tpe", TUNED_SPEC,
          make_procedure(replace(cfg.search.train, lr=0.0042), tuning=TUNING))
    scfg, reused = search_config(cfg, library)
    assert reused is None and scfg == replace(cfg.search, seed=cfg.seed)
    solved = solve(make_task("classify", 20, 0, cfg.n_test), library, cfg)
    assert solved.procedure_from is None
    assert solved.procedure["train"]["lr"] == cfg.search.train.lr
    store.close()


@pytest.mark.parametrize("spec", [
    {"arch": "cnn", "channels": [4096]},  # wider than the caps
    {"arch": "mlp", "depth": 99},
    {"arch": "mlp", "evil": 1},  # not a parameter of the kind
    {"arch": "cnn", "channels": [8, 8, 8], "pool": "each", "shape": [2, 2]},  # pools too much
])
def test_a_stored_spec_that_breaks_the_caps_is_refused(tmp_path, spec):
    from hylo.domains.digits.experiment import module_library, quick_config, search_config
    from hylo.domains.digits.tune import tuned_procedures

    store = open_store(tmp_path / "lib.db")
    cfg = quick_config(0)
    proc = make_procedure(TrainConfig(), tuning=TUNING)
    # written straight to the store, as a hostile or corrupt library file would hold it
    store.put_module("tuned_classify_b20_tpe", "classify", spec, b"w", {},
                     {"domain": "digits", "split_seed": 0, "task": "classify", "budget": 20,
                      "procedure": proc})
    library = module_library(store, 0)
    with pytest.raises(ProcedureError, match="architecture of nn:tuned_classify_b20_tpe@v1 "
                                             "cannot be reused"):
        search_config(replace(cfg, reuse_procedure=True), library)
    with pytest.raises(ProcedureError, match="cannot be reused"):
        tuned_procedures(library, "classify", 20)
    with pytest.raises(ProcedureError):
        choose_reuse(library, "classify")
    store.close()


def test_reused_spec_keeps_the_holes_inputs_and_outputs():
    stored = kinds.full_spec("classify", {"arch": "mlp", "hidden": 32, "classes": 3,
                                          "shape": [1, 13]})
    got = reused_spec("classify", stored)
    assert got["hidden"] == 32 and got["classes"] == 10 and got["shape"] == [8, 8]
    with pytest.raises(ProcedureError):
        reused_spec("classify", ["not", "a", "spec"])
