"""A third-party hylo plug-in, as another package would write it: a domain and a searcher.

The tests make it installable without installing it: they write a `hylo_toy-0.1.dist-info`
with `entry_points.txt` next to this package in a temporary directory and put that directory
on `PYTHONPATH` (so spawned pool workers find it too).
"""

from __future__ import annotations

import itertools
import time

import typer

from hylo.core.domain import Domain
from hylo.core.dsl import DSL
from hylo.core.grammar import Grammar
from hylo.core.task import Example, Task
from hylo.core.types import INT, arrow
from hylo.search.base import Budget, Searcher, SearchResult

NAME = "toy"

DSL_TABLE = [
    ("inc", "int -> int", lambda x: x + 1),
    ("dbl", "int -> int", lambda x: 2 * x),
    ("neg", "int -> int", lambda x: -x),
    ("add", "int -> int -> int", lambda x, y: x + y),
    ("one", "int", lambda: 1),
]

#: name -> the function the task's examples come from
TASKS = {
    "plus-two": lambda x: x + 2,
    "twice-plus-two": lambda x: 2 * x + 2,
    "four-times": lambda x: 4 * x,
    "minus-one": lambda x: -(-x + 1),
    "twice-plus-one": lambda x: 2 * x + 1,
    "negate-twice-plus-two": lambda x: -(2 * x + 2),
}


def toy_tasks() -> list[Task]:
    xs = (0, 1, 2, 5, -3, 7)
    return [
        Task(name, arrow(INT, INT), tuple(Example((x,), f(x)) for x in xs))
        for name, f in TASKS.items()
    ]


def split(tasks: list[Task]) -> tuple[list[Task], list[Task]]:
    ordered = sorted(tasks, key=lambda t: t.name)
    return ordered[::2], ordered[1::2]


def load_domain() -> Domain:
    return Domain(
        name=NAME,
        dsl=DSL.from_table(DSL_TABLE),
        suites={"toy-suite": toy_tasks},
        split=split,
        search_defaults={"timeout": 5.0},
        commands={"bench toy-stats": toy_stats},
    )


def toy_stats(
    squares: bool = typer.Option(False, "--squares", help="Also print each x -> x*x."),
) -> None:
    """A domain's own command, mounted as `hylo bench toy-stats`."""
    tasks = toy_tasks()
    typer.echo(f"{len(tasks)} toy tasks, {sum(len(t.examples) for t in tasks)} examples")
    if squares:
        typer.echo(", ".join(f"{x}->{x * x}" for x in range(4)))


class ExhaustiveSearcher(Searcher):
    """Every chain `(lam (f1 (f2 ... $0)))` of the DSL's unary `int -> int` primitives, shortest
    first, up to `max_depth`; the shared checker decides what fits."""

    name = "toy-exhaustive"
    params = ("max_depth",)

    def __init__(self, grammar: Grammar, domain: Domain | None = None, max_depth: int = 5) -> None:
        super().__init__(grammar, domain)
        if max_depth < 0:
            raise ValueError("max_depth must be >= 0")
        self.max_depth = max_depth

    def search(self, task: Task, budget: Budget) -> SearchResult:
        t0 = time.perf_counter()
        checker = self.checker(budget)
        unary = [n for n, p in self.grammar.dsl.primitives.items() if p.type == arrow(INT, INT)]
        tried = 0
        if task.request != arrow(INT, INT):
            return SearchResult(task.name, False, stopped="exhausted")
        for depth in range(self.max_depth + 1):
            for chain in itertools.product(unary, repeat=depth):
                if time.perf_counter() - t0 > budget.seconds:
                    return SearchResult(task.name, False, seconds=time.perf_counter() - t0,
                                        candidates=tried, stopped="timeout")
                body = "$0"
                for f in reversed(chain):
                    body = f"({f} {body})"
                text = f"(lam {body})"
                tried += 1
                if checker.fits(text, task):
                    return SearchResult(task.name, True, program=text,
                                        description_length=float(depth),
                                        seconds=time.perf_counter() - t0, candidates=tried,
                                        stopped="solved")
        return SearchResult(task.name, False, seconds=time.perf_counter() - t0, candidates=tried,
                            stopped="exhausted")
