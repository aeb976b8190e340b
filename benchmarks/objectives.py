"""An engineer's objective on the digits classify task: the same search with and without it.

    python benchmarks/objectives.py --budget 100 --seeds 0,1,2 --json objectives.json

The objective is `benchmarks/digit_costs.py:cost` (an 8 read as a 1 costs 10, any other error
1). For each seed: `hylo.domains.digits.experiment.solve` on task 1 at the budget, without and
with the objective; test accuracy, mean test cost, and how many test 8s were read as 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=100)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    sys.path.insert(0, str(Path(__file__).parent))
    from hylo.domains.digits.experiment import DigitsConfig, solve, to_data
    from hylo.domains.digits.tasks import make_task
    from hylo.neural.objectives import evaluate, load_objective
    from hylo.neural.train import predict

    cost = load_objective("digit_costs:cost")
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for seed in [int(s) for s in args.seeds.split(",")]:
        task = make_task("classify", args.budget, seed)
        test = to_data(task, task.test)
        for objective in (None, "digit_costs:cost"):
            cfg = DigitsConfig(seed=seed).with_objective(objective)
            solved = solve(task, None, cfg)
            said = predict(solved.result.model, test)
            row = {"seed": seed, "objective": objective, "program": solved.program,
                   "test_accuracy": solved.test_accuracy,
                   "test_cost": evaluate(cost, solved.result.model, test),
                   "eights_read_as_one": int(((test.y == 8) & (said == 1)).sum()),
                   "ones_said": int((said == 1).sum()), "seconds": solved.seconds}
            rows.append(row)
            print(json.dumps(row), flush=True)
    report = {"benchmark": "objectives", "command": " ".join(sys.argv), "budget": args.budget,
              "rows": rows, "wall_seconds": time.perf_counter() - t0}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
