"""A real-valued genetic algorithm over weight vectors, beside separable CMA-ES (`train.fit_es`).

For the small modules hylo trains without gradients. Minimises a fitness over vectors of length
`dim`:

- the first generation is `x0` itself plus `popsize - 1` Gaussian perturbations of it
  (standard deviation `init_sigma`);
- each later generation keeps the `elite` best individuals as they are (their fitness is not
  computed again: fitness is taken to be deterministic, e.g. the whole training set), and fills
  the rest with children: two parents chosen by tournament (`tournament` individuals drawn,
  the best wins) or truncation (uniform among the best `truncation` fraction), recombined with
  probability `crossover_rate` by blend crossover (BLX-alpha: each gene uniform in the parents'
  interval widened by `blend_alpha` on each side) or uniform crossover (each gene from either
  parent), then Gaussian mutation of each gene with probability `mutation_rate`, standard
  deviation `sigma` (multiplied by `sigma_decay` every generation).

Every draw comes from one `numpy.random.Generator` seeded by `seed`, and selection, crossover and
mutation are vectorised over the whole generation. The loop is `ask()` / `tell()`; `minimize`
runs it until exactly `budget` fitness evaluations have been made (the last generation is cut
short). With a noisy fitness (a fresh minibatch per generation) the kept elite can be measured
again on the new data (`kept()`, then `tell(..., elite_fitness=...)`), so that a lucky draw does
not keep an individual for ever. `train.fit_ga` trains a hybrid model's trainable weights this
way, as `train.fit_es` does with CMA-ES; `fit_ga` here is its whole-data, evaluation-budget form.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

SELECTIONS = ("tournament", "truncation")
CROSSOVERS = ("blend", "uniform")

#: A batch fitness: `(P, dim)` candidates -> `(P,)` values, lower is better.
Fitness = Callable[[np.ndarray], np.ndarray]


@dataclass
class GAConfig:
    popsize: int = 24
    elite: int = 2
    selection: str = "tournament"
    tournament: int = 3
    truncation: float = 0.3
    crossover: str = "blend"
    crossover_rate: float = 0.9
    blend_alpha: float = 0.3
    mutation_rate: float = 0.1
    sigma: float = 0.05
    sigma_decay: float = 1.0
    init_sigma: float = 0.1
    seed: int = 0

    def check(self) -> GAConfig:
        """Raise a ValueError naming the first bad setting; return self."""
        if isinstance(self.popsize, bool) or not isinstance(self.popsize, int) \
                or self.popsize < 2:
            raise ValueError(f"popsize must be an integer >= 2, got {self.popsize!r}")
        if not 0 <= self.elite < self.popsize:
            raise ValueError(f"elite must be in 0..popsize-1 ({self.popsize - 1}), "
                             f"got {self.elite!r}")
        if self.selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {SELECTIONS}, got {self.selection!r}")
        if self.crossover not in CROSSOVERS:
            raise ValueError(f"crossover must be one of {CROSSOVERS}, got {self.crossover!r}")
        if not 1 <= self.tournament <= self.popsize:
            raise ValueError(f"tournament must be in 1..popsize, got {self.tournament!r}")
        for name in ("truncation", "crossover_rate", "mutation_rate"):
            value = getattr(self, name)
            lo_open = name == "truncation"  # keeping no parent at all makes no sense
            if not (0 < value <= 1 if lo_open else 0 <= value <= 1):
                raise ValueError(f"{name} must be in {'(0' if lo_open else '[0'}, 1], "
                                 f"got {value!r}")
        for name in ("sigma", "init_sigma", "blend_alpha"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if not 0 < self.sigma_decay <= 1:
            raise ValueError(f"sigma_decay must be in (0, 1], got {self.sigma_decay!r}")
        return self

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GAResult:
    best_x: np.ndarray
    best_fitness: float
    evaluations: int
    generations: int
    history: list[float] = field(default_factory=list)  # best fitness after each generation
    seconds: float = 0.0


class GeneticAlgorithm:
    """Ask/tell GA. `ask(n)` gives up to `n` new candidates to evaluate; `tell(xs, f)` records
    their fitness. Generation 0 is `x0` and its perturbations; after it, every `ask` breeds
    from the current population."""

    def __init__(self, x0: np.ndarray, cfg: GAConfig | None = None):
        self.cfg = (cfg or GAConfig()).check()
        self.x0 = np.asarray(x0, dtype=np.float64).ravel()
        if self.x0.size == 0:
            raise ValueError("x0 must hold at least one value")
        self.rng = np.random.default_rng(self.cfg.seed)
        self.sigma = self.cfg.sigma
        self.pop = np.empty((0, self.x0.size))
        self.fit = np.empty(0)
        self.generation = 0
        self.evaluations = 0

    # -- breeding (all vectorised over the children of one generation)
    def _initial(self) -> np.ndarray:
        noise = self.rng.standard_normal((self.cfg.popsize - 1, self.x0.size))
        return np.vstack([self.x0, self.x0 + self.cfg.init_sigma * noise])

    def _select(self, n: int) -> np.ndarray:
        """Indices into the population of `n` parents."""
        size = len(self.fit)
        if self.cfg.selection == "tournament":
            k = min(self.cfg.tournament, size)
            entrants = self.rng.integers(0, size, (n, k))
            return entrants[np.arange(n), self.fit[entrants].argmin(1)]
        keep = max(1, int(math.ceil(self.cfg.truncation * size)))
        return np.argsort(self.fit, kind="stable")[self.rng.integers(0, keep, n)]

    def _cross(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        n, d = a.shape
        if self.cfg.crossover == "uniform":
            child = np.where(self.rng.random((n, d)) < 0.5, a, b)
        else:
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            span = hi - lo
            child = self.rng.uniform(lo - self.cfg.blend_alpha * span,
                                     hi + self.cfg.blend_alpha * span)
        crossed = np.less(self.rng.random(n), self.cfg.crossover_rate)
        return np.where(crossed[:, None], child, a)

    def _mutate(self, x: np.ndarray) -> np.ndarray:
        hit = self.rng.random(x.shape) < self.cfg.mutation_rate
        return x + hit * self.sigma * self.rng.standard_normal(x.shape)

    def ask(self, n: int | None = None) -> np.ndarray:
        """Candidates to evaluate next: generation 0 once, then `popsize - elite` children
        (at most `n`)."""
        if self.generation == 0 and len(self.fit) == 0:
            out = self._initial()
        else:
            m = self.cfg.popsize - min(self.cfg.elite, len(self.fit))
            a = self.pop[self._select(m)]
            b = self.pop[self._select(m)]
            out = self._mutate(self._cross(a, b))
        return out if n is None else out[:n]

    def _elite(self) -> np.ndarray:
        """Indices of the individuals the next `tell` keeps, best first."""
        return np.argsort(self.fit, kind="stable")[:self.cfg.elite]

    def kept(self) -> np.ndarray:
        """The individuals the next `tell` keeps as they are (the elite, best first): with a
        noisy fitness, measure them again and pass the values to `tell` as `elite_fitness`."""
        return self.pop[self._elite()].copy()

    def tell(self, xs: np.ndarray, fitness: np.ndarray,
             elite_fitness: np.ndarray | None = None) -> None:
        """Record a generation: the elite of the old population plus these children become the
        new population (the best `popsize` of them). `elite_fitness`: the elite's fitness
        measured again on the children's data (counted as evaluations); omitted, the old
        values stand."""
        fitness = self._clean(fitness, len(xs), "candidates")
        order = self._elite()
        old = self.fit[order]
        if elite_fitness is not None:
            old = self._clean(elite_fitness, len(order), "kept individuals")
            self.evaluations += len(order)
        pop = np.vstack([self.pop[order], xs])
        fit = np.concatenate([old, fitness])
        best = np.argsort(fit, kind="stable")[:self.cfg.popsize]
        self.pop, self.fit = pop[best], fit[best]
        self.evaluations += len(xs)
        self.generation += 1
        self.sigma *= self.cfg.sigma_decay

    @staticmethod
    def _clean(fitness: np.ndarray, n: int, what: str) -> np.ndarray:
        fitness = np.asarray(fitness, dtype=np.float64).ravel()
        if len(fitness) != n:
            raise ValueError(f"{n} {what} but {len(fitness)} fitness values")
        return np.where(np.isnan(fitness), np.inf, fitness)  # a NaN never wins

    def best(self) -> tuple[np.ndarray, float]:
        i = int(np.argmin(self.fit))
        return self.pop[i].copy(), float(self.fit[i])


def minimize(fitness: Fitness, x0: np.ndarray, budget: int,
             cfg: GAConfig | None = None) -> GAResult:
    """Run the GA for exactly `budget` fitness evaluations (`fitness` sees every candidate
    once; the final generation is cut to what is left)."""
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be a positive integer, got {budget!r}")
    t0 = time.perf_counter()
    ga = GeneticAlgorithm(x0, cfg)
    history = []
    while ga.evaluations < budget:
        xs = ga.ask(budget - ga.evaluations)
        ga.tell(xs, np.asarray(fitness(xs)))
        history.append(ga.best()[1])
    x, f = ga.best()
    return GAResult(x, f, ga.evaluations, ga.generation, history, time.perf_counter() - t0)


def one_at_a_time(f: Callable[[np.ndarray], float]) -> Fitness:
    """A batch fitness from a fitness of one vector."""
    return lambda xs: np.array([f(x) for x in xs], dtype=np.float64)


def fit_ga(model: Any, data: Any, budget: int, cfg: GAConfig | None = None,
           fitness: str = "nll") -> dict[str, Any]:
    """Train a hybrid model's trainable weights by the GA on the whole of `data` (soft NLL, or
    hard error rate with `fitness="error"`) for exactly `budget` evaluations; the model ends
    with the best individual found. `train.fit_ga` with every GA setting given and a budget
    in evaluations rather than generations; returns its info dict with `best_fitness`."""
    from hylo.neural.train import TrainConfig
    from hylo.neural.train import fit_ga as train_ga

    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be a positive integer, got {budget!r}")
    cfg = cfg or GAConfig()
    # a batch at least as large as the data: the fitness is the whole set, deterministic
    tc = TrainConfig(steps=1, augment=False, es_batch=max(1, len(data)), fitness=fitness,
                     seed=cfg.seed)
    hist = train_ga(model, data, tc, ga=cfg, budget=budget)
    hist.pop("steps", None)
    if "best_minibatch_fitness" in hist:
        hist["best_fitness"] = hist.pop("best_minibatch_fitness")
    return hist
