"""Gradient-free training (separable CMA-ES, REINFORCE) improves a tiny objective."""

import pytest

torch = pytest.importorskip("torch")

from hylo.core.program import parse  # noqa: E402
from hylo.domains.digits import load_domain  # noqa: E402
from hylo.domains.digits.experiment import to_data  # noqa: E402
from hylo.domains.digits.tasks import make_task  # noqa: E402
from hylo.neural.hybrid import CompileOptions, compile_program  # noqa: E402
from hylo.neural.train import TrainConfig, accuracy, fit, mean_nll  # noqa: E402


def _setup(name="classify", budget=300):
    lengths = None if name == "classify" else (2, 2)
    task = make_task(name, budget, seed=0, n_test=200, lengths=lengths)
    text = ("(lam (nn:new:classify $0))" if name == "classify"
            else "(lam (sum (map nn:new:classify $0)))")
    model = compile_program(parse(text), task.request, options=CompileOptions(
        semantics=load_domain().soft_semantics, fresh_specs={"classify": {"arch": "linear"}},
        seed=0))
    return model, to_data(task, task.train)


@pytest.mark.parametrize("fitness", ["nll", "error"])
def test_separable_cma_es_improves_the_fitness(fitness):
    model, data = _setup()
    before_nll, before_acc = mean_nll(model, data), accuracy(model, data)
    hist = fit(model, data, TrainConfig(steps=40, sigma=0.1, es_batch=10_000, fitness=fitness,
                                        augment=False), "es")
    assert hist["evaluations"] == 40 * hist["popsize"]
    if fitness == "nll":
        assert mean_nll(model, data) < before_nll - 0.3
    assert accuracy(model, data) > before_acc + 0.15


def test_es_is_cma_diagonal():
    import cma

    es = cma.CMAEvolutionStrategy([0.0] * 5, 0.1, {"CMA_diagonal": True, "verbose": -9})
    assert es.sm.__class__.__name__ != "GaussFullSampler"


def test_reinforce_improves_accuracy_from_sampled_programs():
    # the reward is only "the sampled program's output equals the label"
    model, data = _setup("classify", 200)
    before = accuracy(model, data)
    hist = fit(model, data, TrainConfig(steps=150, lr=1e-2, batch_size=64, augment=False),
               "reinforce")
    assert hist["steps"] == 150
    assert accuracy(model, data) > before + 0.3


def test_gradient_training_is_deterministic_given_the_seed():
    a, data = _setup()
    b, _ = _setup()
    cfg = TrainConfig(steps=20, augment=True, seed=3)
    fit(a, data, cfg)
    fit(b, data, cfg)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa, pb)
