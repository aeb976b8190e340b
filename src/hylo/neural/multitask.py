"""Multi-task joint training: one shared trunk, one head per task, each task's program on top.

Tasks whose programs use the same module kind (every digits task reads digits with a `classify`
module: `(lam (sum (map nn:new:classify $0)))`, ...) can share that module's feature layers.
`SharedTrunk` cuts a `classify` module built by `hylo.neural.kinds` before its output layer:
the layers before the cut are the *trunk* (shared by every task), and each task gets its own
output layer, a *head* (an `mlp` module of depth 0: one `Linear`). Task `t`'s program is then
compiled with trunk + head `t` in place of its fresh `classify` hole, so the program's soft
semantics (the sum, the count, ...) trains both from the task's own labels.

Storage is the kinds' (`kind`, `spec`, safetensors): `classifier(t)` is a plain `classify`
module of the trunk's spec whose output layer is head `t` (usable in any program as a library
digit reader), and each head is an `mlp` module. `SharedTrunk.from_modules` rebuilds the trunk
and its heads from those entries.

Budgets (`fit_joint`): a task's *minibatch* is `batch_size` examples drawn from its own training
data. Every task gets `steps` minibatches whether it trains alone or jointly, so each sees the
same examples and as many gradient evaluations of its loss. With `schedule="round-robin"` (the
default) one optimizer step takes one task's minibatch, the tasks in turn: `steps * n_tasks`
optimizer steps in all, which is also what training the tasks apart costs in total (`steps`
each). With `schedule="sum"` one step adds every task's loss: `steps` optimizer steps in all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from hylo.core.program import Program
from hylo.core.types import Type
from hylo.neural import kinds
from hylo.neural.hybrid import Data, HybridModel, ModuleSlot, Semantics, nll
from hylo.neural.names import neural_names, parse_name

SCHEDULES = ("round-robin", "sum")


# ----------------------------------------------------------------------------- the trunk
def head_spec(features: int, classes: int) -> dict[str, Any]:
    """An `mlp` spec of one `Linear(features, classes)` (`hidden` is unused at depth 0 but
    must be a valid width)."""
    return kinds.full_spec("mlp", {"in": features, "out": classes, "hidden": 1, "depth": 0})


class _Headed(nn.Module):
    """Trunk then one head: a task's digit reader, sharing the trunk's parameters."""

    def __init__(self, trunk: nn.Module, head: nn.Module):
        super().__init__()
        self.trunk, self.head = trunk, head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x))


class SharedTrunk(nn.Module):
    """The layers of a `classify` module before its output layer, and one head per task."""

    def __init__(self, tasks: Sequence[str], spec: dict[str, Any] | None = None,
                 seed: int = 0):
        super().__init__()
        if not tasks or len(set(tasks)) != len(tasks):
            raise ValueError("a shared trunk needs distinct task names")
        self.spec = kinds.full_spec("classify", spec)
        base = kinds.build("classify", self.spec, seed=seed)
        layers = list(base.net)
        self.trunk = nn.Sequential(*layers[:-1])
        self.features = int(layers[-1].in_features)
        self.classes = int(self.spec["classes"])
        self.head_spec = head_spec(self.features, self.classes)
        # each head its own seed, so a task's head does not depend on the other tasks
        self.heads = nn.ModuleDict({t: kinds.build("mlp", self.head_spec,
                                                   seed=seed * 1000 + 500 + _code(t))
                                    for t in tasks})

    @property
    def tasks(self) -> list[str]:
        return list(self.heads)

    def module_for(self, task: str) -> nn.Module:
        """Task `task`'s image -> logits module (shares the trunk and the head's weights)."""
        return _Headed(self.trunk, self.heads[task])

    def classifier(self, task: str) -> nn.Module:
        """A standalone `classify` module (a copy) of the trunk's spec with head `task` as its
        output layer: what the library stores for the trunk."""
        module = kinds.build("classify", self.spec)
        last = len(module.net) - 1
        state = {f"net.{k}": v for k, v in self.trunk.state_dict().items()}
        state.update({f"net.{last}.{k.split('.', 2)[-1]}": v
                      for k, v in self.heads[task].state_dict().items()})
        module.load_state_dict(state, strict=True)
        return module

    def entries(self, anchor: str) -> dict[str, tuple[str, dict[str, Any], bytes]]:
        """Library entries `(kind, spec, safetensors)`: `trunk` (the classifier with head
        `anchor`) and `head:<task>` for every task."""
        out = {"trunk": ("classify", dict(self.spec), kinds.to_bytes(self.classifier(anchor)))}
        for t, head in self.heads.items():
            out[f"head:{t}"] = ("mlp", dict(self.head_spec), kinds.to_bytes(head))
        return out

    @classmethod
    def from_modules(cls, spec: dict[str, Any], classifier: nn.Module,
                     heads: Mapping[str, nn.Module]) -> SharedTrunk:
        """Rebuild from a stored `classify` module (its layers before the output layer become
        the trunk) and stored heads."""
        shared = cls(list(heads), spec)
        body = {k[len("net."):]: v for k, v in classifier.state_dict().items()
                if int(k.split(".")[1]) < len(shared.trunk)}
        shared.trunk.load_state_dict(body, strict=True)
        for t, head in heads.items():
            shared.heads[t].load_state_dict(head.state_dict(), strict=True)
        return shared

    @classmethod
    def from_entries(cls, entries: Mapping[str, tuple[str, dict[str, Any], bytes]]
                     ) -> SharedTrunk:
        kind, spec, weights = entries["trunk"]
        heads = {name.split(":", 1)[1]: kinds.from_bytes(*entries[name])
                 for name in entries if name.startswith("head:")}
        return cls.from_modules(spec, kinds.from_bytes(kind, spec, weights), heads)


def save(library: Any, shared: SharedTrunk, name: str, anchor: str,
         metrics: Mapping[str, Any], provenance: Mapping[str, Any]) -> dict[str, str]:
    """Store the trunk (as `name`, a `classify` module with head `anchor`) and every head (as
    `name-head-<task>`, an `mlp` module) in a `hylo.library.modules.ModuleLibrary`; returns
    their program names (`nn:<name>@v<k>`). Duck-typed: `hylo.neural` imports no library."""
    texts = {"trunk": library.save(name, "classify", dict(shared.spec),
                                   shared.classifier(anchor), dict(metrics),
                                   {**provenance, "shared_by": shared.tasks, "anchor": anchor})}
    for t, head in shared.heads.items():
        texts[f"head:{t}"] = library.save(f"{name}-head-{t}", "mlp", dict(shared.head_spec),
                                          head, dict(metrics), {**provenance, "head_of": t})
    return texts


def load(library: Any, texts: Mapping[str, str]) -> SharedTrunk:
    """The shared trunk and heads that `save` stored under the program names `texts`."""
    entries = {}
    for key, text in texts.items():
        ref = parse_name(text)
        if ref.name is None or ref.version is None:
            raise ValueError(f"{text} is not a library module")
        entries[key] = library.resolve(ref.name, ref.version)
    return SharedTrunk.from_entries(entries)


def _code(task: str) -> int:
    """A small stable number per task name (Python's `hash` of a str varies between runs)."""
    return sum((i + 1) * ord(c) for i, c in enumerate(task)) % 499


# ----------------------------------------------------------------------------- task models
@dataclass
class TaskProgram:
    """A task: its program (with one fresh `classify` hole), request type and training data."""

    name: str
    program: Program
    request: Type
    train: Data


def task_model(shared: SharedTrunk, task: TaskProgram, semantics: Semantics) -> HybridModel:
    """Task `task`'s program with its fresh `classify` hole filled by trunk + its head."""
    names = neural_names(task.program)
    refs = [parse_name(n) for n in names]
    if len(names) != 1 or not refs[0].fresh or refs[0].kind != "classify":
        raise ValueError(f"{task.name}: a shared trunk fills exactly one fresh classify hole, "
                         f"the program has {names}")
    slot = ModuleSlot(names[0], "classify", dict(shared.spec), frozen=False)
    return HybridModel(task.program, task.request, {names[0]: slot},
                       {names[0]: shared.module_for(task.name)}, semantics)


# ----------------------------------------------------------------------------- training
@dataclass
class JointConfig:
    steps: int = 1000  # minibatches per task
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    augment: bool = True
    schedule: str = "round-robin"  # or "sum"
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _minibatch(data: Data, cfg: JointConfig, gen: torch.Generator) -> tuple[list, torch.Tensor]:
    idx = torch.randint(0, len(data), (cfg.batch_size,), generator=gen)
    part = data.take(idx)
    shift = (lambda x: kinds.shift_images(x, gen)) if cfg.augment else None
    return part.values(shift), part.y


def _task_loss(model: HybridModel, data: Data, cfg: JointConfig,
               gen: torch.Generator) -> torch.Tensor:
    values, y = _minibatch(data, cfg, gen)
    return nll(model(values, "soft"), y).mean()


def fit_joint(shared: SharedTrunk, models: Mapping[str, HybridModel],
              data: Mapping[str, Data], cfg: JointConfig,
              after_step: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    """Train the trunk and every head with Adam on the tasks' soft NLL; each task gets
    `cfg.steps` minibatches (see the module's docstring for the schedules). `after_step(task,
    n)` is called after each of a task's minibatches has been used (tests count them)."""
    if cfg.schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}")
    names = list(models)
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.Adam(shared.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    for m in models.values():
        m.train()
    minibatches = dict.fromkeys(names, 0)
    last = dict.fromkeys(names, float("nan"))
    t0 = time.perf_counter()
    opt_steps = 0
    for _ in range(cfg.steps):
        groups = [names] if cfg.schedule == "sum" else [[n] for n in names]
        for group in groups:
            opt.zero_grad()
            losses = {n: _task_loss(models[n], data[n], cfg, gen) for n in group}
            torch.stack(list(losses.values())).sum().backward()
            opt.step()
            opt_steps += 1
            for n, loss in losses.items():
                minibatches[n] += 1
                last[n] = float(loss.detach())
                if after_step is not None:
                    after_step(n, minibatches[n])
    return {"method": "joint" if len(names) > 1 else "separate", "schedule": cfg.schedule,
            "optimizer_steps": opt_steps, "minibatches": minibatches,
            "examples_seen": {n: k * cfg.batch_size for n, k in minibatches.items()},
            "training_examples": {n: len(data[n]) for n in names}, "final_loss": last,
            "seconds": time.perf_counter() - t0}


def train_joint(tasks: Sequence[TaskProgram], semantics: Semantics, cfg: JointConfig,
                spec: dict[str, Any] | None = None
                ) -> tuple[SharedTrunk, dict[str, HybridModel], dict[str, Any]]:
    """One trunk for all `tasks`, trained jointly."""
    shared = SharedTrunk([t.name for t in tasks], spec, seed=cfg.seed)
    models = {t.name: task_model(shared, t, semantics) for t in tasks}
    hist = fit_joint(shared, models, {t.name: t.train for t in tasks}, cfg)
    return shared, models, hist


def train_separate(tasks: Sequence[TaskProgram], semantics: Semantics, cfg: JointConfig,
                   spec: dict[str, Any] | None = None
                   ) -> tuple[dict[str, SharedTrunk], dict[str, HybridModel], dict[str, Any]]:
    """Each task with its own trunk and head: the same code, one task at a time, so every task
    gets the same minibatches as in `train_joint`."""
    trunks: dict[str, SharedTrunk] = {}
    models: dict[str, HybridModel] = {}
    hists: dict[str, Any] = {}
    for t in tasks:
        trunks[t.name], one, hists[t.name] = train_joint([t], semantics, cfg, spec)
        models.update(one)
    total = {"method": "separate", "schedule": cfg.schedule,
             "optimizer_steps": sum(h["optimizer_steps"] for h in hists.values()),
             "minibatches": {n: h["minibatches"][n] for n, h in hists.items()},
             "examples_seen": {n: h["examples_seen"][n] for n, h in hists.items()},
             "training_examples": {n: h["training_examples"][n] for n, h in hists.items()},
             "seconds": sum(h["seconds"] for h in hists.values()), "per_task": hists}
    return trunks, models, total
