"""The list tasks: DreamCoder's JSON format, the shipped benchmark and its split."""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from hylo.core.domain import Domain
from hylo.core.task import Example, Task
from hylo.core.types import BOOL, INT, arrow, show_type, tlist
from hylo.domains.lists import load_domain
from hylo.domains.lists.primitives import LISTS_DSL
from hylo.domains.lists.tasks import (
    BUILTIN_FILE,
    SPLIT_RULE,
    TaskFileError,
    builtin_tasks,
    load_tasks,
    parse_type_name,
    split,
)

SHIPPED = Path(str(files("hylo.domains.lists").joinpath("data", BUILTIN_FILE)))


# ------------------------------------------------------------------ the shipped benchmark
def test_shipped_file_loads_217_tasks_of_the_documented_types() -> None:
    tasks = builtin_tasks()
    assert len(tasks) == 217
    assert len({t.name for t in tasks}) == 217
    assert Counter(show_type(t.request) for t in tasks) == {
        "list(int) -> list(int)": 150,
        "list(int) -> int": 30,
        "list(int) -> list(bool)": 18,
        "list(int) -> bool": 17,
        "int -> int": 1,
        "int -> list(int)": 1,
    }
    assert all(len(t.examples) == 15 for t in tasks)


def test_loading_keeps_every_value_of_the_file() -> None:
    raw = json.loads(SHIPPED.read_text(encoding="utf-8"))
    tasks = load_tasks(SHIPPED)
    assert tasks == builtin_tasks()
    for r, t in zip(raw, tasks, strict=True):
        assert t.name == r["name"]
        assert t.arity == 1
        assert [(e.inputs, e.output) for e in t.examples] == [
            ((x["i"],), x["o"]) for x in r["examples"]
        ]


def test_load_domain() -> None:
    d = load_domain()
    assert isinstance(d, Domain)
    assert d.name == "lists"
    assert d.dsl is LISTS_DSL
    assert d.suites["lists"]() == builtin_tasks()
    assert d.split is split
    assert d.load_file is not None and d.load_file(str(SHIPPED)) == builtin_tasks()


# ------------------------------------------------------------------ format
def test_type_names() -> None:
    assert parse_type_name("int") == INT
    assert parse_type_name("bool") == BOOL
    assert parse_type_name("list-of-int") == tlist(INT)
    assert parse_type_name("list-of-list-of-bool") == tlist(tlist(BOOL))
    for bad in ("float", "list-of-", "list-of-str", "List-of-int", "list(int)"):
        with pytest.raises(ValueError):
            parse_type_name(bad)


def write(tmp_path: Path, data: Any, name: str = "tasks.json") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return p


def good_task(name: str = "sum", **changes: Any) -> dict[str, Any]:
    task: dict[str, Any] = {
        "name": name,
        "type": {"input": "list-of-int", "output": "int"},
        "examples": [{"i": [1, 2], "o": 3}, {"i": [], "o": 0}],
    }
    task.update(changes)
    return task


def test_several_inputs_and_nested_lists(tmp_path: Path) -> None:
    tasks = load_tasks(
        write(
            tmp_path,
            [
                {
                    "name": "take-k",
                    "type": {"input": ["int", "list-of-int"], "output": "list-of-int"},
                    "examples": [{"i": [1, [5, 6]], "o": [5]}],
                },
                {
                    "name": "flags",
                    "type": {"input": "list-of-list-of-int", "output": "list-of-bool"},
                    "examples": [{"i": [[1], []], "o": [True, False]}],
                },
                {
                    "name": "one-listed",
                    "type": {"input": ["bool"], "output": "bool"},
                    "examples": [{"i": [True], "o": False}],
                },
            ],
        )
    )
    take, flags, one = tasks
    assert take.request == arrow(INT, tlist(INT), tlist(INT))
    assert take.examples == (Example((1, [5, 6]), [5]),)
    assert flags.request == arrow(tlist(tlist(INT)), tlist(BOOL))
    assert flags.examples == (Example(([[1], []],), [True, False]),)
    assert one.request == arrow(BOOL, BOOL) and one.examples == (Example((True,), False),)
    assert all(isinstance(t, Task) for t in tasks)


# ------------------------------------------------------------------ malformed files
def error_of(path: Path) -> str:
    with pytest.raises(TaskFileError) as info:
        load_tasks(path)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert str(path) in message, message
    return message


def test_not_json(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[{"name": "sum",'))
    assert "not valid JSON" in message and "line 1" in message


def test_top_level_not_a_list(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, {"name": "sum"}))
    assert "top level" in message and "expected a list" in message


def test_unreadable_file(tmp_path: Path) -> None:
    error_of(tmp_path / "absent.json")


def without(d: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != key}


BAD: list[tuple[str, list[Any], list[str]]] = [
    # (case, file content, fragments the message must contain: task and field)
    ("task not an object", [good_task(), 7], ["task #1", "expected an object"]),
    ("missing name", [good_task(), without(good_task("x"), "name")], ["task #1", "name: missing"]),
    ("name not a string", [{**good_task(), "name": 3}], ["task #0", "name: expected"]),
    ("missing type", [without(good_task(), "type")], ["task 'sum' (#0)", "type: missing"]),
    (
        "missing type.output",
        [good_task(type={"input": "int"})],
        ["task 'sum' (#0)", "type.output: missing"],
    ),
    (
        "missing examples",
        [good_task("a"), without(good_task("b"), "examples")],
        ["task 'b' (#1)", "examples: missing"],
    ),
    ("empty examples", [good_task(examples=[])], ["task 'sum' (#0)", "examples: empty"]),
    (
        "unknown input type",
        [good_task(type={"input": "list-of-float", "output": "int"})],
        ["task 'sum' (#0)", "type.input: unknown type 'list-of-float'"],
    ),
    (
        "unknown type among several inputs",
        [good_task(type={"input": ["int", "str"], "output": "int"})],
        ["task 'sum' (#0)", "type.input[1]: unknown type 'str'"],
    ),
    (
        "unknown output type",
        [good_task(type={"input": "int", "output": "real"})],
        ["task 'sum' (#0)", "type.output: unknown type 'real'"],
    ),
    (
        "wrong arity",
        [
            good_task(
                type={"input": ["int", "list-of-int"], "output": "int"},
                examples=[{"i": [1, [2]], "o": 3}, {"i": [1], "o": 3}],
            )
        ],
        ["task 'sum' (#0)", "examples[1].i: expected a list of 2 inputs"],
    ),
    (
        "several inputs not given as a list",
        [good_task(type={"input": ["int", "int"], "output": "int"}, examples=[{"i": 4, "o": 3}])],
        ["task 'sum' (#0)", "examples[0].i: expected a list of 2 inputs"],
    ),
    (
        "example without output",
        [good_task(examples=[{"i": [1]}])],
        ["task 'sum' (#0)", "examples[0].o: missing"],
    ),
    (
        "wrong output type",
        [good_task("a"), good_task(examples=[{"i": [], "o": 0}] * 3 + [{"i": [1], "o": "x"}])],
        ["task 'sum' (#1)", "examples[3].o: expected int, got 'x'"],
    ),
    (
        "bool where an int is declared",
        [good_task(examples=[{"i": [1, True], "o": 1}])],
        ["task 'sum' (#0)", "examples[0].i[1]: expected int, got true"],
    ),
    (
        "int where a bool is declared",
        [good_task(type={"input": "int", "output": "bool"}, examples=[{"i": 1, "o": 1}])],
        ["task 'sum' (#0)", "examples[0].o: expected bool, got 1"],
    ),
    (
        "scalar where a list is declared",
        [good_task(examples=[{"i": 5, "o": 5}])],
        ["task 'sum' (#0)", "examples[0].i: expected a list, got 5"],
    ),
    (
        "wrong value inside one of several inputs",
        [
            good_task(
                type={"input": ["int", "list-of-list-of-int"], "output": "int"},
                examples=[{"i": [1, [[2], [3, 4.5]]], "o": 3}],
            )
        ],
        ["task 'sum' (#0)", "examples[0].i[1][1][1]: expected int, got 4.5"],
    ),
    (
        "duplicate names",
        [good_task("a"), good_task("sum"), good_task("sum")],
        ["task 'sum' (#2)", "name: duplicate of task #1"],
    ),
]


@pytest.mark.parametrize(("case", "content", "fragments"), BAD, ids=[b[0] for b in BAD])
def test_malformed_file_names_file_task_and_field(
    tmp_path: Path, case: str, content: list[Any], fragments: list[str]
) -> None:
    message = error_of(write(tmp_path, content))
    for fragment in fragments:
        assert fragment in message, (case, message)


def test_the_good_task_used_above_is_good(tmp_path: Path) -> None:
    (task,) = load_tasks(write(tmp_path, [good_task()]))
    assert task.request == arrow(tlist(INT), INT)


# ------------------------------------------------------------------ split
def test_split_is_a_deterministic_half_split() -> None:
    tasks = builtin_tasks()
    train, test = split(tasks)
    assert (len(train), len(test)) == (109, 108)
    names_train = {t.name for t in train}
    names_test = {t.name for t in test}
    assert not names_train & names_test
    assert names_train | names_test == {t.name for t in tasks}
    assert [t.name for t in train] == sorted(names_train)
    assert [t.name for t in test] == sorted(names_test)
    assert split(builtin_tasks()) == (train, test)


def test_split_does_not_depend_on_input_order() -> None:
    tasks = builtin_tasks()
    expected = split(tasks)
    rng = random.Random(0)
    for _ in range(5):
        shuffled = list(tasks)
        rng.shuffle(shuffled)
        assert split(shuffled) == expected


def test_split_follows_the_documented_rule() -> None:
    # The rank of a task depends on its name only, so the rule is checkable by hand.
    tasks = builtin_tasks()
    ranked = sorted(tasks, key=lambda t: hashlib.sha256(t.name.encode()).hexdigest())
    train, _ = split(tasks)
    assert {t.name for t in train} == {t.name for t in ranked[:109]}
    assert "sha256" in SPLIT_RULE and "ceil" in SPLIT_RULE


def test_split_of_small_lists() -> None:
    tasks = builtin_tasks()
    assert split([]) == ([], [])
    train, test = split(tasks[:1])
    assert (len(train), len(test)) == (1, 0)
    train, test = split(tasks[:5])
    assert (len(train), len(test)) == (3, 2)
    with pytest.raises(ValueError):
        split([tasks[0], tasks[0]])
