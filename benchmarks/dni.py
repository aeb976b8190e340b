"""Decoupled training with synthetic gradients (DNI) against end-to-end backprop, on digits.

    python benchmarks/dni.py --seeds 0,1,2 --json dni.json

The program is a digits task's program (`--task`, default `classify`: `(lam (nn:new:classify
$0))` on the full training split; `sum`: `(lam (sum (map nn:new:classify $0)))`), its digit
reader a `classify` CNN (`--spec`, default conv 16, conv 32, two hidden layers of 64) cut in two
after its first hidden layer: the upstream module (image -> 64 features) and the downstream one
(features -> digit, a hidden layer and the output layer), with the program on top.

Arms, on the same program, initial weights, minibatches (one generator per seed), Adam settings
and number of steps (`--steps` upstream steps = downstream steps):
- backprop: end to end, every step.
- dni-k (`--every`, default `1,4`): the upstream module steps along the synthesizer's
  predicted gradient at once; the downstream module and the synthesizer catch up every k steps
  on the queued features (k = 1: the downstream pass of a batch comes right after the upstream
  step; k = 4: the upstream module runs up to four steps ahead). One thread: the two sides
  run one after the other.
- dni-par-L (`--lags`, default `4`): the same updates with the upstream module (and its
  synthesizer) and the downstream side (downstream module + the program) in two processes at
  once (`hylo.neural.dni_parallel`, one torch thread each); the upstream process never waits
  for a true gradient unless L batches are in flight (L = 0: it waits for each, the update
  order of dni-1).

Every arm reports `train_seconds` (wall) and `train_cpu_seconds` (CPU time of the training
process, plus the downstream worker's for dni-par: the work done, which a loaded machine
changes less than wall time). Before the first arm, one untimed two-step run of each kind
pays the one-time costs (torch's lazy imports, the first fork), and each arm's synthesizer
is initialised from the seed (`torch.manual_seed(seed)`), so runs repeat.

Settings are fixed (hylo's Adam 2e-3, weight decay 1e-4, image shifts; synthesizer Adam 1e-3,
conditioned on the label), not tuned; the test split is read once per trained model.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any

PROGRAMS = {"classify": "(lam (nn:new:classify $0))",
            "sum": "(lam (sum (map nn:new:classify $0)))"}
LABELS = {"classify": 10, "sum": 46}


def _data(task_name: str, budget: int | None, seed: int) -> tuple[Any, Any, Any]:
    from hylo.domains.digits.experiment import to_data
    from hylo.domains.digits.tasks import make_task

    task = make_task(task_name, budget, seed)
    return task, to_data(task, task.train), to_data(task, task.test)


def _run(arm: str, task: Any, train: Any, test: Any, spec: dict, cfg: Any,
         labels: int) -> dict[str, Any]:
    import torch

    from hylo.core.program import parse
    from hylo.domains.digits.experiment import _domain
    from hylo.neural import dni, dni_parallel
    from hylo.neural.train import accuracy

    semantics = _domain().soft_semantics or {}
    model, text, _ = dni.cut_model(parse(PROGRAMS[task.name]), task.request, semantics, spec,
                                   seed=cfg.seed)
    torch.manual_seed(cfg.seed)  # the synthesizer's initial weights
    t0, cpu0 = time.perf_counter(), time.process_time()
    worker_cpu = 0.0
    if arm == "backprop":
        hist = dni.fit_backprop(model, train, cfg)
        extra: dict[str, Any] = {"steps": hist["steps"]}
    elif arm.startswith("dni-par-"):
        p = dni_parallel.fit_dni_parallel(model, text, train, cfg, labels,
                                          max_lag=int(arm.rsplit("-", 1)[1]))
        worker_cpu = p.downstream_cpu_seconds
        extra = {k: v for k, v in p.summary().items() if k not in ("method", "seconds")}
    else:
        h = dni.fit_dni(model, text, train, cfg, labels)
        extra = {k: v for k, v in h.summary().items() if k not in ("method", "seconds")}
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - cpu0 + worker_cpu
    return {"test_accuracy": accuracy(model, test), "train_seconds": seconds,
            "train_cpu_seconds": cpu, **extra}


def _warm_up(task: Any, train: Any, spec: dict, arms: list[str], labels: int) -> None:
    """Two untimed steps of each kind of arm, so the first timed arm does not pay for torch's
    lazy imports (the first optimizer imports torch._dynamo) or the first fork."""
    from hylo.neural.dni import DNIConfig

    kinds = {"backprop"} | {"dni-1" if a.startswith("dni-") else a for a in arms}
    kinds |= {"dni-par-1"} if any(a.startswith("dni-par-") for a in arms) else set()
    for arm in sorted(kinds):
        _run(arm, task, train, train, spec, DNIConfig(steps=2, batch_size=4), labels)


def _every(arm: str) -> int:
    """The serial DNI arm's `every` (dni-k); 1 for the other arms (unused by them)."""
    return int(arm[4:]) if arm.startswith("dni-") and arm[4:].isdigit() else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", choices=sorted(PROGRAMS), default="classify")
    ap.add_argument("--budget", type=int, default=0, help="training examples (0: full split)")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--every", default="1,4")
    ap.add_argument("--lags", default="4", help="max_lag of each parallel arm (dni-par-L)")
    ap.add_argument("--spec", default='{"depth": 2}', help="classify spec (JSON)")
    ap.add_argument("--no-condition", action="store_true", help="synthesizer sees h only")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    import torch

    from hylo.neural.dni import DNIConfig

    torch.set_num_threads(args.threads)
    spec = json.loads(args.spec)
    everies = [int(k) for k in args.every.split(",") if k]
    lags = [int(k) for k in args.lags.split(",") if k]
    arms = ["backprop"] + [f"dni-{k}" for k in everies] + [f"dni-par-{k}" for k in lags]
    t0, load0 = time.perf_counter(), os.getloadavg()
    runs = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        task, train, test = _data(args.task, args.budget or None, seed)
        run: dict[str, Any] = {"seed": seed, "n_train": len(train), "n_test": len(test),
                               "arms": {}}
        if not runs:
            _warm_up(task, train, spec, arms, LABELS[args.task])
        for arm in arms:
            every = _every(arm)
            cfg = DNIConfig(steps=args.steps, batch_size=args.batch_size, every=every,
                            condition=not args.no_condition, seed=seed)
            run["arms"][arm] = _run(arm, task, train, test, spec, cfg, LABELS[args.task])
            r = run["arms"][arm]
            print(f"seed {seed} {arm}: test {r['test_accuracy']:.3f} "
                  f"({r['train_seconds']:.1f} s, CPU {r['train_cpu_seconds']:.1f} s)",
                  file=sys.stderr)
        runs.append(run)
    summary = {arm: {"mean_test_accuracy": statistics.mean(r["arms"][arm]["test_accuracy"]
                                                           for r in runs),
                     "test_accuracies": [r["arms"][arm]["test_accuracy"] for r in runs],
                     "mean_train_seconds": statistics.mean(r["arms"][arm]["train_seconds"]
                                                           for r in runs),
                     "mean_train_cpu_seconds": statistics.mean(
                         r["arms"][arm]["train_cpu_seconds"] for r in runs)}
               for arm in arms}
    report = {"suite": "dni", "task": args.task, "program": PROGRAMS[args.task],
              "budget": args.budget or None, "spec": spec, "arms": arms, "lags": lags,
              "config": {k: v for k, v in DNIConfig(condition=not args.no_condition).as_dict()
                         .items() if k not in ("seed", "every")} | {"steps": args.steps,
                                                                     "batch_size":
                                                                     args.batch_size},
              "runs": runs, "summary": summary, "threads": args.threads,
              "cpu_count": os.cpu_count(), "load_average_start": load0,
              "load_average_end": os.getloadavg(), "wall_seconds": time.perf_counter() - t0}
    text = json.dumps(report, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
