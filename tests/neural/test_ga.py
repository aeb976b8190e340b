"""The real-valued genetic algorithm: seeded, improves, counts evaluations exactly."""

import numpy as np
import pytest

from hylo.neural.ga import GAConfig, GeneticAlgorithm, minimize


def sphere(xs: np.ndarray) -> np.ndarray:
    return ((xs - 1.5) ** 2).sum(axis=1)


X0 = np.zeros(10)


@pytest.mark.parametrize("selection", ["tournament", "truncation"])
@pytest.mark.parametrize("crossover", ["blend", "uniform"])
def test_improves_a_sphere(selection, crossover):
    cfg = GAConfig(selection=selection, crossover=crossover, sigma=0.3, mutation_rate=0.3,
                   seed=1)
    res = minimize(sphere, X0, 3000, cfg)
    start = float(sphere(X0[None])[0])  # 22.5
    assert res.best_fitness < 0.05 * start
    # elitism: the best so far never gets worse
    assert all(b <= a for a, b in zip(res.history, res.history[1:], strict=False))


def test_deterministic_for_a_seed_and_different_across_seeds():
    a = minimize(sphere, X0, 500, GAConfig(seed=3))
    b = minimize(sphere, X0, 500, GAConfig(seed=3))
    c = minimize(sphere, X0, 500, GAConfig(seed=4))
    assert np.array_equal(a.best_x, b.best_x) and a.history == b.history
    assert not np.array_equal(a.best_x, c.best_x)


@pytest.mark.parametrize("budget", [1, 7, 24, 25, 101, 1000])
def test_evaluation_budget_is_exact(budget):
    seen = []

    def f(xs):
        seen.append(len(xs))
        return sphere(xs)

    res = minimize(f, X0, budget, GAConfig(popsize=24, elite=3))
    assert sum(seen) == budget == res.evaluations
    # after generation 0, each generation evaluates popsize - elite children (the last fewer)
    assert all(n == 21 for n in seen[1:-1])


def test_elite_is_not_lost():
    ga = GeneticAlgorithm(X0, GAConfig(popsize=8, elite=2, seed=0))
    xs = ga.ask()
    ga.tell(xs, sphere(xs))
    best_x, best_f = ga.best()
    kids = ga.ask()
    assert len(kids) == 6
    ga.tell(kids, np.full(len(kids), 1e9))  # every child is worse
    x, f = ga.best()
    assert f == best_f and np.array_equal(x, best_x)


def test_a_re_measured_elite_can_lose_its_place():
    # a noisy fitness (minibatches): the elite is measured again with the children
    ga = GeneticAlgorithm(X0, GAConfig(popsize=6, elite=2, seed=0))
    xs = ga.ask()
    ga.tell(xs, np.arange(6.0))
    kept = ga.kept()
    assert np.array_equal(kept, xs[:2])  # the two best, best first
    kids = ga.ask()
    assert len(kids) == 4
    ga.tell(kids, np.full(4, 3.0), elite_fitness=np.array([9.0, 1.0]))
    assert ga.evaluations == 6 + 4 + 2  # re-measuring counts
    x, f = ga.best()
    assert f == 1.0 and np.array_equal(x, xs[1])
    assert 9.0 in ga.fit  # the old best keeps its new, worse value
    with pytest.raises(ValueError, match="kept individuals"):
        ga.tell(ga.ask(), np.zeros(4), elite_fitness=np.zeros(3))


def test_nan_fitness_never_wins():
    ga = GeneticAlgorithm(X0, GAConfig(popsize=4, elite=1))
    xs = ga.ask()
    ga.tell(xs, np.array([np.nan, 5.0, np.nan, 7.0]))
    assert ga.best()[1] == 5.0


@pytest.mark.parametrize("bad", [
    {"popsize": 1}, {"popsize": 2.5}, {"elite": 24}, {"elite": -1}, {"selection": "roulette"},
    {"crossover": "sbx"}, {"tournament": 0}, {"truncation": 0.0}, {"crossover_rate": 1.5},
    {"mutation_rate": -0.1}, {"sigma": -1.0}, {"sigma": float("nan")}, {"sigma_decay": 0.0},
])
def test_bad_settings_are_value_errors(bad):
    with pytest.raises(ValueError):
        minimize(sphere, X0, 10, GAConfig(**bad))


@pytest.mark.parametrize("budget", [0, -3, 2.0, True])
def test_bad_budget_is_a_value_error(budget):
    with pytest.raises(ValueError, match="budget"):
        minimize(sphere, X0, budget)


def test_wrong_fitness_length_is_a_value_error():
    ga = GeneticAlgorithm(X0)
    xs = ga.ask()
    with pytest.raises(ValueError, match="fitness"):
        ga.tell(xs, np.zeros(len(xs) - 1))


def test_trains_a_linear_digit_reader_without_gradients():
    torch = pytest.importorskip("torch")
    from hylo.core.program import parse
    from hylo.domains.digits import load_domain
    from hylo.domains.digits.experiment import to_data
    from hylo.domains.digits.tasks import make_task
    from hylo.neural.ga import fit_ga
    from hylo.neural.hybrid import CompileOptions, compile_program
    from hylo.neural.train import accuracy, mean_nll

    torch.set_num_threads(1)
    task = make_task("classify", 300, seed=0, n_test=50)
    model = compile_program(parse("(lam (nn:new:classify $0))"), task.request,
                            options=CompileOptions(semantics=load_domain().soft_semantics,
                                                   fresh_specs={"classify": {"arch": "linear"}}))
    data = to_data(task, task.train)
    before_nll, before_acc = mean_nll(model, data), accuracy(model, data)
    hist = fit_ga(model, data, 600, GAConfig(sigma=0.1, mutation_rate=0.2, seed=0))
    assert hist["evaluations"] == 600
    assert mean_nll(model, data) < before_nll - 0.2
    assert accuracy(model, data) > before_acc + 0.15
    assert abs(mean_nll(model, data) - hist["best_fitness"]) < 1e-4  # the model holds the best
