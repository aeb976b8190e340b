"""The standalone baseline: one network trained end to end on the task's own supervision.

For a single image, the same CNN as the `classify` kind. For a list, that CNN as an encoder (its
last layer giving a 64-dimensional embedding instead of class scores) followed by a head: either
sum-pooling of the embeddings (DeepSets) or an LSTM over them, then an MLP to the output
classes. No library, no program: the comparison that measures what reuse buys.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from hylo.neural.hybrid import Data
from hylo.neural.kinds import ImageClassifier, full_spec, shift_images
from hylo.neural.train import TrainConfig

HEADS = ("none", "sumpool", "lstm")


class BaselineNet(nn.Module):
    def __init__(self, classes: int, head: str, embed: int = 64):
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}")
        self.head_kind = head
        if head == "none":  # a single image: the classify CNN itself
            self.encoder = ImageClassifier(full_spec("classify", {"classes": classes}))
            return
        self.encoder = ImageClassifier(full_spec("classify", {"classes": embed}))
        if head == "lstm":
            self.rnn = nn.LSTM(embed, embed, batch_first=True)
        self.out = nn.Sequential(nn.ReLU(), nn.Linear(embed, embed), nn.ReLU(),
                                 nn.Linear(embed, classes))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        if self.head_kind == "none":
            return self.encoder(x)
        n, length = mask.shape
        e = self.encoder(x.reshape(n * length, *x.shape[2:])).reshape(n, length, -1)
        e = e * mask[..., None]
        if self.head_kind == "sumpool":
            return self.out(e.sum(1))
        # lists are left-aligned: the state after the last real element is the summary
        states, _ = self.rnn(e)
        last = (mask.sum(1) - 1).clamp_min(0)
        return self.out(states[torch.arange(n), last])


@dataclass
class BaselineResult:
    model: BaselineNet
    seconds: float
    history: dict[str, Any]


def fit_baseline(data: Data, classes: int, head: str, cfg: TrainConfig) -> BaselineResult:
    """Train on the (single) input column of `data` with cross-entropy on the labels."""
    (col,) = data.columns
    with torch.random.fork_rng():
        torch.manual_seed(cfg.seed)
        model = BaselineNet(classes, head)
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    t0 = time.perf_counter()
    model.train()
    loss = torch.zeros(())
    y = data.y.long()
    for _ in range(cfg.steps):
        idx = torch.randint(0, len(data), (cfg.batch_size,), generator=gen)
        x = col.x[idx].float()
        if cfg.augment:
            x = shift_images(x, gen)
        mask = None if col.mask is None else col.mask[idx]
        loss = nn.functional.cross_entropy(model(x, mask), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return BaselineResult(model, time.perf_counter() - t0,
                          {"steps": cfg.steps, "final_loss": float(loss.detach()), "head": head})


@torch.no_grad()
def baseline_accuracy(model: BaselineNet, data: Data) -> float:
    (col,) = data.columns
    model.eval()
    pred = model(col.x.float(), col.mask).argmax(-1)
    return float((pred == data.y.long()).float().mean())
