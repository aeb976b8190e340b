"""Quality: the default search (the domain's searcher on its prior, no library) finds known
programs for shipped DreamCoder list tasks within a few seconds, and what it finds is right (by
the reference interpreter) on the task's examples and on fresh inputs the task never showed.

Measured on a shared two-core machine: each of these solves in under 1 s (add-k with k=1, the
slowest, in about 0.7 s); the budget leaves room for a loaded machine.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from hylo.core.interpret import run_reference
from hylo.core.program import parse
from hylo.domains import get_domain
from hylo.search.base import Budget
from hylo.search.registry import build_searcher

DOMAIN = get_domain("lists")
TASKS = {t.name: t for t in DOMAIN.suites["lists"]()}
SEARCHER = build_searcher(DOMAIN.default_searcher(), DOMAIN.prior(), DOMAIN)
BUDGET = Budget(seconds=3.0)


def _is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


# task name -> what the task means, checked on inputs the task never showed
KNOWN: dict[str, Callable[[list[int]], Any]] = {
    "sum": sum,
    "reverse": lambda xs: xs[::-1],
    "len": len,
    "max": max,
    "add-k with k=1": lambda xs: [x + 1 for x in xs],
    "drop-k with k=2": lambda xs: xs[2:],
    "append-k with k=1": lambda xs: [*xs, 1],
    "index-k with k=2": lambda xs: xs[1],
    "is-primes": lambda xs: all(_is_prime(x) for x in xs),
    "bool-identify-geq-k with k=2": lambda xs: [x >= 2 for x in xs],
    "kth-largest with k=2": lambda xs: sorted(xs)[-2],
    "modulo-k with k=2": lambda xs: [x % 2 for x in xs],
}


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_finds_a_program_for_a_shipped_task(name: str) -> None:
    t = TASKS[name]
    r = SEARCHER.solve(t, BUDGET)
    assert r.solved, f"{name}: {r.stopped} after {r.candidates} candidates in {r.seconds:.2f}s"
    assert r.seconds < BUDGET.seconds
    p = parse(r.program)
    for ex in t.examples:
        assert run_reference(p, DOMAIN.dsl, ex.inputs) == ex.output, (name, r.program, ex)
    # It generalises: the meaning of the task on fresh inputs.
    rng = random.Random(name)
    meaning = KNOWN[name]
    for _ in range(30):
        xs = [rng.randint(0, 20) for _ in range(rng.randint(2, 8))]
        assert run_reference(p, DOMAIN.dsl, (xs,)) == meaning(xs), (name, r.program, xs)


@pytest.mark.parametrize(
    ("name", "program"),
    [
        ("sum", "(lam (sum $0))"),
        ("reverse", "(lam (reverse $0))"),
        ("len", "(lam (length $0))"),
        ("add-k with k=1", "(lam (map (lam (+ $0 1)) $0))"),
    ],
)
def test_finds_the_expected_program(name: str, program: str) -> None:
    r = SEARCHER.solve(TASKS[name], BUDGET)
    assert r.program == program
