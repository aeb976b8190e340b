"""The HOUDINI-style digits task sequence, each task generated from a seed and a data budget.

1. `classify`  image -> int             the digit of one image
2. `sum`       list(image) -> int       the sum of 2 to 5 digit images (only the sum labelled)
3. `count`     list(image) -> int       how many images show the digit `d` (default 7)
4. `sorted`    list(image) -> bool      are the digits in non-decreasing order
5. `max`       list(image) -> int       the largest digit

A *budget* is the number of labelled training examples (images for `classify`, lists for the
others). Training examples come in a fixed stream per (seed, task): the examples of a smaller
budget are a prefix of those of a larger one. `budget=None` means the full training split:
every train image once for `classify`; for list tasks, as many lists as the train pool fills with
each image used once on average (for `sum`, a partition: each train image exactly once).
Label balance: `count` draws the count uniformly, `sorted` is sorted half the time, `max` draws
the maximum uniformly, so that no constant answer scores well.
Test examples are drawn the same way from the test images (`n_test` lists; all test images for
`classify`), independent of the budget.

Examples refer to images by their index in `load_digits()`; lists are padded with -1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hylo.core.task import Example, Task
from hylo.core.types import Type, parse_type
from hylo.domains.digits import data


@dataclass(frozen=True)
class TaskSpec:
    name: str
    request: str
    lengths: tuple[int, int] = (2, 5)
    digit: int = 7
    code: int = 0  # distinguishes the random streams of different tasks

    @property
    def type(self) -> Type:
        return parse_type(self.request)

    @property
    def is_list(self) -> bool:
        return self.request.startswith("list")


SEQUENCE: tuple[TaskSpec, ...] = (
    TaskSpec("classify", "image -> int", code=1),
    TaskSpec("sum", "list(image) -> int", code=2),
    TaskSpec("count", "list(image) -> int", code=3),
    TaskSpec("sorted", "list(image) -> bool", code=4),
    TaskSpec("max", "list(image) -> int", code=5),
)
SPECS = {s.name: s for s in SEQUENCE}


@dataclass
class Examples:
    images: np.ndarray  # (N,) image indices, or (N, Lmax) padded with -1
    labels: np.ndarray  # (N,) int64

    def __len__(self) -> int:
        return len(self.labels)

    def records(self) -> list[dict]:
        """JSON-ready: `[{"inputs": [indices], "output": label}]`."""
        out = []
        for row, y in zip(self.images.tolist(), self.labels.tolist(), strict=True):
            inputs = [x for x in row if x >= 0] if isinstance(row, list) else row
            out.append({"inputs": [inputs], "output": y})
        return out


@dataclass
class DigitsTask:
    spec: TaskSpec
    budget: int | None
    seed: int
    train: Examples
    test: Examples
    params: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def request(self) -> Type:
        return self.spec.type

    def core_task(self, part: str = "train") -> Task:
        """As a `hylo.core.task.Task` whose inputs are image arrays (lists of them)."""
        ex = self.train if part == "train" else self.test
        imgs, out = data.images(), []
        for row, y in zip(ex.images, ex.labels, strict=True):
            value = [imgs[i] for i in row if i >= 0] if self.spec.is_list else imgs[int(row)]
            label = bool(y) if self.spec.name == "sorted" else int(y)
            out.append(Example((value,), label))
        return Task(f"digits/{self.name}", self.request, tuple(out))


def _values(spec: TaskSpec, rng: np.random.Generator) -> tuple[list[int], int]:
    lo, hi = spec.lengths
    length = int(rng.integers(lo, hi + 1))
    if spec.name == "sum":
        values = [int(v) for v in rng.integers(0, 10, length)]
        return values, sum(values)
    if spec.name == "count":
        k = int(rng.integers(0, length + 1))
        others = [v for v in range(10) if v != spec.digit]
        values = [int(rng.choice(others)) for _ in range(length)]
        for pos in rng.permutation(length)[:k]:
            values[int(pos)] = spec.digit
        return values, k
    if spec.name == "sorted":
        want = bool(rng.random() < 0.5)
        while True:
            values = [int(v) for v in rng.integers(0, 10, length)]
            if want:
                return sorted(values), 1
            if values != sorted(values):
                return values, 0
    if spec.name == "max":
        m = int(rng.integers(0, 10))
        values = [int(v) for v in rng.integers(0, m + 1, length)]
        values[int(rng.integers(0, length))] = m
        return values, m
    raise ValueError(f"unknown list task {spec.name!r}")


def _lists(spec: TaskSpec, n: int, by_class: list[np.ndarray],
           rng: np.random.Generator) -> Examples:
    hi = spec.lengths[1]
    images = np.full((n, hi), -1, dtype=np.int64)
    labels = np.zeros(n, dtype=np.int64)
    for i in range(n):
        values, label = _values(spec, rng)
        for j, v in enumerate(values):
            images[i, j] = int(rng.choice(by_class[v]))
        labels[i] = label
    return Examples(images, labels)


def _partition_sums(spec: TaskSpec, pool: np.ndarray, rng: np.random.Generator) -> Examples:
    order = pool[rng.permutation(len(pool))]
    lo, hi = spec.lengths
    rows, pos = [], 0
    while True:
        length = int(rng.integers(lo, hi + 1))
        if pos + length > len(order):
            break
        rows.append(order[pos:pos + length])
        pos += length
    images = np.full((len(rows), hi), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        images[i, :len(r)] = r
    y = data.labels()
    labels = np.array([int(y[r].sum()) for r in rows], dtype=np.int64)
    return Examples(images, labels)


def make_task(name: str, budget: int | None, seed: int = 0, n_test: int = 1000,
              lengths: tuple[int, int] | None = None, digit: int | None = None) -> DigitsTask:
    """Task `name` of the sequence with `budget` labelled training examples (None: full split)."""
    spec = SPECS[name]
    if lengths is not None or digit is not None:
        spec = TaskSpec(spec.name, spec.request, lengths or spec.lengths,
                        spec.digit if digit is None else digit, spec.code)
    if budget is not None and budget < 1:
        raise ValueError("a budget is at least 1 labelled example")
    sp = data.split(seed)
    train_rng = np.random.default_rng([seed, spec.code, 0, *spec.lengths])
    test_rng = np.random.default_rng([seed, spec.code, 1, *spec.lengths])
    y = data.labels()
    if not spec.is_list:
        order = sp.train[train_rng.permutation(len(sp.train))]
        if budget is not None and budget > len(order):
            raise ValueError(f"budget {budget} exceeds the {len(order)} training images")
        chosen = order if budget is None else order[:budget]
        train = Examples(chosen, y[chosen].copy())
        test = Examples(sp.test.copy(), y[sp.test].copy())
    else:
        if budget is None and spec.name == "sum":
            train = _partition_sums(spec, sp.train, train_rng)
        else:
            mean_len = sum(spec.lengths) / 2
            n = budget if budget is not None else int(len(sp.train) // mean_len)
            train = _lists(spec, n, sp.by_class("train"), train_rng)
        test = _lists(spec, n_test, sp.by_class("test"), test_rng)
    params = {"lengths": list(spec.lengths), "n_test": len(test)}
    if spec.name == "count":
        params["digit"] = spec.digit
    return DigitsTask(spec, budget, seed, train, test, params)


def sequence(budget: int | None, seed: int = 0, n_test: int = 1000) -> list[DigitsTask]:
    return [make_task(s.name, budget, seed, n_test) for s in SEQUENCE]


def load_suite() -> list[Task]:
    """The sequence at budget 100 (seed 0) as core tasks: training examples only."""
    return [t.core_task("train") for t in sequence(100, 0)]
