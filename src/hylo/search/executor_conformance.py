"""What every `Executor` promises, as checks each implementation runs (see tests/search).

The checks use their own tiny domain, `executor-conformance`, so that a job can do what real
jobs sometimes do to a worker: kill it (`kill-worker`, reached only by `bool -> bool` tasks) or
stall it in C where no evaluator limit reaches (`stall`, reached only by `list(int)` tasks).
Workers rebuild their domain by name, so the domain must be visible to them as an entry point:
`install_domain(directory)` writes a `*.dist-info` that registers it and puts `directory` on
`sys.path` and `PYTHONPATH` (spawned pool workers and a Ray started afterwards inherit both);
`uninstall_domain` undoes it.

The promises (each a `check_*` function taking a fresh executor):
- every job yields exactly one result, with a stated reason for stopping;
- a job that kills its worker is a failed result, never an exception of the run, and (for an
  executor that isolates jobs) the other jobs are not affected;
- a job whose checking raises is an unsolved result;
- the solved set and the programs equal `inline`'s on a small deterministic batch;
- per-task weights reach the worker (a job with weights that make a program cheaper gets it);
- a bad searcher spec is one error from `run`, before any job starts;
- a consumer that stops early ends the run promptly.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from hylo.core.domain import Domain
from hylo.core.dsl import DSL
from hylo.core.grammar import Grammar
from hylo.core.task import Example, Task
from hylo.core.types import parse_type
from hylo.search.base import STOP_REASONS, Budget, SearchResult
from hylo.search.executor import Executor, InlineExecutor, SearchConfig, SearchJob

DOMAIN = "executor-conformance"
_DIST = "hylo_executor_conformance-0.0.dist-info"


def _kill_worker(b: bool) -> bool:
    os.kill(os.getpid(), signal.SIGKILL)
    return b


def _stall(xs: list) -> list:
    time.sleep(3600)  # in C: no evaluator step or time limit interrupts it
    return xs


DSL_TABLE = [
    ("zero", "int", lambda: 0),
    ("inc", "int -> int", lambda x: x + 1),
    ("double", "int -> int", lambda x: 2 * x),
    ("plus2", "int -> int", lambda x: x + 2),
    ("+", "int -> int -> int", lambda x, y: x + y),
    ("kill-worker", "bool -> bool", _kill_worker),
    ("stall", "list(int) -> list(int)", _stall),
]


def load_domain() -> Domain:
    return Domain(name=DOMAIN, dsl=DSL.from_table(DSL_TABLE))


def install_domain(directory: str | Path) -> Path:
    """Register the conformance domain for this process and the workers it starts."""
    d = Path(directory)
    dist = d / _DIST
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: hylo-executor-conformance\nVersion: 0.0\n")
    (dist / "entry_points.txt").write_text(
        f"[hylo.domains]\n{DOMAIN} = hylo.search.executor_conformance:load_domain\n")
    path = str(d)
    if path not in sys.path:
        sys.path.append(path)
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if path not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([*parts, path])
    return d


def uninstall_domain(directory: str | Path) -> None:
    path = str(Path(directory))
    while path in sys.path:
        sys.path.remove(path)
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != path]
    if parts:
        os.environ["PYTHONPATH"] = os.pathsep.join(parts)
    else:
        os.environ.pop("PYTHONPATH", None)


# ------------------------------------------------------------------ jobs

INT = parse_type("int -> int")
XS = (1, 2, 3, 10)


def int_task(name: str, f: Callable[[int], int]) -> Task:
    return Task(name, INT, tuple(Example((x,), f(x)) for x in XS))


class Hostile:
    """An expected output whose comparison raises (a task that crashes its checker)."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("hostile value compared")

    __ne__ = __eq__  # type: ignore[assignment]

    def __hash__(self) -> int:
        raise RuntimeError("hostile value hashed")


SOLVABLE = [
    int_task("inc", lambda x: x + 1),
    int_task("double", lambda x: 2 * x),
    int_task("plus2", lambda x: x + 2),
    int_task("plus3", lambda x: x + 3),
    int_task("double-plus1", lambda x: 2 * x + 1),
]
UNSOLVABLE = int_task("square-plus7", lambda x: x * x + 7)  # nothing here multiplies two ints
KILLER = Task("kills-its-worker", parse_type("bool -> bool"),
              (Example((True,), False), Example((False,), True)))
STALLER = Task("stalls-its-worker", parse_type("list(int) -> list(int)"),
               (Example(([1, 2],), [2, 1]),))
HOSTILE = Task("hostile-output", INT, (Example((1,), Hostile()),))

QUICK = Budget(seconds=5.0)  # solvable jobs end in milliseconds; this only bounds a bad run
SHORT = Budget(seconds=0.5)


def config(searcher: dict | str | None = None) -> SearchConfig:
    from hylo.domains import get_domain

    dsl = get_domain(DOMAIN).dsl
    return SearchConfig.from_grammar(DOMAIN, Grammar.uniform(dsl), searcher)


def _valid_stop(r: SearchResult) -> bool:
    return r.stopped in STOP_REASONS or r.stopped.startswith("error")


def _by_name(results: list[SearchResult]) -> dict[str, SearchResult]:
    return {r.task: r for r in results}


# ------------------------------------------------------------------ checks


def check_one_result_per_job(executor: Executor) -> None:
    jobs = [SearchJob(t, QUICK) for t in SOLVABLE] + [SearchJob(UNSOLVABLE, SHORT)]
    results = list(executor.run(config(), jobs))
    assert Counter(r.task for r in results) == Counter(j.task.name for j in jobs), results
    assert all(_valid_stop(r) for r in results), [r.stopped for r in results]
    got = _by_name(results)
    assert all(got[t.name].solved for t in SOLVABLE), results
    assert not got[UNSOLVABLE.name].solved and got[UNSOLVABLE.name].stopped == "timeout"


def check_killed_worker_is_a_failed_result(executor: Executor) -> None:
    """Only for executors that isolate jobs in processes (`Executor.isolates`)."""
    if not executor.isolates:
        return
    jobs = [SearchJob(KILLER, QUICK)] + [SearchJob(t, QUICK) for t in SOLVABLE]
    results = list(executor.run(config(), jobs))
    assert Counter(r.task for r in results) == Counter(j.task.name for j in jobs), results
    got = _by_name(results)
    killed = got[KILLER.name]
    assert not killed.solved and killed.stopped.startswith("error"), killed
    assert all(got[t.name].solved for t in SOLVABLE), [got[t.name] for t in SOLVABLE]


def check_raising_job_is_unsolved(executor: Executor) -> None:
    jobs = [SearchJob(HOSTILE, SHORT), SearchJob(SOLVABLE[0], QUICK)]
    results = list(executor.run(config(), jobs))
    got = _by_name(results)
    assert len(results) == 2 and set(got) == {HOSTILE.name, SOLVABLE[0].name}
    assert not got[HOSTILE.name].solved and _valid_stop(got[HOSTILE.name])
    assert got[SOLVABLE[0].name].solved


def check_matches_inline(executor: Executor) -> None:
    jobs = [SearchJob(t, QUICK) for t in SOLVABLE] + [SearchJob(UNSOLVABLE, SHORT)]
    cfg = config()
    mine = _by_name(list(executor.run(cfg, jobs)))
    with InlineExecutor() as inline:
        ref = _by_name(list(inline.run(cfg, jobs)))
    assert {n for n, r in mine.items() if r.solved} == {n for n, r in ref.items() if r.solved}
    assert {n: r.program for n, r in mine.items()} == {n: r.program for n, r in ref.items()}


def check_weights_reach_the_worker(executor: Executor) -> None:
    task = SOLVABLE[2]  # x + 2: `(plus2 $0)` unless plus2 is made expensive
    jobs = [SearchJob(task, QUICK), SearchJob(task, QUICK, {"plus2": -30.0})]
    results = list(executor.run(config(), jobs))
    programs = sorted(r.program or "" for r in results)
    assert all(r.solved for r in results), results
    assert programs == ["(lam (inc (inc $0)))", "(lam (plus2 $0))"], programs


def check_bad_spec_raises_before_running(executor: Executor) -> None:
    from hylo.search.registry import SpecError

    bad = replace(config(), searcher={"name": "no-such-searcher", "params": {}})
    t0 = time.perf_counter()
    try:
        executor.run(bad, [SearchJob(SOLVABLE[0], QUICK)])
    except SpecError:
        pass
    else:
        raise AssertionError("a config naming no searcher was accepted")
    assert time.perf_counter() - t0 < 5.0


def check_stopping_early_is_prompt(executor: Executor) -> None:
    """A consumer that takes one result and closes the run does not wait for the others."""
    jobs = [SearchJob(SOLVABLE[0], QUICK)] + [SearchJob(UNSOLVABLE, Budget(seconds=30.0))] * 3
    run = executor.run(config(), jobs)
    t0 = time.perf_counter()
    first = next(iter(run))
    assert first.task in {SOLVABLE[0].name, UNSOLVABLE.name}
    close = getattr(run, "close", None)
    if close is not None:
        close()
    assert time.perf_counter() - t0 < 20.0  # far below the 30 s searches it abandoned


CHECKS: dict[str, Callable[[Executor], None]] = {
    "one_result_per_job": check_one_result_per_job,
    "killed_worker_is_a_failed_result": check_killed_worker_is_a_failed_result,
    "raising_job_is_unsolved": check_raising_job_is_unsolved,
    "matches_inline": check_matches_inline,
    "weights_reach_the_worker": check_weights_reach_the_worker,
    "bad_spec_raises_before_running": check_bad_spec_raises_before_running,
    "stopping_early_is_prompt": check_stopping_early_is_prompt,
}


def run_all(make: Callable[[], Executor]) -> None:
    """Every check on a fresh executor each."""
    for check in CHECKS.values():
        with make() as executor:
            check(executor)
