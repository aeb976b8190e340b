"""List tasks: DreamCoder's JSON task format, the shipped benchmark, and its train/test split.

File format (DreamCoder's `data/list_tasks.json`): a JSON list of tasks

    {"name": "sum", "type": {"input": "list-of-int", "output": "int"},
     "examples": [{"i": [1, 2], "o": 3}, ...]}

`"input"` is one type name for a one-argument task, or a list of type names for a task of that
many arguments, whose examples then give `"i"` as a list with one value per argument
(`"input": ["int", "list-of-int"]`, `"i": [3, [1, 2]]`). Type names are `int`, `bool` and
`list-of-X` for any type name X (`list-of-list-of-int`). Values are checked against their
declared types; `true`/`false` are not ints. Every problem is reported as a `TaskFileError`
naming the file, the task (name and index) and the field. An optional `"held_out"` list, of
the shape of `"examples"`, holds examples a search never sees: benchmarks check a found program
on them (`Task.held_out`); other keys are ignored. `dump_tasks` writes this format.

Bounds (`LIMITS`), so a hostile file is refused before it can take the machine's memory or
time: at most 4 MiB per file, JSON nested at most 32 deep, list types at most 16 deep, at most
10,000 values (list elements and lists, counted through nesting) in one input or output,
100,000 in one task and 1,000,000 in one file, integers within +/-2**62, task names of at most
1,000 characters of valid Unicode (no lone surrogates). The shipped benchmark is far inside them
(its longest list has 25 elements).

Split (`SPLIT_RULE`): order the tasks by the SHA-256 of their UTF-8 name (ties impossible, names
are unique), the first ceil(n/2) are the training tasks, the rest the test tasks; each half is
returned sorted by name. It depends on the names only: not on file order, Python's hash seed or
any random state, so figures stay comparable between runs. On the 217 DreamCoder tasks it gives
109 training and 108 test tasks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from hylo.core.task import Example, Task
from hylo.core.types import BOOL, INT, TCon, Type, arguments, arrow, returns, tlist

BUILTIN_FILE = "dreamcoder_list_tasks.json"

SPLIT_RULE = (
    "rank tasks by sha256(name as UTF-8) in hex; the first ceil(n/2) are train, "
    "the rest test; each half sorted by name"
)


class TaskFileError(ValueError):
    """A task file is malformed; the message names the file, the task and the field."""


@dataclass(frozen=True)
class Limits:
    """Input bounds of a task file (see the module docstring)."""

    file_bytes: int = 4 * 1024 * 1024
    json_depth: int = 32
    type_depth: int = 16
    value_size: int = 10_000
    task_size: int = 100_000
    file_size: int = 1_000_000
    int_bound: int = 2**62
    name_length: int = 1_000


LIMITS = Limits()


def json_depth_exceeds(text: str, limit: int) -> int | None:
    """The offset where `text` first nests arrays/objects deeper than `limit`, else None.

    A plain scan (strings skipped), so 100,000 nested brackets cost one pass instead of
    overflowing `json`'s recursion.
    """
    depth = 0
    in_string = False
    escaped = False
    for pos, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return pos
        elif ch in "]}":
            depth -= 1
    return None


# ------------------------------------------------------------------ types and values
_BASE = {"int": INT, "bool": BOOL}
_LIST_PREFIX = "list-of-"


def parse_type_name(name: str) -> Type:
    """`list-of-list-of-int` -> `list(list(int))`. Raises ValueError on an unknown name."""
    depth = 0
    rest = name
    while rest.startswith(_LIST_PREFIX):
        rest = rest[len(_LIST_PREFIX) :]
        depth += 1
        if depth > LIMITS.type_depth:
            raise ValueError(f"type nested deeper than {LIMITS.type_depth} lists")
    if rest not in _BASE:
        raise ValueError(f"unknown type {name!r} (known: int, bool, list-of-<type>)")
    t: Type = _BASE[rest]
    for _ in range(depth):
        t = tlist(t)
    return t


class _Budget:
    """How many more values a value, a task and a file may hold (see `Limits`)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.file = limits.file_size
        self.task = limits.task_size
        self.value = limits.value_size

    def take(self, where: str) -> str | None:
        self.file -= 1
        self.task -= 1
        self.value -= 1
        if self.value < 0:
            return f"{where}: too large: more than {self.limits.value_size} values in one value"
        if self.task < 0:
            return f"{where}: too large: more than {self.limits.task_size} values in one task"
        if self.file < 0:
            return f"{where}: too large: more than {self.limits.file_size} values in the file"
        return None


def _check_value(value: Any, t: Type, where: str, budget: _Budget | None = None) -> str | None:
    """None if `value` has type `t`, else a message `where: expected ..., got ...`."""
    if budget is None:
        budget = _Budget(LIMITS)
    too_big = budget.take(where)
    if too_big:
        return too_big
    if t == INT:
        if type(value) is int:
            if abs(value) > budget.limits.int_bound:
                return f"{where}: integer out of range (|x| <= 2**62)"
            return None
        return f"{where}: expected int, got {_show(value)}"
    if t == BOOL:
        if type(value) is bool:
            return None
        return f"{where}: expected bool, got {_show(value)}"
    # the only other types parse_type_name builds are lists
    if not isinstance(value, list):
        return f"{where}: expected a list, got {_show(value)}"
    assert isinstance(t, TCon) and t.name == "list"
    elem = t.args[0]
    for k, v in enumerate(value):
        err = _check_value(v, elem, f"{where}[{k}]", budget)
        if err:
            return err
    return None


def _show(value: Any) -> str:
    if isinstance(value, list | dict):  # never serialise a huge or deep value just to show it
        kind = "a list" if isinstance(value, list) else "an object"
        return f"{kind} of {len(value)} items"
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ------------------------------------------------------------------ loading
def load_tasks(path: str | Path) -> list[Task]:
    """Read a task file in DreamCoder's JSON format (see the module docstring)."""
    p = Path(path)
    try:
        if p.exists() and not p.is_file():  # a FIFO or device would block or never end
            raise TaskFileError(f"{p}: cannot read: not a regular file")
        with p.open("rb") as f:
            raw = f.read(LIMITS.file_bytes + 1)
    except OSError as e:
        raise TaskFileError(f"{p}: cannot read: {e.strerror or e}") from None
    if len(raw) > LIMITS.file_bytes:
        raise TaskFileError(f"{p}: too large: more than {LIMITS.file_bytes} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TaskFileError(f"{p}: not UTF-8 text (byte {e.start})") from None
    return parse_tasks(text, str(p))


def parse_tasks(text: str, source: str) -> list[Task]:
    """Tasks from the JSON `text` of a task file; `source` names the file in error messages."""
    if len(text) > LIMITS.file_bytes:
        raise TaskFileError(f"{source}: too large: more than {LIMITS.file_bytes} characters")
    deep = json_depth_exceeds(text, LIMITS.json_depth)
    if deep is not None:
        raise TaskFileError(
            f"{source}: nested deeper than {LIMITS.json_depth} levels (at character {deep})"
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise TaskFileError(
            f"{source}: not valid JSON: line {e.lineno} column {e.colno}: {e.msg}"
        ) from None
    except (ValueError, RecursionError) as e:  # e.g. an integer of more than 4300 digits
        raise TaskFileError(f"{source}: not valid JSON: {e}") from None
    budget = _Budget(LIMITS)
    if not isinstance(data, list):
        raise TaskFileError(
            f"{source}: top level: expected a list of tasks, got {type(data).__name__}"
        )
    tasks: list[Task] = []
    first_index: dict[str, int] = {}
    for i, raw in enumerate(data):
        task = _parse_task(raw, i, source, budget)
        if task.name in first_index:
            raise TaskFileError(
                f"{source}: task {task.name!r} (#{i}): name: duplicate of task #"
                f"{first_index[task.name]}"
            )
        first_index[task.name] = i
        tasks.append(task)
    return tasks


def _parse_task(raw: Any, i: int, source: str, budget: _Budget) -> Task:
    label = f"task #{i}"
    budget.task = budget.limits.task_size

    def fail(field: str, message: str) -> TaskFileError:
        return TaskFileError(f"{source}: {label}: {field}: {message}")

    if not isinstance(raw, dict):
        raise fail("(task)", f"expected an object, got {_show(raw)}")
    if "name" not in raw:
        raise fail("name", "missing")
    name = raw["name"]
    if not isinstance(name, str) or not name:
        raise fail("name", f"expected a non-empty string, got {_show(name)}")
    if len(name) > LIMITS.name_length:
        raise fail("name", f"longer than {LIMITS.name_length} characters")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise fail("name", "not valid Unicode (a lone surrogate)") from None
    label = f"task {name!r} (#{i})"

    inputs, output = _parse_signature(raw, fail)

    if "examples" not in raw:
        raise fail("examples", "missing")
    raw_examples = raw["examples"]
    if not isinstance(raw_examples, list):
        raise fail("examples", f"expected a list, got {_show(raw_examples)}")
    if not raw_examples:
        raise fail("examples", "empty: a task needs at least one example")
    several = isinstance(raw["type"]["input"], list)
    examples = _parse_examples(raw_examples, "examples", inputs, output, several, label, source,
                               budget, fail)
    held_out: tuple[Example, ...] = ()
    if "held_out" in raw:  # optional: examples a search never sees (benchmarks check them)
        raw_held = raw["held_out"]
        if not isinstance(raw_held, list):
            raise fail("held_out", f"expected a list, got {_show(raw_held)}")
        held_out = _parse_examples(raw_held, "held_out", inputs, output, several, label, source,
                                   budget, fail)
    return Task(name, arrow(*inputs, output), examples, held_out)


def _parse_examples(
    raw_examples: list[Any], section: str, inputs: list[Type], output: Type, several: bool,
    label: str, source: str, budget: _Budget, fail: Callable[[str, str], TaskFileError],
) -> tuple[Example, ...]:
    """The examples under `section` ("examples" or "held_out") of one task."""
    examples = []
    for k, ex in enumerate(raw_examples):
        where = f"{section}[{k}]"
        if not isinstance(ex, dict):
            raise fail(where, f"expected an object with 'i' and 'o', got {_show(ex)}")
        for key in ("i", "o"):
            if key not in ex:
                raise fail(f"{where}.{key}", "missing")
        if several:
            values = ex["i"]
            if not isinstance(values, list) or len(values) != len(inputs):
                raise fail(
                    f"{where}.i",
                    f"expected a list of {len(inputs)} inputs, got {_show(values)}",
                )
            fields = [f"{where}.i[{j}]" for j in range(len(inputs))]
        else:
            values = [ex["i"]]
            fields = [f"{where}.i"]
        for value, t, field in zip(values, inputs, fields, strict=True):
            budget.value = budget.limits.value_size
            err = _check_value(value, t, field, budget)
            if err:
                raise TaskFileError(f"{source}: {label}: {err}")
        budget.value = budget.limits.value_size
        err = _check_value(ex["o"], output, f"{where}.o", budget)
        if err:
            raise TaskFileError(f"{source}: {label}: {err}")
        examples.append(Example(tuple(values), ex["o"]))
    return tuple(examples)


def dump_tasks(tasks: list[Task], extras: dict[str, dict[str, Any]] | None = None) -> str:
    """`tasks` as the text of a task file (the inverse of `parse_tasks`), held-out examples
    under `"held_out"`; `extras[name]` adds keys to that task's object (the loader ignores
    keys it does not know)."""
    out = []
    for t in tasks:
        names = [type_name(a) for a in arguments(t.request)]
        several = len(names) != 1

        def pair(e: Example, several: bool = several) -> dict[str, Any]:
            return {"i": list(e.inputs) if several else e.inputs[0], "o": e.output}

        entry: dict[str, Any] = {
            "name": t.name,
            "type": {"input": names if several else names[0],
                     "output": type_name(returns(t.request))},
            "examples": [pair(e) for e in t.examples],
        }
        if t.held_out:
            entry["held_out"] = [pair(e) for e in t.held_out]
        entry.update((extras or {}).get(t.name, {}))
        out.append(entry)
    return json.dumps(out, indent=1)


def type_name(t: Type) -> str:
    """`list(list(int))` -> `list-of-list-of-int` (the inverse of `parse_type_name`)."""
    if t in (INT, BOOL):
        return "int" if t == INT else "bool"
    if isinstance(t, TCon) and t.name == "list" and len(t.args) == 1:
        return _LIST_PREFIX + type_name(t.args[0])
    raise ValueError(f"type {t} has no name in the task file format")


def _parse_signature(
    raw: dict[str, Any], fail: Callable[[str, str], TaskFileError]
) -> tuple[list[Type], Type]:
    if "type" not in raw:
        raise fail("type", "missing")
    sig = raw["type"]
    if not isinstance(sig, dict):
        raise fail("type", f"expected an object with 'input' and 'output', got {_show(sig)}")
    for key in ("input", "output"):
        if key not in sig:
            raise fail(f"type.{key}", "missing")

    def one(name: Any, field: str) -> Type:
        if not isinstance(name, str):
            raise fail(field, f"expected a type name, got {_show(name)}")
        try:
            return parse_type_name(name)
        except ValueError as e:
            raise fail(field, str(e)) from None

    raw_in = sig["input"]
    if isinstance(raw_in, list):
        if not raw_in:
            raise fail("type.input", "expected at least one input type")
        inputs = [one(n, f"type.input[{j}]") for j, n in enumerate(raw_in)]
    else:
        inputs = [one(raw_in, "type.input")]
    return inputs, one(sig["output"], "type.output")


def builtin_tasks() -> list[Task]:
    """DreamCoder's 217 list tasks, shipped with hylo as package data."""
    resource = files("hylo.domains.lists").joinpath("data", BUILTIN_FILE)
    return parse_tasks(resource.read_text(encoding="utf-8"), BUILTIN_FILE)


# ------------------------------------------------------------------ split
def _rank_key(task: Task) -> str:
    return hashlib.sha256(task.name.encode("utf-8")).hexdigest()


def split(tasks: list[Task]) -> tuple[list[Task], list[Task]]:
    """(train, test) by `SPLIT_RULE`. Raises ValueError if two tasks share a name."""
    names = [t.name for t in tasks]
    if len(set(names)) != len(names):
        raise ValueError("split needs unique task names")
    ranked = sorted(sorted(tasks, key=lambda t: t.name), key=_rank_key)
    n_train = (len(ranked) + 1) // 2
    train = sorted(ranked[:n_train], key=lambda t: t.name)
    test = sorted(ranked[n_train:], key=lambda t: t.name)
    return train, test
