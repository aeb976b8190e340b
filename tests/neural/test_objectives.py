"""Engineer-written objectives: they change which program wins, they train, they load safely."""

import math
import sys

import pytest

torch = pytest.importorskip("torch")

from hylo.core.grammar import Grammar  # noqa: E402
from hylo.core.program import parse  # noqa: E402
from hylo.core.types import parse_type  # noqa: E402
from hylo.domains.digits import PRUNE, load_domain  # noqa: E402
from hylo.domains.digits import dsl as digits_dsl  # noqa: E402
from hylo.neural import kinds  # noqa: E402
from hylo.neural.candidates import Prune, with_neural  # noqa: E402
from hylo.neural.hybrid import Column, CompileOptions, Data, compile_program  # noqa: E402
from hylo.neural.names import KIND_TYPES  # noqa: E402
from hylo.neural.objectives import (  # noqa: E402
    evaluate,
    fit_gradient_with,
    load_objective,
    objective_name,
)
from hylo.neural.select import HybridConfig, search_hybrid  # noqa: E402
from hylo.neural.train import TrainConfig, predict  # noqa: E402

torch.set_num_threads(1)
SOFT = load_domain().soft_semantics
REQUEST = parse_type("image -> int")
LINEAR = {"arch": "linear"}


def _images(y, seed=0, noise=0.2):
    """Class k lights pixel 6k (plus noise): a linear reader with weight 5 there reads it."""
    gen = torch.Generator().manual_seed(seed)
    x = noise * torch.rand(len(y), 8, 8, generator=gen)
    x.view(len(y), 64)[torch.arange(len(y)), y * 6] += 1.0
    return x


def _data(n=200, seed=0):
    y = torch.arange(n) % 10
    return Data(REQUEST, [Column(_images(y, seed))], y)


def _reader(confuse):
    """A frozen linear classifier that reads every digit right except `confuse[k]` for k."""
    module = kinds.build("classify", LINEAR)
    with torch.no_grad():
        module.net[1].weight.zero_()
        module.net[1].bias.zero_()
        for k in range(10):
            module.net[1].weight[confuse.get(k, k), 6 * k] = 5.0
    return module


# `nn:a@v1` errs on one digit, at a great cost (0 read as 1); `nn:b@v1` on two, cheaply
LIBRARY = {"nn:a@v1": _reader({0: 1}), "nn:b@v1": _reader({2: 3, 4: 5})}
COST = torch.ones(10, 10) - torch.eye(10)
COST[0, 1] = 20.0


def expected_cost(predictions, targets, model):
    """Mean cost of the decisions (one-hot rows) or the expected cost (distributions)."""
    return (predictions[:, :10] * COST[targets]).sum(1).mean()


def _search(objective, library=LIBRARY, names=("nn:a@v1", "nn:b@v1")):
    neural = {n: KIND_TYPES["classify"] for n in names}
    grammar = Grammar.uniform(with_neural(digits_dsl(), neural))
    cfg = HybridConfig(max_size=4, max_programs=200, finetune_top=0, objective=objective)
    return search_hybrid(REQUEST, _data(seed=1), _data(seed=2), grammar, SOFT,
                         Prune.from_json(PRUNE), resolve=lambda n, v: ("classify", LINEAR, b""),
                         library=library, cfg=cfg)


def test_a_cost_matrix_changes_which_program_wins():
    plain = _search(None)
    costed = _search(expected_cost)
    # accuracy: a reads 90% right, b 80%; cost: a's errors cost 20 each (2.0 per image), b's 1
    assert plain.text == "nn:a@v1" and plain.val_accuracy == pytest.approx(0.9)
    assert plain.val_objective is None
    assert costed.text == "nn:b@v1" and costed.val_accuracy == pytest.approx(0.8)
    assert costed.val_objective == pytest.approx(0.2)
    board = {row["program"]: row["val_objective"] for row in costed.leaderboard}
    assert board["nn:a@v1"] == pytest.approx(2.0)


def _count_weights(predictions, targets, model):
    errors = float((predictions.argmax(1) != targets).float().mean())
    return errors + 1e-4 * sum(p.numel() for p in model.parameters())


def test_a_plain_float_objective_ranks_and_sees_the_model():
    """Two readers equally right: without an objective the tie goes by name (`nn:big` first);
    a penalty on parameter count, computed from the model, picks the small one."""
    big_spec = {"arch": "mlp", "hidden": 64}
    big = kinds.build("classify", big_spec)
    with torch.no_grad():  # hidden = the pixels (non-negative, so the ReLU keeps them)
        big.net[1].weight.copy_(torch.eye(64))
        big.net[1].bias.zero_()
        big.net[3].weight.copy_(_reader({}).net[1].weight)
        big.net[3].bias.zero_()
    library = {"nn:big@v1": big, "nn:small@v1": _reader({})}

    def resolve(name, version):
        return ("classify", big_spec if name == "big" else LINEAR, b"")

    neural = {n: KIND_TYPES["classify"] for n in library}
    grammar = Grammar.uniform(with_neural(digits_dsl(), neural))
    for objective, winner in [(None, "nn:big@v1"), (_count_weights, "nn:small@v1")]:
        cfg = HybridConfig(max_size=4, max_programs=200, finetune_top=0, objective=objective)
        res = search_hybrid(REQUEST, _data(seed=1), _data(seed=2), grammar, SOFT,
                            Prune.from_json(PRUNE), resolve=resolve, library=library, cfg=cfg)
        assert res.text == winner and res.val_accuracy == 1.0


def _ambiguous(n=400, seed=0):
    """Digits 0 and 1 drawn alike (pixel 0, no noise: the same picture), 1 more often (60:40):
    a likelihood-trained reader says 1 for that picture, the costly error when the truth is
    0."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.where(torch.rand(n, generator=gen) < 0.6, 1, 0)
    y[: n // 2] = torch.arange(n // 2) % 8 + 2
    x = _images(torch.where(y == 1, 0, y), seed, noise=0.0)
    return Data(REQUEST, [Column(x)], y)


def test_a_differentiable_objective_trains_towards_cheap_errors():
    data = _ambiguous()
    tc = TrainConfig(steps=300, batch_size=64, lr=2e-2, augment=False, seed=0)
    share_of_ones = {}
    for name, objective in [("likelihood", None), ("cost", expected_cost)]:
        model = compile_program(parse("(lam (nn:new:classify $0))"), REQUEST,
                                options=CompileOptions(fresh_specs={"classify": LINEAR}))
        hist = fit_gradient_with(model, data, tc, objective)
        assert (hist.get("objective") == "trained") == (objective is not None)
        said = predict(model, data)[data.y <= 1]
        share_of_ones[name] = float((said == 1).float().mean())
    assert share_of_ones["likelihood"] > 0.9  # the likelier label
    assert share_of_ones["cost"] < 0.1  # 0 read as 1 costs 20, 1 read as 0 costs 1


def test_an_objective_without_gradient_trains_like_the_likelihood():
    data = _ambiguous(120)
    tc = TrainConfig(steps=20, batch_size=16, augment=False)
    weights = []
    for objective in (None, _count_weights):
        model = compile_program(parse("(lam (nn:new:classify $0))"), REQUEST,
                                options=CompileOptions(fresh_specs={"classify": LINEAR}))
        hist = fit_gradient_with(model, data, tc, objective)
        assert "objective" not in hist
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.equal(weights[0], weights[1])


def test_evaluate_scores_a_failing_program_worst():
    model = compile_program(parse("(lam (nn:new:classify $0))"), REQUEST,
                            options=CompileOptions(fresh_specs={"classify": LINEAR}))
    bad = Data(REQUEST, [Column(torch.rand(4, 3, 3))], torch.zeros(4, dtype=torch.long))
    assert evaluate(expected_cost, model, bad) == math.inf
    assert evaluate(lambda p, t, m: float("nan"), model, _data(20)) == math.inf


# ----------------------------------------------------------------------------- loading
def test_load_objective_by_name(tmp_path, monkeypatch):
    (tmp_path / "my_costs_for_hylo.py").write_text(
        "def cost(p, t, m):\n    return 1.5\n\nclass Box:\n    @staticmethod\n"
        "    def f(p, t, m):\n        return 2.5\n\nNOT_A_FUNCTION = 3\n")
    monkeypatch.chdir(tmp_path)  # found in the current directory, as `python -m` would
    monkeypatch.delitem(sys.modules, "my_costs_for_hylo", raising=False)
    f = load_objective("my_costs_for_hylo:cost")
    assert f(None, None, None) == 1.5 and objective_name(f) == "my_costs_for_hylo:cost"
    assert load_objective("my_costs_for_hylo:Box.f")(None, None, None) == 2.5
    assert str(tmp_path) not in sys.path  # the directory was on the path only to import
    with pytest.raises(ValueError, match="not a function"):
        load_objective("my_costs_for_hylo:NOT_A_FUNCTION")
    with pytest.raises(ValueError, match="has no"):
        load_objective("my_costs_for_hylo:missing")
    assert objective_name(expected_cost).endswith(":expected_cost")
    assert objective_name(None) is None


@pytest.mark.parametrize("text", [
    "no_colon", "a:b:c", "os.system('ls'):x", "mod:f()", ":f", "mod:", "1mod:f",
    "mod:f; import os", "mod :f", "x" * 400 + ":f", "__import__('os'):system",
])
def test_load_objective_refuses_what_is_not_a_dotted_name(text):
    with pytest.raises(ValueError, match="module:function"):
        load_objective(text)


def test_load_objective_reports_import_failures(tmp_path, monkeypatch):
    (tmp_path / "broken_costs_for_hylo.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match="cannot import.*boom"):
        load_objective("broken_costs_for_hylo:f")
    with pytest.raises(ValueError, match="cannot import"):
        load_objective("no_such_module_for_hylo_xyz:f")


# ----------------------------------------------------------------------------- the commands
OBJECTIVE_FILE = '''
def expected_error(predictions, targets, model):
    """Differentiable: the expected 0-1 error, for int and bool outputs alike."""
    if predictions.ndim == 2:
        return 1 - predictions.gather(1, targets.long()[:, None]).mean()
    return (predictions - targets.float()).abs().mean()
'''


def test_the_digits_commands_check_the_objective_first():
    import typer

    from hylo.cli_digits import bench_digits, learn_digits

    with pytest.raises(typer.BadParameter, match="module:function"):
        bench_digits(budgets="8", json_path=None, library=None, seed=0, threads=1,
                     methods=False, sum2=False, quick=True, objective="not an objective")
    with pytest.raises(typer.BadParameter, match="cannot import"):
        learn_digits(library=None, budget=8, classify_budget=20, seed=0, json_path=None,
                     threads=1, quick=True, iterations=1, objective="no_such_mod_hylo_q:f")


def test_learn_digits_with_an_objective_reports_it(tmp_path, monkeypatch):
    import json

    from hylo.cli_digits import learn_digits
    from hylo.library import open_store

    (tmp_path / "digit_costs_for_hylo.py").write_text(OBJECTIVE_FILE)
    monkeypatch.syspath_prepend(str(tmp_path))
    out, lib = tmp_path / "learn.json", tmp_path / "lib.db"
    learn_digits(library=lib, budget=12, classify_budget=40, seed=0, json_path=out, threads=1,
                 quick=True, iterations=1, objective="digit_costs_for_hylo:expected_error")
    rows = json.loads(out.read_text())["tasks"]
    assert len(rows) == 5
    for row in rows:
        # the winner's decisions on validation, and the trained program's on test: an error
        # rate, so within [0, 1]
        assert 0.0 <= row["val_objective"] <= 1.0 and 0.0 <= row["test_objective"] <= 1.0
    with open_store(lib) as store:
        run = store.runs()[-1]
        assert run.config["params"]["objective"] == "digit_costs_for_hylo:expected_error"


def test_rungs_rank_by_likelihood_plus_objective_not_the_objective_alone():
    """Early on, a program that cannot output the costly digit at all, `(+ m 2)` (never 0 or
    1), has a lower expected cost than a fresh reader spreading mass over every digit; ranked
    by the objective alone it would win. Ranked by what training minimises (likelihood plus
    objective), the reader that can fit every label goes on and wins."""
    neural = {"nn:new:classify": KIND_TYPES["classify"]}
    grammar = Grammar.uniform(with_neural(digits_dsl(), neural))
    tc = TrainConfig(batch_size=32, lr=1e-2, augment=False)
    cfg = HybridConfig(max_size=5, max_programs=200, max_trainable=4, min_steps=4,
                       final_steps=60, fresh_specs={"classify": LINEAR}, train=tc,
                       objective=expected_cost)
    res = search_hybrid(REQUEST, _data(seed=1), _data(seed=2), grammar, SOFT,
                        Prune.from_json(PRUNE), cfg=cfg)
    survivors = [text for text, _, _ in res.rungs[0]["scores"]]
    assert any(text.startswith("(lam (+") for text in survivors)  # it was a contender
    assert res.text == "nn:new:classify"
