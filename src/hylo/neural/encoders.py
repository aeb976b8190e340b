"""Task encoders of the recognition model: a task's examples in, one feature vector out.

A domain supplies its encoder (`Domain.task_encoder(spec)`); the recognition model
(`hylo.neural.recognition`) puts a head on it. Every encoder is a torch module with

- `spec`: plain JSON that rebuilds it (stored with the model's weights);
- `dim`: the size of the vector it gives per task;
- `features(task)`: the task's examples as plain data (cheap, no gradients, cached by callers);
- `collate(features)`: a batch of those as tensors; `forward(batch)`: (tasks, dim).

Two families serve the domains here:
- `SequenceEncoder`: each example a sequence of tokens (the domain tokenises values), a GRU
  over each, averaged over the task's examples (DreamCoder's encoder for list tasks);
- `GridPairEncoder`: each input/output pair as one-hot colour planes of both grids side by side
  in channels, a small CNN pooled over the grid, averaged over the task's pairs, with the pair's
  sizes as extra features (ARC).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from hylo.core.task import Task


class TaskEncoder(nn.Module):
    """See the module docstring; subclasses set `spec` and `dim`."""

    spec: dict[str, Any]
    dim: int

    def features(self, task: Task) -> Any:
        raise NotImplementedError

    def collate(self, features: Sequence[Any]) -> Any:
        raise NotImplementedError


# ------------------------------------------------------------------------------ sequences
class SequenceEncoder(TaskEncoder):
    """GRU over tokenised examples. `tokenize(task)` gives one list of token ids per example
    (ids in `[1, vocab)`, 0 is padding); sequences are cut at `max_tokens`, examples at
    `max_examples`."""

    def __init__(self, spec: dict[str, Any],
                 tokenize: Callable[[Task, int], list[list[int]]]) -> None:
        super().__init__()
        self.spec = dict(spec)
        self.tokenize = tokenize
        vocab, emb, hidden = int(spec["vocab"]), int(spec["embed"]), int(spec["hidden"])
        self.max_tokens = int(spec.get("max_tokens", 64))
        self.max_examples = int(spec.get("max_examples", 10))
        self.embed = nn.Embedding(vocab, emb, padding_idx=0)
        self.gru = nn.GRU(emb, hidden, batch_first=True, bidirectional=True)
        self.dim = 2 * hidden

    def features(self, task: Task) -> list[list[int]]:
        seqs = self.tokenize(task, self.max_tokens)[: self.max_examples]
        return [s[: self.max_tokens] or [1] for s in seqs] or [[1]]

    def collate(self, features: Sequence[list[list[int]]]) -> dict[str, torch.Tensor]:
        seqs = [s for f in features for s in f]
        owner = [i for i, f in enumerate(features) for _ in f]
        width = max(len(s) for s in seqs)
        ids = torch.zeros(len(seqs), width, dtype=torch.long)
        for k, s in enumerate(seqs):
            ids[k, : len(s)] = torch.tensor(s, dtype=torch.long)
        return {"ids": ids, "lengths": torch.tensor([len(s) for s in seqs]),
                "owner": torch.tensor(owner, dtype=torch.long),
                "tasks": torch.tensor(len(features))}

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        x = self.embed(batch["ids"])
        packed = nn.utils.rnn.pack_padded_sequence(x, batch["lengths"], batch_first=True,
                                                   enforce_sorted=False)
        _, h = self.gru(packed)  # (2, sequences, hidden): last state of each direction
        per_seq = torch.cat([h[0], h[1]], dim=1)
        return _mean_by_owner(per_seq, batch["owner"], int(batch["tasks"]))


# ------------------------------------------------------------------------------ grids
class GridPairEncoder(TaskEncoder):
    """CNN over (input, output) pairs. `pairs(task)` gives the pairs as (input, output) lists
    of rows of colours 0-9; grids are cut to `size` x `size` (ARC's largest is 30)."""

    def __init__(self, spec: dict[str, Any],
                 pairs: Callable[[Task], list[tuple[Any, Any]]]) -> None:
        super().__init__()
        self.spec = dict(spec)
        self.pairs = pairs
        self.size = int(spec.get("size", 30))
        self.colours = int(spec.get("colours", 10))
        self.max_pairs = int(spec.get("max_pairs", 5))
        c1, c2 = (int(c) for c in spec.get("channels", (32, 32)))
        planes = 2 * (self.colours + 1)  # colours + an "inside the grid" plane, per grid
        self.conv = nn.Sequential(
            nn.Conv2d(planes, c1, 3, padding=1), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(),
        )
        self.out = nn.Linear(2 * c2 + 6, int(spec.get("hidden", 64)))
        self.dim = int(spec.get("hidden", 64))

    def features(self, task: Task) -> list[tuple[list[list[int]], list[list[int]]]]:
        out = []
        for a, b in self.pairs(task)[: self.max_pairs]:
            out.append((_rows(a, self.size), _rows(b, self.size)))
        return out or [([[0]], [[0]])]

    def _planes(self, grid: list[list[int]]) -> torch.Tensor:
        t = torch.zeros(self.colours + 1, self.size, self.size)
        g = torch.tensor(grid, dtype=torch.long).clamp(0, self.colours - 1)
        h, w = g.shape
        t[:self.colours, :h, :w] = nn.functional.one_hot(g, self.colours).permute(2, 0, 1).float()
        t[self.colours, :h, :w] = 1.0
        return t

    def collate(self, features: Sequence[list[tuple[Any, Any]]]) -> dict[str, torch.Tensor]:
        planes, sizes, owner = [], [], []
        for i, f in enumerate(features):
            for a, b in f:
                planes.append(torch.cat([self._planes(a), self._planes(b)]))
                ha, wa, hb, wb = len(a), len(a[0]), len(b), len(b[0])
                sizes.append([ha / self.size, wa / self.size, hb / self.size, wb / self.size,
                              float(ha == hb), float(wa == wb)])
                owner.append(i)
        return {"planes": torch.stack(planes), "sizes": torch.tensor(sizes),
                "owner": torch.tensor(owner, dtype=torch.long),
                "tasks": torch.tensor(len(features))}

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        h = self.conv(batch["planes"])
        pooled = torch.cat([h.amax(dim=(2, 3)), h.mean(dim=(2, 3)), batch["sizes"]], dim=1)
        per_pair = torch.relu(self.out(pooled))
        return _mean_by_owner(per_pair, batch["owner"], int(batch["tasks"]))


def _rows(grid: Any, size: int) -> list[list[int]]:
    rows = [[int(c) for c in list(r)[:size]] for r in list(grid)[:size]]
    return rows if rows and rows[0] else [[0]]


def _mean_by_owner(x: torch.Tensor, owner: torch.Tensor, n: int) -> torch.Tensor:
    """Rows of `x` averaged per owner index (0..n-1)."""
    total = torch.zeros(n, x.shape[1], dtype=x.dtype).index_add_(0, owner, x)
    count = torch.zeros(n, dtype=x.dtype).index_add_(0, owner, torch.ones_like(owner,
                                                                              dtype=x.dtype))
    return total / count.clamp(min=1.0).unsqueeze(1)
