"""The library store: one small contract, several backends.

`Store` is what the rest of hylo writes runs, tasks, solutions, attempts, library entries
(primitives, abstractions, grammars), iteration checkpoints, neural modules and metadata to.
Two backends implement it: `SQLiteStore` (the embedded default, `hylo.db`) and `MemoryStore`
(tests, throw-away runs). A new backend proves itself by passing
`hylo.library.conformance`.

What the store promises:
- Records come back as frozen dataclasses holding fresh objects: mutating a returned dict never
  changes what is stored.
- Free-form dicts (config, summary, metrics, provenance, spec, examples, metadata) are stored as
  JSON; they come back as JSON gives them back (tuples become lists, keys become strings). A value
  JSON cannot encode is refused with `StoreError`. Nothing is ever pickled.
- Programs and types are opaque text (s-expressions, type strings); the store never parses them
  (`hylo.library.grammar_store` does, against a domain's DSL, when it loads a grammar).
- The library is scoped by domain: abstractions are named uniquely within their domain and a
  grammar is keyed by (domain, iteration), so several domains learn into one file apart.
- A run records the pid and host of the process that runs it, so a 'running' run whose process
  died can be told apart (`hylo.library.runs.run_state`).
- A damaged row (JSON that does not parse, say) is a `StoreError` naming it when read.
- Every write is atomic. `transaction()` groups writes: all of them commit or none do; nested
  transactions are savepoints of the outer one.
- Listings come back in a stable order, stated on each method (mostly: the order first written).
- A Store object may be shared between threads; its operations are serialised, and a transaction
  holds the store for its duration.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "RUN_STATUSES",
    "AbstractionRecord",
    "AttemptRecord",
    "IterationRecord",
    "ModuleRecord",
    "PrimitiveRecord",
    "RunRecord",
    "SolutionRecord",
    "Store",
    "StoreError",
    "TaskRecord",
]

# 'interrupted': the run's process was stopped (Ctrl-C, a signal) before it finished.
RUN_STATUSES = ("running", "finished", "failed", "interrupted")
FINAL_STATUSES = RUN_STATUSES[1:]


class StoreError(Exception):
    """Misuse of a store (unknown run, duplicate name, bad value) or an unusable database file."""


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class RunRecord:
    id: int
    kind: str
    config: dict[str, Any]
    summary: dict[str, Any]  # {} while running
    status: str  # one of RUN_STATUSES
    started_at: float  # unix time
    finished_at: float | None  # None while running
    pid: int | None = None  # the process that runs (or ran) it; None when not known
    host: str = ""  # that process's host name


@dataclass(frozen=True)
class TaskRecord:
    name: str
    domain: str
    request: str  # type string
    examples: list[Any]


@dataclass(frozen=True)
class SolutionRecord:
    id: int
    run_id: int
    task: str
    program: str  # s-expression
    description_length: float
    seconds: float
    candidates: int
    iteration: int | None
    domain: str
    created_at: float


@dataclass(frozen=True)
class AttemptRecord:
    id: int
    run_id: int
    task: str
    solved: bool
    seconds: float
    candidates: int
    error: str | None
    iteration: int | None
    created_at: float


@dataclass(frozen=True)
class PrimitiveRecord:
    name: str
    type: str
    domain: str


@dataclass(frozen=True)
class AbstractionRecord:
    domain: str
    name: str
    body: str  # s-expression
    type: str
    iteration: int
    provenance: dict[str, Any]
    created_at: float


@dataclass(frozen=True)
class IterationRecord:
    run_id: int
    iteration: int
    metrics: dict[str, Any]
    finished_at: float


@dataclass(frozen=True)
class ModuleRecord:
    name: str
    version: int  # 1, 2, ... per name
    kind: str
    spec: dict[str, Any]
    weights: bytes = field(repr=False)  # opaque (e.g. safetensors); kept out of repr
    metrics: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0


# ---------------------------------------------------------------------------------------------
# Helpers shared by the backends. Both keep rows as mappings whose JSON columns hold text and
# turn them into records through the same functions below, so they decode identically.


def encode_json(value: Any, what: str) -> str:
    """JSON text for `value`, or `StoreError` saying which field could not be encoded."""
    try:
        return json.dumps(value, allow_nan=True)
    except (TypeError, ValueError) as error:
        raise StoreError(f"{what} must be JSON-serialisable: {error}") from error


def decode_json(text: Any, what: str = "a stored value") -> Any:
    """The JSON value stored as `text`; `StoreError` when the row was damaged (not JSON, nested
    deeper than the parser goes)."""
    if not isinstance(text, str):
        raise StoreError(f"the library holds {what} that is not JSON text")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise StoreError(f"the library holds {what} that is not valid JSON ({error})") from None


def check_text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise StoreError(f"{what} must be a string, got {type(value).__name__}")
    return value


def check_name(value: Any, what: str) -> str:
    if not check_text(value, what):
        raise StoreError(f"{what} must be a non-empty string")
    return value


def check_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StoreError(f"{what} must be an int, got {value!r}")
    return value


def check_optional_int(value: Any, what: str) -> int | None:
    return None if value is None else check_int(value, what)


def check_float(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StoreError(f"{what} must be a number, got {value!r}")
    return float(value)


def check_dict(value: Any, what: str) -> str:
    """Validate a free-form dict and return its JSON text."""
    if not isinstance(value, dict):
        raise StoreError(f"{what} must be a dict, got {type(value).__name__}")
    return encode_json(value, what)


def check_weights(weights: Any) -> bytes:
    if not isinstance(weights, bytes | bytearray | memoryview):
        raise StoreError(f"module weights must be bytes, got {type(weights).__name__}")
    return bytes(weights)


def clean_grammar(weights: Any) -> dict[str, float]:
    """Production log-weights as floats, or `StoreError`: a dict of names to numbers, no NaN
    (-inf is allowed: a production the grammar never uses)."""
    if not isinstance(weights, dict):
        raise StoreError(f"grammar weights must be a dict, got {type(weights).__name__}")
    clean: dict[str, float] = {}
    for name, weight in weights.items():
        check_name(name, "grammar production name")
        value = check_float(weight, f"grammar weight of {name!r}")
        if math.isnan(value):
            raise StoreError(f"grammar weight of {name!r} is NaN")
        clean[name] = value
    return clean


def check_grammar(weights: Any) -> str:
    """Validate production log-weights and return their JSON text."""
    return encode_json(clean_grammar(weights), "grammar weights")


def decode_grammar(text: Any, domain: str, iteration: int) -> dict[str, float]:
    what = f"a grammar row (domain {domain!r}, iteration {iteration})"
    weights = decode_json(text, what)
    try:
        return clean_grammar(weights)
    except StoreError as error:
        raise StoreError(f"{what} is damaged: {error}") from None


def check_meta(value: Any) -> str:
    if not isinstance(value, dict | list | str | int | float | bool) and value is not None:
        raise StoreError(f"metadata values must be JSON data, got {type(value).__name__}")
    return encode_json(value, "metadata value")


def check_status(status: Any) -> str:
    if status not in FINAL_STATUSES:
        raise StoreError(f"a run finishes as one of {FINAL_STATUSES}, not {status!r}")
    return status


def run_from_row(row: Mapping[str, Any]) -> RunRecord:
    what = f"run {row['id']}"
    return RunRecord(
        id=row["id"],
        kind=row["kind"],
        config=decode_json(row["config"], f"a config of {what}"),
        summary=decode_json(row["summary"], f"a summary of {what}"),
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        pid=row["pid"],
        host=row["host"],
    )


def task_from_row(row: Mapping[str, Any]) -> TaskRecord:
    return TaskRecord(
        name=row["name"],
        domain=row["domain"],
        request=row["request"],
        examples=decode_json(row["examples"], f"examples of task {row['name']!r}"),
    )


def solution_from_row(row: Mapping[str, Any]) -> SolutionRecord:
    return SolutionRecord(
        id=row["id"],
        run_id=row["run_id"],
        task=row["task"],
        program=row["program"],
        description_length=row["description_length"],
        seconds=row["seconds"],
        candidates=row["candidates"],
        iteration=row["iteration"],
        domain=row["domain"],
        created_at=row["created_at"],
    )


def attempt_from_row(row: Mapping[str, Any]) -> AttemptRecord:
    return AttemptRecord(
        id=row["id"],
        run_id=row["run_id"],
        task=row["task"],
        solved=bool(row["solved"]),
        seconds=row["seconds"],
        candidates=row["candidates"],
        error=row["error"],
        iteration=row["iteration"],
        created_at=row["created_at"],
    )


def primitive_from_row(row: Mapping[str, Any]) -> PrimitiveRecord:
    return PrimitiveRecord(name=row["name"], type=row["type"], domain=row["domain"])


def abstraction_from_row(row: Mapping[str, Any]) -> AbstractionRecord:
    return AbstractionRecord(
        domain=row["domain"],
        name=row["name"],
        body=row["body"],
        type=row["type"],
        iteration=row["iteration"],
        provenance=decode_json(row["provenance"], f"provenance of abstraction {row['name']!r}"),
        created_at=row["created_at"],
    )


def iteration_from_row(row: Mapping[str, Any]) -> IterationRecord:
    return IterationRecord(
        run_id=row["run_id"],
        iteration=row["iteration"],
        metrics=decode_json(
            row["metrics"], f"metrics of iteration {row['iteration']} of run {row['run_id']}"
        ),
        finished_at=row["finished_at"],
    )


def module_from_row(row: Mapping[str, Any]) -> ModuleRecord:
    what = f"module {row['name']!r} version {row['version']}"
    return ModuleRecord(
        name=row["name"],
        version=row["version"],
        kind=row["kind"],
        spec=decode_json(row["spec"], f"a spec of {what}"),
        weights=bytes(row["weights"]),
        metrics=decode_json(row["metrics"], f"metrics of {what}"),
        provenance=decode_json(row["provenance"], f"provenance of {what}"),
        created_at=row["created_at"],
    )


# ---------------------------------------------------------------------------------------------
# The contract


class Store(ABC):
    """The persistent library: one contract, implemented by each backend.

    Writes raise `StoreError` on misuse (an unknown run id, a duplicate abstraction name, a value
    JSON cannot encode, a closed store) and leave the store unchanged when they do. Query filters
    that match nothing give empty results, not errors.
    """

    # -- runs ---------------------------------------------------------------------------------

    @abstractmethod
    def start_run(self, kind: str, config: dict) -> int:
        """Record a new run with status 'running', owned by this process (its pid and host are
        stored with it); return its id (positive, increasing)."""

    @abstractmethod
    def finish_run(self, run_id: int, summary: dict, status: str = "finished") -> None:
        """Close a running run as 'finished', 'failed' or 'interrupted'. A run finishes once."""

    @abstractmethod
    def adopt_run(self, run_id: int) -> None:
        """A 'running' run (left by a process that died) is resumed by this process: its pid
        and host become this process's."""

    @abstractmethod
    def runs(self) -> list[RunRecord]:
        """All runs, by id."""

    # -- tasks --------------------------------------------------------------------------------

    @abstractmethod
    def put_task(self, name: str, domain: str, request: str, examples: list) -> None:
        """Insert or replace the task (domain, name); a replaced task keeps its place."""

    @abstractmethod
    def tasks(self, domain: str | None = None) -> list[TaskRecord]:
        """Tasks (of one domain if given), in the order first written."""

    # -- solutions and attempts ---------------------------------------------------------------

    @abstractmethod
    def add_solution(
        self,
        run_id: int,
        task: str,
        program: str,
        description_length: float,
        seconds: float,
        candidates: int,
        iteration: int | None = None,
        domain: str = "",
    ) -> int:
        """Record a program that solves `task` in run `run_id`; return the solution's id."""

    @abstractmethod
    def solutions(self, run_id: int | None = None) -> list[SolutionRecord]:
        """Solutions (of one run if given), in the order written."""

    def best_solutions(self, run_id: int | None = None) -> dict[str, SolutionRecord]:
        """Per task name, the solution with the smallest description length (earliest on ties)."""
        best: dict[str, SolutionRecord] = {}
        for solution in self.solutions(run_id=run_id):
            current = best.get(solution.task)
            if current is None or solution.description_length < current.description_length:
                best[solution.task] = solution
        return best

    @abstractmethod
    def add_attempt(
        self,
        run_id: int,
        task: str,
        solved: bool,
        seconds: float,
        candidates: int,
        error: str | None = None,
        iteration: int | None = None,
    ) -> int:
        """Record one search attempt on a task, failed or not; return the attempt's id."""

    @abstractmethod
    def attempts(self, run_id: int | None = None) -> list[AttemptRecord]:
        """Attempts (of one run if given), in the order written."""

    # -- library entries ----------------------------------------------------------------------

    @abstractmethod
    def put_primitive(self, name: str, type: str, domain: str) -> None:
        """Insert or replace the primitive (domain, name); a replaced one keeps its place."""

    @abstractmethod
    def primitives(self, domain: str | None = None) -> list[PrimitiveRecord]:
        """Primitives (of one domain if given), in the order first written."""

    @abstractmethod
    def add_abstraction(
        self, domain: str, name: str, body: str, type: str, iteration: int, provenance: dict
    ) -> None:
        """Add a library abstraction of `domain`; names are unique within a domain (else
        StoreError); two domains may each have their own `fn_0`."""

    @abstractmethod
    def abstractions(
        self, up_to_iteration: int | None = None, domain: str | None = None
    ) -> list[AbstractionRecord]:
        """Abstractions (of one domain if given) with iteration <= up_to_iteration (all if
        None), by iteration then insertion."""

    @abstractmethod
    def set_grammar(self, domain: str, iteration: int, weights: dict[str, float]) -> None:
        """Store the production log-weights of a domain's iteration, replacing any stored for
        it."""

    @abstractmethod
    def grammar(self, domain: str, iteration: int | None = None) -> dict[str, float] | None:
        """That domain's log-weights at that iteration (its highest iteration's if None); None
        if there are none. A damaged row is a StoreError."""

    # -- iterations ---------------------------------------------------------------------------

    @abstractmethod
    def finish_iteration(self, run_id: int, iteration: int, metrics: dict) -> None:
        """Checkpoint: iteration `iteration` of run `run_id` is done. Once per (run, iteration)."""

    @abstractmethod
    def iterations(self, run_id: int | None = None) -> list[IterationRecord]:
        """Finished iterations (of one run if given), by run id then iteration."""

    def last_iteration(self, run_id: int) -> int | None:
        """The highest finished iteration of the run, None if none; StoreError for an unknown
        run."""
        check_int(run_id, "run_id")
        if run_id not in {run.id for run in self.runs()}:
            raise StoreError(f"unknown run id {run_id}")
        return max((it.iteration for it in self.iterations(run_id)), default=None)

    # -- neural modules -----------------------------------------------------------------------

    @abstractmethod
    def put_module(
        self,
        name: str,
        kind: str,
        spec: dict,
        weights: bytes,
        metrics: dict,
        provenance: dict,
    ) -> int:
        """Store a new version of module `name`; return its version (1, 2, ... per name)."""

    @abstractmethod
    def get_module(self, name: str, version: int | None = None) -> ModuleRecord:
        """That version of the module (the latest if None); KeyError if there is none."""

    @abstractmethod
    def modules(self) -> list[ModuleRecord]:
        """Every version of every module, in the order written."""

    # -- metadata -----------------------------------------------------------------------------

    @abstractmethod
    def set_meta(self, key: str, value: dict | list | str | float | int) -> None:
        """Set a metadata value (JSON data), replacing any previous one."""

    @abstractmethod
    def get_meta(self, key: str, default: Any = None) -> Any:
        """The metadata value for `key`, or `default`."""

    # -- transactions and lifetime ------------------------------------------------------------

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Store]:
        """Group writes: they all commit at the end of the outermost block, or, if an exception
        leaves a block, that block's writes are undone and the exception propagates. An inner
        block is a savepoint of the outer one."""

    @abstractmethod
    def close(self) -> None:
        """Release the store; closing twice is fine, any other use afterwards is a StoreError."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

