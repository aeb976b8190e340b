"""The general domain's task readers: hylo's task files, SyGuS strings, PSB1 problems, the
built-in suite, hostile files, the shared data, and the domain's registration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hylo.domains
from hylo.core.task import Task
from hylo.core.types import parse_type
from hylo.domains.general import (
    GENERAL_DSL,
    GeneralTask,
    TaskFileError,
    builtin_tasks,
    dump_tasks,
    load_psb1,
    load_psb1_problem,
    load_sygus,
    load_tasks,
    split,
    task_constants,
)
from hylo.domains.general.psb1 import PSB1_CONSTANTS
from hylo.domains.general.tasks import parse_tasks, shared_data_dir
from hylo.search.check import Checker

SHARED = shared_data_dir()
needs_shared = pytest.mark.skipif(SHARED is None, reason="no shared data (../shared/data)")


def _write(tmp_path: Path, data: Any, name: str = "tasks.json") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return p


TASK = {
    "name": "hello", "type": {"input": ["str", "int"], "output": "pair(str, float)"},
    "examples": [{"i": ["Ada", 2], "o": ["Hello, Ada!", 2]},
                 {"i": ["Ada", 2], "o": ["Hello, Ada!", 2]},
                 {"i": ["Bo", -1], "o": ["Hello, Bo!", -1.5]}],
    "held_out": [{"i": ["Cy", 0], "o": ["Hello, Cy!", 0.0]}],
    "constants": {"string": ["Hello, ", "!"], "int": [7], "float": [0.5], "char": [" "],
                  "list(int)": [[1, 2]]},
}


# ------------------------------------------------------------------ hylo's format
def test_a_task_file_reads_types_values_constants_and_drops_repeated_examples(
        tmp_path: Path) -> None:
    [task] = load_tasks(_write(tmp_path, [TASK]))
    assert isinstance(task, GeneralTask)
    assert task.request == parse_type("str -> int -> pair(str, float)")
    assert [e.output for e in task.examples] == [("Hello, Ada!", 2.0), ("Hello, Bo!", -1.5)]
    assert type(task.examples[0].output[1]) is float  # a JSON int read as a float
    assert task.held_out[0].inputs == ("Cy", 0)
    assert task.constants == ("'Hello,\\s'", "'!'", "7", "0.5", "#'\\s'", "[1,2]")
    prims = task_constants(task)
    assert [p.impl() for p in prims] == ["Hello, ", "!", 7, 0.5, " ", [1, 2]]
    # the DSL reads a constant's name back anywhere: no task grammar needed to check a program
    checker = Checker(GENERAL_DSL, hylo.domains.get_domain("general").equal)
    program = "(lam (lam (pair (++ 'Hello,\\s' (++ $1 '!')) (float $0))))"
    assert checker.fits(program, Task("first", task.request, task.examples[:1]))
    assert not checker.fits(program, task)  # -1.5 is not float(-1)


def test_type_names_of_every_kind(tmp_path: Path) -> None:
    kinds = [("string", "a"), ("char", "a"), ("list-of-float", [1, 2.5]),
             ("list(list(str))", [["a"], []]), ("float", 3)]
    tasks = [{"name": f"t{k}", "type": {"input": t, "output": "bool"},
              "examples": [{"i": v, "o": True}]} for k, (t, v) in enumerate(kinds)]
    got = [str(t.request) for t in load_tasks(_write(tmp_path, tasks))]
    assert got == ["str -> bool", "char -> bool", "list(float) -> bool",
                   "list(list(str)) -> bool", "float -> bool"]


def test_dump_and_load_give_the_same_tasks(tmp_path: Path) -> None:
    tasks = load_tasks(_write(tmp_path, [TASK])) + builtin_tasks()
    again = parse_tasks(dump_tasks(tasks, {"hello": {"note": "kept"}}), "dumped")
    assert [(t.name, t.request, t.examples, t.held_out, t.constants) for t in again] == \
        [(t.name, t.request, t.examples, t.held_out, t.constants) for t in tasks]
    assert json.loads(dump_tasks(tasks, {"hello": {"note": "kept"}}))[0]["note"] == "kept"


def _bad(**change: Any) -> list[dict[str, Any]]:
    task = {"name": "t", "type": {"input": "str", "output": "int"},
            "examples": [{"i": "ab", "o": 2}]}
    task.update(change)
    return [task]


HOSTILE: list[tuple[str, Any, str]] = [
    ("bad json", "[{", "not valid JSON"),
    ("nan", '[{"name": "t", "type": {"input": "float", "output": "float"}, '
            '"examples": [{"i": NaN, "o": 1.0}]}]', "not valid JSON"),
    ("deep", "[" * 100_000 + "]" * 100_000, "nested deeper"),
    ("not a list", {"name": "t"}, "expected a list of tasks"),
    ("no name", [{}], "name: missing"),
    ("long name", _bad(name="x" * 1001), "name: longer than"),
    ("surrogate name", _bad(name="\ud800"), "lone surrogate"),
    ("unknown type", _bad(type={"input": "widget", "output": "int"}), "type.input: unknown"),
    ("type variable", _bad(type={"input": "list(a)", "output": "int"}), "type variable"),
    ("deep type", _bad(type={"input": "list(" * 9 + "int" + ")" * 9, "output": "int"}),
     "deeper than"),
    ("wrong value", _bad(examples=[{"i": 3, "o": 2}]), "examples[0].i: expected str, got 3"),
    ("bool for int", _bad(examples=[{"i": "a", "o": True}]), "examples[0].o: expected int"),
    ("huge string", _bad(examples=[{"i": "x" * 10_001, "o": 1}]), "longer than 10000"),
    ("huge int", _bad(examples=[{"i": "a", "o": 2**63}]), "out of range"),
    ("big list", _bad(type={"input": "list(int)", "output": "int"},
                      examples=[{"i": list(range(10_001)), "o": 1}]), "more than 10000 values"),
    ("no examples", _bad(examples=[]), "examples: empty"),
    ("bad char", _bad(type={"input": "char", "output": "int"}, examples=[{"i": "ab", "o": 1}]),
     "expected char"),
    ("bad pair", _bad(type={"input": "pair(str, int)", "output": "int"},
                      examples=[{"i": ["a"], "o": 1}]), "expected a pair"),
    ("bad constants", _bad(constants=["a"]), "constants: expected an object"),
    ("constant type", _bad(constants={"bool": [True]}), "constants.bool: no constants"),
    ("constant value", _bad(constants={"int": ["7"]}), "constants.int[0]"),
    ("many constants", _bad(constants={"int": list(range(65))}), "more than 64 constants"),
    ("long constant", _bad(constants={"string": ["x" * 1001]}), "constants.string[0]"),
    ("duplicate", _bad() + _bad(), "duplicate of task #0"),
]


@pytest.mark.parametrize(("label", "data", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_files_are_one_clear_value_error(tmp_path: Path, label: str, data: Any,
                                                 message: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(ValueError) as info:
        load_tasks(path)
    text = str(info.value)
    assert isinstance(info.value, TaskFileError)
    assert message in text and str(path) in text and "\n" not in text


def test_oversized_and_unreadable_files(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (4 * 1024 * 1024 + 1))
    with pytest.raises(TaskFileError, match="too large"):
        load_tasks(big)
    (tmp_path / "latin1.json").write_bytes(b"[\xff]")
    with pytest.raises(TaskFileError, match="not UTF-8"):
        load_tasks(tmp_path / "latin1.json")
    with pytest.raises(TaskFileError, match="not a regular file"):
        load_tasks(tmp_path)
    with pytest.raises(TaskFileError, match="cannot read"):
        load_tasks(tmp_path / "missing.json")


# ------------------------------------------------------------------ PSB1
def _psb1_dir(tmp_path: Path, name: str, splits: dict[str, list[dict[str, Any]]]) -> Path:
    d = tmp_path / name
    d.mkdir()
    for s, rows in splits.items():
        (d / f"{s}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return d


def test_a_psb1_problem_infers_types_and_puts_edge_cases_first(tmp_path: Path) -> None:
    def case(s: str) -> dict[str, Any]:
        return {"input1": s, "output1": s.replace(" ", "\n"), "output2": len(s.replace(" ", ""))}

    d = _psb1_dir(tmp_path, "replace-space-with-newline", {
        "train": [case("a b"), case("ab"), case(""), case("a b")],
        "edge": [case(""), case(" ")],
        "test": [case("x y z")],
    })
    task = load_psb1_problem(d)
    assert task.request == parse_type("str -> pair(str, int)")
    # every edge case first, then train's other cases (its own repeats kept)
    assert [e.inputs[0] for e in task.examples] == ["", " ", "a b", "ab", "a b"]
    assert task.examples[1].output == ("\n", 0)
    assert [e.inputs[0] for e in task.held_out] == ["x y z"]
    assert task.constants == ("#'\\s'", "#'\\n'")
    kept = load_psb1_problem(d, edge="train")
    assert [e.inputs[0] for e in kept.examples] == ["", "a b", "ab", "a b"]
    program = ("(lam (pair (replace '\\s' '\\n' $0) (str-length (replace '\\s' '' $0))))")
    assert Checker(GENERAL_DSL, hylo.domains.get_domain("general").equal).fits(program, task)


def test_psb1_columns_widen_ints_to_floats_and_fill_empty_lists(tmp_path: Path) -> None:
    d = _psb1_dir(tmp_path, "p", {
        "train": [{"input2": 1, "input1": [], "output1": 2},
                  {"input2": 1.5, "input1": [[]], "output1": 2.5}],
        "test": [{"input1": [["a"]], "input2": 0, "output1": 0}],
    })
    task = load_psb1_problem(d)
    assert task.request == parse_type("list(list(str)) -> float -> float")
    assert task.examples[0].inputs == ([], 1.0) and type(task.held_out[0].output) is float


@pytest.mark.parametrize(("rows", "message"), [
    ([{"input1": 1, "output1": 1}, {"input1": "a", "output1": 1}], "mixed types int and str"),
    ([{"input1": 1, "output1": 1}, {"input1": 2}], "keys differ"),
    ([{"in": 1, "output1": 1}], "unknown key"),
    ([{"input2": 1, "output1": 1}], "input1..inputN"),
    ([{"input1": {"a": 1}, "output1": 1}], "no type for"),
    ([{"input1": 1, "output1": 1}, [1]], "expected an object"),
    ([{"input1": "x" * 10_001, "output1": 1}], "longer than 10000"),
])
def test_hostile_psb1_files(tmp_path: Path, rows: list[Any], message: str) -> None:
    d = _psb1_dir(tmp_path, "bad", {"train": rows})
    with pytest.raises(TaskFileError, match=message):
        load_psb1_problem(d)


def test_psb1_without_train_file_or_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(TaskFileError, match="train.jsonl: missing"):
        load_psb1_problem(tmp_path / "empty")
    monkeypatch.setenv("HYLO_SHARED", str(tmp_path / "nowhere"))
    domain = hylo.domains.get_domain("general")
    for suite in ("psb1", "sygus-strings"):
        with pytest.raises(ValueError, match="HYLO_SHARED"):
            domain.suites[suite]()


@needs_shared
def test_real_psb1_problems() -> None:
    assert SHARED is not None
    [task] = load_psb1(SHARED / "psb1", names=["replace-space-with-newline"])
    assert task.request == parse_type("str -> pair(str, int)")
    assert (len(task.examples), len(task.held_out)) == (100, 1000)
    program = ("(lam (pair (replace '\\s' '\\n' $0) (count (lam (not (char= $0 #'\\s'))) "
               "(chars $0))))")
    checker = Checker(GENERAL_DSL, hylo.domains.get_domain("general").equal)
    assert checker.fits(program, task)
    assert checker.fits(program, Task(task.name, task.request, task.held_out))
    [wallis] = load_psb1(SHARED / "psb1", names=["wallis-pi"])
    assert wallis.request == parse_type("int -> float")
    # the product to n terms; outputs rounded to 5 places still count as equal
    wallis_program = ("(lam (fold (lam (lam (*. $1 (/. (float (+ 2 (* 2 (div (+ $0 1) 2)))) "
                      "(float (+ 1 (* 2 (div (+ $0 2) 2)))))))) 1.0 (range 0 $0)))")
    assert checker.fits(wallis_program, wallis)
    assert checker.fits(wallis_program, Task("w", wallis.request, wallis.held_out))
    [checksum] = load_psb1(SHARED / "psb1", names=["checksum"])
    assert len(checksum.examples) == 190 and len(load_psb1(
        SHARED / "psb1", edge="train", names=["checksum"])[0].examples) == 100
    assert set(PSB1_CONSTANTS) <= {p.name for p in (SHARED / "psb1").iterdir()}


@needs_shared
def test_real_sygus_file() -> None:
    assert SHARED is not None
    path = SHARED / "sygus-strings" / "pbe_strings_2017.json"
    raw = json.loads(path.read_text())
    tasks = load_sygus(path)
    assert len(tasks) == len(raw) == 108
    by_name = {t.name: t for t in tasks}
    bikes = by_name["bikes-long-repeat"]
    assert len(bikes.examples) < len(raw[0]["examples"])
    assert len({(e.inputs, e.output) for e in bikes.examples}) == len(bikes.examples)
    assert str(bikes.request) == "str -> str"
    assert "'\\s'" in bikes.constants and "5" in bikes.constants
    assert Checker(GENERAL_DSL, hylo.domains.get_domain("general").equal).fits(
        "(lam (head (words $0)))", by_name["firstname"])


# ------------------------------------------------------------------ suite and registration
def test_builtin_suite_and_registration() -> None:
    domain = hylo.domains.get_domain("general")
    assert domain.dsl is GENERAL_DSL and domain.case_error is not None
    tasks = domain.suites["general"]()
    assert len(tasks) == len(builtin_tasks()) >= 12
    assert all(t.held_out for t in tasks)
    train, test = split(tasks)
    assert split(list(reversed(tasks))) == (train, test)
    assert len(train) == (len(tasks) + 1) // 2 and not {t.name for t in train} & {
        t.name for t in test}
    assert domain.error("abc", "abd") == 1.0 and domain.error(1.0, 1.0) == 0.0
    assert domain.load_file is load_tasks


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["name", "type", "input", "output", "examples", "i", "o", "held_out",
                         "constants", "string", "int", "char"]), inner, max_size=4),
    max_leaves=20)
type_names = st.sampled_from(["int", "float", "str", "string", "char", "bool", "list(int)",
                              "pair(str, int)", "list-of-char", "x", "list(", "pair(int)"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries(
    {"name": st.text(max_size=3) | json_values,
     "type": st.fixed_dictionaries({"input": type_names | st.lists(type_names, max_size=3),
                                    "output": type_names}) | json_values,
     "examples": st.lists(st.fixed_dictionaries({"i": json_values, "o": json_values}),
                          max_size=3) | json_values},
    optional={"held_out": json_values, "constants": json_values}), max_size=3) | json_values)
def test_arbitrary_json_is_tasks_or_one_task_file_error(data: Any) -> None:
    try:
        tasks = parse_tasks(json.dumps(data), "fuzz.json")
    except TaskFileError as e:
        assert "\n" not in str(e) and str(e).startswith("fuzz.json: ")
    else:
        again = parse_tasks(dump_tasks(tasks, {}), "again")
        assert [(t.name, t.request, t.examples) for t in again] == \
            [(t.name, t.request, t.examples) for t in tasks]
