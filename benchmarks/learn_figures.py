"""The learning run's figures, as the issue asks for them, read from a library file.

    hylo learn lists --iterations 10 --timeout 20 --workers 2 --library run.db
    python benchmarks/learn_figures.py run.db [--json figures.json]

Prints, for the latest learning run: test solved per iteration (and its timeout), train solved,
library size, the wall time of the finished iterations, and for the test tasks solved both at
the first and at the last iteration the median search seconds at each and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from hylo.library import open_store
from hylo.report.html import collect, speedup


def figures(path: str, run_id: int | None = None) -> dict:
    with open_store(path) as store:
        data = collect(store, run_id)
        its = data.iterations
        if not its:
            raise SystemExit("no finished iteration in this run")
        first, last = its[0].metrics, its[-1].metrics
        both, ratio = speedup(first, last)
        per_iteration = [{
            "iteration": it.iteration,
            "train_solved": it.metrics["train"]["solved"],
            "train_total": it.metrics["train"]["total"],
            "test_solved": it.metrics["test"]["solved"],
            "test_total": it.metrics["test"]["total"],
            "test_timeout": it.metrics["test"]["timeout"],
            "test_median_seconds": it.metrics["test"]["median_seconds"],
            "library_size": it.metrics["library_size"],
            "seconds": it.metrics["seconds"]["total"],
        } for it in its]
        return {
            "run": data.run.id,
            "status": data.run.status,
            "config": data.run.config,
            "iterations": per_iteration,
            "wall_seconds": round(sum(p["seconds"] for p in per_iteration), 1),
            "test_solved_last": last["test"]["solved"],
            "test_total": last["test"]["total"],
            "test_fraction_last": round(last["test"]["solved"] / last["test"]["total"], 4),
            "solved_at_both": len(both),
            "median_seconds_first": statistics.median(a for _, a, _ in both) if both else None,
            "median_seconds_last": statistics.median(b for _, _, b in both) if both else None,
            "median_speedup": round(ratio, 2) if ratio else None,
            "library": [{"name": a.name, "type": a.type, "body": a.body,
                         "iteration": a.iteration, "uses": a.provenance.get("uses"),
                         "tasks": len(a.provenance.get("tasks", []))}
                        for a in data.abstractions],
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("library")
    ap.add_argument("--run", type=int, default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    f = figures(args.library, args.run)
    for p in f["iterations"]:
        print(f"iteration {p['iteration']:2d}: train {p['train_solved']:3d}/{p['train_total']}  "
              f"test {p['test_solved']:3d}/{p['test_total']} at {p['test_timeout']:g}s  "
              f"median {p['test_median_seconds']}s  library {p['library_size']:2d}  "
              f"{p['seconds']:.0f}s")
    print(f"wall (finished iterations): {f['wall_seconds'] / 60:.1f} min")
    print(f"test solved at the last iteration: {f['test_solved_last']}/{f['test_total']} "
          f"({100 * f['test_fraction_last']:.1f}%)")
    print(f"tasks solved at both first and last: {f['solved_at_both']}; median seconds "
          f"{f['median_seconds_first']} -> {f['median_seconds_last']} "
          f"({f['median_speedup']}x)")
    for a in f["library"]:
        print(f"  {a['name']:6s} it {a['iteration']:2d} uses {a['uses']:3d}  {a['type']:32s} "
              f"{a['body']}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(f, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
