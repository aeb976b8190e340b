"""Module kinds: typed builders of small torch modules, their specs, and safetensors I/O.

A module is rebuilt from `(kind, spec)` alone and then given its weights, so a library entry is
`kind`, `spec` (JSON), `weights` (safetensors bytes): no pickle anywhere.

- `classify : image -> int`  logits over `classes` (the hybrid model turns them into a
  distribution); `arch` is `cnn` (default), `mlp` or `linear`.
- `regress : image -> real`  one real number per image.
- `mlp : vec -> vec`         a two-layer perceptron.
"""

from __future__ import annotations

from typing import Any

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import nn

from hylo.neural.names import KIND_TYPES

DEFAULT_SPECS: dict[str, dict[str, Any]] = {
    "classify": {"arch": "cnn", "classes": 10, "shape": [8, 8], "channels": [16, 32], "hidden": 64},
    "regress": {"arch": "mlp", "shape": [8, 8], "hidden": 32},
    "mlp": {"in": 16, "out": 16, "hidden": 32},
}


def full_spec(kind: str, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """The kind's default spec updated with `spec` (unknown keys are refused)."""
    if kind not in DEFAULT_SPECS:
        raise ValueError(f"unknown module kind {kind!r}; kinds: {sorted(DEFAULT_SPECS)}")
    out = dict(DEFAULT_SPECS[kind])
    for key, value in (spec or {}).items():
        if key not in out:
            raise ValueError(f"spec key {key!r} is not a parameter of kind {kind!r}")
        out[key] = value
    return out


class _Flat(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], -1)


class ImageClassifier(nn.Module):
    def __init__(self, spec: dict[str, Any]):
        super().__init__()
        h, w = spec["shape"]
        classes = int(spec["classes"])
        arch = spec["arch"]
        if arch == "cnn":
            c1, c2 = spec["channels"]
            self.net = nn.Sequential(
                nn.Unflatten(1, (1, h)),
                nn.Conv2d(1, c1, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(c1, c2, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2),
                _Flat(),
                nn.Linear(c2 * (h // 2) * (w // 2), spec["hidden"]),
                nn.ReLU(),
                nn.Linear(spec["hidden"], classes),
            )
        elif arch == "mlp":
            self.net = nn.Sequential(
                _Flat(),
                nn.Linear(h * w, spec["hidden"]),
                nn.ReLU(),
                nn.Linear(spec["hidden"], classes),
            )
        elif arch == "linear":
            self.net = nn.Sequential(_Flat(), nn.Linear(h * w, classes))
        else:
            raise ValueError(f"unknown classify arch {arch!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ImageRegressor(nn.Module):
    def __init__(self, spec: dict[str, Any]):
        super().__init__()
        h, w = spec["shape"]
        self.net = nn.Sequential(
            _Flat(), nn.Linear(h * w, spec["hidden"]), nn.ReLU(), nn.Linear(spec["hidden"], 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


class VectorMLP(nn.Module):
    def __init__(self, spec: dict[str, Any]):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(spec["in"], spec["hidden"]), nn.ReLU(), nn.Linear(spec["hidden"], spec["out"])
        )

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
