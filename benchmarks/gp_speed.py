"""Speed of typed genetic programming (`hylo.search.genetic`) on one core: program executions
per second and the time lexicase selection takes per generation. Prints JSON.

    python benchmarks/gp_speed.py [--population 1000] [--generations 10] [--repeat 3]
                                  [--selection lexicase] [--task NAME] [--domain lists]

The task is the domain's throughput benchmark task (lists: the caesar cipher, which GP does not
solve in a few generations, so every generation is run). An execution is one program run on
one example; `executions_per_second` counts every second of the search (drawing the initial
population, variation, selection, evaluation, caches), `evaluation_executions_per_second` only
those spent evaluating; `executions_per_cpu_second` divides by the process's CPU time instead
of the wall clock (what one core does when the machine is shared).
`selection_seconds_per_generation` is the selection of a generation's parents (two per
crossover child, retries included), measured inside the search; the same selection is also
timed alone on an initial population's error matrix (`selections_per_second`). Runs are
repeated and the fastest reported (the machine may be shared); `runs` has every one.
DEAP, measured on this project's machine, ran about 940 program executions per second with
lexicase selection dominating its time (`deap_executions_per_second`).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from hylo.domains import get_domain
from hylo.search.base import Budget
from hylo.search.genetic import Evolution, GeneticSearcher, lexicase_select, mad_epsilon

DEAP_EXECUTIONS_PER_SECOND = 940.0


def _task(domain, name: str | None):
    bench = domain.search_defaults.get("benchmark", {})
    suite = domain.suites[bench.get("suite", next(iter(domain.suites)))]()
    name = name or bench.get("task")
    for t in suite:
        if t.name == name:
            return t
    raise SystemExit(f"no task {name!r} in the suite")


def run_once(domain, task, population: int, generations: int, selection: str,
             seed: int) -> dict:
    s = GeneticSearcher(domain.prior(), domain, population=population, generations=generations,
                        selection=selection, seed=seed)
    cpu = time.process_time()
    r = s.solve(task, Budget(seconds=600.0))
    cpu = time.process_time() - cpu
    st = s.last_stats
    out = {
        "stopped": r.stopped,
        "generations": st["generations"],
        "programs": st["programs"],
        "executions": st["executions"],
        "seconds": round(st["seconds"], 3),
        "executions_per_second": round(st["executions"] / st["seconds"]),
        "executions_per_cpu_second": round(st["executions"] / max(cpu, 1e-9)),
        "evaluation_executions_per_second": round(st["executions"]
                                                  / max(st["evaluation_seconds"], 1e-9)),
        "selection_seconds_per_generation": round(st["selection_seconds"]
                                                  / max(1, st["generations"]), 5),
    }
    # Selection alone, on the error matrix of a population like the search's last one
    run = Evolution(s, s.grammar_for(task), task, Budget(seconds=600.0), time.perf_counter())
    nodes = run.initial_population()
    rows = run.evaluate(nodes, range(run.n_cases))
    errors = np.array(rows, dtype=float)
    n = 2 * population
    rng = np.random.default_rng(seed)
    eps = mad_epsilon(errors) if selection == "epsilon-lexicase" else None
    t0 = time.perf_counter()
    reps = 5
    for _ in range(reps):
        lexicase_select(errors, n, rng, eps)
    alone = (time.perf_counter() - t0) / reps
    out["selections_per_second"] = round(n / alone)
    out["distinct_error_rows"] = int(len(np.unique(errors, axis=0)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--domain", default="lists")
    ap.add_argument("--task", default=None)
    ap.add_argument("--population", type=int, default=1000)
    ap.add_argument("--generations", type=int, default=10)
    ap.add_argument("--selection", default="lexicase")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    domain = get_domain(args.domain)
    task = _task(domain, args.task)
    runs = [run_once(domain, task, args.population, args.generations, args.selection,
                     args.seed) for _ in range(args.repeat)]
    best = max(runs, key=lambda r: r["executions_per_second"])
    print(json.dumps({
        "task": task.name,
        "population": args.population,
        "cases": len(task.examples),
        "selection": args.selection,
        "executions_per_second": best["executions_per_second"],
        "executions_per_cpu_second": max(r["executions_per_cpu_second"] for r in runs),
        "evaluation_executions_per_second": best["evaluation_executions_per_second"],
        "selection_seconds_per_generation": min(r["selection_seconds_per_generation"]
                                                for r in runs),
        "selections_per_second": max(r["selections_per_second"] for r in runs),
        "deap_executions_per_second": DEAP_EXECUTIONS_PER_SECOND,
        "speedup_vs_deap": round(best["executions_per_second"] / DEAP_EXECUTIONS_PER_SECOND, 1),
        "runs": runs,
    }, indent=2))


if __name__ == "__main__":
    main()
