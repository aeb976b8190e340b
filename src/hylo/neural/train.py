"""Training a hybrid model: by gradient, by REINFORCE, by separable CMA-ES, or by a GA.

- `fit_gradient`: Adam on the negative log-likelihood of the labels under the soft semantics
  (exact distributions): the program's final output is the only supervision.
- `fit_reinforce`: the discrete program is run on values *sampled* from the modules; the reward
  is 1 when the output equals the label; the gradient estimate is
  `(reward - baseline) * grad log p(samples)`, with a running-mean baseline. Needs no relaxation
  of the program at all.
- `fit_es`: separable CMA-ES (pycma with `CMA_diagonal=True`) over the flat vector of trainable
  weights; the fitness of a candidate is its error rate under the hard (argmax) semantics on a
  minibatch (or, with `fitness="nll"`, its soft negative log-likelihood). No gradient is taken.
- `fit_ga`: the genetic algorithm of `hylo.neural.ga` over the same flat vector, the same
  fitness, and by default as many fitness evaluations as `fit_es` makes with the same settings
  (`steps` x `popsize`, pycma's default population when `popsize` is 0).

Every function takes explicit settings (`TrainConfig`) and a seed, and returns a history dict
recorded with the run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from hylo.neural.ga import GAConfig, GeneticAlgorithm
from hylo.neural.hybrid import Data, HybridModel, decide, nll
from hylo.neural.kinds import shift_images


@dataclass
class TrainConfig:
    steps: int = 1000
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    augment: bool = True
    seed: int = 0
    # REINFORCE
    baseline_decay: float = 0.9
    # evolution strategy
    popsize: int = 0  # 0: pycma's default 4 + 3 ln(n)
    sigma: float = 0.05
    es_batch: int = 512
    fitness: str = "error"  # or "nll"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _transform(cfg: TrainConfig, gen: torch.Generator):
    return (lambda x: shift_images(x, gen)) if cfg.augment else None


def _batch(n: int, size: int, gen: torch.Generator) -> torch.Tensor:
    """A minibatch of example indices, drawn with replacement."""
    return torch.randint(0, n, (size,), generator=gen)


@torch.no_grad()
def predict(model: HybridModel, data: Data, chunk: int = 2048) -> torch.Tensor:
    """Hard-semantics output per example."""
    model.eval()
    outs = []
    for start in range(0, len(data), chunk):
        part = data.take(torch.arange(start, min(start + chunk, len(data))))
        outs.append(decide(model(part.values(), "hard"), len(part)))
    return torch.cat(outs) if outs else torch.zeros(0, dtype=torch.long)


def accuracy(model: HybridModel, data: Data) -> float:
    if len(data) == 0:
        return 0.0
    return float((predict(model, data) == data.y.long()).float().mean())


@torch.no_grad()
def mean_nll(model: HybridModel, data: Data) -> float:
    model.eval()
    return float(nll(model(data.values(), "soft"), data.y).mean())


def fit_gradient(model: HybridModel, data: Data, cfg: TrainConfig,
                 after_step: Callable[[int], bool] | None = None) -> dict[str, Any]:
    """Adam on the soft NLL. `after_step(n)` is called after step n (1-based) and may stop the
    training by returning True (a tuner's pruner does); the model is back in training mode
    after it, whatever it evaluated."""
    params = model.trainable()
    t0 = time.perf_counter()
    if not params or cfg.steps <= 0:
        return {"method": "gradient", "steps": 0, "seconds": 0.0}
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    loss_value = math.nan
    done = 0
    for _ in range(cfg.steps):
        part = data.take(_batch(len(data), cfg.batch_size, gen))
        loss = nll(model(part.values(_transform(cfg, gen)), "soft"), part.y).mean()
        if not loss.requires_grad:  # the output does not depend on the trainable weights
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_value = float(loss.detach())
        done += 1
        if after_step is not None:
            stop = after_step(done)
            model.train()
            if stop:
                break
    # `steps` stays the configured count unless a hook stopped the run early
    stopped = after_step is not None and done < cfg.steps
    return {"method": "gradient", "steps": done if stopped else cfg.steps,
            "final_loss": loss_value, "seconds": time.perf_counter() - t0}


def fit_reinforce(model: HybridModel, data: Data, cfg: TrainConfig) -> dict[str, Any]:
    params = model.trainable()
    t0 = time.perf_counter()
    if not params or cfg.steps <= 0:
        return {"method": "reinforce", "steps": 0, "seconds": 0.0}
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    baseline = None
    reward_mean = 0.0
    with torch.random.fork_rng():
        torch.manual_seed(cfg.seed)
        for _ in range(cfg.steps):
            part = data.take(_batch(len(data), cfg.batch_size, gen))
            out, trace = model.sample(part.values(_transform(cfg, gen)))
            reward = (decide(out, len(part)) == part.y.long()).float()
            b = float(reward.mean()) if baseline is None else baseline
            loss = -((reward - b) * trace.logp).mean()
            if not loss.requires_grad:  # nothing was sampled from a trainable module
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
            reward_mean = float(reward.mean())
            baseline = reward_mean if baseline is None else (
                cfg.baseline_decay * baseline + (1 - cfg.baseline_decay) * reward_mean)
    return {"method": "reinforce", "steps": cfg.steps, "final_reward": reward_mean,
            "seconds": time.perf_counter() - t0}


@torch.no_grad()
def fit_es(model: HybridModel, data: Data, cfg: TrainConfig) -> dict[str, Any]:
    """Separable CMA-ES; `cfg.steps` is the number of generations."""
    import cma

    params = model.trainable()
    t0 = time.perf_counter()
    if not params or cfg.steps <= 0:
        return {"method": "es", "steps": 0, "seconds": 0.0}
    gen = torch.Generator().manual_seed(cfg.seed)
    x0 = torch.nn.utils.parameters_to_vector(params).double().numpy()
    opts = {"CMA_diagonal": True, "seed": cfg.seed + 1, "verbose": -9, "maxiter": cfg.steps}
    if cfg.popsize:
        opts["popsize"] = cfg.popsize
    es = cma.CMAEvolutionStrategy(x0, cfg.sigma, opts)
    model.eval()
    evals = 0
    best = math.inf
    whole = cfg.es_batch >= len(data)  # then every generation sees the same, whole data set
    part = data
    inputs = data.values()
    for _ in range(cfg.steps):
        if not whole:
            part = data.take(_batch(len(data), cfg.es_batch, gen))
            inputs = part.values(_transform(cfg, gen))
        candidates = es.ask()
        scores = []
        for x in candidates:
            torch.nn.utils.vector_to_parameters(torch.as_tensor(x, dtype=torch.float32), params)
            out = model(inputs, "soft" if cfg.fitness == "nll" else "hard")
            if cfg.fitness == "nll":
                scores.append(float(nll(out, part.y).mean()))
            else:
                scores.append(float((decide(out, len(part)) != part.y.long()).float().mean()))
        es.tell(candidates, scores)
        evals += len(candidates)
        best = min(best, min(scores))
    mean = torch.as_tensor(es.mean, dtype=torch.float32)
    torch.nn.utils.vector_to_parameters(mean, params)
    return {"method": "es", "steps": cfg.steps, "evaluations": evals, "popsize": es.popsize,
            "dimension": len(x0), "best_minibatch_fitness": best,
            "seconds": time.perf_counter() - t0}


def ga_settings(cfg: TrainConfig, dimension: int) -> GAConfig:
    """The GA's settings from a `TrainConfig`: `popsize` (0: pycma's default 4 + 3 ln n, so
    that `ga` and `es` make the same evaluations at the same `steps`), first generation spread
    `sigma`, mutation `sigma / 2` (the setting measured in benchmarks/admm_ga.py), `seed`; the
    rest (elite 2, tournament 3, BLX-0.3, mutation rate 0.1) `GAConfig`'s defaults."""
    popsize = cfg.popsize or 4 + int(3 * math.log(max(1, dimension)))
    # a tiny population (popsize 2) still gets a valid elite and tournament
    return GAConfig(popsize=popsize, elite=min(GAConfig.elite, popsize - 1),
                    tournament=min(GAConfig.tournament, popsize), init_sigma=cfg.sigma,
                    sigma=cfg.sigma / 2, seed=cfg.seed).check()


@torch.no_grad()
def fit_ga(model: HybridModel, data: Data, cfg: TrainConfig, ga: GAConfig | None = None,
           budget: int | None = None) -> dict[str, Any]:
    """The genetic algorithm (`hylo.neural.ga`) over the trainable weights; the model ends with
    the best individual of the last generation.

    `budget`: fitness evaluations, by default `cfg.steps * popsize` (what `fit_es` makes).
    Fitness as in `fit_es` (`cfg.fitness`, hard error or soft NLL). When `cfg.es_batch` covers
    the data the fitness is the whole set, deterministic, and the elite is never measured
    again (so later generations cost `popsize - elite` evaluations, and there are more of
    them); otherwise each generation draws a minibatch (augmented as `fit_es`'s) and measures
    the kept elite on it too, `popsize` evaluations a generation. `ga`: every GA setting
    (default `ga_settings(cfg, n)`)."""
    if cfg.fitness not in ("nll", "error"):
        raise ValueError(f"fitness must be 'nll' or 'error', got {cfg.fitness!r}")
    params = model.trainable()
    t0 = time.perf_counter()
    x0 = (torch.nn.utils.parameters_to_vector(params).double().numpy() if params
          else np.zeros(0))
    ga = ga or ga_settings(cfg, len(x0))
    total = cfg.steps * ga.popsize if budget is None else budget
    if not params or total <= 0:
        return {"method": "ga", "steps": 0, "evaluations": 0, "seconds": 0.0}
    gen = torch.Generator().manual_seed(cfg.seed)
    soft = cfg.fitness == "nll"

    def score(xs: np.ndarray, part: Data, inputs: Any) -> np.ndarray:
        out = np.empty(len(xs))
        for i, x in enumerate(xs):
            torch.nn.utils.vector_to_parameters(torch.as_tensor(x, dtype=torch.float32), params)
            pred = model(inputs, "soft" if soft else "hard")
            out[i] = (float(nll(pred, part.y).mean()) if soft
                      else float((decide(pred, len(part)) != part.y.long()).float().mean()))
        return out

    opt = GeneticAlgorithm(x0, ga)
    model.eval()
    whole = cfg.es_batch >= len(data)
    part, inputs = data, data.values()
    while opt.evaluations < total:
        left = total - opt.evaluations
        if whole:  # deterministic fitness: the elite's values stay valid
            xs = opt.ask(left)
            opt.tell(xs, score(xs, part, inputs))
            continue
        part = data.take(_batch(len(data), cfg.es_batch, gen))
        inputs = part.values(_transform(cfg, gen))
        # a new minibatch: the elite is measured on it as well, or one lucky draw would
        # keep an individual for ever
        kept = opt.kept() if opt.generation else np.zeros((0, len(x0)))
        if len(kept) >= left:
            break
        xs = opt.ask(left - len(kept))
        opt.tell(xs, score(xs, part, inputs),
                 score(kept, part, inputs) if opt.generation else None)
    best_x, best_f = opt.best()
    torch.nn.utils.vector_to_parameters(torch.as_tensor(best_x, dtype=torch.float32), params)
    return {"method": "ga", "steps": cfg.steps, "evaluations": opt.evaluations,
            "generations": opt.generation, "popsize": ga.popsize, "elite": ga.elite,
            "dimension": len(x0), "best_minibatch_fitness": best_f,
            "seconds": time.perf_counter() - t0}


METHODS = {"gradient": fit_gradient, "reinforce": fit_reinforce, "es": fit_es, "ga": fit_ga}


def fit(model: HybridModel, data: Data, cfg: TrainConfig, method: str = "gradient") -> dict:
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}")
    return METHODS[method](model, data, cfg)
