"""An example objective for `--objective digit_costs:cost` (run from this folder, or with it on
PYTHONPATH): reading an 8 as a 1 costs 10, any other error 1; a bool output (the `sorted`
task) costs its expected error. Lower is better; differentiable, so it also trains.

    hylo bench digits --budgets 100 --no-methods --objective digit_costs:cost
"""

from __future__ import annotations

import torch

EXPENSIVE = {(8, 1): 10.0}  # (true digit, digit read): cost


def cost_matrix(k: int) -> torch.Tensor:
    """Cost of reading row as column, over the values 0..k-1."""
    matrix = torch.ones(k, k) - torch.eye(k)
    for (true, read), value in EXPENSIVE.items():
        if max(true, read) < k:
            matrix[true, read] = value
    return matrix


def cost(predictions: torch.Tensor, targets: torch.Tensor, model: torch.nn.Module) -> torch.Tensor:
    """Mean cost of the decisions (one-hot rows), or expected cost of distributions."""
    if predictions.ndim == 1:
        return (predictions - targets.float()).abs().mean()
    matrix = cost_matrix(predictions.shape[1])
    return (predictions * matrix[targets.long()]).sum(1).mean()
