"""Tasks of the general domain: hylo's task files and SyGuS string problems (PSB1: `psb1`).

Readers under one set of rules (files are untrusted):

- hylo's task file (`load_tasks`, `parse_tasks`; `dump_tasks` writes it): a JSON list of
  `{"name", "type": {"input", "output"}, "examples": [{"i", "o"}], "held_out"?, "constants"?}`
  as the lists domain reads, with the general types. A type name is `int`, `float`, `bool`,
  `char`, `str` (or `string`), `list-of-X`, or a type's text such as `list(str)` or
  `pair(str, int)`. `"input"` is one type name or a list of them (then `"i"` is a list with one
  value per input). A `float` accepts a JSON integer; a `char` is a string of one character; a
  `pair` is a JSON list of two values. `"constants"` (optional) maps a type name (`string`,
  `str`, `int`, `float`, `char`, `list(int)`) to a list of values: they join that task's grammar
  (`GeneralTask.constants`, `task_constants`). Repeated examples (same inputs and output) are
  kept once.
- SyGuS PBE strings (`load_sygus`): the same format (the 2017 track as converted in
  `shared/data/sygus-strings`, `"constants": {"string": [...], "int": [...]}`); its `-long-repeat`
  variants repeat examples, which are kept once.
- A PSB1 problem directory: `hylo.domains.general.psb1`, with the same bounds.

Bounds (`LIMITS`): 4 MiB per file, JSON nested at most 32 deep, types at most 8 deep and 200
characters long, 10,000 values in one input or output (list elements and lists, counted through
nesting), 1,000,000 in one task and in one file, strings of at most 10,000 characters of valid
Unicode, integers within +/-2**62, floats finite (`NaN` and `Infinity` are refused), task names
of at most 1,000 characters, at most 64 constants per task (strings of at most 1,000
characters). Every problem is a `TaskFileError` (a `ValueError`) naming the file, the task and
the field; nothing is ever evaluated.

Split (`SPLIT_RULE`, as the lists domain's): rank tasks by the SHA-256 of their name, the first
ceil(n/2) are the training tasks, the rest the test tasks, each half sorted by name.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from hylo.core.task import Example, Task
from hylo.core.types import TCon, Type, TypeParseError, arguments, arrow, parse_type, returns
from hylo.domains.general.literals import (
    BOOL,
    CHAR,
    FLOAT,
    INT,
    INT_LIST,
    STR,
    literal_name,
    literal_value,
)
from hylo.domains.general.values import value_key

BUILTIN_FILE = "general_tasks.json"
SPLIT_RULE = (
    "rank tasks by sha256(name as UTF-8) in hex; the first ceil(n/2) are train, "
    "the rest test; each half sorted by name"
)


class TaskFileError(ValueError):
    """A task file is malformed; the message names the file, the task and the field."""


@dataclass(frozen=True)
class GeneralTask(Task):
    """A task with constants of its own: literal names (`hylo.domains.general.primitives`)
    that join this task's grammar."""

    constants: tuple[str, ...] = ()


def task_constants_of(task: Task) -> tuple[str, ...]:
    return tuple(getattr(task, "constants", ()))


@dataclass(frozen=True)
class Limits:
    """Input bounds of a task file (see the module docstring)."""

    file_bytes: int = 4 * 1024 * 1024
    json_depth: int = 32
    type_depth: int = 8
    type_chars: int = 200
    value_size: int = 10_000
    task_size: int = 1_000_000
    file_size: int = 1_000_000
    string_chars: int = 10_000
    int_bound: int = 2**62
    name_length: int = 1_000
    constants: int = 64


LIMITS = Limits()


# ------------------------------------------------------------------ raw text
def json_depth_exceeds(text: str, limit: int) -> int | None:
    """The offset where `text` first nests arrays/objects deeper than `limit`, else None (a
    plain scan, so deep nesting is refused before `json` recurses into it)."""
    if text.count("[") + text.count("{") <= limit:  # the common case, without the scan
        return None
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


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def loads_json(text: str, source: str) -> Any:
    deep = json_depth_exceeds(text, LIMITS.json_depth)
    if deep is not None:
        raise TaskFileError(
            f"{source}: nested deeper than {LIMITS.json_depth} levels (at character {deep})")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as e:
        raise TaskFileError(
            f"{source}: not valid JSON: line {e.lineno} column {e.colno}: {e.msg}") from None
    except (ValueError, RecursionError) as e:  # NaN, an integer of more than 4300 digits
        raise TaskFileError(f"{source}: not valid JSON: {e}") from None


def read_text(path: Path) -> str:
    try:
        if path.exists() and not path.is_file():  # a FIFO would block, a device never end
            raise TaskFileError(f"{path}: cannot read: not a regular file")
        with path.open("rb") as f:
            raw = f.read(LIMITS.file_bytes + 1)
    except OSError as e:
        raise TaskFileError(f"{path}: cannot read: {e.strerror or e}") from None
    if len(raw) > LIMITS.file_bytes:
        raise TaskFileError(f"{path}: too large: more than {LIMITS.file_bytes} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TaskFileError(f"{path}: not UTF-8 text (byte {e.start})") from None


def show_value(value: Any) -> str:
    if isinstance(value, list | dict):  # never serialise a huge or deep value just to show it
        kind = "a list" if isinstance(value, list) else "an object"
        return f"{kind} of {len(value)} items"
    text = repr(value) if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ------------------------------------------------------------------ types
_BASE = {"int": INT, "float": FLOAT, "bool": BOOL, "char": CHAR, "str": STR, "string": STR}
_ARITY = {"list": 1, "pair": 2}
_LIST_PREFIX = "list-of-"


def parse_type_name(name: str) -> Type:
    """A task file's type name as a type; ValueError on an unknown or oversized one."""
    if len(name) > LIMITS.type_chars:
        raise ValueError(f"type name longer than {LIMITS.type_chars} characters")
    depth = 0
    rest = name
    while rest.startswith(_LIST_PREFIX):
        rest = rest[len(_LIST_PREFIX):]
        depth += 1
    if rest in _BASE:
        t: Type = _BASE[rest]
        for _ in range(depth):
            t = TCon("list", (t,))
    else:
        try:
            t = parse_type(name)
        except (TypeParseError, RecursionError):
            raise ValueError(f"unknown type {name!r} (known: int, float, bool, char, str, "
                             "list(T), list-of-T, pair(A, B))") from None
        t = _known(t, name)
    if _depth(t) > LIMITS.type_depth:
        raise ValueError(f"type nested deeper than {LIMITS.type_depth}")
    return t


def _known(t: Type, name: str) -> Type:
    if not isinstance(t, TCon):
        raise ValueError(f"type {name!r} has a type variable")
    if not t.args:
        if t.name in _BASE and t.name != "string":
            return t
        raise ValueError(f"unknown type {t.name!r} in {name!r}")
    if _ARITY.get(t.name) != len(t.args):
        raise ValueError(f"unknown type constructor {t.name!r} in {name!r}")
    return TCon(t.name, tuple(_known(a, name) for a in t.args))


def _depth(t: Type) -> int:
    return 1 + max((_depth(a) for a in t.args), default=0) if isinstance(t, TCon) else 1


def type_name(t: Type) -> str:
    """The name `parse_type_name` reads back: `int`, `list(str)`, `pair(str, int)`."""
    return str(t)


# ------------------------------------------------------------------ values
class Budget:
    """How many more values a value, a task and a file may hold (see `Limits`)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.file = limits.file_size
        self.task = limits.task_size
        self.value = limits.value_size

    def take(self, where: str) -> None:
        self.file -= 1
        self.task -= 1
        self.value -= 1
        if self.value < 0:
            raise ValueError(f"{where}: too large: more than {self.limits.value_size} values "
                             "in one value")
        if self.task < 0:
            raise ValueError(f"{where}: too large: more than {self.limits.task_size} values "
                             "in one task")
        if self.file < 0:
            raise ValueError(f"{where}: too large: more than {self.limits.file_size} values "
                             "in the file")


def convert(value: Any, t: Type, where: str, budget: Budget | None = None) -> Any:
    """`value` (from JSON) as a value of type `t` (ints become floats where floats are asked
    for, pairs tuples); ValueError `where: expected ..., got ...` if it is none."""
    if budget is None:
        budget = Budget(LIMITS)
    budget.take(where)
    assert isinstance(t, TCon)
    if t == INT:
        if type(value) is not int:
            raise ValueError(f"{where}: expected int, got {show_value(value)}")
        if abs(value) > budget.limits.int_bound:
            raise ValueError(f"{where}: integer out of range (|x| <= 2**62)")
        return value
    if t == FLOAT:
        if type(value) is int and abs(value) <= budget.limits.int_bound:
            return float(value)
        if type(value) is not float:
            raise ValueError(f"{where}: expected float, got {show_value(value)}")
        return value  # json never gives inf or nan here: parse_constant refuses them
    if t == BOOL:
        if type(value) is not bool:
            raise ValueError(f"{where}: expected bool, got {show_value(value)}")
        return value
    if t == STR or t == CHAR:
        if type(value) is not str:
            raise ValueError(f"{where}: expected {t}, got {show_value(value)}")
        if t == CHAR and len(value) != 1:
            raise ValueError(f"{where}: expected char (a string of one character), "
                             f"got {show_value(value)}")
        if len(value) > budget.limits.string_chars:
            raise ValueError(f"{where}: string longer than {budget.limits.string_chars} "
                             "characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{where}: not valid Unicode (a lone surrogate)") from None
        return value
    if t.name == "list":
        if not isinstance(value, list):
            raise ValueError(f"{where}: expected a list, got {show_value(value)}")
        return [convert(v, t.args[0], f"{where}[{k}]", budget) for k, v in enumerate(value)]
    if t.name == "pair":
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError(f"{where}: expected a pair (a list of two values), "
                             f"got {show_value(value)}")
        return (convert(value[0], t.args[0], f"{where}[0]", budget),
                convert(value[1], t.args[1], f"{where}[1]", budget))
    raise ValueError(f"{where}: no values of type {t}")


UNKNOWN = TCon("?")


def infer_value_type(value: Any, where: str, depth: int = 0) -> Type:
    """The type of a JSON value (`list(?)` for an empty list); ValueError for objects, mixed
    lists, or nesting beyond the type depth."""
    if depth > LIMITS.type_depth:
        raise ValueError(f"{where}: nested deeper than {LIMITS.type_depth}")
    if type(value) is bool:
        return BOOL
    if type(value) is int:
        return INT
    if type(value) is float:
        return FLOAT
    if type(value) is str:
        return STR
    if isinstance(value, list):
        elem: Type = UNKNOWN
        for k, v in enumerate(value):
            elem = join_types(elem, infer_value_type(v, f"{where}[{k}]", depth + 1),
                              f"{where}[{k}]")
        return TCon("list", (elem,))
    raise ValueError(f"{where}: no type for {show_value(value)}")


def join_types(a: Type, b: Type, where: str) -> Type:
    """The one type two values share: unknown parts filled, int widened to float."""
    if a == UNKNOWN:
        return b
    if b == UNKNOWN or a == b:
        return a
    if {a, b} == {INT, FLOAT}:
        return FLOAT
    if (isinstance(a, TCon) and isinstance(b, TCon) and a.name == b.name == "list"):
        return TCon("list", (join_types(a.args[0], b.args[0], where),))
    raise ValueError(f"{where}: mixed types {a} and {b}")


def settle_type(t: Type) -> Type:
    """Unknown element types (only empty lists seen) become int."""
    if t == UNKNOWN:
        return INT
    assert isinstance(t, TCon)
    return TCon(t.name, tuple(settle_type(a) for a in t.args)) if t.args else t


def output_type(types: list[Type]) -> Type:
    """One output type, or nested pairs for several (printed output first)."""
    out = types[-1]
    for t in reversed(types[:-1]):
        out = TCon("pair", (t, out))
    return out


def pack_outputs(values: list[Any]) -> Any:
    out = values[-1]
    for v in reversed(values[:-1]):
        out = (v, out)
    return out


# ------------------------------------------------------------------ constants
_CONSTANT_TYPES = {"string": STR, "str": STR, "int": INT, "float": FLOAT, "char": CHAR,
                   "list(int)": INT_LIST, "list-of-int": INT_LIST}


def parse_constants(raw: Any, fail: Callable[[str, str], TaskFileError]) -> tuple[str, ...]:
    """Literal names of a task's `"constants"` object (see the module docstring)."""
    if not isinstance(raw, dict):
        raise fail("constants", f"expected an object of type name -> values, got {show_value(raw)}")
    names: dict[str, None] = {}
    for key, values in raw.items():
        field = f"constants.{key}"
        t = _CONSTANT_TYPES.get(key)
        if t is None:
            raise fail(field, f"no constants of type {key!r} (known: string, int, float, char, "
                              "list(int))")
        if not isinstance(values, list):
            raise fail(field, f"expected a list, got {show_value(values)}")
        for k, v in enumerate(values):
            try:
                value = convert(v, t, f"{field}[{k}]")
                names[literal_name(t, value)] = None
            except ValueError as e:
                msg = str(e)
                raise fail(f"{field}[{k}]", msg.split(": ", 1)[-1]) from None
            if len(names) > LIMITS.constants:
                raise fail("constants", f"more than {LIMITS.constants} constants")
    return tuple(names)


# ------------------------------------------------------------------ hylo's task files
def load_tasks(path: str | Path) -> list[Task]:
    """Read a task file in hylo's format (see the module docstring); the domain's load_file."""
    p = Path(path)
    return parse_tasks(read_text(p), str(p))


def load_sygus(path: str | Path) -> list[Task]:
    """The SyGuS PBE strings problems of a JSON file (hylo's format; duplicates kept once)."""
    return load_tasks(path)


def parse_tasks(text: str, source: str) -> list[Task]:
    """Tasks from the JSON `text` of a task file; `source` names the file in error messages."""
    if len(text) > LIMITS.file_bytes:
        raise TaskFileError(f"{source}: too large: more than {LIMITS.file_bytes} characters")
    data = loads_json(text, source)
    if not isinstance(data, list):
        raise TaskFileError(
            f"{source}: top level: expected a list of tasks, got {type(data).__name__}")
    budget = Budget(LIMITS)
    tasks: list[Task] = []
    first_index: dict[str, int] = {}
    for i, raw in enumerate(data):
        task = _parse_task(raw, i, source, budget)
        if task.name in first_index:
            raise TaskFileError(f"{source}: task {task.name!r} (#{i}): name: duplicate of "
                                f"task #{first_index[task.name]}")
        first_index[task.name] = i
        tasks.append(task)
    return tasks


def _check_name(name: Any, fail: Callable[[str, str], TaskFileError]) -> str:
    if not isinstance(name, str) or not name:
        raise fail("name", f"expected a non-empty string, got {show_value(name)}")
    if len(name) > LIMITS.name_length:
        raise fail("name", f"longer than {LIMITS.name_length} characters")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise fail("name", "not valid Unicode (a lone surrogate)") from None
    return name


def _parse_task(raw: Any, i: int, source: str, budget: Budget) -> GeneralTask:
    label = f"task #{i}"
    budget.task = budget.limits.task_size

    def fail(field: str, message: str) -> TaskFileError:
        return TaskFileError(f"{source}: {label}: {field}: {message}")

    if not isinstance(raw, dict):
        raise fail("(task)", f"expected an object, got {show_value(raw)}")
    if "name" not in raw:
        raise fail("name", "missing")
    name = _check_name(raw["name"], fail)
    label = f"task {name!r} (#{i})"
    inputs, output, several = _parse_signature(raw, fail)
    if "examples" not in raw:
        raise fail("examples", "missing")
    examples = _parse_examples(raw["examples"], "examples", inputs, output, several, budget,
                               fail)
    if not examples:
        raise fail("examples", "empty: a task needs at least one example")
    held_out: tuple[Example, ...] = ()
    if "held_out" in raw:
        held_out = _parse_examples(raw["held_out"], "held_out", inputs, output, several, budget,
                                   fail)
    constants = parse_constants(raw["constants"], fail) if "constants" in raw else ()
    return GeneralTask(name, arrow(*inputs, output), examples, held_out, constants=constants)


def _parse_signature(raw: dict[str, Any], fail: Callable[[str, str], TaskFileError]
                     ) -> tuple[list[Type], Type, bool]:
    if "type" not in raw:
        raise fail("type", "missing")
    sig = raw["type"]
    if not isinstance(sig, dict):
        raise fail("type", f"expected an object with 'input' and 'output', got {show_value(sig)}")
    for key in ("input", "output"):
        if key not in sig:
            raise fail(f"type.{key}", "missing")

    def one(name: Any, field: str) -> Type:
        if not isinstance(name, str):
            raise fail(field, f"expected a type name, got {show_value(name)}")
        try:
            return parse_type_name(name)
        except ValueError as e:
            raise fail(field, str(e)) from None

    raw_in = sig["input"]
    several = isinstance(raw_in, list)
    if several:
        if not raw_in:
            raise fail("type.input", "expected at least one input type")
        if len(raw_in) > 16:
            raise fail("type.input", "more than 16 inputs")
        inputs = [one(n, f"type.input[{j}]") for j, n in enumerate(raw_in)]
    else:
        inputs = [one(raw_in, "type.input")]
    return inputs, one(sig["output"], "type.output"), several


def _parse_examples(raw_examples: Any, section: str, inputs: list[Type], output: Type,
                    several: bool, budget: Budget,
                    fail: Callable[[str, str], TaskFileError]) -> tuple[Example, ...]:
    """The examples under `section` of one task, each distinct one once, in file order."""
    if not isinstance(raw_examples, list):
        raise fail(section, f"expected a list, got {show_value(raw_examples)}")
    examples: dict[Any, Example] = {}
    for k, ex in enumerate(raw_examples):
        where = f"{section}[{k}]"
        if not isinstance(ex, dict):
            raise fail(where, f"expected an object with 'i' and 'o', got {show_value(ex)}")
        for key in ("i", "o"):
            if key not in ex:
                raise fail(f"{where}.{key}", "missing")
        if several:
            raw_values = ex["i"]
            if not isinstance(raw_values, list) or len(raw_values) != len(inputs):
                raise fail(f"{where}.i", f"expected a list of {len(inputs)} inputs, "
                                         f"got {show_value(raw_values)}")
            fields = [f"{where}.i[{j}]" for j in range(len(inputs))]
        else:
            raw_values = [ex["i"]]
            fields = [f"{where}.i"]
        try:
            values = []
            for v, t, field in zip(raw_values, inputs, fields, strict=True):
                budget.value = budget.limits.value_size
                values.append(convert(v, t, field, budget))
            budget.value = budget.limits.value_size
            out = convert(ex["o"], output, f"{where}.o", budget)
        except ValueError as e:
            field, _, message = str(e).partition(": ")
            raise fail(field, message) from None
        example = Example(tuple(values), out)
        examples.setdefault(value_key((example.inputs, out)), example)
    return tuple(examples.values())


def dump_tasks(tasks: list[Task], extras: dict[str, dict[str, Any]] | None = None) -> str:
    """`tasks` as the text of a task file `parse_tasks` reads back: held-out examples under
    `"held_out"`, a task's constants under `"constants"`, `extras[name]` as extra keys."""
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
        constants: dict[str, list[Any]] = {}
        for name in task_constants_of(t):
            found = literal_value(name)
            if found is not None:
                constants.setdefault(type_name(found[0]), []).append(found[1])
        if constants:
            entry["constants"] = constants
        entry.update((extras or {}).get(t.name, {}))
        out.append(entry)
    return json.dumps(out, indent=1)


# ------------------------------------------------------------------ shared data
def shared_data_dir() -> Path | None:
    """The shared data folder: `$HYLO_SHARED/data`, else `../shared/data` next to the project
    root (the folder above this package that holds pyproject.toml), None if neither exists."""
    env = os.environ.get("HYLO_SHARED")
    if env:
        p = Path(env) / "data"
        return p if p.is_dir() else None
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            p = parent.parent / "shared" / "data"
            return p if p.is_dir() else None
    return None


def load_sygus_suite() -> list[Task]:
    """The SyGuS-Comp 2017 PBE strings track from the shared data (never shipped)."""
    data = shared_data_dir()
    path = data / "sygus-strings" / "pbe_strings_2017.json" if data is not None else None
    if path is None or not path.is_file():
        raise TaskFileError(
            "sygus-strings: the SyGuS data is not here: set HYLO_SHARED to the folder whose "
            "data/sygus-strings holds pbe_strings_2017.json")
    return load_sygus(path)


def builtin_tasks() -> list[Task]:
    """The domain's own small suite of string and number tasks, shipped as package data."""
    resource = files("hylo.domains.general").joinpath("data", BUILTIN_FILE)
    return parse_tasks(resource.read_text(encoding="utf-8"), BUILTIN_FILE)


# ------------------------------------------------------------------ split
def split(tasks: list[Task]) -> tuple[list[Task], list[Task]]:
    """(train, test) by `SPLIT_RULE`. Raises ValueError if two tasks share a name."""
    names = [t.name for t in tasks]
    if len(set(names)) != len(names):
        raise ValueError("split needs unique task names")

    def rank(t: Task) -> str:
        return hashlib.sha256(t.name.encode("utf-8")).hexdigest()

    ranked = sorted(sorted(tasks, key=lambda t: t.name), key=rank)
    n_train = (len(ranked) + 1) // 2
    return (sorted(ranked[:n_train], key=lambda t: t.name),
            sorted(ranked[n_train:], key=lambda t: t.name))
