"""The Searcher conformance suite: what every registered search strategy promises.

A strategy proves itself by passing `run_conformance(factory)`, where `factory(grammar, domain)`
builds the searcher under test (for a registered one: `lambda g, d: build_searcher(spec, g, d)`).
The suite brings its own tiny domain, hostile on purpose: cheap primitives that raise, that loop
in Python (for ~30 s, so a broken searcher fails the suite instead of hanging it), that return
huge values, one typed `int` that returns `True`, one that fits every example but the last; and
tasks built so that a wrong cheap program almost fits.

The promises, one check each (`CHECKS`):
- never reports a program that fails an example (checked independently, with the reference
  interpreter and `strict_equal`), and solves the easy tasks past the hostile programs;
- stops within its budget: wall time <= 2 x `budget.seconds` + 0.5 s (`TOLERANCE`);
- deterministic: the same spec on the same task gives the same program;
- always says why it stopped: `stopped` in `STOP_REASONS` or starting with `error:`;
- survives programs that raise, loop or explode (the above hold on tasks full of them), and a
  request with finitely many programs ends within its budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hylo.core.domain import Domain
from hylo.core.dsl import DSL, Primitive
from hylo.core.grammar import Grammar
from hylo.core.interpret import run_reference
from hylo.core.limits import EvalFailure, Limits
from hylo.core.task import Example, Task
from hylo.core.types import parse_type
from hylo.core.values import strict_equal
from hylo.search.base import STOP_REASONS, Budget, Searcher, SearchResult

SearcherFactory = Callable[[Grammar, Domain], Searcher]

#: A search ends within `factor * budget.seconds + slack` seconds of wall time.
TOLERANCE = (2.0, 0.5)
LIMITS = Limits(max_steps=20_000, max_seconds=0.03)
SECONDS = 2.0  # budget of one search in the suite (the solvable tasks need well under it)


class ConformanceError(AssertionError):
    """A searcher broke one of the contract's promises."""


# ------------------------------------------------------------------ the hostile domain
def _boom(x: int) -> int:
    raise RuntimeError("boom")


def _spin(x: int) -> int:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 30.0:  # "forever" for a search with a budget below a second
        x = (x * 7 + 1) % 1_000_003
    raise RuntimeError("spin gave up after 30 s (the searcher did not stop it)")


def _huge(x: int) -> int:
    return 1 << (2_000_000 + x % 7)  # a quarter megabyte, made in microseconds


def _truthy(x: int) -> int:
    return x == x  # typed int, returns True: equal to 1 under `==`, not under `strict_equal`


def _cheat(x: int) -> int:
    return x + 1 if x < 10 else 0  # right on small inputs only


def _prim(name: str, type_text: str, impl: Any) -> Primitive:
    return Primitive(name, parse_type(type_text), impl)


def conformance_domain() -> Domain:
    dsl = DSL.from_table(
        (
            _prim("0", "int", lambda: 0),
            _prim("1", "int", lambda: 1),
            _prim("inc", "int -> int", lambda x: x + 1),
            _prim("add", "int -> int -> int", lambda a, b: a + b),
            _prim("zero?", "int -> bool", lambda x: x == 0),
            _prim("tag0", "tag", lambda: "tag0"),
            _prim("boom", "int -> int", _boom),
            _prim("spin", "int -> int", _spin),
            _prim("huge", "int -> int", _huge),
            _prim("truthy", "int -> int", _truthy),
            _prim("cheat", "int -> int", _cheat),
        )
    )
    return Domain(name="conformance", dsl=dsl)


def conformance_grammar(domain: Domain) -> Grammar:
    """Hostile primitives are the likeliest: every search meets them first."""
    hostile = {"boom": 2.0, "spin": -1.0, "huge": 2.0, "truthy": 2.0, "cheat": 2.0, "add": 1.0}
    return Grammar(domain.dsl, hostile)


def _task(name: str, request: str, pairs: list[tuple[Any, Any]]) -> Task:
    return Task(name, parse_type(request), tuple(Example((x,), y) for x, y in pairs))


def conformance_tasks() -> dict[str, Task]:
    """name -> task. The first three have solutions behind the hostile programs."""
    return {
        # `cheat` fits all but the last example; `(inc $0)` fits all.
        "almost-fits": _task("almost-fits", "int -> int", [(0, 1), (3, 4), (7, 8), (12, 13)]),
        # `truthy` gives True == 1 on every example; the answer is the constant 1.
        "true-is-not-one": _task("true-is-not-one", "int -> int", [(0, 1), (4, 1), (9, 1)]),
        # doubling, behind programs that raise, loop and explode
        "hostile": _task("hostile", "int -> int", [(1, 2), (5, 10), (-3, -6)]),
        # no small program: the search must stop on its budget
        "impossible": _task("impossible", "int -> int", [(0, 17), (1, -40), (2, 99), (3, 5)]),
        # the only program of `int -> tag` is `tag0`, which does not fit: a finite search
        "finite": _task("finite", "int -> tag", [(0, "other"), (1, "other")]),
    }


MUST_SOLVE = ("almost-fits", "true-is-not-one", "hostile")


# ------------------------------------------------------------------ running
def _budget(seconds: float = SECONDS) -> Budget:
    return Budget(seconds=seconds, limits=LIMITS)


def _solve(factory: SearcherFactory, task: Task, seconds: float | None = None) -> SearchResult:
    if seconds is None:
        seconds = SECONDS if task.name in MUST_SOLVE else 0.5
    domain = conformance_domain()
    searcher = factory(conformance_grammar(domain), domain)
    budget = _budget(seconds)
    t0 = time.perf_counter()
    result = searcher.solve(task, budget)
    wall = time.perf_counter() - t0
    factor, slack = TOLERANCE
    if wall > factor * seconds + slack:
        raise ConformanceError(
            f"{searcher.name} on {task.name!r}: {wall:.2f}s for a budget of {seconds}s "
            f"(tolerance {factor}x + {slack}s); stopped={result.stopped!r}"
        )
    if not isinstance(result, SearchResult):
        raise ConformanceError(f"{searcher.name} returned {type(result).__name__}")
    return result


def fits_independently(program: str, task: Task, domain: Domain) -> bool:
    """The reference interpreter and `strict_equal` on every example (not the shared checker,
    so the suite does not trust what it checks)."""
    p = domain.dsl.parse(program)
    try:
        return all(
            strict_equal(run_reference(p, domain.dsl, ex.inputs, LIMITS), ex.output)
            for ex in task.examples
        )
    except EvalFailure:
        return False


# ------------------------------------------------------------------ the checks
def check_never_reports_a_wrong_program(factory: SearcherFactory) -> None:
    domain = conformance_domain()
    for name, task in conformance_tasks().items():
        r = _solve(factory, task)
        reported = [r.program] if r.solved else []
        reported += [p for p, _ in r.extra]
        for program in reported:
            if program is None or not fits_independently(program, task, domain):
                raise ConformanceError(f"on {name!r} reported {program!r}, which fails")
        if not r.solved and r.program is not None:
            raise ConformanceError(f"on {name!r}: unsolved, yet a program {r.program!r}")
        if name in MUST_SOLVE and not r.solved:
            raise ConformanceError(f"did not solve {name!r} (stopped={r.stopped!r})")


def check_stops_within_its_budget(factory: SearcherFactory) -> None:
    tasks = conformance_tasks()
    for seconds in (0.2, 1.0):
        r = _solve(factory, tasks["impossible"], seconds)  # raises past the tolerance
        if r.solved:
            raise ConformanceError(f"'solved' the impossible task with {r.program!r}")


def check_is_deterministic(factory: SearcherFactory) -> None:
    for name in MUST_SOLVE:
        task = conformance_tasks()[name]
        a, b = _solve(factory, task), _solve(factory, task)
        if (a.solved, a.program) != (b.solved, b.program):
            raise ConformanceError(f"on {name!r}: {a.program!r} then {b.program!r}")


def check_says_why_it_stopped(factory: SearcherFactory) -> None:
    for name, task in conformance_tasks().items():
        r = _solve(factory, task)
        if not (r.stopped in STOP_REASONS or r.stopped.startswith("error:")):
            raise ConformanceError(f"on {name!r}: stopped={r.stopped!r}")
        if r.solved != (r.stopped == "solved"):
            raise ConformanceError(f"on {name!r}: solved={r.solved} but stopped={r.stopped!r}")
        if not r.strategy:
            raise ConformanceError(f"on {name!r}: the result does not name its strategy")


def check_survives_hostile_programs(factory: SearcherFactory) -> None:
    tasks = conformance_tasks()
    r = _solve(factory, tasks["hostile"])
    if r.stopped.startswith("error:"):
        raise ConformanceError(f"hostile programs broke the search: {r.stopped}")
    # A request with one program: the search ends (within its budget: `_solve` checks), by
    # exhausting it where the strategy can tell (the enumerative searcher must: its own test).
    r = _solve(factory, tasks["finite"], 1.0)
    if r.solved or r.stopped.startswith("error:"):
        raise ConformanceError(f"finite request: solved={r.solved}, stopped={r.stopped!r}")


CHECKS: tuple[Callable[[SearcherFactory], None], ...] = (
    check_never_reports_a_wrong_program,
    check_stops_within_its_budget,
    check_is_deterministic,
    check_says_why_it_stopped,
    check_survives_hostile_programs,
)


def run_conformance(factory: SearcherFactory) -> list[str]:
    """Every check; returns the failures (empty: the searcher conforms)."""
    failures = []
    for check in CHECKS:
        try:
            check(factory)
        except ConformanceError as e:
            failures.append(f"{check.__name__}: {e}")
    return failures
