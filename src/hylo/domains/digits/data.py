"""sklearn's handwritten digits (1,797 images of 8x8, shipped inside scikit-learn) and the
deterministic, stratified train/test split of the images that every digits task draws from.

Train and test *images* never overlap: every training example of every task is built from the
train pool, every test example from the test pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

TEST_FRACTION = 0.3


@cache
def _load() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    images = (d.images / 16.0).astype(np.float32)
    images.setflags(write=False)
    labels = d.target.astype(np.int64)
    labels.setflags(write=False)
    return images, labels


def images() -> np.ndarray:
    """All images, `(1797, 8, 8)` float32 in [0, 1] (read-only)."""
    return _load()[0]


def labels() -> np.ndarray:
    """The digit of each image, `(1797,)` int64 (read-only)."""
    return _load()[1]


@dataclass(frozen=True)
class Split:
    seed: int
    train: np.ndarray  # image indices, sorted
    test: np.ndarray

    def by_class(self, part: str) -> list[np.ndarray]:
        pool = self.train if part == "train" else self.test
        y = labels()[pool]
        return [pool[y == k] for k in range(10)]


@cache
def split(seed: int = 0, test_fraction: float = TEST_FRACTION) -> Split:
    """Stratified by digit: a fraction `test_fraction` of each class goes to the test pool.
    Depends on `seed` only."""
    rng = np.random.default_rng([seed, 0x5D1])
    y = labels()
    train, test = [], []
    for k in range(10):
        idx = np.flatnonzero(y == k)
        idx = idx[rng.permutation(len(idx))]
        n_test = int(round(len(idx) * test_fraction))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return Split(seed, np.sort(np.concatenate(train)), np.sort(np.concatenate(test)))
