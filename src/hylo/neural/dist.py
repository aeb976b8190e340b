"""Exact operations on independent categorical distributions over 0..K-1.

A distribution is a tensor of probabilities `(..., K)` whose last axis is the support 0..K-1;
a list of distributions is `(N, L, K)` with a boolean mask `(N, L)` (padding is False). Each
operation gives the exact distribution of its result when its arguments are independent: the sum
by convolution, the count by the Poisson-binomial recursion, the maximum by products of CDFs,
sortedness by a forward recursion over the last value. Tests compare every one with brute-force
enumeration of all joint outcomes.
"""

from __future__ import annotations

import torch

Tensor = torch.Tensor


def pad_to(p: Tensor, k: int) -> Tensor:
    if p.shape[-1] >= k:
        return p
    return torch.nn.functional.pad(p, (0, k - p.shape[-1]))


def _align(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    k = max(a.shape[-1], b.shape[-1])
    a, b = pad_to(a, k), pad_to(b, k)
    return torch.broadcast_tensors(a, b)


def delta(value: int | Tensor, k: int, batch: tuple[int, ...] = ()) -> Tensor:
    """Point masses at `value` (an int, or a long tensor of shape `batch`)."""
    if isinstance(value, int):
        out = torch.zeros(*batch, k)
        out[..., value] = 1.0
        return out
    return torch.nn.functional.one_hot(value.long(), k).float()


def add(a: Tensor, b: Tensor) -> Tensor:
    """Distribution of X + Y: the convolution of the two pmfs."""
    ka, kb = a.shape[-1], b.shape[-1]
    batch = torch.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    outer = (a[..., :, None] * b[..., None, :]).expand(*batch, ka, kb).reshape(*batch, ka * kb)
    index = (torch.arange(ka)[:, None] + torch.arange(kb)[None, :]).reshape(-1)
    out = torch.zeros(*batch, ka + kb - 1, dtype=outer.dtype)
    return out.index_add(-1, index, outer)


def masked(p: Tensor, mask: Tensor, fill: Tensor) -> Tensor:
    """Replace padded entries `(N, L, K)` of a list by the distribution `fill` `(K,)`."""
    return torch.where(mask[..., None], p, fill.to(p.dtype))


def sum_list(p: Tensor, mask: Tensor) -> Tensor:
    """Distribution of the sum of a list `(N, L, K)`; padding counts as 0."""
    n, length, k = p.shape
    p = masked(p, mask, delta(0, k))
    out = delta(0, 1, (n,))
    for i in range(length):
        out = add(out, p[:, i])
    return out


def count(q: Tensor, mask: Tensor) -> Tensor:
    """Distribution of the number of successes of independent Bernoullis `q` `(N, L)`
    (Poisson-binomial); padding never succeeds. Result `(N, L + 1)`."""
    n, length = q.shape
    q = torch.where(mask, q, torch.zeros_like(q))
    out = delta(0, length + 1, (n,)).to(q.dtype)
    for i in range(length):
        qi = q[:, i : i + 1]
        shifted = torch.nn.functional.pad(out[:, :-1], (1, 0))
        out = out * (1 - qi) + shifted * qi
    return out


def length(mask: Tensor) -> Tensor:
    return delta(mask.sum(-1), mask.shape[-1] + 1)


def eq(a: Tensor, b: Tensor) -> Tensor:
    """P(X = Y)."""
    a, b = _align(a, b)
    return (a * b).sum(-1)


def gt(a: Tensor, b: Tensor) -> Tensor:
    """P(X > Y)."""
    a, b = _align(a, b)
    below = torch.cumsum(b, -1) - b  # P(Y < k)
    return (a * below).sum(-1)


def maximum(p: Tensor, mask: Tensor) -> Tensor:
    """Distribution of the largest element: P(max <= k) = prod_i P(X_i <= k); padding and the
    empty list count as 0."""
    k = p.shape[-1]
    cdf = torch.cumsum(masked(p, mask, delta(0, k)), -1).prod(1)
    return torch.diff(cdf, dim=-1, prepend=torch.zeros_like(cdf[..., :1]))


def minimum(p: Tensor, mask: Tensor) -> Tensor:
    """Distribution of the smallest element: P(min >= k) = prod_i P(X_i >= k); the empty list's
    minimum is 0."""
    k = p.shape[-1]
    survival = torch.flip(torch.cumsum(torch.flip(p, [-1]), -1), [-1])  # P(X >= k)
    survival = torch.where(mask[..., None], survival, torch.ones_like(survival)).prod(1)
    nxt = torch.nn.functional.pad(survival[..., 1:], (0, 1))
    out = survival - nxt
    empty = ~mask.any(-1)
    return torch.where(empty[:, None], delta(0, k, (p.shape[0],)).to(out.dtype), out)


def sorted_prob(p: Tensor, mask: Tensor) -> Tensor:
    """P(X_1 <= X_2 <= ... <= X_L) over the unpadded elements (padding is skipped; the empty
    list is sorted). Forward recursion: c_i(v) = P(prefix sorted and X_i <= v)."""
    n, length, k = p.shape
    c = torch.ones(n, k, dtype=p.dtype)
    for i in range(length):
        step = torch.cumsum(p[:, i] * c, -1)
        c = torch.where(mask[:, i : i + 1], step, c)
    return c[:, -1]
