"""The `ray` executor: search jobs as Ray tasks, on this machine or a cluster (`hylo[ray]`).

Building the executor starts a local Ray (`ray.init()` with `workers` CPUs) when no address is
given, and joins the cluster at `address` otherwise (`auto`, `host:6379`, or `ray://host:10001`
with Ray Client); when Ray is already initialised in this process, that session is used as it
is (and left running by `close`). Every node
needs hylo and the domain plug-ins installed (the same versions as the coordinator).

The config travels once (`ray.put`); each Ray worker process keeps the searcher it built for
a config (`JobRunner`, keyed by the config's digest). A Ray task costs about half a millisecond
to several milliseconds, so several jobs go in one remote call: the batch size adapts to the
jobs' measured mean time (aiming at `batch_seconds` a call, never more jobs than keep every CPU
busy to the end). Ray's own retry is off: a batch whose worker dies is re-run job by job, so only
the job that killed its worker fails. A job that runs past twice its budget plus
`overrun_grace` ends its worker (a timer in the worker), and so fails the same way.
The coordinator (this process) alone writes the library.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator, Sequence
from typing import Any

from hylo.search.base import SearchResult
from hylo.search.executor import (
    OVERRUN_GRACE,
    Executor,
    JobRunner,
    SearchConfig,
    SearchJob,
    failed,
    overran,
    overrun_after,
)

#: built searchers a Ray worker process keeps (config digest -> runner)
_RUNNERS: OrderedDict[str, JobRunner] = OrderedDict()
_CACHE_SIZE = 4


def _runner(key: str, config: SearchConfig) -> JobRunner:
    runner = _RUNNERS.get(key)
    if runner is None:
        import sys

        sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
        runner = _RUNNERS[key] = JobRunner(config)
        while len(_RUNNERS) > _CACHE_SIZE:
            _RUNNERS.popitem(last=False)
    _RUNNERS.move_to_end(key)
    return runner


def run_batch(key: str, config: SearchConfig, jobs: list[SearchJob],
              grace: float = OVERRUN_GRACE) -> list[SearchResult]:
    """What one remote call does. A job still running `overrun_after(job, grace)` seconds
    after it started (its searcher stuck where no limit reaches) ends this worker process, so
    Ray reports it dead and the coordinator fails that job alone."""
    try:
        runner = _runner(key, config)
    except Exception as e:
        why = f"error: worker could not build the searcher: {type(e).__name__}: {e}"
        return [failed(job, why) for job in jobs]
    results = []
    for job in jobs:
        after = overrun_after(job, grace)
        timer = threading.Timer(after, os._exit, args=(70,)) if math.isfinite(after) else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            results.append(runner.run(job))
        finally:
            if timer is not None:
                timer.cancel()
    return results


def digest(config: SearchConfig) -> str:
    data = json.dumps(dataclasses.asdict(config), sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()


_REMOTE: Any = None


def _remote() -> Any:
    global _REMOTE
    if _REMOTE is None:
        import ray

        # max_retries=0: a job that kills its worker must not be run three more times
        _REMOTE = ray.remote(num_cpus=1, max_retries=0)(run_batch)
    return _REMOTE


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ImportError("the ray executor needs Ray: pip install 'hylo[ray]'") from None
    return ray


class RayExecutor(Executor):
    """Jobs in adaptive batches as Ray tasks; `workers` CPUs locally, the cluster's otherwise."""

    name = "ray"
    isolates = True

    def __init__(self, workers: int = 2, address: str | None = None,
                 batch_seconds: float = 0.25, max_batch: int = 64,
                 overrun_grace: float = OVERRUN_GRACE) -> None:
        if workers < 1:
            raise ValueError(f"the ray executor needs workers >= 1 (got {workers})")
        self.workers = workers
        self.address = address
        self.batch_seconds = batch_seconds
        self.max_batch = max_batch
        self.overrun_grace = overrun_grace
        self._ensure_ray()  # fail here, where the executor is chosen: no Ray, no cluster
        self._started = False  # whether this executor called ray.init (and so shuts it down)

    def _ensure_ray(self) -> Any:
        ray = _import_ray()
        if not ray.is_initialized():
            os.environ.setdefault("RAY_DEDUP_LOGS", "0")
            options: dict[str, Any] = {"include_dashboard": False, "logging_level": "warning",
                                       "configure_logging": True}
            if self.address is None:
                ray.init(num_cpus=self.workers, **options)
            else:
                ray.init(address=self.address, **options)
            self._started = True
        return ray

    def concurrency(self) -> int:
        """Jobs that can run at once: the local `workers`, or the cluster's CPUs."""
        ray = self._ensure_ray()
        if self.address is None and self._started:
            return self.workers
        return max(1, int(ray.cluster_resources().get("CPU", self.workers)))

    def run(self, config: SearchConfig, jobs: Sequence[SearchJob]) -> Iterator[SearchResult]:
        JobRunner(config)  # a bad config is one error here, before anything is sent
        ray = self._ensure_ray()
        return self._run(ray, config, list(jobs))

    def _batch_size(self, mean: float | None, remaining: int, cpus: int) -> int:
        if mean is None:
            return 1  # nothing measured yet: the first calls probe the jobs' cost
        fill = math.ceil(remaining / cpus)  # never so large that some CPUs go idle
        target = math.floor(self.batch_seconds / max(mean, 1e-6))
        return max(1, min(self.max_batch, fill, target))

    def _run(self, ray: Any, config: SearchConfig, jobs: list[SearchJob]
             ) -> Iterator[SearchResult]:
        remote = _remote()
        key = digest(config)
        config_ref = ray.put(config)
        cpus = self.concurrency()
        queue = deque(jobs)
        alone: deque[SearchJob] = deque()  # jobs of a crashed batch, re-run one per call
        in_flight: dict[Any, tuple[list[SearchJob], float]] = {}  # ref -> (jobs, sent at)
        total_seconds, done = 0.0, 0
        try:
            while queue or alone or in_flight:
                # one call queued per CPU beyond the running ones hides Ray's latency
                while (queue or alone) and len(in_flight) < 2 * cpus:
                    if alone:
                        batch = [alone.popleft()]
                    else:
                        mean = total_seconds / done if done else None
                        n = self._batch_size(mean, len(queue), cpus)
                        batch = [queue.popleft() for _ in range(min(n, len(queue)))]
                    ref = remote.remote(key, config_ref, batch, self.overrun_grace)
                    in_flight[ref] = (batch, time.monotonic())
                ready, _ = ray.wait(list(in_flight), num_returns=1)
                for ref in ready:
                    batch, sent = in_flight.pop(ref)
                    try:
                        results = ray.get(ref)
                    except Exception as e:  # the worker died, or Ray lost the task
                        if len(batch) > 1:
                            alone.extend(batch)  # find the culprit; the others run again
                            continue
                        job = batch[0]
                        hung = time.monotonic() - sent >= overrun_after(job, self.overrun_grace)
                        yield failed(job, overran(job) if hung else _why(e))
                        continue
                    for r in results:
                        total_seconds += r.seconds
                        done += 1
                        yield r
        finally:
            for ref in in_flight:
                try:
                    ray.cancel(ref, force=True)
                except Exception:
                    pass

    def close(self) -> None:
        if self._started:
            ray = _import_ray()
            if ray.is_initialized():
                ray.shutdown()
            self._started = False


def _why(e: BaseException) -> str:
    name = type(e).__name__
    if "WorkerCrashed" in name or "ActorDied" in name or "OutOfMemory" in name:
        return "error: worker process died"
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"error: {name}: {first[:200]}"
