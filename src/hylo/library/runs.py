"""Runs as the CLI and the learner use them: a scope that always closes the run, the one way a
search result is recorded, and whether a 'running' run's process is still alive.

A run's status is written by the process that runs it. A process killed outright (SIGKILL, a
power cut) cannot write anything, so its run stays 'running'; the run carries its pid and host,
and `run_state` tells such a run from a live one: 'interrupted' when its process is gone.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from hylo.core.task import Task
from hylo.core.types import show_type
from hylo.library.store import RunRecord, Store, StoreError


class SearchOutcome(Protocol):
    """What `record_result` reads of a search result (`hylo.search.base.SearchResult` has it;
    the library does not import the search layer)."""

    solved: bool
    program: str | None
    description_length: float | None
    seconds: float
    candidates: int
    stopped: str


@dataclass
class RunScope:
    """The run a `run_scope` block writes to; put the summary in `summary`."""

    id: int
    summary: dict[str, Any] = field(default_factory=dict)


@contextmanager
def run_scope(store: Store, kind: str, config: dict) -> Iterator[RunScope]:
    """Start a run; close it when the block ends: 'finished' with `scope.summary`, 'interrupted'
    on KeyboardInterrupt or SystemExit, 'failed' on any other exception (its type and message
    go into the summary under 'error'). The exception propagates."""
    scope = RunScope(store.start_run(kind, config))
    try:
        yield scope
    except (KeyboardInterrupt, SystemExit) as error:
        _close(store, scope, "interrupted", type(error).__name__)
        raise
    except BaseException as error:
        _close(store, scope, "failed", f"{type(error).__name__}: {error}"[:500])
        raise
    store.finish_run(scope.id, scope.summary)


def _close(store: Store, scope: RunScope, status: str, error: str) -> None:
    try:
        store.finish_run(scope.id, {**scope.summary, "error": error}, status)
    except StoreError:  # the store itself broke: the original error is the one to report
        pass


def record_result(
    store: Store,
    run_id: int,
    domain: str,
    task: Task,
    result: SearchOutcome,
    iteration: int | None = None,
) -> None:
    """Record one search of `task` in run `run_id`, in one transaction: the task (upserted),
    the attempt, and the solution when solved. The task's examples are stored when they are
    JSON data (lists, numbers, strings...); a domain whose values are not is stored without
    examples rather than refused."""
    with store.transaction():
        put_task_of(store, domain, task)
        error = None if result.solved else (result.stopped or "unsolved")
        store.add_attempt(run_id, task.name, result.solved, result.seconds, result.candidates,
                          error, iteration)
        if result.solved and result.program is not None:
            store.add_solution(run_id, task.name, result.program,
                               float(result.description_length or 0.0), result.seconds,
                               result.candidates, iteration, domain)


def put_task_of(store: Store, domain: str, task: Task) -> None:
    """Upsert `task` with its examples as JSON data (arrays and grids through `tolist()`), or
    without examples where its values are not JSON data."""
    request = show_type(task.request)
    try:
        store.put_task(task.name, domain, request, _examples_json(task))
    except StoreError:
        store.put_task(task.name, domain, request, [])


def _examples_json(task: Task) -> list:
    return [{"i": [_plain(x) for x in e.inputs], "o": _plain(e.output)} for e in task.examples]


def _plain(value: Any) -> Any:
    """JSON-friendly form of a value: tuples as lists, arrays through `tolist()`."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value


# ------------------------------------------------------------------ is the run's process alive?
def process_alive(pid: int | None, host: str) -> bool | None:
    """True/False when `pid` on `host` is this machine's and we can tell; None when not."""
    if pid is None or host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    except OSError:
        return None
    return True


def run_state(run: RunRecord) -> str:
    """The run's status as a user should read it: a 'running' run whose process is gone
    (on this host) is 'interrupted'; on another host it stays 'running' (we cannot tell)."""
    if run.status == "running" and process_alive(run.pid, run.host) is False:
        return "interrupted"
    return run.status


@dataclass(frozen=True)
class RunView:
    """One line of `hylo library show`'s runs table."""

    id: int
    kind: str
    state: str  # run_state(run)
    attempted: int
    solved: int
    wall_seconds: float | None
    where: str  # "pid 123 on host" or ""


def describe_runs(store: Store) -> list[RunView]:
    """Every run with its live state and what it did (from its attempts, so a run that never
    finished still shows how far it got)."""
    counts: dict[int, list[int]] = {}
    for attempt in store.attempts():
        seen = counts.setdefault(attempt.run_id, [0, 0])
        seen[0] += 1
        seen[1] += attempt.solved
    out = []
    for run in store.runs():
        attempted, solved = counts.get(run.id, [0, 0])
        summary = run.summary
        if isinstance(summary.get("total"), int) and isinstance(summary.get("solved"), int):
            attempted, solved = summary["total"], summary["solved"]
        wall = summary.get("wall_seconds")
        out.append(RunView(
            id=run.id,
            kind=run.kind,
            state=run_state(run),
            attempted=attempted,
            solved=solved,
            wall_seconds=float(wall) if isinstance(wall, int | float) else None,
            where=f"pid {run.pid} on {run.host}" if run.pid is not None else "",
        ))
    return out
