"""The process pool against Ray on one benchmark split: same solutions, wall times, overhead.

    python benchmarks/executors.py --timeout 20 --workers 2 --json executors.json
    python benchmarks/executors.py --timeout 20 --workers 8 --address auto   # on a Ray cluster
    python benchmarks/executors.py --timeout 60 --candidates 200000   # load-independent sets

At a time budget, tasks solved near the timeout come and go with the machine's load (on a busy
machine, run to run, for either executor); a candidate budget makes the solved sets exact.

Both executors search the split (default: the `lists` suite's test split) with the same config
(the domain's searcher over the plain grammar, as `hylo bench` without a library). Then each runs
a batch of cheap jobs (the split's tasks again, `--trivial-seconds` each) twice, with 1 job and
with `--trivial` jobs, to measure the overhead per job without start-up:

    overhead_per_task_ms = ((wall_N - wall_1) * workers - (searched_N - searched_1)) / (N - 1)

that is, worker time per job not spent inside the search (dispatch, transfer, result). Start-up
is reported beside it: the pool spawns its workers on every run, Ray starts once per process
(`ray_init_seconds`, not part of `ray_wall_seconds`).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from typing import Any

from hylo.core.grammar import Grammar
from hylo.domains import get_domain
from hylo.search.base import Budget, SearchResult
from hylo.search.executor import Executor, SearchConfig, SearchJob
from hylo.search.pool import PoolExecutor
from hylo.search.ray_executor import RayExecutor


def _timed(ex: Executor, config: SearchConfig, jobs: list[SearchJob]
           ) -> tuple[float, list[SearchResult]]:
    t0 = time.perf_counter()
    results = list(ex.run(config, jobs))
    return time.perf_counter() - t0, results


def _overhead(ex: Executor, config: SearchConfig, jobs: list[SearchJob], workers: int
              ) -> tuple[float, float]:
    """(overhead per job in ms, wall seconds of a one-job run)."""
    wall_1, one = _timed(ex, config, jobs[:1])
    wall_n, many = _timed(ex, config, jobs)
    searched = sum(r.seconds for r in many) - sum(r.seconds for r in one)
    per_job = ((wall_n - wall_1) * workers - searched) / max(1, len(jobs) - 1)
    return round(1000 * per_job, 3), round(wall_1, 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domain", default="lists")
    ap.add_argument("--suite", default=None, help="default: the suite named like the domain")
    ap.add_argument("--split", choices=["train", "test", "all"], default="test")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--address", default=None, help="a Ray cluster (default: a local Ray)")
    ap.add_argument("--candidates", type=int, default=None,
                    help="also stop each search after this many candidates: with a large "
                    "--timeout the solved sets no longer depend on the machine's load")
    ap.add_argument("--trivial", type=int, default=400, help="cheap jobs for the overhead")
    ap.add_argument("--trivial-seconds", type=float, default=0.001)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    domain = get_domain(args.domain)
    tasks = domain.suites[args.suite or args.domain]()
    if args.split != "all":
        if domain.split is None:
            raise SystemExit(f"domain {args.domain!r} has no train/test split")
        train, test = domain.split(tasks)
        tasks = train if args.split == "train" else test
    config = SearchConfig.from_grammar(domain.name, Grammar.uniform(domain.dsl))
    jobs = [SearchJob(t, Budget(seconds=args.timeout, max_candidates=args.candidates))
            for t in tasks]
    cheap = Budget(seconds=args.trivial_seconds)
    trivial = [SearchJob(tasks[i % len(tasks)], cheap) for i in range(max(2, args.trivial))]

    out: dict[str, Any] = {"domain": domain.name, "split": args.split, "tasks": len(tasks),
                           "workers": args.workers, "timeout": args.timeout,
                           "candidates": args.candidates,
                           "address": args.address}
    solved: dict[str, dict[str, str | None]] = {}
    overhead: dict[str, float] = {}
    startup: dict[str, float] = {}

    pool = PoolExecutor(workers=args.workers)
    wall, results = _timed(pool, config, jobs)
    out["pool_wall_seconds"] = round(wall, 2)
    solved["pool"] = {r.task: r.program for r in results if r.solved}
    print(f"pool: {len(solved['pool'])}/{len(tasks)} in {wall:.1f} s", flush=True)
    overhead["pool"], startup["pool"] = _overhead(pool, config, trivial, args.workers)

    t0 = time.perf_counter()
    ray_ex = RayExecutor(workers=args.workers, address=args.address)  # starts or joins Ray
    out["ray_init_seconds"] = round(time.perf_counter() - t0, 2)
    try:
        wall, results = _timed(ray_ex, config, jobs)
        out["ray_wall_seconds"] = round(wall, 2)
        solved["ray"] = {r.task: r.program for r in results if r.solved}
        print(f"ray: {len(solved['ray'])}/{len(tasks)} in {wall:.1f} s", flush=True)
        overhead["ray"], startup["ray"] = _overhead(ray_ex, config, trivial, args.workers)
    finally:
        ray_ex.close()

    out["solved_pool"] = len(solved["pool"])
    out["solved_ray"] = len(solved["ray"])
    out["same_solved"] = set(solved["pool"]) == set(solved["ray"])
    out["only_pool"] = sorted(set(solved["pool"]) - set(solved["ray"]))
    out["only_ray"] = sorted(set(solved["ray"]) - set(solved["pool"]))
    both = set(solved["pool"]) & set(solved["ray"])
    out["same_programs"] = all(solved["pool"][n] == solved["ray"][n] for n in both)
    out["overhead_per_task_ms"] = overhead
    out["one_job_wall_seconds"] = startup
    out["trivial_jobs"] = len(trivial)
    out["machine"] = {"python": platform.python_version(), "platform": platform.platform()}
    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
