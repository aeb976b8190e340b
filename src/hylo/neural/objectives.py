"""Engineer-written objectives: what "better" means for a task when it is not accuracy.

An objective is a plain callable `f(predictions, targets, model) -> float`, lower is better:
a cost matrix over classification errors, a penalty on parameter count, anything computed from
what the program outputs, the labels and the model (a `hylo.neural.hybrid.HybridModel`, so
`model.parameters()` and `model.program` are there). `predictions` is one tensor per batch:

- an int output: `(N, K)` rows, probabilities over 0..K-1 (K at least the largest label + 1);
- a bool output: `(N,)`, the probability of True;
- a real output: `(N,)`, the values.

The same callable is used two ways. Ranking (`hylo.neural.select`) calls it with the program's
*decisions* (hard semantics: each int row one-hot, each bool 0 or 1), so a cost matrix written
as `(predictions * cost[targets]).sum(1).mean()` is the mean cost of the errors made. Training
calls it with the *soft* semantics' distributions, where the same expression is the expected
cost; when the result is a tensor with a gradient, it is added to the negative log-likelihood
(`training_loss`): the likelihood keeps every label's signal (an expected cost alone trains
slowly from a random start), the objective moves the decisions towards cheap errors. An
objective that returns a plain float (or a tensor without a gradient) is a selection criterion
only, and training stays on the likelihood.

`load_objective("package.module:function")` finds one by name (the `--objective` option):
the text is checked against the grammar of dotted names first, then imported with importlib;
nothing is evaluated.
"""

from __future__ import annotations

import importlib
import math
import os
import re
import sys
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from hylo.neural.dist import pad_to
from hylo.neural.hybrid import Bern, Cat, Data, HybridModel, Real, nll
from hylo.neural.kinds import shift_images
from hylo.neural.train import TrainConfig, fit_gradient

Tensor = torch.Tensor
#: `f(predictions, targets, model)`: a float, or a 0-d tensor (differentiable: it trains too).
Objective = Callable[[Tensor, Tensor, nn.Module], Any]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SPEC = re.compile(rf"({_NAME}(?:\.{_NAME})*):({_NAME}(?:\.{_NAME})*)\Z")
MAX_SPEC = 300


class Named:
    """An objective loaded by name: callable like the function, and it knows its name."""

    def __init__(self, spec: str, fn: Objective) -> None:
        self.spec, self.fn = spec, fn

    def __call__(self, predictions: Tensor, targets: Tensor, model: nn.Module) -> Any:
        return self.fn(predictions, targets, model)

    def __repr__(self) -> str:
        return f"Named({self.spec!r})"


def objective_name(objective: Objective | None) -> str | None:
    """`module:function` of an objective (for reports), None for none."""
    if objective is None:
        return None
    if isinstance(objective, Named):
        return objective.spec
    module = getattr(objective, "__module__", None) or "?"
    return f"{module}:{getattr(objective, '__qualname__', type(objective).__name__)}"


def _import(module: str) -> Any:
    """Import `module`; a module not found on the path is looked for in the current directory
    too (last), so that `--objective costs:f` finds ./costs.py as `python -m` would."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        here = os.getcwd()
        if error.name != module.split(".")[0] or here in sys.path:
            raise
        sys.path.append(here)
        try:
            return importlib.import_module(module)
        finally:
            sys.path.remove(here)


def load_objective(spec: str) -> Named:
    """The callable named `module:function` (dotted names only). A ValueError that says what
    is wrong for anything else: a malformed name, a module that cannot be imported, a missing
    or non-callable attribute."""
    if not isinstance(spec, str) or len(spec) > MAX_SPEC:
        raise ValueError(f"an objective is named 'module:function' in at most {MAX_SPEC} "
                         "characters")
    match = _SPEC.match(spec.strip())
    if match is None:
        raise ValueError(f"objective {spec!r:.80} is not 'module:function' (a dotted module "
                         "path, a colon, a function name; e.g. 'my_costs:cost')")
    module_name, attr = match.groups()
    try:
        target: Any = _import(module_name)
    except Exception as error:  # the engineer's module: any failure is reported as such
        raise ValueError(f"objective {spec!r}: cannot import {module_name!r} "
                         f"({type(error).__name__}: {error})") from None
    for part in attr.split("."):
        if not hasattr(target, part):
            raise ValueError(f"objective {spec!r}: {module_name!r} has no {attr!r}")
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"objective {spec!r}: {attr!r} is a {type(target).__name__}, "
                         "not a function")
    return Named(match.group(0), target)


# ----------------------------------------------------------------------------- values
def predictions(out: Any, targets: Tensor) -> Tensor:
    """A program's output as the objective's `predictions` for `len(targets)` examples."""
    n = targets.shape[0]
    if isinstance(out, Cat):
        width = int(targets.max().item()) + 1 if targets.numel() else 1
        p = pad_to(out.p, max(width, out.p.shape[-1]))
        return p.expand(n, -1) if p.shape[0] == 1 else p
    if isinstance(out, Bern):
        return out.p.expand(n)
    if isinstance(out, Real):
        return out.x.expand(n)
    raise TypeError(f"no predictions for an output of kind {type(out).__name__}")


def _number(value: Any) -> float:
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"an objective returns one number, got a tensor of shape "
                             f"{tuple(value.shape)}")
        value = value.detach().item()
    out = float(value)
    return out if not math.isnan(out) else math.inf


@torch.no_grad()
def evaluate(objective: Objective, model: HybridModel, data: Data, mode: str = "hard",
             values: list[Any] | None = None) -> float:
    """The objective on `data`: of the program's decisions (`hard`) or of its distributions
    (`soft`, what training sees). A program that fails to run scores infinity (worst)."""
    if len(data) == 0:
        return math.inf
    model.eval()
    try:
        out = model(values if values is not None else data.values(), mode)
        pred = predictions(out, data.y)
    except (TypeError, RuntimeError, KeyError):
        return math.inf
    return _number(objective(pred, data.y, model))


def training_loss(objective: Objective | None, out: Any, targets: Tensor,
                  model: nn.Module) -> Tensor | None:
    """The objective of a soft output, when it is differentiable (a tensor with a gradient);
    None when it is not (a selection criterion only)."""
    if objective is None:
        return None
    value = objective(predictions(out, targets), targets, model)
    if not isinstance(value, Tensor) or not value.requires_grad:
        return None
    if value.numel() != 1:
        raise ValueError(f"an objective returns one number, got a tensor of shape "
                         f"{tuple(value.shape)}")
    return value.reshape(())


def loss_with(objective: Objective | None, out: Any, targets: Tensor,
              model: nn.Module) -> tuple[Tensor, bool]:
    """The training loss of one minibatch: the mean NLL, plus the objective when it is
    differentiable; and whether it was."""
    base = nll(out, targets).mean()
    extra = training_loss(objective, out, targets, model)
    return (base, False) if extra is None else (base + extra, True)


def differentiable(objective: Objective, model: HybridModel, data: Data) -> bool:
    """Does the objective give a gradient on the soft outputs of a few examples of `data`?"""
    if len(data) == 0 or not model.trainable():
        return False
    part = data.take(torch.arange(min(8, len(data))))
    try:
        out = model(part.values(), "soft")
    except (TypeError, RuntimeError, KeyError):
        return False
    return training_loss(objective, out, part.y, model) is not None


def fit_gradient_with(model: HybridModel, data: Data, cfg: TrainConfig,
                      objective: Objective | None) -> dict[str, Any]:
    """`hylo.neural.train.fit_gradient` with a differentiable objective added to the loss
    (`loss_with`); with none, or one without a gradient, exactly `fit_gradient`."""
    if objective is None or not differentiable(objective, model, data):
        return fit_gradient(model, data, cfg)
    t0 = time.perf_counter()
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.Adam(model.trainable(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    loss_value = math.nan
    for _ in range(cfg.steps):
        part = data.take(torch.randint(0, len(data), (cfg.batch_size,), generator=gen))
        shift = (lambda x: shift_images(x, gen)) if cfg.augment else None
        loss, _ = loss_with(objective, model(part.values(shift), "soft"), part.y, model)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_value = float(loss.detach())
    return {"method": "gradient", "steps": cfg.steps, "final_loss": loss_value,
            "objective": "trained", "seconds": time.perf_counter() - t0}


__all__ = ["Named", "Objective", "differentiable", "evaluate", "fit_gradient_with",
           "load_objective", "loss_with", "objective_name", "predictions", "training_loss"]
