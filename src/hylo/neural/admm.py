"""ADMM for programs whose parameters split into coupled sub-problems.

A program `y = B(A(x))` where `A` is a neural module and `B` is the rest of the program: another
module, an algorithmic part with no weights (the exact soft `sum` of hylo's digits semantics),
or a *discrete choice* among a few such parts (primitives, constants). Instead of
back-propagating through `B` into `A`, a split variable `z` (one row per training example)
takes `A`'s place, with the constraint `A(x) = z`, and ADMM alternates on the scaled
augmented Lagrangian

    L(A, B, c, z, u) = mean loss(B_c(z), y) + rho/2 mean ||A(x) - z + u||^2

1. **A-step**: `a_steps` Adam steps on `A` alone toward `z - u` (a plain regression: `A` never
   sees `B` or the labels);
2. **(c, z, B)-step**: for each choice `c` (every `choose_every` iterations; else only the
   current one), `b_steps` Adam steps on `z` and `B_c`'s weights from `A(x) + u`, then the
   choice with the lowest `L` is kept (exact minimisation over the discrete choice, inexact over
   `z`); with one choice this is the classic split of (i);
3. **dual step**: `u += A(x) - z`.

Residuals (root mean square over examples of the per-example norms): primal `r = A(x) - z`,
dual `s = rho (z - z_prev)`. ADMM stops when `r <= eps_primal` and `s <= eps_dual` (after
`min_iterations`), or after `iterations`. `rho` follows a schedule: `fixed`, `increase`
(times `rho_factor` each iteration) or `balance` (residual balancing, Boyd et al. 2011, 3.4.1:
times `rho_factor` when `r > balance_ratio * s`, divided when `s > balance_ratio * r`; the
scaled dual `u` is rescaled with it), always within `[rho_min, rho_max]`.

Every iteration sees the whole training set (`z` and `u` have one row per example), so the
residuals are exact. `fit_joint` is the baseline: Adam on `loss(B(A(x)), y)` through both.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

#: `loss(B_c(z), y)` -> per-example losses `(N,)`.
Loss = Callable[[Any, Tensor], Tensor]
SCHEDULES = ("fixed", "increase", "balance")


@dataclass
class ADMMConfig:
    iterations: int = 200  # at most this many outer iterations
    a_steps: int = 1  # Adam steps on A per iteration
    b_steps: int = 5  # Adam steps on (z, B_c) per iteration, per choice tried
    rho: float = 1.0
    rho_schedule: str = "balance"
    rho_factor: float = 2.0
    balance_ratio: float = 10.0
    rho_min: float = 1e-3
    rho_max: float = 1e4
    lr_a: float = 1e-2
    lr_b: float = 1e-2
    lr_z: float = 0.1
    lr_decay: float = 1.0  # every learning rate times this after each iteration
    eps_primal: float = 1e-3
    eps_dual: float = 1e-3
    min_iterations: int = 1
    choose_every: int = 1
    seed: int = 0

    def check(self) -> ADMMConfig:
        """Raise a ValueError naming the first bad setting; return self."""
        for name in ("iterations", "a_steps", "b_steps", "min_iterations", "choose_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name in ("rho", "rho_min", "rho_max", "lr_a", "lr_b", "lr_z"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        if not self.rho_min <= self.rho <= self.rho_max:
            raise ValueError(f"rho must be within [rho_min, rho_max] = "
                             f"[{self.rho_min}, {self.rho_max}], got {self.rho}")
        if self.rho_schedule not in SCHEDULES:
            raise ValueError(f"rho_schedule must be one of {SCHEDULES}, "
                             f"got {self.rho_schedule!r}")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1], got {self.lr_decay!r}")
        if not (math.isfinite(self.rho_factor) and self.rho_factor >= 1):
            raise ValueError(f"rho_factor must be >= 1, got {self.rho_factor!r}")
        if not (math.isfinite(self.balance_ratio) and self.balance_ratio >= 1):
            raise ValueError(f"balance_ratio must be >= 1, got {self.balance_ratio!r}")
        for name in ("eps_primal", "eps_dual"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        return self

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ADMMResult:
    choice: int  # index into `choices` of the part kept
    iterations: int
    converged: bool  # stopped on the residuals (not on the iteration cap)
    primal: list[float] = field(default_factory=list)  # per iteration
    dual: list[float] = field(default_factory=list)
    rho: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)  # mean loss(B_c(A(x)), y): the real model
    choices: list[int] = field(default_factory=list)  # the choice after each iteration
    a_updates: int = 0  # Adam steps taken on A
    b_updates: int = 0  # Adam steps taken on (z, B), every choice tried counted
    seconds: float = 0.0
    z: Tensor | None = None
    u: Tensor | None = None

    def summary(self) -> dict[str, Any]:
        """The JSON-able part."""
        return {"choice": self.choice, "iterations": self.iterations,
                "converged": self.converged, "final_primal": self.primal[-1],
                "final_dual": self.dual[-1], "final_rho": self.rho[-1],
                "final_loss": self.loss[-1], "a_updates": self.a_updates,
                "b_updates": self.b_updates, "seconds": self.seconds}


def _rms(t: Tensor) -> float:
    """Root mean square over examples of the per-example norm."""
    return float(t.reshape(t.shape[0], -1).pow(2).sum(1).mean().sqrt())


def _penalty(ax: Tensor, z: Tensor, u: Tensor, rho: float) -> Tensor:
    return 0.5 * rho * (ax - z + u).reshape(ax.shape[0], -1).pow(2).sum(1).mean()


def _weights(module: nn.Module) -> list[nn.Parameter]:
    return [p for p in module.parameters() if p.requires_grad]


def _a_step(a: nn.Module, x: Tensor, target: Tensor, opt: torch.optim.Optimizer,
            rho: float, steps: int) -> None:
    """A toward `target = z - u`; the gradient is rho times a regression's."""
    for _ in range(steps):
        opt.zero_grad()
        loss = _penalty(a(x), target, torch.zeros_like(target), rho)
        loss.backward()
        opt.step()


class _Choice:
    """One candidate part `B_c`, with its own copy of `z` and Adam state (kept between
    iterations, so the part in use keeps its momentum)."""

    def __init__(self, part: Callable[[Tensor], Any], z: Tensor, cfg: ADMMConfig):
        self.part = part
        self.z = z.detach().clone().requires_grad_(True)
        groups: list[dict[str, Any]] = [{"params": [self.z], "lr": cfg.lr_z}]
        weights = _weights(part) if isinstance(part, nn.Module) else []
        if weights:
            groups.append({"params": weights, "lr": cfg.lr_b})
        self.opt = torch.optim.Adam(groups)

    def solve(self, z0: Tensor, ax: Tensor, u: Tensor, y: Tensor, loss: Loss, rho: float,
              steps: int) -> float:
        """`steps` Adam steps on L from `z0`; returns L at the end."""
        with torch.no_grad():
            self.z.copy_(z0)
        for _ in range(steps):
            self.opt.zero_grad()
            value = loss(self.part(self.z), y).mean() + _penalty(ax, self.z, u, rho)
            value.backward()
            self.opt.step()
        with torch.no_grad():
            return float(loss(self.part(self.z), y).mean() + _penalty(ax, self.z, u, rho))


def _decay(opt: torch.optim.Optimizer, factor: float) -> None:
    # Adam's steps are about lr in size whatever the gradient, so a constant rate leaves the
    # residuals at a floor of that order; decaying it lets them go to zero
    for group in opt.param_groups:
        group["lr"] *= factor


def _next_rho(rho: float, r: float, s: float, cfg: ADMMConfig) -> float:
    if cfg.rho_schedule == "increase":
        rho *= cfg.rho_factor
    elif cfg.rho_schedule == "balance":
        if r > cfg.balance_ratio * s:
            rho *= cfg.rho_factor
        elif s > cfg.balance_ratio * r:
            rho /= cfg.rho_factor
    return min(max(rho, cfg.rho_min), cfg.rho_max)


def admm(a: nn.Module, choices: Sequence[Callable[[Tensor], Any]], x: Any, y: Tensor,
         loss: Loss, cfg: ADMMConfig | None = None,
         after: Callable[[int, ADMMResult], None] | None = None) -> ADMMResult:
    """Train `a` (and the weights of the chosen part) by ADMM on the split `A(x) = z`; pick
    one of `choices` (callables `z -> output`, `nn.Module`s when they have weights).

    `x` is whatever `a` takes (the whole training set), `loss(output, y)` gives per-example
    losses. `after(iteration, result)` is called after each iteration (for logging). `a` ends
    trained; the kept part is `choices[result.choice]`."""
    cfg = (cfg or ADMMConfig()).check()
    if len(choices) == 0:
        raise ValueError("admm needs at least one choice for the part after the split")
    t0 = time.perf_counter()
    torch.manual_seed(cfg.seed)  # nothing here draws, but a module's dropout might
    opt_a = torch.optim.Adam(_weights(a), lr=cfg.lr_a)
    with torch.no_grad():
        z = a(x).detach().clone()  # feasible start: r = 0
    u = torch.zeros_like(z)
    parts = [_Choice(part, z, cfg) for part in choices]
    res = ADMMResult(choice=0, iterations=0, converged=False)
    rho = float(cfg.rho)
    for it in range(1, cfg.iterations + 1):
        _a_step(a, x, z - u, opt_a, rho, cfg.a_steps)
        res.a_updates += cfg.a_steps
        with torch.no_grad():
            ax = a(x)
        tried = range(len(parts)) if (it - 1) % cfg.choose_every == 0 else [res.choice]
        # every choice starts from the prox centre A(x) + u, where the penalty is zero: a warm
        # start from the old z lags behind it by whatever Adam's few steps cannot cover
        centre = ax + u
        values = {c: parts[c].solve(centre, ax, u, y, loss, rho, cfg.b_steps) for c in tried}
        res.b_updates += cfg.b_steps * len(values)
        res.choice = min(values, key=lambda c: (values[c], c))  # ties: the earlier choice
        with torch.no_grad():
            z_new = parts[res.choice].z.detach().clone()
            u += ax - z_new
            r, s = _rms(ax - z_new), rho * _rms(z_new - z)
            z = z_new
            res.loss.append(float(loss(parts[res.choice].part(ax), y).mean()))
        res.primal.append(r)
        res.dual.append(s)
        res.rho.append(rho)
        res.choices.append(res.choice)
        res.iterations = it
        if after is not None:
            after(it, res)
        if it >= cfg.min_iterations and r <= cfg.eps_primal and s <= cfg.eps_dual:
            res.converged = True
            break
        for opt in [opt_a, *(p.opt for p in parts)]:
            _decay(opt, cfg.lr_decay)
        new_rho = _next_rho(rho, r, s, cfg)
        u *= rho / new_rho  # the scaled dual is y / rho
        rho = new_rho
    res.z, res.u, res.seconds = z, u, time.perf_counter() - t0
    return res


def fit_joint(a: nn.Module, b: Callable[[Tensor], Any], x: Any, y: Tensor, loss: Loss,
              steps: int, lr: float = 1e-2, lr_b: float | None = None, lr_decay: float = 1.0,
              decay_every: int = 1) -> dict[str, Any]:
    """The baseline: `steps` full-batch Adam steps on `loss(b(a(x)), y)` through both; the
    rates are multiplied by `lr_decay` every `decay_every` steps (ADMM's decay per iteration
    of `a_steps` steps, for a like-for-like comparison)."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if not 0 < lr_decay <= 1 or decay_every < 1:
        raise ValueError(f"lr_decay must be in (0, 1] and decay_every >= 1, got "
                         f"{lr_decay!r}, {decay_every!r}")
    t0 = time.perf_counter()
    groups: list[dict[str, Any]] = [{"params": _weights(a), "lr": lr}]
    if isinstance(b, nn.Module) and _weights(b):
        groups.append({"params": _weights(b), "lr": lr if lr_b is None else lr_b})
    opt = torch.optim.Adam(groups)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        value = loss(b(a(x)), y).mean()
        value.backward()
        opt.step()
        losses.append(float(value.detach()))
        if (len(losses)) % decay_every == 0:
            _decay(opt, lr_decay)
    return {"steps": steps, "final_loss": losses[-1], "losses": losses,
            "seconds": time.perf_counter() - t0}
