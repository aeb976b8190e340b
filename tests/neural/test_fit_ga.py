"""The genetic algorithm as a training method (`train.fit_ga`, `METHODS["ga"]`)."""

import pytest

torch = pytest.importorskip("torch")

from hylo.core.program import parse  # noqa: E402
from hylo.domains.digits import load_domain  # noqa: E402
from hylo.domains.digits.experiment import compare_methods, to_data  # noqa: E402
from hylo.domains.digits.tasks import make_task  # noqa: E402
from hylo.neural.ga import GAConfig  # noqa: E402
from hylo.neural.hybrid import CompileOptions, compile_program  # noqa: E402
from hylo.neural.train import (  # noqa: E402
    METHODS,
    TrainConfig,
    accuracy,
    fit,
    fit_ga,
    ga_settings,
    mean_nll,
)


@pytest.fixture(scope="module")
def data():
    torch.set_num_threads(1)
    task = make_task("classify", 200, seed=0, n_test=20)
    return task, to_data(task, task.train)


def _model(task, seed=0):
    # a linear digit reader: 650 weights, pycma's population 23
    return compile_program(parse("(lam (nn:new:classify $0))"), task.request,
                           options=CompileOptions(semantics=load_domain().soft_semantics,
                                                  fresh_specs={"classify": {"arch": "linear"}},
                                                  seed=seed))


def _weights(model):
    return torch.nn.utils.parameters_to_vector(model.trainable()).detach().clone()


def test_methods_list_ga_and_unknown_names_still_raise(data):
    assert set(METHODS) == {"gradient", "reinforce", "es", "ga"}
    assert METHODS["ga"] is fit_ga
    task, d = data
    with pytest.raises(ValueError, match="method must be one of"):
        fit(_model(task), d, TrainConfig(steps=1), "genetic")
    with pytest.raises(ValueError, match="fitness"):
        fit(_model(task), d, TrainConfig(steps=1, fitness="accuracy"), "ga")
    with pytest.raises(ValueError, match="unknown training methods"):
        compare_methods(None, methods=("es", "genetic"))  # checked before any work


@pytest.mark.parametrize("fitness", ["nll", "error"])
def test_trains_a_linear_reader_better_than_its_start(data, fitness):
    task, d = data
    model = _model(task)
    before_nll, before_acc = mean_nll(model, d), accuracy(model, d)
    hist = fit(model, d, TrainConfig(steps=25, sigma=0.1, es_batch=10_000, fitness=fitness,
                                     augment=False), "ga")
    assert hist["method"] == "ga" and hist["popsize"] == 23 and hist["dimension"] == 650
    assert accuracy(model, d) > before_acc + 0.15
    if fitness == "nll":
        assert mean_nll(model, d) < before_nll - 0.3
        # whole data: the model holds the best individual, whose fitness is recorded
        assert mean_nll(model, d) == pytest.approx(hist["best_minibatch_fitness"], abs=1e-4)


def test_minibatches_with_augmentation_also_train(data):
    task, d = data
    model = _model(task)
    before = accuracy(model, d)
    hist = fit_ga(model, d, TrainConfig(steps=30, sigma=0.1, es_batch=64, augment=True,
                                        fitness="nll"))
    # a generation is the kept elite measured again plus popsize - elite children
    assert hist["generations"] == 30 and hist["evaluations"] == 30 * 23
    assert accuracy(model, d) > before + 0.1


@pytest.mark.parametrize("es_batch", [10_000, 50])
def test_deterministic_for_a_seed(data, es_batch):
    task, d = data
    runs = []
    for seed in (4, 4, 5):
        model = _model(task)
        fit_ga(model, d, TrainConfig(steps=4, sigma=0.1, es_batch=es_batch, seed=seed))
        runs.append(_weights(model))
    assert torch.equal(runs[0], runs[1])
    assert not torch.equal(runs[0], runs[2])


@pytest.mark.parametrize("es_batch", [10_000, 50])
@pytest.mark.parametrize("steps,popsize", [(1, 0), (3, 0), (5, 8), (2, 2)])
def test_respects_steps(data, es_batch, steps, popsize):
    task, d = data
    hist = fit_ga(_model(task), d, TrainConfig(steps=steps, popsize=popsize, es_batch=es_batch,
                                               augment=False))
    size = popsize or 23
    assert hist["steps"] == steps and hist["popsize"] == size
    assert hist["evaluations"] == steps * size  # what CMA-ES makes in `steps` generations
    if es_batch < len(d):
        assert hist["generations"] == steps


def test_same_evaluations_as_es_at_the_same_settings(data):
    task, d = data
    cfg = TrainConfig(steps=2, sigma=0.1, es_batch=10_000, augment=False)
    es = fit(_model(task), d, cfg, "es")
    ga = fit(_model(task), d, cfg, "ga")
    assert ga["evaluations"] == es["evaluations"] and ga["popsize"] == es["popsize"]


def test_no_steps_leaves_the_model_as_it_was(data):
    task, d = data
    model = _model(task)
    start = _weights(model)
    hist = fit_ga(model, d, TrainConfig(steps=0))
    assert hist["evaluations"] == 0 and torch.equal(_weights(model), start)


def test_settings_from_the_train_config():
    ga = ga_settings(TrainConfig(sigma=0.2, seed=7), 650)
    assert (ga.popsize, ga.init_sigma, ga.sigma, ga.seed) == (23, 0.2, 0.1, 7)
    assert ga_settings(TrainConfig(popsize=2), 10).elite == 1  # the elite fits the population


def test_explicit_ga_settings_and_budget(data):
    task, d = data
    hist = fit_ga(_model(task), d, TrainConfig(steps=3, es_batch=10_000),
                  ga=GAConfig(popsize=6, elite=1, seed=0))
    assert (hist["popsize"], hist["elite"], hist["evaluations"]) == (6, 1, 18)
    hist = fit_ga(_model(task), d, TrainConfig(steps=3, es_batch=10_000), budget=31)
    assert hist["evaluations"] == 31
