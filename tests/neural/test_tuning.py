"""Tuning neural holes: the declared spaces, the caps on specs, Optuna studies stored beside the
library (resume, warm start) and regularized evolution."""

import sqlite3

import numpy as np
import pytest

torch = pytest.importorskip("torch")
optuna = pytest.importorskip("optuna")

from torch import nn  # noqa: E402

from hylo.core.program import parse  # noqa: E402
from hylo.core.types import parse_type  # noqa: E402
from hylo.neural import kinds, tuning  # noqa: E402
from hylo.neural.hybrid import CompileOptions, Data, compile_program  # noqa: E402
from hylo.neural.train import TrainConfig  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)
torch.set_num_threads(1)


# ----------------------------------------------------------------------------- defaults
def _former_classifier(arch: str, classes: int = 10) -> nn.Sequential:
    """The classify architectures as they were before specs had kernel, pool, depth, dropout."""
    flat = kinds._Flat
    if arch == "cnn":
        return nn.Sequential(nn.Unflatten(1, (1, 8)), nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
                             nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), flat(),
                             nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, classes))
    return nn.Sequential(flat(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, classes))


def _same(built: nn.Module, reference: nn.Module) -> None:
    got, want = built.state_dict(), reference.state_dict()
    assert list(got) == list(want)
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=0, atol=0)


@pytest.mark.parametrize("arch", ["cnn", "mlp"])
def test_the_default_specs_rebuild_the_former_architectures_weight_for_weight(arch):
    with torch.random.fork_rng():
        torch.manual_seed(5)
        reference = _former_classifier(arch)
    _same(kinds.build("classify", {"arch": arch}, seed=5).net, reference)
    assert kinds.full_spec("classify")["channels"] == [16, 32]
    with torch.random.fork_rng():
        torch.manual_seed(2)
        former = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 16))
    _same(kinds.build("mlp", seed=2).net, former)


def test_the_default_is_a_point_of_each_space_and_rebuilds_the_default_module():
    for kind in ("classify", "regress", "mlp"):
        sp = tuning.space(kind)
        params = tuning.default_params(sp)
        assert sp.to_train(params, TrainConfig()) == TrainConfig()
        spec = sp.to_spec(params)
        _same(kinds.build(kind, spec, seed=1), kinds.build(kind, seed=1))
    sp = tuning.space("classify", examples=64_000)
    assert sp.to_train(tuning.default_params(sp), TrainConfig()).steps == 1000
    assert tuning.default_params(sp)["arch"] == "cnn"


# ----------------------------------------------------------------------------- caps
@pytest.mark.parametrize("kind", ["classify", "regress", "mlp"])
def test_sampled_points_stay_inside_the_space_and_the_caps(kind):
    sp = tuning.space(kind)
    rng = np.random.default_rng(0)
    seen = set()
    for i in range(150):
        params = tuning.random_params(sp, rng)
        for name, value in params.items():
            assert sp.param(name).contains(value), (name, value)
            assert sp.param(name).active(params)
        spec = sp.to_spec(params)
        assert kinds.n_params(kind, spec) <= kinds.MAX_PARAMS
        if i < 25:  # the weight count is computed from the spec alone: it matches the module
            module = kinds.build(kind, spec)
            assert kinds.n_params(kind, spec) == sum(p.numel() for p in module.parameters())
        seen.add(params.get("arch", kind))
        tc = sp.to_train(params, TrainConfig())
        assert 3e-4 <= tc.lr <= 1e-2 and tc.batch_size in (16, 32, 64, 128)
    assert len(seen) == (2 if kind == "classify" else 1)


HOSTILE = [
    {"hidden": 10**9}, {"hidden": 0}, {"hidden": True}, {"hidden": 64.0}, {"hidden": "64"},
    {"channels": [-1, 8]}, {"channels": "16,32"}, {"channels": []}, {"channels": [8] * 5},
    {"channels": [16, True]}, {"shape": [0, 8]}, {"shape": [8, 8, 8]}, {"shape": [10**6, 1]},
    {"classes": 10**7}, {"classes": -3}, {"kernel": 4}, {"kernel": [3]}, {"kernel": [3, "5"]},
    {"pool": "middle"}, {"depth": 99}, {"depth": -1}, {"dropout": 1.0}, {"dropout": "x"},
    {"arch": "transformer"}, {"arch": None}, {"unknown": 1},
    {"channels": [1024, 1024, 1024, 1024], "kernel": 7},  # under each cap, too many weights
    {"channels": [8, 8, 8, 8], "pool": "each"},  # four pools leave nothing of 8x8
    {"shape": [256, 256], "arch": "mlp", "hidden": 1024},
]


@pytest.mark.parametrize("bad", HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_hostile_specs_are_refused_before_anything_is_built(bad):
    with pytest.raises(ValueError):
        kinds.full_spec("classify", bad)
    with pytest.raises(ValueError):
        kinds.build("classify", bad)
    with pytest.raises(ValueError):  # a fresh hole given the spec by a tuner or a config
        compile_program(parse("nn:new:classify"), parse_type("image -> int"),
                        options=CompileOptions(fresh_specs={"classify": bad}))


def test_other_kinds_and_bases_are_checked_too():
    for kind, bad in [("mlp", {"in": 0}), ("mlp", {"out": 10**6}), ("mlp", {"depth": 9}),
                      ("regress", {"hidden": -2}), ("regress", {"arch": "cnn"})]:
        with pytest.raises(ValueError):
            kinds.full_spec(kind, bad)
    with pytest.raises(ValueError):
        kinds.full_spec("classify", ["not", "a", "dict"])
    with pytest.raises(ValueError):
        tuning.space("classify", base={"classes": 10**9})
    with pytest.raises(ValueError):
        tuning.space("classify", archs=("cnn", "resnet"))


# ----------------------------------------------------------------------------- feature selection
def test_a_classifier_with_inputs_reads_only_the_chosen_positions():
    spec = {"arch": "linear", "shape": [1, 6], "classes": 2, "inputs": [1, 4]}
    module = kinds.build("classify", spec, seed=0)
    assert kinds.n_params("classify", kinds.full_spec("classify", spec)) == 2 * 2 + 2
    assert sum(p.numel() for p in module.parameters()) == 6
    x = torch.rand(5, 1, 6)
    y = x.clone()
    y[..., [0, 2, 3, 5]] = torch.rand(5, 1, 4)  # only the unread columns change
    torch.testing.assert_close(module(x), module(y))
    y[..., 4] += 1.0
    assert not torch.allclose(module(x), module(y))
    # no `inputs`, no change: the same weights and keys as before the key existed
    plain = kinds.build("classify", {"arch": "mlp", "shape": [1, 6], "classes": 2}, seed=3)
    assert "inputs" not in kinds.full_spec("classify", {"arch": "mlp"})
    assert list(plain.state_dict()) == ["net.1.weight", "net.1.bias", "net.3.weight",
                                        "net.3.bias"]
    picked = kinds.build("classify", {"arch": "mlp", "shape": [1, 6], "classes": 2,
                                      "inputs": [0, 1, 2]}, seed=3)
    # the positions live in the spec: weights round-trip without them
    again = kinds.from_bytes("classify", {"arch": "mlp", "shape": [1, 6], "classes": 2,
                                          "inputs": [0, 1, 2]}, kinds.to_bytes(picked))
    torch.testing.assert_close(again(x), picked(x))


@pytest.mark.parametrize("bad", [[], [6], [-1], [2, 2], [3, 1], [True], [1.0], "1,2",
                                 list(range(7)), None])
def test_hostile_input_selections_are_refused(bad):
    with pytest.raises(ValueError):
        kinds.full_spec("classify", {"arch": "mlp", "shape": [1, 6], "inputs": bad})
    with pytest.raises(ValueError):  # a CNN reads the whole image
        kinds.full_spec("classify", {"arch": "cnn", "inputs": [0, 1]})


def test_the_space_tunes_how_many_ranked_inputs_to_keep():
    base = {"classes": 2, "shape": [1, 8]}
    ranking = [5, 2, 7, 0, 1, 3, 4, 6]
    sp = tuning.space("classify", archs=("mlp",), base=base, ranking=ranking)
    default = tuning.default_params(sp)
    assert default["keep"] == 1.0 and "inputs" not in sp.to_spec(default)
    assert sp.to_spec({**default, "keep": 0.5})["inputs"] == [0, 2, 5, 7]
    assert sp.to_spec({**default, "keep": 0.25})["inputs"] == [2, 5]
    rng = np.random.default_rng(0)
    kept = {len(sp.to_spec(tuning.random_params(sp, rng)).get("inputs", range(8)))
            for _ in range(60)}
    assert kept == {2, 4, 6, 8}
    # without a ranking nothing changes; a ranking must be a permutation, for an MLP hole
    assert tuning.space("classify", archs=("mlp",), base=base).param("keep") is None
    for bad in ([0, 1], [0] * 8, [*range(7), 8], ["a"] * 8, [0.5] * 8):
        with pytest.raises(ValueError):
            tuning.space("classify", archs=("mlp",), base=base, ranking=bad)
    with pytest.raises(ValueError):
        tuning.space("classify", archs=("cnn", "mlp"), base=base, ranking=ranking)


def test_the_feature_ranking_puts_informative_columns_first():
    from hylo.domains.digits.tune import feature_ranking

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    x = rng.normal(size=(200, 5))
    x[:, 3] += 3.0 * y  # strongly informative
    x[:, 1] += 0.8 * y  # weakly
    x[:, 4] = 1.0  # constant: F undefined, last
    order = feature_ranking(x, y)
    assert order[:2] == [3, 1] and order[-1] == 4 and sorted(order) == list(range(5))


def test_a_reused_architecture_drops_the_stored_input_selection():
    from hylo.library.procedures import reused_spec

    stored = {"arch": "mlp", "shape": [1, 30], "classes": 2, "inputs": [0, 29], "hidden": 32}
    spec = reused_spec("classify", stored, {"arch": "mlp", "shape": [1, 13], "classes": 3})
    assert "inputs" not in spec and spec["hidden"] == 32 and spec["shape"] == [1, 13]
    own = reused_spec("classify", stored, {"arch": "mlp", "shape": [1, 13], "classes": 3,
                                           "inputs": [2, 3]})
    assert own["inputs"] == [2, 3]


# ----------------------------------------------------------------------------- studies
def _problem(archs=("mlp",), examples=160) -> tuning.Problem:
    """Separable 2-class 'images' so that trials take milliseconds."""
    gen = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (60,), generator=gen)
    x = torch.rand(60, 8, 8, generator=gen) * 0.5 + y[:, None, None] * 0.5
    req = parse_type("image -> int")
    data = Data.from_arrays(req, [(x.numpy(), None)], y.numpy())
    train, val = data.take(torch.arange(40)), data.take(torch.arange(40, 60))
    sp = tuning.space("classify", archs=archs, examples=examples, base={"classes": 2})
    return tuning.Problem(parse("nn:new:classify"), req, sp, train, val,
                          train_config=TrainConfig(augment=False), unit_examples=16)


def test_a_tiny_study_is_recorded_in_sqlite_beside_the_library(tmp_path):
    lib = tmp_path / "lib.db"
    cfg = tuning.TuneConfig(trials=3, searcher="tpe", seed=0, warm_start=0)
    res = tuning.tune(_problem(), cfg, tuning.storage_for(lib), "t1", attrs={"task": "toy"})
    assert res.trials == 3 and res.new_trials == 3 and res.best_value < tuning.LOSS_CAP
    assert res.queued == [tuning.default_params(_problem().space, TrainConfig(augment=False))]
    db = tmp_path / "lib.db.optuna.db"
    assert db.exists()
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from trials").fetchone()[0] == 3
    study = optuna.load_study(study_name="t1", storage=f"sqlite:///{db}")
    assert study.user_attrs["kind"] == "classify" and study.user_attrs["task"] == "toy"
    finished = [t for t in study.trials if t.state.is_finished()]
    assert len(finished) == 3 and all("steps" in t.user_attrs for t in finished)
    assert all(t.intermediate_values for t in finished)  # the pruner saw each trial report
    assert study.trials[0].params == tuning.default_params(_problem().space)


def test_folds_are_disjoint_validation_parts_of_the_validation_size():
    data = tuning.joined(_problem().train, _problem().val)
    splits = tuning.folds(data, 20, 5, seed=0)
    assert len(splits) == 3  # 60 examples hold three validation parts of 20
    seen = []
    for train, val in splits:
        assert len(train) == 40 and len(val) == 20
        seen += [tuple(r.tolist()) for r in val.columns[0].x.flatten(1)]
    assert len(set(seen)) == 60  # no example validates twice


def test_confirmation_keeps_the_default_unless_a_candidate_beats_it_on_fresh_splits(tmp_path):
    problem = _problem()
    default = tuning.default_params(problem.space, problem.train_config)
    broken = {**default, "lr": 1e-9}  # learns nothing: it cannot beat the default
    report = tuning.confirm(problem, [default, broken], k=2, seed=0)
    assert report["folds"] == 2 and report["chosen"] == 0
    assert [len(r["losses"]) for r in report["candidates"]] == [2, 2]
    assert report["candidates"][0]["mean"] < report["candidates"][1]["mean"]
    assert report["steps"] > 0
    # the same candidates the other way round: the better one still wins
    assert tuning.confirm(problem, [broken, default], k=2, seed=0)["chosen"] == 1


def test_a_confirmed_study_reports_its_choice_and_does_not_retrain_it_on_a_rerun(tmp_path):
    lib = tmp_path / "lib.db"
    cfg = tuning.TuneConfig(trials=3, searcher="tpe", seed=0, warm_start=0, confirm_folds=2,
                            confirm_top=2)
    res = tuning.tune(_problem(), cfg, tuning.storage_for(lib), "c1")
    conf = res.confirmation
    assert conf is not None and conf["folds"] == 2 and 2 <= len(conf["candidates"]) <= 3
    assert conf["candidates"][0]["params"] == tuning.default_params(
        _problem().space, TrainConfig(augment=False))
    assert res.best_params == conf["candidates"][conf["chosen"]]["params"]
    assert res.best_value == conf["candidates"][conf["chosen"]]["mean"]
    again = tuning.tune(_problem(), cfg, tuning.storage_for(lib), "c1")
    assert again.new_trials == 0 and again.confirmation == conf
    assert again.steps == res.steps  # the stored report, not a second confirmation
    # a malformed stored report is recomputed, not trusted
    study = optuna.load_study(study_name="c1", storage=f"sqlite:///{tmp_path}/lib.db.optuna.db")
    study.set_user_attr("confirm/2/2", {"chosen": 7, "candidates": []})
    third = tuning.tune(_problem(), cfg, tuning.storage_for(lib), "c1")
    assert third.best_params == res.best_params


def test_a_killed_run_resumes_the_same_study(tmp_path):
    lib = tmp_path / "lib.db"
    cfg = tuning.TuneConfig(trials=2, searcher="tpe", seed=0, warm_start=0)
    first = tuning.tune(_problem(), cfg, tuning.storage_for(lib), "s")
    # a run killed inside a trial: the trial stays RUNNING in the store
    study = optuna.load_study(study_name="s", storage=tuning.storage_for(lib))
    study.enqueue_trial(tuning.random_params(_problem().space, np.random.default_rng(3)))
    stale = study.ask()
    _problem().space.sample(lambda p: tuning._suggest(stale, p))
    before = [t.params for t in study.trials[:2]]

    again = tuning.tune(_problem(), tuning.TuneConfig(trials=4, searcher="tpe", seed=0),
                        tuning.storage_for(lib), "s")
    assert first.trials == 2 and again.trials == 4 and again.new_trials == 2
    study = optuna.load_study(study_name="s", storage=tuning.storage_for(lib))
    states = [t.state for t in study.trials]
    assert states[2] == optuna.trial.TrialState.FAIL and states.count(
        optuna.trial.TrialState.RUNNING) == 0
    assert [t.params for t in study.trials[:2]] == before
    requeued = [t for t in study.trials if t.user_attrs.get("requeued_from") == 2]
    assert len(requeued) == 1 and requeued[0].params == study.trials[2].params
    assert requeued[0].state.is_finished()
    # nothing left to do: a third call runs no trial
    done = tuning.tune(_problem(), tuning.TuneConfig(trials=4), tuning.storage_for(lib), "s")
    assert done.new_trials == 0 and done.trials == 4


def test_a_later_study_of_the_same_kind_is_warm_started_with_the_earlier_best(tmp_path):
    lib = tmp_path / "lib.db"
    storage = tuning.storage_for(lib)
    cfg = tuning.TuneConfig(trials=4, searcher="evolution", seed=1, population=2, sample=1,
                            enqueue_default=False, warm_start=0)
    earlier = tuning.tune(_problem(), cfg, storage, "earlier")
    assert earlier.queued == []
    later_cfg = tuning.TuneConfig(trials=1, searcher="tpe", seed=7, enqueue_default=False,
                                  warm_start=1)
    later = tuning.tune(_problem(), later_cfg, tuning.storage_for(lib), "later")
    assert later.queued == [earlier.best_params]
    study = optuna.load_study(study_name="later", storage=tuning.storage_for(lib))
    assert study.trials[0].params == earlier.best_params
    # only studies of the same kind count
    assert tuning.earlier_best(storage, "regress", "none") == []
    assert tuning.earlier_best(storage, "classify", "earlier")[0] == study.trials[0].params


# ----------------------------------------------------------------------------- evolution
def _toy_loss(params: dict) -> float:
    """A deterministic stand-in for a validation loss."""
    return (abs(np.log(params["lr"] / 2e-3)) + params["depth"] * 0.3
            + {"cnn": 0.0, "mlp": 0.5}[params["arch"]] + params.get("n_conv", 0) * 0.1)


def _evolve(seed: int, trials: int = 30, population: int = 6) -> list[dict]:
    sp = tuning.space("classify")
    study = optuna.create_study(sampler=tuning.AgingEvolution(sp, population, 3, seed))
    for _ in range(trials):
        trial = study.ask()
        params = sp.sample(lambda p, t=trial: tuning._suggest(t, p))
        study.tell(trial, _toy_loss(params))
    return [t.params for t in study.trials]


def test_evolution_is_deterministic_for_a_seed():
    assert _evolve(3) == _evolve(3)
    assert _evolve(3) != _evolve(4)


def test_each_child_is_one_mutation_away_from_a_member_of_the_current_population():
    history = _evolve(0, trials=40, population=6)
    for n in range(6, 40):
        child = history[n]
        members = history[n - 6:n]
        distances = [sum(child[k] != m[k] for k in child.keys() & m.keys()) for m in members]
        assert min(distances) <= 1, (n, child)
    # random draws would not keep this up: the initial population is 6 unrelated points
    first = history[:6]
    assert any(sum(a[k] != b[k] for k in a.keys() & b.keys()) > 1
               for a in first for b in first if a is not b)


def test_evolution_improves_on_its_random_start():
    history = _evolve(0, trials=60, population=8)
    losses = [_toy_loss(p) for p in history]
    assert min(losses[30:]) < min(losses[:8])


def test_mutation_moves_to_a_neighbour_of_an_ordered_value():
    p = tuning.Param("w", (8, 16, 32, 64))
    rng = np.random.default_rng(0)
    assert {p.mutate(16, rng) for _ in range(50)} == {8, 32}
    assert {p.mutate(64, rng) for _ in range(20)} == {32}
    r = tuning.Param("lr", low=1e-4, high=1e-2)
    assert all(1e-4 <= r.mutate(1e-2, rng) <= 1e-2 for _ in range(50))


def test_a_tuning_run_with_evolution_reproduces_itself():
    cfg = tuning.TuneConfig(trials=5, searcher="evolution", seed=2, population=2, sample=2,
                            warm_start=0)
    a = tuning.tune(_problem(), cfg, study_name="a")
    b = tuning.tune(_problem(), cfg, study_name="b")
    assert a.best_params == b.best_params and a.best_value == b.best_value
    assert a.steps == b.steps


# ----------------------------------------------------------------------------- the bench
def test_bench_tune_reports_its_documented_fields(tmp_path):
    import json

    from hylo.cli_tune import bench_tune

    out = tmp_path / "tune.json"
    lib = tmp_path / "lib.db"
    bench_tune(tasks="classify", budgets="20", trials=2, searcher="both", tabular="wine",
               repeats=1, examples=200, pruner="halving", warm_start=0, json_path=out,
               library=lib, seed=0, threads=1)
    report = json.loads(out.read_text())
    assert report["suite"] == "tune" and report["version"] == 1 and report["partial"] is False
    assert {"config", "digits", "tabular", "summary", "wall_seconds", "storage"} <= set(report)
    (cell,) = report["digits"]
    assert {"task", "budget", "program", "n_train", "n_val", "n_test", "default",
            "tuned"} <= set(cell)
    assert set(cell["tuned"]) == {"tpe", "evolution"}
    for arm in cell["tuned"].values():
        assert {"test_accuracy", "test_accuracies", "spec", "steps", "batch_size", "gain",
                "tuning"} <= set(arm)
        assert {"trials", "pruned", "steps", "seconds", "best_params", "best_val_loss",
                "queued"} <= set(arm["tuning"])
        assert arm["tuning"]["trials"] == 2
        # equal training budget for the final models: steps x batch covers the examples
        assert arm["steps"] * arm["batch_size"] >= 200 > (arm["steps"] - 1) * arm["batch_size"]
    assert cell["default"]["steps"] == 4 and cell["default"]["batch_size"] == 64
    (tab,) = report["tabular"]
    assert {"sklearn_mlp", "gradient_boosting", "features", "classes"} <= set(tab)
    assert tab["features"] == 13 and tab["classes"] == 3
    assert sorted(tab["ranking"]) == list(range(13))
    assert "inputs" not in tab["default"]["spec"]  # the default reads every column
    for arm in tab["tuned"].values():
        assert "keep" in arm["tuning"]["best_params"]
        kept = arm["spec"].get("inputs", list(range(13)))
        assert kept == sorted(tab["ranking"][:len(kept)])  # the best-ranked columns
    assert set(report["summary"]["digits"]) >= {"tpe", "evolution"}
    assert (tmp_path / "lib.db.optuna.db").exists()


def test_bench_tune_with_confirmation_reports_the_confirmed_choice(tmp_path):
    import json

    from hylo.cli_tune import bench_tune

    out = tmp_path / "tune.json"
    bench_tune(tasks="classify", budgets="20", trials=2, searcher="tpe", tabular="none",
               repeats=1, examples=200, pruner="halving", warm_start=0, json_path=out,
               library=None, seed=0, threads=1, confirm_folds=2, confirm_top=1)
    report = json.loads(out.read_text())
    assert report["config"]["confirm_folds"] == 2 and report["config"]["confirm_top"] == 1
    tuned = report["digits"][0]["tuned"]["tpe"]
    conf = tuned["tuning"]["confirmation"]
    assert conf["folds"] == 2 and 1 <= len(conf["candidates"]) <= 2
    assert tuned["tuning"]["best_params"] == conf["candidates"][conf["chosen"]]["params"]
