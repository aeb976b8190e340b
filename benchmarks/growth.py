"""Growing a digit classifier during training (Net2Net) against training the final one from
scratch, counted in optimizer steps.

    python benchmarks/growth.py --seeds 0,1,2 --json growth.json

Task 1 of the digits sequence (`image -> int`, the full training split: 1,006 images to train
on, 252 held out for validation; 539 test images), trained as hylo trains it: the program
`(lam (nn:new:classify $0))`, Adam on the soft NLL, minibatches of 64, image shifts.

1. From scratch: the final architecture (`--final`, default the library's CNN: conv 16, conv
   32, 64 hidden) trains until its validation loss has not improved for `--patience`
   evaluations (one every `--eval-every` steps): its steps, validation and test accuracy at
   that point. The target is that validation accuracy.
2. Grown: the same architecture with every width divided by `--shrink` starts, grows (widths
   doubled per stage, `hylo.neural.grow.stages_between`) whenever its validation loss has not
   improved for `--grow-patience` evaluations, and stops at the first evaluation whose
   validation accuracy reaches the target (or after `--max-steps`). Its steps count every
   optimizer step, those before growth included. `--optimizer carry` moves Adam's state
   through each growth (`carry_adam`); `fresh` starts a new Adam; `both` runs both.

Validation decides everything (plateaus, the target); test accuracy is only reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any


def _data(seed: int) -> tuple[Any, Any, Any, Any]:
    from hylo.domains.digits.experiment import split_val, to_data
    from hylo.domains.digits.tasks import make_task

    task = make_task("classify", None, seed, 1000)
    train, val = split_val(task.train, 0.2, seed)
    return task, to_data(task, train), to_data(task, val), to_data(task, task.test)


def _run(task: Any, train: Any, val: Any, test: Any, spec: dict[str, Any], cfg: Any,
         until: Any = None) -> dict[str, Any]:
    from hylo.core.program import parse
    from hylo.neural.grow import fit_growing_slot
    from hylo.neural.hybrid import CompileOptions, compile_program
    from hylo.neural.train import accuracy

    text = "nn:new:classify"
    model = compile_program(parse(f"(lam ({text} $0))"), task.request,
                            options=CompileOptions(fresh_specs={"classify": spec},
                                                   seed=cfg.seed))
    t0 = time.perf_counter()
    res = fit_growing_slot(model, text, train, val, cfg, until)
    last = res.history[-1] if res.history else {}
    return {"steps": res.steps, "stopped": res.stopped, "seconds": time.perf_counter() - t0,
            "val_accuracy": last.get("accuracy"), "val_loss": last.get("loss"),
            "test_accuracy": accuracy(model, test), "spec": res.spec,
            "growths": res.growths,
            "curve": [(h["step"], round(h["accuracy"], 4), round(h["loss"], 4))
                      for h in res.history]}


def _shrunk(spec: dict[str, Any], shrink: int) -> dict[str, Any]:
    from hylo.neural.grow import widths, with_width

    out = spec
    for key, width in widths("classify", spec).items():
        out = with_width("classify", out, key, max(1, width // shrink))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2", help="module, minibatch and split seeds")
    ap.add_argument("--final", default="{}", help="JSON spec of the final classify module")
    ap.add_argument("--shrink", type=int, default=4, help="start widths: final / shrink")
    ap.add_argument("--start", default=None,
                    help="JSON spec of the start module (default: the final one shrunk)")
    ap.add_argument("--patience", type=int, default=6)
    ap.add_argument("--grow-patience", type=int, default=None, help="default: --patience")
    ap.add_argument("--eval-every", type=int, default=25)
    ap.add_argument("--max-steps", type=int, default=6000)
    ap.add_argument("--optimizer", choices=["carry", "fresh", "both"], default="both")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from hylo.neural import kinds
    from hylo.neural.grow import GrowConfig, stages_between

    final = kinds.full_spec("classify", json.loads(args.final))
    start = (kinds.full_spec("classify", json.loads(args.start)) if args.start else
             _shrunk(final, args.shrink))
    stages = stages_between("classify", start, final)
    grow_patience = args.grow_patience or args.patience
    optimizers = ["carry", "fresh"] if args.optimizer == "both" else [args.optimizer]
    t0 = time.perf_counter()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        task, train, val, test = _data(seed)
        base = GrowConfig(steps=args.max_steps, seed=seed, eval_every=args.eval_every,
                          patience=args.patience)
        scratch = _run(task, train, val, test, final, base)
        target = scratch["val_accuracy"]
        first = next(s for s, acc, _ in scratch["curve"] if acc >= target)
        row: dict[str, Any] = {"seed": seed, "target_val_accuracy": target,
                               "scratch": scratch, "scratch_first_reach": first}
        for opt in optimizers:
            cfg = GrowConfig(steps=args.max_steps, seed=seed, eval_every=args.eval_every,
                             patience=grow_patience, stages=stages, stop_on_plateau=False,
                             optimizer=opt)
            grown = _run(task, train, val, test, start, cfg,
                         until=lambda m, t=target: m["accuracy"] >= t)
            grown["reached"] = grown["stopped"] == "target"
            # a target reached before the last growth was reached by a smaller module
            grown["at_final_spec"] = grown["spec"] == final
            grown["ratio"] = grown["steps"] / scratch["steps"] if grown["reached"] else None
            row[f"grown_{opt}"] = grown
            print(f"seed {seed}: scratch {scratch['steps']} steps (first at target {first}), "
                  f"val {target:.4f} test {scratch['test_accuracy']:.4f}; grown ({opt}) "
                  f"{grown['steps']} steps, reached {grown['reached']}, test "
                  f"{grown['test_accuracy']:.4f}, growths at "
                  f"{[g['step'] for g in grown['growths']]}", flush=True)
        rows.append(row)

    summary: dict[str, Any] = {
        "scratch_steps": [r["scratch"]["steps"] for r in rows],
        "scratch_first_reach": [r["scratch_first_reach"] for r in rows],
        "scratch_test_accuracy": [r["scratch"]["test_accuracy"] for r in rows],
        "scratch_seconds": [round(r["scratch"]["seconds"], 1) for r in rows]}
    for opt in optimizers:
        grown = [r[f"grown_{opt}"] for r in rows]
        ratios = [g["ratio"] for g in grown]
        reached = [x for x in ratios if x is not None]
        summary[opt] = {"grown_steps": [g["steps"] for g in grown],
                        "growth_steps": [[e["step"] for e in g["growths"]] for g in grown],
                        "reached": sum(x is not None for x in ratios), "ratios": ratios,
                        "ratios_to_first_reach": [
                            g["steps"] / r["scratch_first_reach"] if g["reached"] else None
                            for g, r in zip(grown, rows, strict=True)],
                        "median_ratio": statistics.median(reached) if reached else None,
                        "within_a_third": sum(x <= 1 / 3 for x in reached),
                        "at_final_spec": [g["at_final_spec"] for g in grown],
                        "test_accuracy": [g["test_accuracy"] for g in grown],
                        "seconds": [round(g["seconds"], 1) for g in grown]}
    report = {"benchmark": "growth", "command": " ".join(sys.argv), "final_spec": final,
              "start_spec": start,
              "stages": stages, "patience": args.patience, "grow_patience": grow_patience,
              "eval_every": args.eval_every, "max_steps": args.max_steps, "rows": rows,
              "summary": summary, "wall_seconds": time.perf_counter() - t0,
              "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
              "load_average_start": load,
              "load_average_end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
    print(json.dumps(summary, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
