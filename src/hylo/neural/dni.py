"""Decoupled training with synthetic gradients (DNI, Jaderberg et al. 2017).

Two neural modules in sequence inside a hybrid program: an *upstream* module (an encoder,
image -> features) whose output feeds a *downstream* module (features -> digit logits), and the
program's symbolic part on top (`(lam (sum (map nn:new:classify $0)))`: the two modules are the
program's digit reader). `split_classifier` cuts a `classify` module of `hylo.neural.kinds` in
two at a layer, so the trained pair is still one `classify` module of its spec (stored like any
other), and `Cut` puts the pair in the program's slot.

With backprop the upstream module waits for the downstream forward and backward passes of every
batch. With DNI it does not: a small *synthesizer* predicts dL/dh from the features h (and, with
`condition`, the example's label), the upstream module steps at once along that prediction, and
the (features, batch) pair goes into a queue. Every `every` steps the downstream side drains the
queue: for each pair, in order, the program runs from the stored features, the downstream module
steps on the true loss, and the synthesizer regresses its prediction toward the true gradient
dL/dh that has just arrived. So the upstream module runs up to `every` steps ahead of the
downstream one, and the features the downstream side sees are that many steps stale.

Scale: the loss is a mean over the minibatch, so dL/dh of one row is 1/B of that row's own
loss gradient. The synthesizer predicts the per-example gradient (the target is B * dL/dh) and
the upstream step uses the prediction / B, so its output does not depend on the batch size.

Each update is counted and logged in order (`DNIHistory.events`), so tests can check that the
upstream steps do not wait for the downstream backward pass.

Here the two sides run one after the other in one thread. `hylo.neural.dni_parallel` runs the
same updates (`synthetic_step`, `true_step`, `synth_step`) with the sides in two processes at
once.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from hylo.core.program import Program
from hylo.core.types import Type
from hylo.neural import kinds
from hylo.neural.hybrid import Data, HybridModel, Lst, ModuleSlot, Semantics, Tens, nll
from hylo.neural.names import neural_names, parse_name

Tensor = torch.Tensor


# ----------------------------------------------------------------------------- the two modules
def split_classifier(module: nn.Module, cut: int) -> tuple[nn.Sequential, nn.Sequential]:
    """The layers of a kinds `classify` module before layer `cut` and from it on (views that
    share the module's parameters). A negative `cut` counts from the end."""
    layers = list(module.net)
    cut = cut % len(layers)
    if not 0 < cut < len(layers):
        raise ValueError(f"a cut at layer {cut} leaves one side empty")
    return nn.Sequential(*layers[:cut]), nn.Sequential(*layers[cut:])


def hidden_cut(module: nn.Module) -> int:
    """The cut after the head's first hidden layer (and its ReLU): features -> digit."""
    layers = list(module.net)
    linear = [i for i, layer in enumerate(layers) if isinstance(layer, nn.Linear)]
    if len(linear) < 2:
        raise ValueError("the module's head has no hidden layer to cut after")
    return linear[0] + 2  # the Linear and its ReLU stay upstream


class Cut(nn.Module):
    """Upstream then downstream; the slot module of the program. With `replay` set, the
    upstream module is skipped and the downstream one reads the stored features instead."""

    def __init__(self, upstream: nn.Module, downstream: nn.Module):
        super().__init__()
        self.upstream, self.downstream = upstream, downstream
        self.replay: Tensor | None = None

    def forward(self, x: Tensor) -> Tensor:
        if self.replay is None:
            return self.downstream(self.upstream(x))
        if self.replay.shape[0] != x.shape[0]:
            raise RuntimeError("stored features do not match the module's input rows")
        return self.downstream(self.replay)


def cut_model(program: Program, request: Type, semantics: Semantics,
              spec: dict[str, Any] | None = None, seed: int = 0, cut: int | None = None
              ) -> tuple[HybridModel, str, nn.Module]:
    """`program`'s one fresh `classify` hole filled by a new module of `spec` cut in two (by
    default after the head's first hidden layer). Returns the model, the hole's text and the
    whole `classify` module (what the library stores; it shares the two halves' weights)."""
    names = neural_names(program)
    refs = [parse_name(n) for n in names]
    if len(names) != 1 or not refs[0].fresh or refs[0].kind != "classify":
        raise ValueError(f"DNI cuts exactly one fresh classify hole, the program has {names}")
    full = kinds.full_spec("classify", spec)
    module = kinds.build("classify", full, seed=seed)
    up, down = split_classifier(module, hidden_cut(module) if cut is None else cut)
    slot = ModuleSlot(names[0], "classify", full, frozen=False)
    model = HybridModel(program, request, {names[0]: slot}, {names[0]: Cut(up, down)},
                        semantics)
    return model, names[0], module


def module_input(values: Sequence[Any]) -> tuple[Tensor, Tensor, Tensor]:
    """The rows a program applies its module to, the top-level example of each, and whether it
    is a real element (not list padding): the one image argument itself, or the elements of the
    one list of images (in `map`'s order)."""
    if len(values) != 1:
        raise ValueError("DNI training takes programs of one argument")
    v = values[0]
    leaf = v.elem if isinstance(v, Lst) else v
    if not isinstance(leaf, Tens):
        raise ValueError("the program's argument is not an image or a list of images")
    return leaf.x, leaf.origin, leaf.valid


# ----------------------------------------------------------------------------- synthesizer
class Synthesizer(nn.Module):
    """Predicts the per-example gradient of the loss with respect to the features h, from h
    and (with `labels` > 0) the one-hot label of the row's example. The output layer starts at
    zero, as in the paper: the first synthetic gradients are zero, not noise."""

    def __init__(self, features: int, labels: int = 0, hidden: int = 64):
        super().__init__()
        self.labels = labels
        self.net = nn.Sequential(nn.Linear(features + labels, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, features))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, h: Tensor, label: Tensor | None = None) -> Tensor:
        if self.labels:
            if label is None:
                raise ValueError("this synthesizer is conditioned on the label")
            onehot = nn.functional.one_hot(label.long().clamp(0, self.labels - 1), self.labels)
            h = torch.cat([h, onehot.float()], -1)
        return self.net(h)


# ----------------------------------------------------------------------------- training
@dataclass
class DNIConfig:
    steps: int = 1000  # upstream steps = downstream steps = synthesizer steps
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    synth_lr: float = 1e-3
    synth_hidden: int = 64
    every: int = 4  # the downstream side runs every `every` steps, on the queued batches
    condition: bool = True  # the synthesizer also sees the label
    augment: bool = True
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DNIHistory:
    upstream_steps: int = 0
    downstream_steps: int = 0
    synth_steps: int = 0
    events: list[tuple[str, int]] = field(default_factory=list)  # (what, step), in order
    synth_loss: list[float] = field(default_factory=list)  # MSE per synthesizer step
    synth_cosine: list[float] = field(default_factory=list)  # cos(prediction, true gradient)
    synth_relative: list[float] = field(default_factory=list)  # |pred - true|^2 / |true|^2
    loss: list[float] = field(default_factory=list)  # the program's loss per downstream step
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        def mean(xs: list[float]) -> float | None:
            return sum(xs) / len(xs) if xs else None

        tenth = max(1, len(self.synth_loss) // 10)
        return {"method": "dni", "upstream_steps": self.upstream_steps,
                "downstream_steps": self.downstream_steps, "synth_steps": self.synth_steps,
                "synth_cosine_first": mean(self.synth_cosine[:tenth]),
                "synth_cosine_last": mean(self.synth_cosine[-tenth:]),
                "synth_relative_error_first": mean(self.synth_relative[:tenth]),
                "synth_relative_error_last": mean(self.synth_relative[-tenth:]),
                "final_loss": mean(self.loss[-tenth:]), "seconds": self.seconds}


@dataclass
class Queued:
    """What one upstream step hands on: to the downstream side, and back to the synthesizer's
    regression with the true gradient."""

    step: int
    h: Tensor  # the upstream features, detached
    values: list[Any]  # the batch's inputs, as the program reads them
    y: Tensor
    label: Tensor  # per row: the label of its example
    valid: Tensor  # per row: not list padding (padding gets no gradient and is not regressed)


def draw_batch(data: Data, cfg: DNIConfig, gen: torch.Generator) -> tuple[list[Any], Tensor]:
    idx = torch.randint(0, len(data), (cfg.batch_size,), generator=gen)
    part = data.take(idx)
    shift = (lambda x: kinds.shift_images(x, gen)) if cfg.augment else None
    return part.values(shift), part.y


class DNITrainer:
    """Trains `model`, whose slot `text` holds a `Cut`, by DNI. `upstream_step` and
    `downstream_step` run one side each; `fit` interleaves them on the queue."""

    def __init__(self, model: HybridModel, text: str, cfg: DNIConfig, labels: int):
        cut = model.net(text)
        if not isinstance(cut, Cut):
            raise ValueError(f"slot {text} does not hold a Cut of two modules")
        self.model, self.cut, self.cfg = model, cut, cfg
        features = self._features()
        self.synth = Synthesizer(features, labels if cfg.condition else 0, cfg.synth_hidden)
        opt = torch.optim.Adam
        self.opt_up = opt(cut.upstream.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.opt_down = opt(cut.downstream.parameters(), lr=cfg.lr,
                            weight_decay=cfg.weight_decay)
        self.opt_synth = opt(self.synth.parameters(), lr=cfg.synth_lr)
        self.queue: deque[Queued] = deque()
        self.history = DNIHistory()

    def _features(self) -> int:
        first = next(m for m in self.cut.downstream.modules() if isinstance(m, nn.Linear))
        return int(first.in_features)

    def upstream_step(self, step: int, values: list[Any], y: Tensor) -> None:
        """Forward the upstream module, step it along the synthetic gradient, queue the rest."""
        self.queue.append(self.synthetic_step(step, values, y))

    def synthetic_step(self, step: int, values: list[Any], y: Tensor) -> Queued:
        """The upstream module's step along the synthesizer's prediction; returns what the
        downstream side needs (the features detached) and the synthesizer's regression later."""
        x, origin, valid = module_input(values)
        h = self.cut.upstream(x)
        label = y[origin]
        with torch.no_grad():
            g = self.synth(h.detach(), label) * valid[:, None] / len(y)
        self.opt_up.zero_grad()
        h.backward(g)
        self.opt_up.step()
        self.history.upstream_steps += 1
        self.history.events.append(("upstream", step))
        return Queued(step, h.detach(), values, y, label, valid)

    def downstream_step(self, item: Queued) -> None:
        """The true loss from stored features: steps the downstream module, and regresses the
        synthesizer toward the true gradient of the features."""
        self.synth_step(item, self.true_step(item))

    def true_step(self, item: Queued) -> Tensor:
        """The downstream module's step on the program's true loss, from the stored features;
        returns the regression target of the synthesizer (B * dL/dh, zero where h has none)."""
        h = item.h.clone().requires_grad_(True)
        self.cut.replay = h
        try:
            loss = nll(self.model(item.values, "soft"), item.y).mean()
        finally:
            self.cut.replay = None
        self.opt_down.zero_grad()
        loss.backward()
        self.opt_down.step()
        self.history.downstream_steps += 1
        self.history.events.append(("downstream", item.step))
        self.history.loss.append(float(loss.detach()))
        return torch.zeros_like(h) if h.grad is None else h.grad * len(item.y)

    def synth_step(self, item: Queued, target: Tensor) -> None:
        """Regress the synthesizer's prediction at the item's features toward `target`."""
        pred = self.synth(item.h[item.valid], item.label[item.valid])
        target = target[item.valid]
        loss = ((pred - target) ** 2).sum(-1).mean()
        self.opt_synth.zero_grad()
        loss.backward()
        self.opt_synth.step()
        p, t = pred.detach().flatten(), target.flatten()
        cos = float(torch.dot(p, t) / (p.norm() * t.norm()).clamp_min(1e-12))
        h = self.history
        h.synth_steps += 1
        h.synth_loss.append(float(loss.detach()))
        h.synth_cosine.append(cos)
        h.synth_relative.append(float(((p - t) ** 2).sum() / (t ** 2).sum().clamp_min(1e-12)))
        h.events.append(("synth", item.step))

    def drain(self) -> None:
        while self.queue:
            self.downstream_step(self.queue.popleft())

    def fit(self, data: Data) -> DNIHistory:
        cfg = self.cfg
        gen = torch.Generator().manual_seed(cfg.seed)
        self.model.train()
        t0 = time.perf_counter()
        for step in range(cfg.steps):
            values, y = draw_batch(data, cfg, gen)
            self.upstream_step(step, values, y)
            if (step + 1) % cfg.every == 0:
                self.drain()
        self.drain()
        self.history.seconds = time.perf_counter() - t0
        return self.history


def fit_dni(model: HybridModel, text: str, data: Data, cfg: DNIConfig,
            labels: int) -> DNIHistory:
    """DNI training of the `Cut` in slot `text`; `labels` is the number of label values the
    synthesizer is conditioned on (with `cfg.condition`)."""
    return DNITrainer(model, text, cfg, labels).fit(data)


def fit_backprop(model: HybridModel, data: Data, cfg: DNIConfig) -> dict[str, Any]:
    """End-to-end backprop on the same program, batches (same generator), optimizers and
    number of steps as `fit_dni`: the comparison arm."""
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.Adam(model.trainable(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    t0 = time.perf_counter()
    last = float("nan")
    for _ in range(cfg.steps):
        values, y = draw_batch(data, cfg, gen)
        loss = nll(model(values, "soft"), y).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        last = float(loss.detach())
    return {"method": "backprop", "steps": cfg.steps, "final_loss": last,
            "seconds": time.perf_counter() - t0}
