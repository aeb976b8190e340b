"""Every exact distribution operation against brute-force enumeration of the joint outcomes."""

import itertools

import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from hylo.neural import dist  # noqa: E402


def _random_dists(seed: int, n: int, length: int, k: int) -> "torch.Tensor":
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(n, length, k, generator=g, dtype=torch.float64) * 2, -1)


def _brute(p, mask, fn, support):
    """Distribution of fn(values) over the unpadded elements, by enumerating all outcomes."""
    n, length, k = p.shape
    out = torch.zeros(n, support, dtype=torch.float64)
    for b in range(n):
        idx = [i for i in range(length) if mask[b, i]]
        for values in itertools.product(range(k), repeat=len(idx)):
            prob = 1.0
            for i, v in zip(idx, values, strict=True):
                prob *= float(p[b, i, v])
            out[b, fn(list(values))] += prob
    return out


shapes = st.tuples(st.integers(0, 10_000), st.integers(1, 4), st.integers(2, 4))


def _mask(seed, n, length):
    g = torch.Generator().manual_seed(seed + 1)
    lengths = torch.randint(0, length + 1, (n,), generator=g)
    return torch.arange(length)[None, :] < lengths[:, None]


@settings(max_examples=25, deadline=None)
@given(shapes)
def test_sum_is_convolution(shape):
    seed, length, k = shape
    p, mask = _random_dists(seed, 3, length, k), _mask(seed, 3, length)
    got = dist.sum_list(p, mask)
    want = _brute(p, mask, sum, got.shape[-1])
    assert got.shape[-1] == length * (k - 1) + 1
    torch.testing.assert_close(got, want)


@settings(max_examples=25, deadline=None)
@given(shapes)
def test_max_min_by_cdf_products(shape):
    seed, length, k = shape
    p, mask = _random_dists(seed, 3, length, k), _mask(seed, 3, length)
    want_max = _brute(p, mask, lambda v: max(v, default=0), k)
    want_min = _brute(p, mask, lambda v: min(v, default=0), k)
    torch.testing.assert_close(dist.maximum(p, mask), want_max)
    torch.testing.assert_close(dist.minimum(p, mask), want_min)


@settings(max_examples=25, deadline=None)
@given(shapes)
def test_sorted_probability(shape):
    seed, length, k = shape
    p, mask = _random_dists(seed, 3, length, k), _mask(seed, 3, length)
    want = _brute(p, mask, lambda v: int(v == sorted(v)), 2)[:, 1]
    torch.testing.assert_close(dist.sorted_prob(p, mask), want)


@settings(max_examples=25, deadline=None)
@given(shapes, st.integers(0, 3))
def test_count_with_soft_predicate(shape, target):
    seed, length, k = shape
    p, mask = _random_dists(seed, 3, length, k), _mask(seed, 3, length)
    target = target % k
    q = p[..., target]  # P(element == target): the soft predicate
    want = _brute(p, mask, lambda v: sum(1 for x in v if x == target), length + 1)
    torch.testing.assert_close(dist.count(q, mask), want)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 5), st.integers(1, 5))
def test_add_eq_gt_pairs(seed, ka, kb):
    g = torch.Generator().manual_seed(seed)
    a = torch.softmax(torch.randn(4, ka, generator=g, dtype=torch.float64), -1)
    b = torch.softmax(torch.randn(4, kb, generator=g, dtype=torch.float64), -1)
    s = torch.zeros(4, ka + kb - 1, dtype=torch.float64)
    e = torch.zeros(4, dtype=torch.float64)
    gt = torch.zeros(4, dtype=torch.float64)
    for i in range(ka):
        for j in range(kb):
            w = a[:, i] * b[:, j]
            s[:, i + j] += w
            e += w * (i == j)
            gt += w * (i > j)
    torch.testing.assert_close(dist.add(a, b), s)
    torch.testing.assert_close(dist.eq(a, b), e)
    torch.testing.assert_close(dist.gt(a, b), gt)


def test_results_are_distributions_and_differentiable():
    p = _random_dists(0, 2, 3, 10).requires_grad_(True)
    mask = torch.ones(2, 3, dtype=torch.bool)
    for out in (dist.sum_list(p, mask), dist.maximum(p, mask), dist.minimum(p, mask)):
        torch.testing.assert_close(out.sum(-1), torch.ones(2, dtype=torch.float64))
        assert (out >= -1e-12).all()
    loss = -torch.log(dist.sum_list(p, mask)[:, 13]).sum()
    loss = loss - torch.log(dist.sorted_prob(p, mask)).sum()
    loss.backward()
    assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
