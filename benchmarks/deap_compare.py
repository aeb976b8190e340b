"""hylo's typed GP against DEAP's, on the same PSB1 problem, one core: program executions per
second with lexicase selection. Prints JSON.

    pip install deap==1.4.4   # not a dependency of hylo: only this comparison needs it
    python benchmarks/deap_compare.py [--problem small-or-large] [--population 1000]
                                      [--generations 10] [--data DIR]

Both evolve programs for the problem's training cases (PSB1, edge cases first, as the general
domain reads them), population `--population`, `--generations` generations, lexicase selection
over the same per-case errors (the general domain's `case_error`: edit distance on strings,
absolute difference on numbers). DEAP's primitive set is the problem's natural typed one
(integer arithmetic with protected division, comparisons, typed if, string constants and
concatenation), its individuals compiled by `gp.compile` and selected by `tools.selLexicase`,
varied by one-point crossover and uniform mutation (`eaSimple`'s loop written out so every
evaluation is counted). An execution is one program run on one case. `ratio` is hylo's
executions per second over DEAP's.
"""

from __future__ import annotations

import argparse
import json
import operator
import random
import time


def _hylo(task, population: int, generations: int, seed: int) -> dict:
    from hylo.domains import get_domain
    from hylo.search.base import Budget
    from hylo.search.genetic import GeneticSearcher

    domain = get_domain("general")
    s = GeneticSearcher(domain.prior(), domain, population=population, generations=generations,
                        seed=seed)
    t0 = time.perf_counter()
    r = s.solve(task, Budget(seconds=3600.0))
    wall = time.perf_counter() - t0
    st = s.last_stats
    return {"executions": st["executions"], "generations": st["generations"],
            "seconds": round(wall, 3), "selection_seconds": round(st["selection_seconds"], 3),
            "executions_per_second": round(st["executions"] / wall), "stopped": r.stopped}


def _deap(task, population: int, generations: int, seed: int) -> dict:
    from deap import base, creator, gp, tools

    from hylo.domains import get_domain

    domain = get_domain("general")
    n_in = len(task.examples[0].inputs)
    out_t = type(task.examples[0].output)
    in_types = [type(x) for x in task.examples[0].inputs]
    pset = gp.PrimitiveSetTyped("main", in_types, out_t)

    def div(a: int, b: int) -> int:
        return a // b if b else 1

    def if_str(c: bool, a: str, b: str) -> str:
        return a if c else b

    def if_int(c: bool, a: int, b: int) -> int:
        return a if c else b

    for f in (operator.add, operator.sub, operator.mul, div):
        pset.addPrimitive(f, [int, int], int, name=getattr(f, "__name__", "div"))
    pset.addPrimitive(operator.lt, [int, int], bool, name="lt")
    pset.addPrimitive(operator.eq, [int, int], bool, name="eq")
    pset.addPrimitive(operator.and_, [bool, bool], bool, name="and_")
    pset.addPrimitive(operator.not_, [bool], bool, name="not_")
    pset.addPrimitive(if_int, [bool, int, int], int)
    pset.addPrimitive(if_str, [bool, str, str], str)
    pset.addPrimitive(operator.add, [str, str], str, name="concat")
    pset.addPrimitive(str, [int], str, name="show")
    for k in (0, 1, 2, 1000, 2000):
        pset.addTerminal(k, int)
    for text in ("small", "large", "", " "):
        pset.addTerminal(text, str)
    pset.addTerminal(True, bool)
    pset.addTerminal(False, bool)
    cases = [(ex.inputs, ex.output) for ex in task.examples]
    if "FitnessLex" not in creator.__dict__:
        creator.create("FitnessLex", base.Fitness, weights=(-1.0,) * len(cases))
        creator.create("Individual", gp.PrimitiveTree, fitness=creator.FitnessLex)
    tb = base.Toolbox()
    tb.register("expr", gp.genHalfAndHalf, pset=pset, min_=1, max_=4)
    tb.register("individual", tools.initIterate, creator.Individual, tb.expr)
    tb.register("population", tools.initRepeat, list, tb.individual)
    tb.register("select", tools.selLexicase)
    tb.register("mate", gp.cxOnePoint)
    tb.register("expr_mut", gp.genFull, min_=0, max_=2)
    tb.register("mutate", gp.mutUniform, expr=tb.expr_mut, pset=pset)
    limit = gp.staticLimit(key=operator.attrgetter("height"), max_value=17)
    tb.decorate("mate", limit)
    tb.decorate("mutate", limit)
    executions = [0]

    def evaluate(ind):
        f = gp.compile(ind, pset)
        errs = []
        for inputs, want in cases:
            executions[0] += 1
            try:
                got = f(*inputs) if n_in else f
            except (ArithmeticError, ValueError, TypeError, OverflowError, MemoryError):
                errs.append(1e12)
                continue
            errs.append(domain.error(got, want))
        return tuple(errs)

    tb.register("evaluate", evaluate)
    random.seed(seed)
    t0 = time.perf_counter()
    pop = tb.population(n=population)
    select_seconds = 0.0
    for ind in pop:
        ind.fitness.values = tb.evaluate(ind)
    for _ in range(generations):
        s0 = time.perf_counter()
        parents = list(map(tb.clone, tb.select(pop, len(pop))))
        select_seconds += time.perf_counter() - s0
        for a, b in zip(parents[::2], parents[1::2], strict=False):
            if random.random() < 0.7:
                tb.mate(a, b)
                del a.fitness.values, b.fitness.values
        for m in parents:
            if random.random() < 0.25:
                tb.mutate(m)
                del m.fitness.values
        for ind in parents:
            if not ind.fitness.valid:
                ind.fitness.values = tb.evaluate(ind)
        pop = parents
    wall = time.perf_counter() - t0
    return {"executions": executions[0], "generations": generations,
            "seconds": round(wall, 3), "selection_seconds": round(select_seconds, 3),
            "executions_per_second": round(executions[0] / wall)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--problem", default="small-or-large")
    ap.add_argument("--population", type=int, default=1000)
    ap.add_argument("--generations", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=None, help="the PSB1 folder")
    args = ap.parse_args()
    from hylo.domains.general.psb1 import load_psb1

    tasks = load_psb1(args.data, names=[args.problem])
    if not tasks:
        raise SystemExit(f"no PSB1 problem {args.problem!r}")
    task = tasks[0]
    hylo = _hylo(task, args.population, args.generations, args.seed)
    deap = _deap(task, args.population, args.generations, args.seed)
    print(json.dumps({"problem": task.name, "cases": len(task.examples),
                      "population": args.population, "generations": args.generations,
                      "hylo": hylo, "deap": deap,
                      "ratio": round(hylo["executions_per_second"]
                                     / max(1, deap["executions_per_second"]), 1)}, indent=2))


if __name__ == "__main__":
    main()
