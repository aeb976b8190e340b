"""The digits split and task generators: disjoint, deterministic, budgets and seeds respected."""

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("torch")

from hylo.domains.digits import data, load_domain  # noqa: E402
from hylo.domains.digits.tasks import SEQUENCE, make_task, sequence  # noqa: E402


@pytest.mark.parametrize("seed", [0, 1])
def test_split_is_disjoint_complete_stratified_and_deterministic(seed):
    sp = data.split(seed)
    assert not set(sp.train) & set(sp.test)
    assert len(sp.train) + len(sp.test) == len(data.labels())
    y = data.labels()
    for k in range(10):
        n = int((y == k).sum())
        assert abs(int((y[sp.test] == k).sum()) - 0.3 * n) <= 1
    data.split.cache_clear()
    again = data.split(seed)
    assert np.array_equal(again.train, sp.train) and np.array_equal(again.test, sp.test)


def test_different_seeds_give_different_splits():
    assert not np.array_equal(data.split(0).test, data.split(1).test)


def _used(ex):
    return set(int(i) for i in np.asarray(ex.images).reshape(-1) if i >= 0)


@pytest.mark.parametrize("name", [s.name for s in SEQUENCE])
@pytest.mark.parametrize("budget", [1, 37, 100])
def test_tasks_respect_budget_and_never_mix_train_and_test_images(name, budget):
    task = make_task(name, budget, seed=0, n_test=200)
    sp = data.split(0)
    assert len(task.train) == budget
    assert _used(task.train) <= set(sp.train.tolist())
    assert _used(task.test) <= set(sp.test.tolist())
    if task.spec.is_list:
        lengths = (task.train.images >= 0).sum(1)
        assert lengths.min() >= 2 and lengths.max() <= 5
        assert len(task.test) == 200


@pytest.mark.parametrize("name", [s.name for s in SEQUENCE])
def test_labels_are_the_rule_applied_to_the_true_digits(name):
    task = make_task(name, 200, seed=3, n_test=50)
    y = data.labels()
    for ex in (task.train, task.test):
        for row, label in zip(ex.images, ex.labels, strict=True):
            digits = [int(y[i]) for i in np.atleast_1d(row) if i >= 0]
            want = {"classify": lambda d: d[0], "sum": sum,
                    "count": lambda d: sum(1 for v in d if v == task.params["digit"]),
                    "sorted": lambda d: int(d == sorted(d)), "max": max}[name](digits)
            assert int(label) == want


@pytest.mark.parametrize("name", [s.name for s in SEQUENCE])
def test_seeded_determinism_and_budget_prefixes(name):
    small, big = make_task(name, 20, seed=5, n_test=30), make_task(name, 60, seed=5, n_test=30)
    assert np.array_equal(small.train.images, big.train.images[:20])
    assert np.array_equal(small.test.images, big.test.images)  # test set independent of budget
    again = make_task(name, 20, seed=5, n_test=30)
    assert np.array_equal(again.train.images, small.train.images)
    other = make_task(name, 20, seed=6, n_test=30)
    assert not np.array_equal(other.train.images, small.train.images)


def test_full_sum_of_two_is_a_partition_of_the_training_images():
    task = make_task("sum", None, seed=0, lengths=(2, 2))
    used = task.train.images[task.train.images >= 0]
    assert len(used) == len(set(used.tolist()))
    assert len(task.train) == len(data.split(0).train) // 2
    assert set(used.tolist()) <= set(data.split(0).train.tolist())


def test_labels_are_balanced_enough_that_no_constant_wins():
    for name in ("count", "sorted", "max"):
        task = make_task(name, 1000, seed=0, n_test=10)
        top = np.bincount(task.train.labels).max() / len(task.train)
        assert top < 0.55, name


def test_budget_validation_and_sequence():
    with pytest.raises(ValueError):
        make_task("sum", 0)
    with pytest.raises(ValueError):
        make_task("classify", 10_000)
    assert [t.name for t in sequence(10, 0, n_test=5)] == [s.name for s in SEQUENCE]


def test_domain_plugin_builds_without_torch_names():
    domain = load_domain()
    assert domain.name == "digits"
    assert {"map", "sum", "count", "sorted", "maximum"} <= set(domain.dsl.primitives)
    suite = domain.suites["houdini"]()
    assert [t.name for t in suite] == [f"digits/{s.name}" for s in SEQUENCE]
    assert all(len(t.examples) == 100 for t in suite)
