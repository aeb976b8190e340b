"""Training beyond backprop on digits: ADMM against joint gradient, the GA against CMA-ES.

    python benchmarks/admm_ga.py --seeds 0,1,2 --json admm_ga.json

ADMM (`hylo.neural.admm`), every case full-batch on the digits training split, the joint
baseline (`admm.fit_joint`) taking as many Adam steps as ADMM takes on the module A:

- `pipeline`: task 1 (classify, 1,258 images) as two modules, A = `classify` MLP (64 hidden)
  giving a 16-wide vector z, B = `mlp` kind (16 -> 32 -> 10 logits); split on z.
- `sum2`: `(lam (sum (map nn:new:classify $0)))` on the sum of two digits (629 pairs, only the
  sum labelled): A = the `classify` MLP (log-probabilities of the digit, per image), B = the
  program's exact soft `sum`; split on the digit log-probabilities.
- `choice`: the maximum of two digits (task `max`, lists of 2), program
  `(lam (F (map nn:new:classify $0)))` with F chosen among `sum`, `maximum`, `minimum`: ADMM
  picks F by exact minimisation each iteration; the baseline trains one module per F by joint
  gradient (so three times the module updates) and keeps the F of lowest training loss.

GA vs CMA-ES (`hylo.neural.ga.fit_ga`, `hylo.neural.train.fit_es`): the linear digit reader
(650 weights) of `compare_methods` on task 1, fitness the soft NLL on the whole training split,
the GA given exactly the evaluations CMA-ES used; and both on 20-dimensional sphere and
Rastrigin functions at an equal budget.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import numpy as np


# ----------------------------------------------------------------------------- data
def _digits(name: str, seed: int) -> tuple[Any, Any, Any, Any]:
    """(x_train, y_train, x_test, y_test) tensors of a digits task (lists of 2 for sum/max)."""
    import torch

    from hylo.domains.digits import data
    from hylo.domains.digits.tasks import make_task

    imgs = data.images()
    task = (make_task("classify", None, seed) if name == "classify"
            else make_task(name, None, seed, 1000, lengths=(2, 2)))

    def cut(ex: Any) -> tuple[Any, Any]:
        return torch.as_tensor(imgs[ex.images]), torch.as_tensor(ex.labels).long()

    return (*cut(task.train), *cut(task.test))


def _per_image(net: Any) -> Any:
    """A over lists of 2 images: the digit log-probabilities of each, (N, 2, 10)."""
    import torch

    class PerImage(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            n = x.shape[0]
            return self.net(x.reshape(-1, *x.shape[2:])).log_softmax(-1).reshape(n, 2, -1)

    return PerImage()


def _combine(op: str) -> Any:
    """B: the exact distribution of `op` over two independent digits given as logits."""
    import torch

    from hylo.neural import dist

    mask = torch.ones(1, 2, dtype=torch.bool)

    def part(z: torch.Tensor) -> torch.Tensor:
        p = z.softmax(-1)
        m = mask.expand(p.shape[0], 2)
        if op == "sum":
            return dist.sum_list(p, m)
        return dist.maximum(p, m) if op == "maximum" else dist.minimum(p, m)

    return part


def _nll(p: Any, y: Any) -> Any:
    import torch

    p = torch.nn.functional.pad(p, (0, max(0, int(y.max()) + 1 - p.shape[-1])))
    return -p.gather(1, y[:, None]).squeeze(1).clamp_min(1e-12).log()


def _ce(logits: Any, y: Any) -> Any:
    import torch

    return torch.nn.functional.cross_entropy(logits, y, reduction="none")


def _acc(out: Any, y: Any) -> float:
    return float((out.argmax(-1) == y).float().mean())


# ----------------------------------------------------------------------------- ADMM
def _case(name: str, seed: int) -> dict[str, Any]:
    """Modules, parts, data and loss of one ADMM case, freshly built for `seed`."""
    from hylo.neural import kinds

    mlp = {"arch": "mlp", "hidden": 64}
    if name == "pipeline":
        xtr, ytr, xte, yte = _digits("classify", seed)
        a = kinds.build("classify", {**mlp, "classes": 16}, seed=seed * 1000)
        parts = [kinds.build("mlp", {"in": 16, "out": 10, "hidden": 32}, seed=seed * 1000 + 1)]
        return {"a": a, "parts": parts, "names": ["mlp"], "loss": _ce, "data": (xtr, ytr, xte,
                                                                                 yte)}
    task = "sum" if name == "sum2" else "max"
    xtr, ytr, xte, yte = _digits(task, seed)
    a = _per_image(kinds.build("classify", mlp, seed=seed * 1000))
    names = ["sum"] if name == "sum2" else ["sum", "maximum", "minimum"]
    return {"a": a, "parts": [_combine(op) for op in names], "names": names, "loss": _nll,
            "data": (xtr, ytr, xte, yte)}


def run_admm(name: str, seed: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    import torch

    from hylo.neural.admm import ADMMConfig, admm

    cfg = ADMMConfig(iterations=args.iterations, a_steps=args.a_steps, b_steps=args.b_steps,
                     rho=args.rho, lr_a=args.lr, lr_b=args.lr, lr_z=args.lr_z,
                     lr_decay=args.lr_decay, eps_primal=args.eps, eps_dual=args.eps,
                     seed=seed)
    rows = []
    c = _case(name, seed)
    xtr, ytr, xte, yte = c["data"]
    res = admm(c["a"], c["parts"], xtr, ytr, c["loss"], cfg)
    with torch.no_grad():
        part = c["parts"][res.choice]
        test, train = _acc(part(c["a"](xte)), yte), _acc(part(c["a"](xtr)), ytr)
    rows.append({"case": name, "seed": seed, "method": "admm", **res.summary(),
                 "choice": c["names"][res.choice],
                 "choices_held": sorted({c["names"][i] for i in res.choices}),
                 "test_accuracy": test, "train_accuracy": train,
                 "primal_trace": res.primal[:: max(1, len(res.primal) // 20)],
                 "config": cfg.as_dict()})
    steps = args.iterations * args.a_steps  # the joint baseline: as many updates of A
    for method, decay in (("joint", 1.0), ("joint_decay", args.lr_decay)):
        rows += _joint(name, seed, method, steps, decay, args)
    return rows


def _joint(name: str, seed: int, method: str, steps: int, decay: float,
           args: argparse.Namespace) -> list[dict[str, Any]]:
    """Joint gradient on every choice (the same initial weights as ADMM's), then, with more
    than one choice, the enumeration: the choice of lowest training loss."""
    import torch

    from hylo.neural.admm import fit_joint

    rows = []
    best: tuple[float, dict[str, Any]] | None = None
    names = _case(name, seed)["names"]
    for i, op in enumerate(names):
        c = _case(name, seed)
        xtr, ytr, xte, yte = c["data"]
        hist = fit_joint(c["a"], c["parts"][i], xtr, ytr, c["loss"], steps, lr=args.lr,
                         lr_decay=decay, decay_every=args.a_steps)
        with torch.no_grad():
            part = c["parts"][i]
            row = {"case": name, "seed": seed, "method": method, "choice": op,
                   "test_accuracy": _acc(part(c["a"](xte)), yte),
                   "train_accuracy": _acc(part(c["a"](xtr)), ytr),
                   "final_loss": hist["final_loss"], "a_updates": steps,
                   "seconds": hist["seconds"]}
        if best is None or row["final_loss"] < best[0]:
            best = (row["final_loss"], row)
        rows.append(row)
    if len(names) > 1 and best is not None:  # enumerate the choice by joint gradient
        rows.append({**best[1], "method": f"{method}_enumerate",
                     "a_updates": steps * len(names),
                     "seconds": sum(r["seconds"] for r in rows)})
    return rows


# ----------------------------------------------------------------------------- GA vs CMA-ES
def _sphere(xs: np.ndarray) -> np.ndarray:
    return ((xs - 1.0) ** 2).sum(1)


def _rastrigin(xs: np.ndarray) -> np.ndarray:
    return 10 * xs.shape[1] + (xs ** 2 - 10 * np.cos(2 * np.pi * xs)).sum(1)


def _cma_minimize(f: Any, x0: np.ndarray, sigma: float, generations: int,
                  seed: int) -> tuple[float, int]:
    """Separable CMA-ES, the options `train.fit_es` uses; (best fitness, evaluations)."""
    import cma

    es = cma.CMAEvolutionStrategy(x0, sigma, {"CMA_diagonal": True, "seed": seed + 1,
                                              "verbose": -9, "maxiter": generations})
    best, evals = np.inf, 0
    for _ in range(generations):
        xs = es.ask()
        fs = f(np.array(xs))
        es.tell(xs, list(fs))
        best, evals = min(best, float(fs.min())), evals + len(xs)
    return best, evals


def run_functions(seed: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    from hylo.neural.ga import GAConfig, minimize

    rows = []
    for name, f, x0, sigma in (("sphere20", _sphere, np.zeros(20), 0.5),
                               ("rastrigin20", _rastrigin, np.full(20, 3.0), 1.0)):
        t0 = time.perf_counter()
        cma_best, evals = _cma_minimize(f, x0, sigma, args.fn_generations, seed)
        cma_s = time.perf_counter() - t0
        res = minimize(f, x0, evals, GAConfig(sigma=sigma / 2, init_sigma=sigma,
                                              mutation_rate=0.2, seed=seed))
        rows.append({"problem": name, "seed": seed, "evaluations": evals,
                     "cma_best": cma_best, "ga_best": res.best_fitness,
                     "ga_evaluations": res.evaluations, "cma_seconds": cma_s,
                     "ga_seconds": res.seconds})
    return rows


def run_weights(seed: int, args: argparse.Namespace) -> dict[str, Any]:
    from dataclasses import replace

    from hylo.core.program import parse
    from hylo.domains.digits import load_domain
    from hylo.domains.digits.experiment import to_data
    from hylo.domains.digits.tasks import make_task
    from hylo.neural.ga import GAConfig, fit_ga
    from hylo.neural.hybrid import CompileOptions, compile_program
    from hylo.neural.train import TrainConfig, accuracy, fit_es, mean_nll

    task = make_task("classify", None, seed)
    train, test = to_data(task, task.train), to_data(task, task.test)

    def model() -> Any:
        return compile_program(parse("(lam (nn:new:classify $0))"), task.request,
                               options=CompileOptions(semantics=load_domain().soft_semantics,
                                                      fresh_specs={"classify":
                                                                   {"arch": "linear"}},
                                                      seed=seed))

    out: dict[str, Any] = {"task": "classify_full", "module": "classify linear (650 weights)",
                           "seed": seed, "fitness": "nll"}
    m = model()
    tc = replace(TrainConfig(augment=False, seed=seed), steps=args.es_generations, sigma=0.1,
                 es_batch=10**9, fitness="nll")
    hist = fit_es(m, train, tc)
    out["cma"] = {"test_accuracy": accuracy(m, test), "train_nll": mean_nll(m, train),
                  "evaluations": hist["evaluations"], "popsize": hist["popsize"],
                  "seconds": hist["seconds"]}
    m = model()
    cfg = GAConfig(popsize=args.ga_popsize, sigma=0.05, init_sigma=0.1, mutation_rate=0.1,
                   seed=seed)
    hist = fit_ga(m, train, out["cma"]["evaluations"], cfg)
    out["ga"] = {"test_accuracy": accuracy(m, test), "train_nll": mean_nll(m, train),
                 "evaluations": hist["evaluations"], "popsize": cfg.popsize,
                 "seconds": hist["seconds"], "config": cfg.as_dict()}
    return out


# ----------------------------------------------------------------------------- report
def _mean(rows: list[dict[str, Any]], key: str) -> float:
    return float(np.mean([r[key] for r in rows])) if rows else float("nan")


def summarise(admm_rows: list[dict[str, Any]], weights: list[dict[str, Any]],
              functions: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"admm": {}, "ga_vs_cma": {}}
    for case in sorted({r["case"] for r in admm_rows}):
        rows = [r for r in admm_rows if r["case"] == case]
        admm_r = [r for r in rows if r["method"] == "admm"]
        suffix = "_enumerate" if case == "choice" else ""
        joint_r = [r for r in rows if r["method"] == "joint" + suffix]
        decay_r = [r for r in rows if r["method"] == "joint_decay" + suffix]
        out["admm"][case] = {
            "admm_test_accuracy": _mean(admm_r, "test_accuracy"),
            "joint_test_accuracy": _mean(joint_r, "test_accuracy"),
            "joint_decay_test_accuracy": _mean(decay_r, "test_accuracy"),
            "admm_seconds": _mean(admm_r, "seconds"), "joint_seconds": _mean(joint_r,
                                                                             "seconds"),
            "admm_a_updates": _mean(admm_r, "a_updates"),
            "joint_a_updates": _mean(joint_r, "a_updates"),
            "admm_final_primal": _mean(admm_r, "final_primal"),
            "admm_final_dual": _mean(admm_r, "final_dual"),
            "admm_converged": sum(r["converged"] for r in admm_r),
            "admm_choices": [r["choice"] for r in admm_r],
            "joint_choices": [r["choice"] for r in joint_r],
            "joint_decay_choices": [r["choice"] for r in decay_r]}
    if weights:
        out["ga_vs_cma"]["classify_linear"] = {
            k: float(np.mean([w[m][f] for w in weights]))
            for m in ("ga", "cma") for f in ("test_accuracy", "train_nll", "seconds")
            for k in [f"{m}_{f}"]}
    for prob in sorted({r["problem"] for r in functions}):
        rows = [r for r in functions if r["problem"] == prob]
        out["ga_vs_cma"][prob] = {"cma_best": _mean(rows, "cma_best"),
                                  "ga_best": _mean(rows, "ga_best"),
                                  "evaluations": rows[0]["evaluations"]}
    return out


def _warm_up() -> None:
    """The first Adam step of a process costs seconds (torch imports its compiler stack
    lazily); take it here so that no timed run pays for it."""
    import torch

    from hylo.neural.admm import ADMMConfig, admm, fit_joint

    x = torch.zeros(4, 2)
    admm(torch.nn.Linear(2, 1), [torch.nn.Identity()], x, x[:, :1],
         lambda out, y: (out - y).pow(2).sum(1), ADMMConfig(iterations=1))
    fit_joint(torch.nn.Linear(2, 1), torch.nn.Identity(), x, x[:, :1],
              lambda out, y: (out - y).pow(2).sum(1), steps=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--cases", default="pipeline,sum2,choice")
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--a-steps", type=int, default=10)
    ap.add_argument("--b-steps", type=int, default=10)
    ap.add_argument("--rho", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--lr-z", type=float, default=0.1)
    ap.add_argument("--lr-decay", type=float, default=0.98)
    ap.add_argument("--eps", type=float, default=1e-3)
    ap.add_argument("--es-generations", type=int, default=200)
    ap.add_argument("--ga-popsize", type=int, default=24)
    ap.add_argument("--fn-generations", type=int, default=300)
    ap.add_argument("--no-admm", action="store_true")
    ap.add_argument("--no-ga", action="store_true")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    _warm_up()
    t0 = time.perf_counter()
    seeds = [int(s) for s in args.seeds.split(",")]
    admm_rows: list[dict[str, Any]] = []
    weights: list[dict[str, Any]] = []
    functions: list[dict[str, Any]] = []
    for seed in seeds:
        if not args.no_admm:
            for case in args.cases.split(","):
                for row in run_admm(case, seed, args):
                    admm_rows.append(row)
                    print(json.dumps({k: v for k, v in row.items()
                                      if k not in ("config", "primal_trace")}), flush=True)
        if not args.no_ga:
            functions += run_functions(seed, args)
            print(json.dumps(functions[-2:]), flush=True)
            weights.append(run_weights(seed, args))
            print(json.dumps(weights[-1]), flush=True)
    report = {"benchmark": "admm_ga", "version": 1, "command": " ".join(sys.argv),
              "seeds": seeds, "admm": admm_rows, "ga_vs_cma": {"weights": weights,
                                                               "functions": functions},
              "summary": summarise(admm_rows, weights, functions),
              "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
              "load_average": os.getloadavg(), "wall_seconds": time.perf_counter() - t0}
    print(json.dumps(report["summary"], indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
