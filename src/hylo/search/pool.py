"""The `pool` executor: search jobs over local worker processes.

Each worker is a `spawn`ed process (no inherited locks or threads) with its own pipe. It gets the
search configuration once, at start-up, builds its searcher (`JobRunner`) and then serves one job
at a time: a job goes in, a `SearchResult` comes out, no per-candidate traffic. Since the
coordinator knows which job each worker is running:

- a worker that dies (killed, out of memory, a crash in C) fails only the job it was running;
  a fresh worker takes its place and the other workers go on untouched;
- a worker whose job overruns its budget far (`2 x seconds + overrun_grace`) is killed, its
  job failed (a searcher stuck in C, where no evaluator limit reaches);
- when the coordinator stops (the consumer stops iterating, Ctrl-C, an error), every worker is
  terminated at once, whatever it is doing; workers ignore SIGINT, so a terminal's Ctrl-C reaches
  only the coordinator, which shuts them down.

A worker also ends by itself when its parent dies (`kill -9` of the coordinator): a watchdog
thread compares `getppid()` with the parent's PID, passed as an argument (read before the
worker started, so a parent that dies while the worker is still importing is noticed too), and
the pipe's end-of-file ends a worker that waits for a job.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection, wait

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

#: seconds a terminated worker gets before it is killed
STOP_GRACE = 2.0
#: how often the watchdog looks at the parent
WATCH_SECONDS = 0.5


def _watch_parent(parent: int) -> None:
    import threading

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(WATCH_SECONDS)

    threading.Thread(target=watch, name="hylo-parent-watchdog", daemon=True).start()


def _worker_main(config: SearchConfig, parent: int, conn: Connection) -> None:
    """A worker: serve jobs from `conn` until it closes or sends None."""
    import signal
    import sys

    _watch_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator decides when to stop
    # Its own process, so it may raise its recursion limit for deep grammars.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    runner: JobRunner | None = None
    broken = ""
    try:
        runner = JobRunner(config)
    except Exception as e:  # the coordinator built it already; fail jobs, not the worker
        broken = f"error: worker could not build the searcher: {type(e).__name__}: {e}"
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        result = runner.run(job) if runner is not None else failed(job, broken)
        try:
            conn.send(result)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    def __init__(self, ctx: mp.context.SpawnContext, config: SearchConfig, index: int) -> None:
        here, there = ctx.Pipe()
        self.conn = here
        self.process = ctx.Process(
            target=_worker_main, args=(config, os.getpid(), there),
            name=f"hylo-worker-{index}", daemon=True,
        )
        self.process.start()
        there.close()  # only the child holds its end: its death is our end-of-file
        self.job: tuple[int, SearchJob] | None = None
        self.deadline = math.inf

    def give(self, index: int, job: SearchJob, grace: float) -> bool:
        self.job = (index, job)
        self.deadline = time.monotonic() + overrun_after(job, grace)
        try:
            self.conn.send(job)
        except (BrokenPipeError, OSError):
            return False
        return True

    def stop(self) -> None:
        """Terminate now (a search in progress is abandoned); kill if it lingers."""
        p = self.process
        if p.is_alive():
            p.terminate()
            p.join(STOP_GRACE)
            if p.is_alive():
                p.kill()
                p.join(STOP_GRACE)
        self.conn.close()


class PoolExecutor(Executor):
    """`workers` local processes; exactly one job per worker in flight."""

    name = "pool"
    isolates = True

    def __init__(self, workers: int = 2, overrun_grace: float = OVERRUN_GRACE) -> None:
        if workers < 1:
            raise ValueError(f"a pool needs workers >= 1 (got {workers})")
        self.workers = workers
        self.overrun_grace = overrun_grace
        self._live: set[_Worker] = set()

    def run(self, config: SearchConfig, jobs: Sequence[SearchJob]) -> Iterator[SearchResult]:
        JobRunner(config)  # a bad config is one error here, before any worker starts
        return self._run(config, list(jobs))

    def _run(self, config: SearchConfig, jobs: list[SearchJob]) -> Iterator[SearchResult]:
        ctx = mp.get_context("spawn")
        queue = deque(enumerate(jobs))
        idle: list[_Worker] = []
        busy: list[_Worker] = []
        started = 0
        try:
            # Start them all at once: each spends its first second or so importing.
            for _ in range(min(self.workers, len(queue))):
                w = _Worker(ctx, config, started)
                started += 1
                self._live.add(w)
                idle.append(w)
            while queue or busy:
                while queue and len(busy) < self.workers:
                    if not idle:
                        w = _Worker(ctx, config, started)
                        started += 1
                        self._live.add(w)
                        idle.append(w)
                    w = idle.pop()
                    busy.append(w)
                    if not w.give(*queue.popleft(), self.overrun_grace):
                        break  # dead before it took the job: handled below as a death
                now = time.monotonic()
                timeout = max(0.0, min(w.deadline for w in busy) - now)
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy],
                                 timeout=None if math.isinf(timeout) else timeout))
                for w in list(busy):
                    assert w.job is not None
                    index, job = w.job
                    result: SearchResult | None = None
                    if w.conn in ready or w.conn.poll():
                        try:
                            result = w.conn.recv()
                        except (EOFError, OSError):
                            result = None
                        if result is not None:
                            busy.remove(w)
                            w.job, w.deadline = None, math.inf
                            idle.append(w)
                            yield result
                            continue
                    why = ""
                    if result is None and (w.conn in ready or w.process.sentinel in ready
                                           or not w.process.is_alive()):
                        why = "error: worker process died"
                    elif time.monotonic() > w.deadline:
                        why = overran(job)
                    if why:
                        busy.remove(w)
                        self._live.discard(w)
                        w.stop()
                        yield failed(job, why)
        finally:
            for w in idle + busy:
                self._live.discard(w)
                w.stop()

    def close(self) -> None:
        for w in list(self._live):
            w.stop()
        self._live.clear()
