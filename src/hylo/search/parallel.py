"""Old import path of the process pool, kept for callers not yet moved.

The pool is the `pool` executor (`hylo.search.pool.PoolExecutor`); `solve_tasks` and `iter_solve`
live in `hylo.search.executor` and run on any executor.
"""

from __future__ import annotations

from hylo.search.executor import SearchConfig, iter_solve, solve_tasks
from hylo.search.pool import PoolExecutor

__all__ = ["PoolExecutor", "SearchConfig", "iter_solve", "solve_tasks"]
