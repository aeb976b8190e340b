"""Gradient vs REINFORCE vs separable CMA-ES vs the GA on the digits tasks, ES fitness a knob.

    python benchmarks/digits_methods.py --fitness nll   --json methods_nll.json
    python benchmarks/digits_methods.py --fitness error --json methods_error.json
    python benchmarks/digits_methods.py --methods gradient,es,ga --es-generations 200

The GA (`train.fit_ga`) takes the ES's settings: the same fitness, sigma and number of
evaluations (`--es-generations` x pycma's population of 23 for the 650 weights).

The same comparison runs inside `hylo bench digits` with `--fitness nll`; this script exists to
measure the other settings (the hard error-rate fitness, more generations, one task).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from hylo.domains.digits.experiment import COMPARED_METHODS, DigitsConfig, compare_methods


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fitness", choices=["nll", "error"], default="nll")
    ap.add_argument("--es-generations", type=int, default=1500)
    ap.add_argument("--sigma", type=float, default=0.1)
    ap.add_argument("--reinforce-steps", type=int, default=4000)
    ap.add_argument("--gradient-steps", type=int, default=1500)
    ap.add_argument("--methods", default=",".join(COMPARED_METHODS),
                    help="comma-separated, among " + ", ".join(COMPARED_METHODS))
    ap.add_argument("--tasks", default="classify,sum2")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    methods = tuple(m for m in args.methods.split(",") if m)
    unknown = sorted(set(methods) - set(COMPARED_METHODS))
    if unknown:
        ap.error(f"unknown methods {unknown}; choose among {', '.join(COMPARED_METHODS)}")

    import torch

    torch.set_num_threads(1)

    t0 = time.perf_counter()
    rows = compare_methods(DigitsConfig(seed=args.seed), es_generations=args.es_generations,
                           reinforce_steps=args.reinforce_steps,
                           gradient_steps=args.gradient_steps, methods=methods,
                           tasks=tuple(args.tasks.split(",")), es_fitness=args.fitness,
                           es_sigma=args.sigma,
                           progress=lambda msg, done: print(msg, flush=True) if done else None)
    for r in rows:
        gap = ("" if r["gap_to_gradient"] is None
               else f"gap {100 * r['gap_to_gradient']:+5.1f} pts")
        evals = f"{r['evaluations']:6d} evals" if r["evaluations"] else " " * 12
        print(f"{r['task']:14s} {r['method']:10s} {100 * r['test_accuracy']:5.1f}%  "
              f"{gap:15s} {evals}  {r['seconds']:6.1f} s")
    report = {"command": " ".join(sys.argv), "fitness": args.fitness, "rows": rows,
              "load_average": os.getloadavg(), "wall_seconds": time.perf_counter() - t0}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
