"""Growing a module while it trains, without changing what it computes (Net2Net).

- `widen(kind, spec, module, key, width)`: Net2WiderNet. The layers behind a spec key
  (`channels.i`: conv layer i; `hidden`: every hidden layer of the MLP head) get more units; each
  new unit copies the incoming weights of an old one, and the outgoing weights of a unit and its
  copies are split in shares that sum to one, so the output is unchanged. The shares are random,
  not equal: equal shares would give the copies equal gradients forever, and unequal ones break
  the symmetry without touching the function.
- `deepen(kind, spec, module, key)`: Net2DeeperNet. A copy of the last hidden layer of the head
  (`depth`) or of conv layer i (`channels.i`) goes in after it, set to the identity (an identity
  matrix, or a kernel with a single 1 in its middle); its inputs come out of a ReLU, so they are
  non-negative and the identity and its own ReLU give them back exactly.

  Both return a module of the same kind rebuilt from its new spec (more `hidden`, `channels`,
  `depth`), so the library stores and rebuilds it from `(kind, spec)` and weights like any
  other.
- `fit_growing(...)`: Adam on a loss, evaluated every `eval_every` steps; when the validation
  loss stops improving for `patience` evaluations, the module widens to the next of
  `cfg.stages` (specs of the same kind), and Adam's moments go with the weights (`carry_adam`),
  so training goes on instead of starting again. `fit_growing_slot` does this to one fresh
  module of a hybrid program.

Every grown parameter records where it came from (`Carry`): the old parameter, and how the
weights and Adam's two moments map onto it (a copied incoming weight gets its share of the old
gradient, a split outgoing weight the whole of it).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from hylo.neural import kinds
from hylo.neural.hybrid import Data, HybridModel, nll

Tensor = torch.Tensor
Map = Callable[[Tensor], Tensor]


def _same(t: Tensor) -> Tensor:
    return t


@dataclass
class Carry:
    """How a parameter of a grown module derives from a parameter of the old one."""

    source: str  # the old parameter's name
    value: Map = _same
    first: Map = _same  # Adam's first moment (the mean gradient)
    second: Map = _same  # Adam's second moment (the mean squared gradient)

    def then(self, after: Carry) -> Carry:
        """This carry followed by `after` (whose source is this carry's target)."""
        return Carry(self.source, lambda t: after.value(self.value(t)),
                     lambda t: after.first(self.first(t)),
                     lambda t: after.second(self.second(t)))


@dataclass
class Grown:
    module: nn.Module
    spec: dict[str, Any]  # the kind's spec of the grown module
    carry: dict[str, Carry]  # new parameter name -> its origin; new layers are absent


# ----------------------------------------------------------------------------- layers
_WEIGHTED = (nn.Linear, nn.Conv2d)
# between two weight layers, only operations that act on each unit (channel) alone
_PER_UNIT = (nn.ReLU, nn.MaxPool2d, nn.Flatten, nn.Dropout)


def sequential(module: nn.Module) -> nn.Sequential:
    """The layers of a module the kinds build (`module.net`), or the module itself."""
    if isinstance(module, nn.Sequential):
        return module
    net = getattr(module, "net", None)
    if isinstance(net, nn.Sequential):
        return net
    raise TypeError(f"cannot grow a {type(module).__name__}: it has no nn.Sequential `net`")


def _prefix(module: nn.Module) -> str:
    return "" if isinstance(module, nn.Sequential) else "net."


def weight_positions(module: nn.Module) -> list[int]:
    """Positions, in the module's `nn.Sequential`, of its Linear and Conv2d layers."""
    return [i for i, layer in enumerate(sequential(module)) if isinstance(layer, _WEIGHTED)]


def _per_unit(layer: nn.Module) -> bool:
    return isinstance(layer, _PER_UNIT) or type(layer).__name__ == "_Flat"


Weighted = nn.Linear | nn.Conv2d


def _weighted(module: nn.Module, position: int) -> Weighted:
    layer = sequential(module)[position]
    if not isinstance(layer, _WEIGHTED):
        raise TypeError(f"layer {position} is a {type(layer).__name__}, not Linear or Conv2d")
    return layer


def _resized(layer: Weighted, out: int | None = None, inp: int | None = None) -> nn.Module:
    """A layer like `layer` with `out` outputs and `inp` inputs (its weights are set later)."""
    if isinstance(layer, nn.Linear):
        return nn.Linear(inp or layer.in_features, out or layer.out_features,
                         bias=layer.bias is not None)
    new = copy.deepcopy(layer)  # same kernel, stride, padding; only the channel counts change
    new.in_channels, new.out_channels = inp or layer.in_channels, out or layer.out_channels
    new.weight = nn.Parameter(layer.weight.new_empty(new.out_channels, new.in_channels,
                                                     *layer.kernel_size))
    if layer.bias is not None:
        new.bias = nn.Parameter(layer.bias.new_empty(new.out_channels))
    return new


def _units(layer: Weighted) -> int:
    return layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels


def _fan_in(layer: Weighted) -> int:
    return layer.in_features if isinstance(layer, nn.Linear) else layer.in_channels


# ----------------------------------------------------------------------------- widen
def _mapping(n: int, width: int, gen: torch.Generator) -> Tensor:
    """New unit -> the old unit it copies: the old units first, then copies spread evenly (a
    random order of the old units, repeated), so no unit is copied twice before all once."""
    extra = torch.randperm(n, generator=gen).repeat(math.ceil((width - n) / n))[: width - n]
    return torch.cat([torch.arange(n), extra])


def _shares(mapping: Tensor, n: int, split: float, gen: torch.Generator) -> Tensor:
    """Per new unit, its share of the old unit's outgoing weights: shares of one old unit sum
    to one; a unit with copies gets `1 +- split`, normalised (split 0: equal shares)."""
    raw = 1 + split * (2 * torch.rand(mapping.shape[0], generator=gen, dtype=torch.float64) - 1)
    counts = torch.bincount(mapping, minlength=n)
    raw = torch.where(counts[mapping] > 1, raw, torch.ones_like(raw))
    total = torch.zeros(n, dtype=torch.float64).index_add(0, mapping, raw)
    return raw / total[mapping]


def _along(share: Tensor, dim: int, ndim: int, dtype: torch.dtype) -> Tensor:
    """`share` shaped to broadcast along dimension `dim` of an `ndim`-dimensional tensor."""
    shape = [1] * ndim
    shape[dim] = -1
    return share.to(dtype).reshape(shape)


def _producer_carry(name: str, mapping: Tensor, share: Tensor) -> Carry:
    # a copied unit's incoming weights get `share` of the old unit's gradient
    def scaled(t: Tensor, power: int) -> Tensor:
        return t[mapping] * _along(share**power, 0, t.ndim, t.dtype)

    return Carry(name, lambda t: t[mapping].clone(), lambda t: scaled(t, 1),
                 lambda t: scaled(t, 2))


def _consumer_carry(name: str, cols: Tensor, share: Tensor, copies: Tensor) -> Carry:
    # A split outgoing weight sees the same activation as before, so the whole old gradient;
    # Adam would then move each of a unit's `copies` outgoing weights as far as it moved the
    # one before, and the output `copies` times as far. A second moment `copies**2` as large
    # scales those steps down, so the first steps after growth change the function as the
    # old module's would (Adam's moments forget this over about 1 / (1 - beta2) steps).
    def second(t: Tensor) -> Tensor:
        return t[:, cols] * _along(copies.double() ** 2, 1, t.ndim, t.dtype)

    return Carry(name, lambda t: t[:, cols] * _along(share, 1, t.ndim, t.dtype),
                 lambda t: t[:, cols].clone(), second)


def widen_module(module: nn.Module, layer: int, width: int, seed: int = 0,
                 split: float = 0.5) -> tuple[nn.Module, dict[str, Carry]]:
    """A copy of `module` whose weight layer number `layer` (0: the first Linear or Conv2d)
    has `width` units, computing the same function; and where each parameter came from."""
    seq = sequential(module)
    positions = weight_positions(module)
    if not 0 <= layer < len(positions) - 1:
        raise ValueError(f"layer {layer} has no weight layer after it to absorb new units")
    p, c = positions[layer], positions[layer + 1]
    if not all(_per_unit(seq[i]) for i in range(p + 1, c)):
        raise ValueError(f"layers between {p} and {c} mix units: cannot widen layer {layer}")
    producer, consumer = _weighted(module, p), _weighted(module, c)
    n = _units(producer)
    if width <= n:
        raise ValueError(f"layer {layer} has {n} units; widening needs more, got {width}")
    fan_in = _fan_in(consumer)
    if fan_in % n:
        raise ValueError(f"layer {layer + 1} reads {fan_in} inputs from {n} units")
    block = fan_in // n  # a conv channel flattened into a Linear layer's inputs
    gen = torch.Generator().manual_seed(seed)
    mapping = _mapping(n, width, gen)
    share = _shares(mapping, n, split, gen)
    cols = (mapping[:, None] * block + torch.arange(block)).reshape(-1)
    col_share = share.repeat_interleave(block)
    col_copies = torch.bincount(mapping, minlength=n)[mapping].repeat_interleave(block)

    pre = _prefix(module)
    carry = {name: Carry(name) for name, _ in module.named_parameters()}
    carry[f"{pre}{p}.weight"] = _producer_carry(f"{pre}{p}.weight", mapping, share)
    if producer.bias is not None:
        carry[f"{pre}{p}.bias"] = _producer_carry(f"{pre}{p}.bias", mapping, share)
    carry[f"{pre}{c}.weight"] = _consumer_carry(f"{pre}{c}.weight", cols, col_share,
                                                col_copies)

    grown = copy.deepcopy(module)
    gseq = sequential(grown)
    gseq[p] = _resized(producer, out=width)
    gseq[c] = _resized(consumer, inp=block * width)
    old = dict(module.named_parameters())
    with torch.no_grad():
        state = {name: ch.value(old[ch.source].detach()) for name, ch in carry.items()}
        grown.load_state_dict(state, strict=True)
    return grown, carry


def _width_layers(kind: str, spec: dict[str, Any]) -> dict[str, list[int]]:
    """Per widenable spec key, the weight layers (by order) whose outputs it sizes: one per
    conv layer (`channels.i`), and every hidden layer of the MLP head (`hidden`)."""
    depth = int(spec.get("depth", 1))
    if kind == "classify" and spec["arch"] == "linear":
        return {}
    convs = len(spec["channels"]) if kind == "classify" and spec["arch"] == "cnn" else 0
    out = {f"channels.{i}": [i] for i in range(convs)}
    if depth:
        out["hidden"] = [convs + j for j in range(depth)]
    return out


def widths(kind: str, spec: dict[str, Any] | None = None) -> dict[str, int]:
    """The widenable widths of a kind's module, by spec key, in the order of its weight
    layers (`channels.0` is the first conv layer's channels)."""
    s = kinds.full_spec(kind, spec)
    return {key: int(s["hidden"]) if key == "hidden" else int(s["channels"][int(key[9:])])
            for key in _width_layers(kind, s)}


def with_width(kind: str, spec: dict[str, Any] | None, key: str, width: int) -> dict[str, Any]:
    """The full spec with width `key` set to `width`."""
    s = copy.deepcopy(kinds.full_spec(kind, spec))
    if key.startswith("channels."):
        s["channels"] = list(s["channels"])
        s["channels"][int(key[9:])] = width
    else:
        s[key] = width
    return s


def _composed(first: dict[str, Carry], then: dict[str, Carry]) -> dict[str, Carry]:
    return {name: first[ch.source].then(ch) if ch.source in first else ch
            for name, ch in then.items()}


def widen(kind: str, spec: dict[str, Any] | None, module: nn.Module, key: str, width: int,
          seed: int = 0, split: float = 0.5) -> Grown:
    """Net2WiderNet on a module of `kind`: the width `key` becomes `width` (`hidden` widens
    every hidden layer of the head); the result is rebuilt from its new spec (so the library
    can store it) and computes the same function."""
    s = kinds.full_spec(kind, spec)
    layers = _width_layers(kind, s)
    if key not in layers:
        raise ValueError(f"{kind} with spec {spec} has no width {key!r}; widths: "
                         f"{list(layers)}")
    grown = module
    carry = {name: Carry(name) for name, _ in module.named_parameters()}
    for i, layer in enumerate(layers[key]):
        grown, step = widen_module(grown, layer, width, seed * 31 + i, split)
        carry = _composed(carry, step)
    new_spec = with_width(kind, s, key, width)
    rebuilt = kinds.build(kind, new_spec)
    rebuilt.load_state_dict(grown.state_dict(), strict=True)  # the spec describes it exactly
    return Grown(rebuilt, new_spec, carry)


def grow_to(kind: str, spec: dict[str, Any] | None, module: nn.Module,
            target: dict[str, Any], seed: int = 0, split: float = 0.5) -> Grown:
    """Widen every width that `target` (a spec of the same kind) makes larger, then add head
    layers up to its `depth`; its other keys must equal the module's."""
    now, goal = kinds.full_spec(kind, spec), kinds.full_spec(kind, target)
    fixed = {k for k in now if k not in ("hidden", "channels", "depth")}
    if any(now[k] != goal[k] for k in fixed) or len(now.get("channels", ())) != len(
            goal.get("channels", ())):
        raise ValueError(f"target {target} changes more than widths and head depth of {now}")
    grown = Grown(module, now, {name: Carry(name) for name, _ in module.named_parameters()})
    for i, (key, width) in enumerate(widths(kind, goal).items()):
        have = widths(kind, grown.spec).get(key, width)
        if width < have:
            raise ValueError(f"target narrows {key} from {have} to {width}")
        if width > have:
            step = widen(kind, grown.spec, grown.module, key, width, seed * 31 + i, split)
            grown = Grown(step.module, step.spec, _composed(grown.carry, step.carry))
    while grown.spec.get("depth", 1) < goal.get("depth", 1):
        step = deepen(kind, grown.spec, grown.module, "depth")
        grown = Grown(step.module, step.spec, _composed(grown.carry, step.carry))
    return grown


def stages_between(kind: str, start: dict[str, Any], target: dict[str, Any],
                   factor: float = 2.0) -> list[dict[str, Any]]:
    """Specs from `start` (excluded) to `target` (included): every width multiplied by
    `factor` per stage and capped at the target's, the head one layer deeper per stage."""
    out: list[dict[str, Any]] = []
    spec = kinds.full_spec(kind, start)
    goal = kinds.full_spec(kind, target)
    while widths(kind, spec) != widths(kind, goal) or spec.get("depth") != goal.get("depth"):
        for key, width in widths(kind, spec).items():
            wide = max(width + 1, math.ceil(width * factor))
            spec = with_width(kind, spec, key, min(widths(kind, goal)[key], wide))
        if spec.get("depth", 1) < goal.get("depth", 1):
            spec = {**spec, "depth": spec["depth"] + 1}
        out.append(spec)
    return out


# ----------------------------------------------------------------------------- deepen
def _set_identity(into: Weighted) -> None:
    """Set `into` (a square Linear, or a Conv2d with as many outputs as inputs and an odd
    kernel) to the identity: an identity matrix, or a kernel with one 1 in its middle."""
    with torch.no_grad():
        into.weight.zero_()
        if into.bias is not None:
            into.bias.zero_()
        n = _units(into)
        if isinstance(into, nn.Linear):
            into.weight.copy_(torch.eye(n))
        else:
            kh, kw = into.kernel_size
            into.weight[torch.arange(n), torch.arange(n), kh // 2, kw // 2] = 1.0


def _deeper(kind: str, spec: dict[str, Any], key: str) -> tuple[dict[str, Any], int]:
    """The spec with one more layer at `key` and the weight-layer index of the new layer."""
    layers = _width_layers(kind, spec)
    if key == "depth":
        hidden = layers.get("hidden")
        if not hidden:
            raise ValueError(f"{kind} with spec {spec} has no hidden layer to repeat")
        return {**spec, "depth": spec["depth"] + 1}, hidden[-1] + 1
    if key not in layers or not key.startswith("channels."):
        raise ValueError(f"deepen takes 'depth' or a conv layer 'channels.i', got {key!r}")
    if spec["pool"] == "each":
        raise ValueError("with a max-pool after each conv layer, a new conv layer would "
                         "pool once more: not the same function")
    i = int(key[9:])
    channels = list(spec["channels"])
    channels.insert(i + 1, channels[i])
    out = {**spec, "channels": channels}
    if isinstance(spec["kernel"], list):
        out["kernel"] = [*spec["kernel"][: i + 1], spec["kernel"][i], *spec["kernel"][i + 1:]]
    return out, i + 1


def deepen(kind: str, spec: dict[str, Any] | None, module: nn.Module, key: str) -> Grown:
    """Net2DeeperNet on a module of `kind`: `key` `depth` repeats the last hidden layer of the
    head, `channels.i` repeats conv layer i; the new layer is an identity after a ReLU (so its
    inputs are non-negative and the ReLU after it gives them back). The result is rebuilt from
    its new spec and computes the same function (in eval mode when the head has dropout)."""
    s = kinds.full_spec(kind, spec)
    try:
        new_spec, at = _deeper(kind, s, key)
        rebuilt = kinds.build(kind, new_spec)
    except (KeyError, ValueError) as error:
        raise ValueError(f"cannot deepen {kind} {s} at {key!r}: {error}") from None
    old_pos, new_pos = weight_positions(module), weight_positions(rebuilt)
    pre = _prefix(module)
    carry: dict[str, Carry] = {}
    for i, p in enumerate(old_pos):
        q = new_pos[i if i < at else i + 1]
        for name, _ in _weighted(module, p).named_parameters():
            carry[f"{pre}{q}.{name}"] = Carry(f"{pre}{p}.{name}")
    old = dict(module.named_parameters())
    _set_identity(_weighted(rebuilt, new_pos[at]))
    with torch.no_grad():
        for name, param in rebuilt.named_parameters():
            if name in carry:
                param.copy_(old[carry[name].source])
    return Grown(rebuilt, new_spec, carry)


# ----------------------------------------------------------------------------- optimizer
def carry_adam(opt: torch.optim.Adam, old: nn.Module, grown: Grown) -> torch.optim.Adam:
    """An Adam over the grown module's parameters, with the old one's hyper-parameters and, for
    every carried parameter, its step count and moments mapped like its weights. New layers
    start with no state, as Adam does for any fresh parameter."""
    group = {k: v for k, v in opt.param_groups[0].items() if k != "params"}
    new_opt = torch.optim.Adam(grown.module.parameters(), **group)
    old_params = dict(old.named_parameters())
    for name, param in grown.module.named_parameters():
        ch = grown.carry.get(name)
        state = opt.state.get(old_params[ch.source]) if ch is not None else None
        if ch is None or not state:
            continue
        moved: dict[str, Any] = {"step": state["step"].clone()}
        for key, value in state.items():
            if key == "exp_avg":
                moved[key] = ch.first(value).clone()
            elif key in ("exp_avg_sq", "max_exp_avg_sq"):
                moved[key] = ch.second(value).clone()
        new_opt.state[param] = moved
    return new_opt


# ----------------------------------------------------------------------------- training
@dataclass
class GrowConfig:
    steps: int = 3000  # optimizer steps in all, before and after growth
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    augment: bool = True
    seed: int = 0
    eval_every: int = 25
    patience: int = 4  # evaluations without a better validation loss make a plateau
    min_delta: float = 1e-3  # relative: a loss must beat the best by this fraction
    stages: list[dict[str, Any]] = field(default_factory=list)  # specs to grow through
    max_growths: int | None = None  # None: every stage
    stop_on_plateau: bool = True  # a plateau with no growth left ends training
    split: float = 0.5  # see `widen`
    optimizer: str = "carry"  # after growth: Adam's state carried (`carry_adam`) or "fresh"


@dataclass
class GrowResult:
    module: nn.Module
    spec: dict[str, Any]
    steps: int
    stopped: str  # "plateau", "target", "steps"
    history: list[dict[str, Any]]  # one row per evaluation: step, widths, metrics
    growths: list[dict[str, Any]]  # one row per growth: step, spec, loss


#: `batch_loss(module, generator)`: the loss of one minibatch, drawn with `generator`.
BatchLoss = Callable[[nn.Module, torch.Generator], Tensor]
#: `evaluate(module)`: validation metrics, at least `loss` (lower is better).
Evaluate = Callable[[nn.Module], dict[str, float]]


def fit_growing(kind: str, spec: dict[str, Any] | None, module: nn.Module,
                batch_loss: BatchLoss, evaluate: Evaluate, cfg: GrowConfig,
                until: Callable[[dict[str, float]], bool] | None = None) -> GrowResult:
    """Train `module` (of `kind`, `spec`) with Adam; grow it to the next stage on a plateau of
    the validation loss. Stops after `cfg.steps`, on a plateau with no growth left (if
    `stop_on_plateau`), or when `until(metrics)` holds at an evaluation."""
    spec = kinds.full_spec(kind, spec)
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.Adam(module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    stages = list(cfg.stages)[: cfg.max_growths]
    best, waited = math.inf, 0
    history: list[dict[str, Any]] = []
    growths: list[dict[str, Any]] = []
    stopped, step = "steps", 0
    for step in range(1, cfg.steps + 1):
        module.train()
        loss = batch_loss(module, gen)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % cfg.eval_every:
            continue
        metrics = evaluate(module)
        history.append({"step": step, "widths": widths(kind, spec), **metrics})
        if until is not None and until(metrics):
            stopped = "target"
            break
        if metrics["loss"] < best - cfg.min_delta * abs(best if math.isfinite(best) else 0):
            best, waited = metrics["loss"], 0
            continue
        waited += 1
        if waited < cfg.patience:
            continue
        if stages:
            grown = grow_to(kind, spec, module, stages.pop(0), cfg.seed + len(growths),
                            cfg.split)
            opt = (carry_adam(opt, module, grown) if cfg.optimizer == "carry" else
                   torch.optim.Adam(grown.module.parameters(), lr=cfg.lr,
                                    weight_decay=cfg.weight_decay))
            module, spec = grown.module, grown.spec
            growths.append({"step": step, "spec": spec, "loss": metrics["loss"]})
            best, waited = metrics["loss"], 0  # the same function: the same loss
        elif cfg.stop_on_plateau:
            stopped = "plateau"
            break
    return GrowResult(module, spec, step, stopped, history, growths)


def _install(model: HybridModel, text: str, module: nn.Module) -> None:
    key = next(k for k, m in model.nets.items() if m is model.net(text))
    model.nets[key] = module


def fit_growing_slot(model: HybridModel, text: str, train: Data, val: Data, cfg: GrowConfig,
                     until: Callable[[dict[str, float]], bool] | None = None) -> GrowResult:
    """`fit_growing` on the fresh module `text` of a hybrid program, trained like
    `hylo.neural.train.fit_gradient` (soft negative log-likelihood of the program's output,
    image shifts); validation metrics `loss` (NLL) and `accuracy`. Afterwards the model holds
    the grown module and its slot the grown spec, so consolidation stores it as it is."""
    from hylo.neural.train import accuracy, mean_nll

    slot = model.slots[text]
    if slot.frozen:
        raise ValueError(f"{text} is frozen: only a trainable module grows")

    def batch_loss(module: nn.Module, gen: torch.Generator) -> Tensor:
        _install(model, text, module)
        part = train.take(torch.randint(0, len(train), (cfg.batch_size,), generator=gen))
        shift = (lambda x: kinds.shift_images(x, gen)) if cfg.augment else None
        return nll(model(part.values(shift), "soft"), part.y).mean()

    def evaluate(module: nn.Module) -> dict[str, float]:
        _install(model, text, module)
        return {"loss": mean_nll(model, val), "accuracy": accuracy(model, val)}

    result = fit_growing(slot.kind, slot.spec, model.net(text), batch_loss, evaluate, cfg, until)
    _install(model, text, result.module)
    slot.spec = result.spec
    return result


__all__ = ["Carry", "GrowConfig", "GrowResult", "Grown", "carry_adam", "deepen",
           "fit_growing", "fit_growing_slot", "grow_to", "stages_between", "widen",
           "widen_module", "widths", "with_width"]
