"""Throughput of the enumerator: programs generated and programs checked per second.

- `programs_per_second`: complete, distinct, well-typed programs of the request type that the
  enumerator produces (start-symbol programs, in order of description length; sub-programs
  built along the way are not counted). Nothing is compiled or run.
- `evaluated_per_second`: programs generated, compiled (closure built) and run against a task's
  examples, stopping at the first failing example (early cut-off), on a task the search does not
  solve within the time, so the count is not cut short. Includes generation time.
Both on one core, one process, timed by this process's CPU time (`time.process_time`), so that
other load on the machine does not count against it; wall-clock rates are reported beside.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from hylo.core.domain import Domain
from hylo.core.grammar import QUANTUM, Grammar
from hylo.core.task import Task
from hylo.core.types import Type
from hylo.search.base import Budget
from hylo.search.enumerate import Enumerator
from hylo.search.registry import build_searcher


def generation_rate(grammar: Grammar, request: Type, seconds: float) -> dict:
    en = Enumerator(grammar, request)
    n = 0
    last_cost = 0
    c0, w0 = time.process_time(), time.perf_counter()
    for cost, ids in en.buckets():
        n += len(ids)
        last_cost = cost
        if time.process_time() - c0 > seconds:
            break
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return {
        "programs": n,
        "cpu_seconds": round(cpu, 3),
        "wall_seconds": round(wall, 3),
        "programs_per_second": round(n / cpu),
        "programs_per_wall_second": round(n / wall),
        "max_description_length": last_cost / QUANTUM,
        "nodes": en.size,
    }


def evaluation_rate(
    grammar: Grammar,
    task: Task,
    seconds: float,
    searcher: str | Mapping[str, Any] = "enumerative",
    domain: Domain | None = None,
) -> dict:
    """Candidates checked per CPU second by the searcher `searcher` (a spec) on `task`."""
    built = build_searcher(searcher, grammar, domain)
    c0 = time.process_time()
    r = built.solve(task, Budget(seconds=seconds))
    cpu = time.process_time() - c0
    return {
        "task": task.name,
        "examples": len(task.examples),
        "evaluated": r.candidates,
        "cpu_seconds": round(cpu, 3),
        "wall_seconds": round(r.seconds, 3),
        "evaluated_per_second": round(r.candidates / max(cpu, 1e-9)),
        "evaluated_per_wall_second": round(r.candidates / max(r.seconds, 1e-9)),
        "solved": r.solved,
        "searcher": built.spec(),
    }


def bottom_up_rate(
    grammar: Grammar,
    task: Task,
    seconds: float,
    domain: Domain | None = None,
    params: Mapping[str, Any] | None = None,
) -> dict:
    """Throughput of the bottom-up searcher (`hylo.search.bottom_up`) on `task`, which it
    should not solve within `seconds` (then every second counts), on one core:

    - `values_per_second`: distinct values kept (programs whose value tuple was new for their
      type and context, lambda bodies included), per CPU second;
    - `evaluated_per_second`: programs evaluated (each once, on all its context's points),
      per CPU second. Includes building the banks; wall-clock rates beside.
    Compare `values_per_second` with `generation_rate`'s `programs_per_second` (top-down's
    distinct programs of the request) on the same request.
    """
    from hylo.search.bottom_up import BottomUpSearcher

    built = BottomUpSearcher(grammar, domain, **dict(params or {}))
    c0 = time.process_time()
    r = built.solve(task, Budget(seconds=seconds))
    cpu = max(time.process_time() - c0, 1e-9)
    run = built.run_
    values = len(run.vals) if run is not None else 0
    return {
        "task": task.name,
        "examples": len(task.examples),
        "values": values,
        "evaluated": r.candidates,
        "cpu_seconds": round(cpu, 3),
        "wall_seconds": round(r.seconds, 3),
        "values_per_second": round(values / cpu),
        "evaluated_per_second": round(r.candidates / cpu),
        "values_per_wall_second": round(values / max(r.seconds, 1e-9)),
        "max_description_length": (run.root.upto / QUANTUM) if run is not None else 0.0,
        "contexts": len(run.contexts) if run is not None else 0,
        "solved": r.solved,
        "stopped": r.stopped,
        "searcher": built.spec(),
    }
