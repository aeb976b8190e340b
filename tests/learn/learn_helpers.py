"""Hand-made tasks for the learning tests: examples computed by running a known program."""

from __future__ import annotations

from hylo.core.evaluate import run_program
from hylo.core.program import Program
from hylo.core.task import Example, Task
from hylo.core.types import parse_type
from hylo.domains import get_domain

LISTS = get_domain("lists").dsl

INPUTS = ([3, 1, 4, 1, 5, 9, 2], [2, 7, 1, 8, 2, 8], [5, 0, 5, 5, 3, 4, 8, 1], [9, 8, 7, 6, 5])


def task(name: str, program: str, request: str = "list(int) -> list(int)") -> tuple[Task,
                                                                                   Program]:
    """A task whose examples are `program` run on `INPUTS`, and the parsed program."""
    p = LISTS.parse(program)
    examples = tuple(Example((xs,), run_program(p, LISTS, (xs,))) for xs in INPUTS)
    return Task(name, parse_type(request), examples), p


SLICES = [("slice-1-2", "(lam (take 2 (drop 1 $0)))"),
          ("slice-2-3", "(lam (take 3 (drop 2 $0)))"),
          ("slice-3-1", "(lam (take 1 (drop 3 $0)))"),
          ("slice-0-4", "(lam (take 4 (drop 0 $0)))")]
ADDS = [("add-1", "(lam (map (lam (+ $0 1)) $0))"),
        ("add-3", "(lam (map (lam (+ $0 3)) $0))"),
        ("add-5", "(lam (map (lam (+ $0 5)) $0))"),
        ("add-2-rev", "(lam (map (lam (+ $0 2)) (reverse $0)))")]
OTHERS = [("sort", "(lam (sort $0))"),
          ("evens", "(lam (filter (lam (eq? (mod $0 2) 0)) $0))"),
          ("double", "(lam (map (lam (* $0 2)) $0))")]


def corpus() -> list[tuple[Task, Program]]:
    return [task(n, p) for n, p in [*SLICES, *ADDS, *OTHERS]]
