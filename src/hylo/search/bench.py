"""Throughput of the enumerator: programs generated and programs checked per second.

- `programs_per_second`: complete, distinct, well-typed programs of the request type that the
  enumerator produces (start-symbol programs, in order of description length; sub-programs
  built along the way are not counted). Nothing is compiled or run.
- `evaluated_per_second`: programs generated, compiled (closure built) and run against a task's
  examples, stopping at the first failing example (early cut-off), on a task the search does not
  solve within the time, so the count is not cut short. Includes generation time.
Both on one core, one process.
"""

from __future__ import annotations

import time

from hylo.core.grammar import QUANTUM, Grammar
from hylo.core.task import Task
from hylo.core.types import Type
from hylo.search.base import Budget
from hylo.search.enumerate import Enumerator
from hylo.search.enumerative import EnumerativeSearcher


def generation_rate(grammar: Grammar, request: Type, seconds: float) -> dict:
    en = Enumerator(grammar, request)
    n = 0
    last_cost = 0
    t0 = time.perf_counter()
    for cost, ids in en.buckets():
        n += len(ids)
        last_cost = cost
        if time.perf_counter() - t0 > seconds:
            break
    dt = time.perf_counter() - t0
    return {
        "programs": n,
        "seconds": round(dt, 3),
        "programs_per_second": round(n / dt),
        "max_description_length": last_cost / QUANTUM,
        "nodes": en.size,
    }


def evaluation_rate(grammar: Grammar, task: Task, seconds: float) -> dict:
    searcher = EnumerativeSearcher(grammar)
    r = searcher.solve(task, Budget(seconds=seconds))
    return {
        "task": task.name,
        "examples": len(task.examples),
        "evaluated": r.candidates,
        "seconds": round(r.seconds, 3),
        "evaluated_per_second": round(r.candidates / max(r.seconds, 1e-9)),
        "solved": r.solved,
    }
