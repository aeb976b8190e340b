"""Every executor runs the executor conformance suite; the pool's own guarantees beside it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from hylo.search import executor_conformance as conf
from hylo.search.base import Budget
from hylo.search.executor import (
    Executor,
    InlineExecutor,
    SearchJob,
    get_executor,
    solve_tasks,
)
from hylo.search.pool import PoolExecutor

try:
    import ray
except ImportError:  # the ray extra is optional
    ray = None


@pytest.fixture(scope="module", autouse=True)
def conformance_domain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    d = conf.install_domain(tmp_path_factory.mktemp("plugin"))
    yield
    conf.uninstall_domain(d)


@pytest.fixture(scope="module")
def ray_session(conformance_domain: None) -> Iterator[None]:
    """One local Ray for the module (it takes seconds to start); started after the domain is
    installed, so its workers inherit PYTHONPATH."""
    if ray is None:
        pytest.skip("ray is not installed (pip install 'hylo[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="warning")
    yield
    ray.shutdown()


EXECUTORS = ["inline", "pool", "ray"]


@pytest.fixture(params=EXECUTORS)
def executor(request: pytest.FixtureRequest) -> Iterator[Executor]:
    if request.param == "ray":
        request.getfixturevalue("ray_session")
    with get_executor(request.param, workers=2) as ex:
        yield ex


@pytest.mark.parametrize("check", list(conf.CHECKS))
def test_conformance(executor: Executor, check: str) -> None:
    conf.CHECKS[check](executor)


def test_get_executor_names_and_errors() -> None:
    assert isinstance(get_executor("inline"), InlineExecutor)
    p = get_executor("pool", workers=3)
    assert isinstance(p, PoolExecutor) and p.workers == 3
    with pytest.raises(ValueError, match="unknown executor"):
        get_executor("threads")
    with pytest.raises(ValueError, match="address"):
        get_executor("pool", address="10.0.0.1:6379")
    with pytest.raises(ValueError, match="workers"):
        get_executor("pool", workers=0)


@pytest.mark.parametrize("name", ["pool", "ray"])
def test_a_job_that_overruns_its_budget_is_killed(name: str, request: pytest.FixtureRequest
                                                  ) -> None:
    """`stall` sleeps in C, where no evaluator limit reaches: the executor's deadline does."""
    if name == "ray":
        request.getfixturevalue("ray_session")
        from hylo.search.ray_executor import RayExecutor

        ex: Executor = RayExecutor(workers=2, overrun_grace=1.0)
    else:
        ex = PoolExecutor(workers=1, overrun_grace=1.0)
    jobs = [SearchJob(conf.STALLER, Budget(seconds=0.5)), SearchJob(conf.SOLVABLE[0], conf.QUICK)]
    t0 = time.perf_counter()
    with ex:
        results = {r.task: r for r in ex.run(conf.config(), jobs)}
    assert time.perf_counter() - t0 < 15.0
    stalled = results[conf.STALLER.name]
    assert not stalled.solved and "overran its budget" in stalled.stopped, stalled
    assert results[conf.SOLVABLE[0].name].solved  # a fresh worker took the next job


def test_solve_tasks_keeps_task_order_on_any_executor() -> None:
    tasks = [*conf.SOLVABLE, conf.UNSOLVABLE]
    seen: list[str] = []
    out = solve_tasks(tasks, conf.config(), conf.SHORT, workers=2, on_result=lambda r:
                      seen.append(r.task))
    assert [r.task for r in out] == [t.name for t in tasks]
    assert sorted(seen) == sorted(t.name for t in tasks)
    inline = solve_tasks(tasks, conf.config(), conf.SHORT, workers=0)
    assert [(r.solved, r.program) for r in inline] == [(r.solved, r.program) for r in out]


def test_ray_batches_jobs_when_they_are_cheap(ray_session: None) -> None:
    from hylo.search.ray_executor import RayExecutor

    ex = RayExecutor(workers=2)
    assert ex._batch_size(None, 100, 2) == 1  # nothing measured: probe one job
    assert ex._batch_size(0.001, 100, 2) == 50  # cheap: fill the CPUs, no more
    assert ex._batch_size(0.001, 1000, 2) == ex.max_batch
    assert ex._batch_size(5.0, 100, 2) == 1  # expensive: one job a call
    jobs = [SearchJob(t, conf.QUICK) for t in conf.SOLVABLE] * 8
    results = list(ex.run(conf.config(), jobs))
    assert len(results) == len(jobs) and all(r.solved for r in results)
