"""Module kinds: typed builders of small torch modules, their specs, and safetensors I/O.

A module is rebuilt from `(kind, spec)` alone and then given its weights, so a library entry is
`kind`, `spec` (JSON), `weights` (safetensors bytes): no pickle anywhere.

- `classify : image -> int`  logits over `classes` (the hybrid model turns them into a
  distribution); `arch` is `cnn` (default), `mlp` or `linear`. A CNN has one conv layer per
  entry of `channels` (`kernel`: one size or one per layer, same padding), 2x2 max-pools after
  the `last`, `first`, `each` or `none` of them (`pool`), then an MLP head of `depth` hidden
  layers of `hidden` units (with `dropout` after each when it is above 0). An `mlp` or
  `linear` classifier may also take `inputs`, the flat input positions it reads (feature
  selection: a tabular row's chosen columns); without it, it reads them all.
- `regress : image -> real`  one real number per image (an MLP of `depth` hidden layers).
- `mlp : vec -> vec`         a perceptron of `depth` hidden layers (default 1).

Every spec is checked before a module is built (`full_spec`): types, sizes within caps, and a
weight count under `MAX_PARAMS` (`n_params`, computed from the spec alone).
"""

from __future__ import annotations

from typing import Any

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import nn

from hylo.neural.names import KIND_TYPES

# The defaults rebuild the architectures modules were first saved with, layer for layer (same
# `state_dict` keys and shapes), so older library entries and every measured figure stay valid.
DEFAULT_SPECS: dict[str, dict[str, Any]] = {
    "classify": {"arch": "cnn", "classes": 10, "shape": [8, 8], "channels": [16, 32],
                 "hidden": 64, "kernel": 3, "pool": "last", "depth": 1, "dropout": 0.0},
    "regress": {"arch": "mlp", "shape": [8, 8], "hidden": 32, "depth": 1},
    "mlp": {"in": 16, "out": 16, "hidden": 32, "depth": 1},
}

CLASSIFY_ARCHS = ("cnn", "mlp", "linear")
# Keys a spec may hold that its kind's default leaves out: absent, the module is built and
# stored exactly as before they existed.
OPTIONAL_KEYS: dict[str, tuple[str, ...]] = {"classify": ("inputs",)}
POOLS = ("last", "first", "each", "none")  # where the 2x2 max-pools go among the conv layers
KERNELS = (1, 3, 5, 7)

# Caps: a spec may come from a library file or a tuner; refuse it before building anything.
MAX_SIDE = 256  # an input side (`shape`)
MAX_INPUTS = 65_536  # values per input (h * w, `in`)
MAX_WIDTH = 1024  # channels, hidden units, `out`
MAX_CLASSES = 1000
MAX_CONV = 4
MAX_DEPTH = 4  # hidden layers of an MLP head
MAX_PARAMS = 8_000_000


def full_spec(kind: str, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """The kind's default spec updated with `spec` (unknown keys are refused), checked: a
    ValueError for a wrong type, a size out of range or a model over `MAX_PARAMS` weights."""
    if kind not in DEFAULT_SPECS:
        raise ValueError(f"unknown module kind {kind!r}; kinds: {sorted(DEFAULT_SPECS)}")
    if spec is not None and not isinstance(spec, dict):
        raise ValueError(f"a module spec is a JSON object, got {type(spec).__name__}")
    out = dict(DEFAULT_SPECS[kind])
    for key, value in (spec or {}).items():
        if key not in out and key not in OPTIONAL_KEYS.get(kind, ()):
            raise ValueError(f"spec key {key!r} is not a parameter of kind {kind!r}")
        out[key] = value
    _CHECKS[kind](out)
    n = n_params(kind, out)
    if n > MAX_PARAMS:
        raise ValueError(f"a {kind} module of {n:,} weights exceeds {MAX_PARAMS:,}")
    return out


# ----------------------------------------------------------------------------- checking specs
def _int(spec: dict[str, Any], key: str, lo: int, hi: int) -> int:
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"spec {key!r} must be an integer in {lo}..{hi}, got {value!r}")
    return value


def _ints(spec: dict[str, Any], key: str, n_lo: int, n_hi: int, lo: int, hi: int) -> list[int]:
    value = spec[key]
    if not isinstance(value, list | tuple) or not n_lo <= len(value) <= n_hi:
        raise ValueError(f"spec {key!r} must be a list of {n_lo}..{n_hi} integers, "
                         f"got {value!r:.80}")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ValueError(f"spec {key!r} holds integers in {lo}..{hi}, got {v!r:.40}")
    spec[key] = list(value)
    return spec[key]


def _one_of(spec: dict[str, Any], key: str, options: tuple) -> Any:
    value = spec[key]
    if isinstance(value, bool) or value not in options:
        raise ValueError(f"spec {key!r} must be one of {options}, got {value!r:.40}")
    return value


def _shape(spec: dict[str, Any]) -> tuple[int, int]:
    h, w = _ints(spec, "shape", 2, 2, 1, MAX_SIDE)
    if h * w > MAX_INPUTS:
        raise ValueError(f"spec 'shape' {h}x{w} exceeds {MAX_INPUTS} inputs")
    return h, w


def _kernels(spec: dict[str, Any]) -> list[int]:
    """One kernel size per conv layer (`kernel` is one size for all, or a list)."""
    n = len(spec["channels"])
    k = spec["kernel"]
    sizes = [k] * n if isinstance(k, int) and not isinstance(k, bool) else k
    if not isinstance(sizes, list | tuple) or len(sizes) != n:
        raise ValueError(f"spec 'kernel' must be one size or one per conv layer ({n}), "
                         f"got {k!r:.40}")
    for size in sizes:
        if isinstance(size, bool) or size not in KERNELS:
            raise ValueError(f"kernel sizes must be among {KERNELS}, got {size!r:.40}")
    return list(sizes)


def _pooled(i: int, n: int, pool: str) -> bool:
    """Is conv layer `i` of `n` followed by a max-pool?"""
    return pool == "each" or (pool == "last" and i == n - 1) or (pool == "first" and i == 0)


def _check_classify(spec: dict[str, Any]) -> None:
    arch = _one_of(spec, "arch", CLASSIFY_ARCHS)
    h, w = _shape(spec)
    _int(spec, "classes", 1, MAX_CLASSES)
    _int(spec, "hidden", 1, MAX_WIDTH)
    _int(spec, "depth", 0, MAX_DEPTH)
    drop = spec["dropout"]
    if isinstance(drop, bool) or not isinstance(drop, int | float) or not 0 <= drop < 1:
        raise ValueError(f"spec 'dropout' must be a number in [0, 1), got {drop!r:.40}")
    if "inputs" in spec:
        if arch == "cnn":
            raise ValueError("spec 'inputs' (a selection of input positions) needs arch mlp "
                             "or linear: a CNN reads the whole image")
        picked = _ints(spec, "inputs", 1, h * w, 0, h * w - 1)
        if any(a >= b for a, b in zip(picked, picked[1:], strict=False)):
            raise ValueError(f"spec 'inputs' must be increasing positions, got {picked!r:.80}")
    if arch != "cnn":
        return
    channels = _ints(spec, "channels", 1, MAX_CONV, 1, MAX_WIDTH)
    _kernels(spec)
    pool = _one_of(spec, "pool", POOLS)
    pools = sum(_pooled(i, len(channels), pool) for i in range(len(channels)))
    if h >> pools < 1 or w >> pools < 1:
        raise ValueError(f"{pools} max-pools leave nothing of a {h}x{w} input")


def _check_regress(spec: dict[str, Any]) -> None:
    _one_of(spec, "arch", ("mlp",))
    _shape(spec)
    _int(spec, "hidden", 1, MAX_WIDTH)
    _int(spec, "depth", 0, MAX_DEPTH)


def _check_mlp(spec: dict[str, Any]) -> None:
    _int(spec, "in", 1, MAX_INPUTS)
    _int(spec, "out", 1, MAX_WIDTH)
    _int(spec, "hidden", 1, MAX_WIDTH)
    _int(spec, "depth", 0, MAX_DEPTH)


_CHECKS = {"classify": _check_classify, "regress": _check_regress, "mlp": _check_mlp}


def _head_params(n_in: int, hidden: int, depth: int, n_out: int) -> int:
    sizes = [n_in] + [hidden] * depth + [n_out]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))


def n_params(kind: str, spec: dict[str, Any]) -> int:
    """The number of weights of a checked spec, computed without building the module."""
    if kind == "mlp":
        return _head_params(spec["in"], spec["hidden"], spec["depth"], spec["out"])
    h, w = spec["shape"]
    if kind == "regress":
        return _head_params(h * w, spec["hidden"], spec["depth"], 1)
    n_in = len(spec["inputs"]) if "inputs" in spec else h * w
    if spec["arch"] == "linear":
        return _head_params(n_in, 0, 0, spec["classes"])
    if spec["arch"] == "mlp":
        return _head_params(n_in, spec["hidden"], spec["depth"], spec["classes"])
    total, c_in, n = 0, 1, len(spec["channels"])
    for i, (c, k) in enumerate(zip(spec["channels"], _kernels(spec), strict=True)):
        total += c_in * c * k * k + c
        c_in = c
        if _pooled(i, n, spec["pool"]):
            h, w = h // 2, w // 2
    return total + _head_params(c_in * h * w, spec["hidden"], spec["depth"], spec["classes"])


# ----------------------------------------------------------------------------- builders
class _Flat(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], -1)


class _Pick(nn.Module):
    """The chosen columns of flat inputs; the positions live in the spec, not the weights."""

    def __init__(self, positions: list[int]):
        super().__init__()
        self.register_buffer("positions", torch.tensor(positions, dtype=torch.long),
                             persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.index_select(1, self.positions)


def _head(n_in: int, hidden: int, depth: int, n_out: int, dropout: float = 0.0) -> list:
    """`depth` hidden layers (Linear, ReLU, optional Dropout), then the output layer."""
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(n_in, hidden), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        n_in = hidden
    return [*layers, nn.Linear(n_in, n_out)]


def _conv_stack(spec: dict[str, Any]) -> tuple[list[nn.Module], int]:
    """Conv layers (same padding) with their max-pools, and the number of features after."""
    h, w = spec["shape"]
    layers: list[nn.Module] = [nn.Unflatten(1, (1, h))]
    c_in, n = 1, len(spec["channels"])
    for i, (c, k) in enumerate(zip(spec["channels"], _kernels(spec), strict=True)):
        layers += [nn.Conv2d(c_in, c, k, padding=k // 2), nn.ReLU()]
        c_in = c
        if _pooled(i, n, spec["pool"]):
            layers.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
    return layers, c_in * h * w


class ImageClassifier(nn.Module):
    def __init__(self, spec: dict[str, Any]):
        super().__init__()
        h, w = spec["shape"]
        classes = int(spec["classes"])
        arch = spec["arch"]
        head = (spec["hidden"], spec["depth"], classes, spec["dropout"])
        if arch == "cnn":
            convs, features = _conv_stack(spec)
            self.net = nn.Sequential(*convs, _Flat(), *_head(features, *head))
        elif arch in ("mlp", "linear"):
            flat: list[nn.Module] = [_Flat()]
            n_in = h * w
            if "inputs" in spec:
                flat.append(_Pick(spec["inputs"]))
                n_in = len(spec["inputs"])
            layers = _head(n_in, *head) if arch == "mlp" else [nn.Linear(n_in, classes)]
            self.net = nn.Sequential(*flat, *layers)
        else:
            raise ValueError(f"unknown classify arch {arch!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ImageRegressor(nn.Module):
    def __init__(self, spec: dict[str, Any]):
        super().__init__()
        h, w = spec["shape"]
        self.net = nn.Sequential(_Flat(), *_head(h * w, spec["hidden"], spec["depth"], 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


class VectorMLP(nn.Module):
    def __init__(self, spec: dict[str, Any]):
        super().__init__()
        self.net = nn.Sequential(*_head(spec["in"], spec["hidden"], spec["depth"], spec["out"]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


_BUILDERS = {"classify": ImageClassifier, "regress": ImageRegressor, "mlp": VectorMLP}
assert set(_BUILDERS) == set(KIND_TYPES) == set(DEFAULT_SPECS)


def build(kind: str, spec: dict[str, Any] | None = None, seed: int | None = None) -> nn.Module:
    """A fresh module of `kind`; with `seed`, its initial weights depend on the seed only."""
    spec = full_spec(kind, spec)
    if seed is None:
        return _BUILDERS[kind](spec)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return _BUILDERS[kind](spec)


def n_classes(kind: str, spec: dict[str, Any]) -> int | None:
    return int(full_spec(kind, spec)["classes"]) if kind == "classify" else None


def to_bytes(module: nn.Module) -> bytes:
    """The module's weights as safetensors bytes."""
    return st_save({k: v.detach().contiguous().clone() for k, v in module.state_dict().items()})


def from_bytes(kind: str, spec: dict[str, Any], weights: bytes) -> nn.Module:
    """Rebuild a module from its kind, spec and safetensors weights (strict: every key must fit)."""
    module = build(kind, spec)
    module.load_state_dict(st_load(weights), strict=True)
    return module


def shift_images(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Shift each image (last two dims) by -1, 0 or +1 pixel in each direction, zero-filled:
    the augmentation used while training image modules."""
    lead = x.shape[:-2]
    h, w = x.shape[-2:]
    flat = x.reshape(-1, h, w)
    n = flat.shape[0]
    padded = torch.nn.functional.pad(flat, (1, 1, 1, 1))
    dy = torch.randint(0, 3, (n,), generator=generator)
    dx = torch.randint(0, 3, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(h))[:, :, None]
    cols = (dx[:, None] + torch.arange(w))[:, None, :]
    out = padded[torch.arange(n)[:, None, None], rows, cols]
    return out.reshape(*lead, h, w)
