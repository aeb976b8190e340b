"""One shared digit-reading trunk trained jointly on the digits tasks, against each task apart.

    python benchmarks/multitask.py --budget 100 --seeds 0,1,2 --json multitask.json

Every task of the digits sequence (`classify`, `sum`, `count`, `sorted`, `max`) at the budget
(`--budget` labelled training examples per task; all of them train, nothing is held out since
nothing is selected) runs the program hylo's search finds for it without a library, with its
fresh `classify` hole filled by a trunk (the default `classify` CNN before its output layer) and
a head (its output layer):

- separate: each task its own trunk and head, `--steps` minibatches of `--batch-size`;
- joint (`--schedules`, default `round-robin`): one trunk for all tasks, one head per task;
  each task again `--steps` minibatches of `--batch-size`. `round-robin` takes one optimizer
  step per minibatch, the tasks in turn: as many optimizer steps in all as the separate arm
  (`--steps` x tasks); `sum` adds the tasks' losses in one step (`--steps` steps in all).

Settings are hylo's defaults (Adam 2e-3, weight decay 1e-4, image shifts), not tuned; the test
split of each task is read once per trained model.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any

PROGRAMS = {
    "classify": "(lam (nn:new:classify $0))",
    "sum": "(lam (sum (map nn:new:classify $0)))",
    "count": "(lam (count (lam (eq (nn:new:classify $0) 7)) $0))",
    "sorted": "(lam (sorted (map nn:new:classify $0)))",
    "max": "(lam (maximum (map nn:new:classify $0)))",
}


def _tasks(names: list[str], budget: int, seed: int) -> tuple[list[Any], dict[str, Any]]:
    from hylo.core.program import parse
    from hylo.domains.digits.experiment import to_data
    from hylo.domains.digits.tasks import make_task
    from hylo.neural.multitask import TaskProgram

    tasks = {n: make_task(n, budget, seed) for n in names}
    programs = [TaskProgram(n, parse(PROGRAMS[n]), tasks[n].request,
                            to_data(tasks[n], tasks[n].train)) for n in names]
    tests = {n: to_data(tasks[n], tasks[n].test) for n in names}
    return programs, tests


def _arm(kind: str, programs: list[Any], tests: dict[str, Any], cfg: Any) -> dict[str, Any]:
    from hylo.domains.digits.experiment import _domain
    from hylo.neural.multitask import train_joint, train_separate
    from hylo.neural.train import accuracy

    semantics = _domain().soft_semantics or {}  # loaded before the clock starts
    t0 = time.perf_counter()
    train = train_separate if kind == "separate" else train_joint
    _, models, hist = train(programs, semantics, cfg)
    seconds = time.perf_counter() - t0
    acc = {n: accuracy(models[n], tests[n]) for n in models}
    hist.pop("per_task", None)
    return {"test_accuracy": acc, "train_seconds": hist["seconds"],
            "wall_seconds": seconds, "optimizer_steps": hist["optimizer_steps"],
            "minibatches": hist["minibatches"], "examples_seen": hist["examples_seen"],
            "training_examples": hist["training_examples"]}


def _summary(runs: list[dict[str, Any]], arms: list[str], names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for arm in arms:
        per = {n: statistics.mean(r["arms"][arm]["test_accuracy"][n] for r in runs)
               for n in names}
        out[arm] = {"mean_test_accuracy": per, "mean_over_tasks": statistics.mean(per.values()),
                    "mean_wall_seconds": statistics.mean(r["arms"][arm]["wall_seconds"]
                                                         for r in runs)}
    for arm in arms:
        if arm == "separate":
            continue
        out[arm]["gain_over_separate"] = {
            n: out[arm]["mean_test_accuracy"][n] - out["separate"]["mean_test_accuracy"][n]
            for n in names}
        out[arm]["wins"] = sum(r["arms"][arm]["test_accuracy"][n] >
                               r["arms"]["separate"]["test_accuracy"][n]
                               for r in runs for n in names)
        out[arm]["losses"] = sum(r["arms"][arm]["test_accuracy"][n] <
                                 r["arms"]["separate"]["test_accuracy"][n]
                                 for r in runs for n in names)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget", type=int, default=100)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--tasks", default=",".join(PROGRAMS))
    ap.add_argument("--steps", type=int, default=1000, help="minibatches per task")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--schedules", default="round-robin", help="round-robin, sum or both")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    import torch

    from hylo.neural.multitask import JointConfig

    torch.set_num_threads(args.threads)
    names = [n for n in args.tasks.split(",") if n]
    schedules = ["round-robin", "sum"] if args.schedules == "both" else [args.schedules]
    arms = ["separate"] + [f"joint-{s}" for s in schedules]
    t0 = time.perf_counter()
    load0 = os.getloadavg()
    runs = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        programs, tests = _tasks(names, args.budget, seed)
        run: dict[str, Any] = {"seed": seed, "arms": {}}
        for arm in arms:
            schedule = "round-robin" if arm == "separate" else arm[len("joint-"):]
            cfg = JointConfig(steps=args.steps, batch_size=args.batch_size, schedule=schedule,
                              seed=seed)
            run["arms"][arm] = _arm("separate" if arm == "separate" else "joint",
                                    programs, tests, cfg)
            acc = run["arms"][arm]["test_accuracy"]
            print(f"seed {seed} {arm}: " + " ".join(f"{n} {acc[n]:.3f}" for n in names)
                  + f"  ({run['arms'][arm]['wall_seconds']:.0f} s)", file=sys.stderr)
        runs.append(run)
    report = {"suite": "multitask", "budget": args.budget, "tasks": names,
              "programs": {n: PROGRAMS[n] for n in names}, "arms": arms,
              "config": {"steps_per_task": args.steps, "batch_size": args.batch_size,
                         **{k: v for k, v in JointConfig().as_dict().items()
                            if k not in ("steps", "batch_size", "seed", "schedule")}},
              "runs": runs, "summary": _summary(runs, arms, names),
              "threads": args.threads, "cpu_count": os.cpu_count(), "load_average_start": load0,
              "load_average_end": os.getloadavg(), "wall_seconds": time.perf_counter() - t0}
    text = json.dumps(report, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
