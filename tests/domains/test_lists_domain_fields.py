"""The lists domain's semantics fields (equality, keys, sampler, defaults) and input bounds."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest

from hylo.core.types import TCon, arguments, parse_type
from hylo.core.values import strict_equal
from hylo.domains.lists import load_domain
from hylo.domains.lists.tasks import LIMITS, TaskFileError, json_depth_exceeds, load_tasks

DOMAIN = load_domain()


def _task(i: object, o: object, name: str = "t", typ: tuple = ("list-of-int", "int")) -> dict:
    return {"name": name, "type": {"input": typ[0], "output": typ[1]},
            "examples": [{"i": i, "o": o}]}


def _write(tmp_path: Path, doc: object) -> Path:
    p = tmp_path / "tasks.json"
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return p


# ------------------------------------------------------------------ semantics fields
def test_equality_is_strict_and_keys_agree_with_it() -> None:
    assert DOMAIN.equal is strict_equal
    pairs = [(True, 1), ([1, 2], [1, 2]), ([True], [1]), ([], []), (0, False), ([[1]], [[1]])]
    for a, b in pairs:
        assert DOMAIN.equal(a, b) == (DOMAIN.value_key(a) == DOMAIN.value_key(b))
    assert not DOMAIN.equal(True, 1)


@pytest.mark.parametrize("request_text", [
    "list(int) -> list(int)", "int -> list(bool) -> bool", "list(list(int)) -> int",
    "list(t0) -> list(t0)",
])
def test_sampler_gives_values_of_the_argument_types(request_text: str) -> None:
    request = parse_type(request_text)
    rng = random.Random(3)
    inputs = DOMAIN.sample_inputs(request, rng, 20)  # type: ignore[misc]
    assert len(inputs) == 20
    for args in inputs:
        assert len(args) == len(arguments(request))
        for value, t in zip(args, arguments(request), strict=True):
            assert _has_type(value, t)
    again = DOMAIN.sample_inputs(request, random.Random(3), 20)  # type: ignore[misc]
    assert again == inputs  # deterministic for a seed


def _has_type(v: object, t: object) -> bool:
    if not isinstance(t, TCon):  # a type variable stands for int
        return type(v) is int
    if t.name == "int":
        return type(v) is int
    if t.name == "bool":
        return type(v) is bool
    return isinstance(v, list) and all(_has_type(x, t.args[0]) for x in v)


def test_sampler_refuses_types_without_values() -> None:
    with pytest.raises(ValueError):
        DOMAIN.sample_inputs(parse_type("(int -> int) -> int"), random.Random(0), 1)  # type: ignore[misc]
    with pytest.raises(ValueError):
        DOMAIN.sample_inputs(parse_type("str -> int"), random.Random(0), 1)  # type: ignore[misc]


def test_search_defaults_name_a_benchmark_task_of_the_domain() -> None:
    assert DOMAIN.default_searcher()["name"] == "portfolio"
    bench = DOMAIN.search_defaults["benchmark"]
    parse_type(bench["request"])
    names = {t.name for t in DOMAIN.suites[bench["suite"]]()}
    assert bench["task"] in names


# ------------------------------------------------------------------ bounds
def test_depth_scan_skips_strings() -> None:
    assert json_depth_exceeds('["[[[[[[", {"a": [1]}]', 3) is None
    assert json_depth_exceeds("[[[[1]]]]", 3) == 3
    assert json_depth_exceeds('["\\"[[[["]', 2) is None


def test_deep_nesting_is_refused_quickly(tmp_path: Path) -> None:
    path = _write(tmp_path, "[" * 100_000 + "]" * 100_000)
    t0 = time.perf_counter()
    with pytest.raises(TaskFileError, match="nested deeper"):
        load_tasks(path)
    assert time.perf_counter() - t0 < 2


def test_deep_list_type_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, [_task(1, 1, typ=("list-of-" * 100_000 + "int", "int"))])
    with pytest.raises(TaskFileError, match="type.input.*deeper"):
        load_tasks(path)


def test_huge_inputs_are_refused_before_search(tmp_path: Path) -> None:
    path = _write(tmp_path, [_task(list(range(LIMITS.value_size + 1)), 0)])
    t0 = time.perf_counter()
    with pytest.raises(TaskFileError, match="too large"):
        load_tasks(path)
    assert time.perf_counter() - t0 < 2
    at_cap = _write(tmp_path, [_task(list(range(LIMITS.value_size - 1)), 0)])
    assert len(load_tasks(at_cap)) == 1


def test_values_count_through_nesting_and_per_task(tmp_path: Path) -> None:
    nested = [[1] * 100] * 101  # 101 lists + 10,100 ints > 10,000 values in one input
    path = _write(tmp_path, [_task(nested, 0, typ=("list-of-list-of-int", "int"))])
    with pytest.raises(TaskFileError, match="one value"):
        load_tasks(path)
    many = {"name": "t", "type": {"input": "list-of-int", "output": "int"},
            "examples": [{"i": [1] * 5000, "o": 0}] * 25}
    with pytest.raises(TaskFileError, match="one task"):
        load_tasks(_write(tmp_path, [many]))


def test_file_bytes_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(" " * (LIMITS.file_bytes + 1) + "[]")
    with pytest.raises(TaskFileError, match="too large"):
        load_tasks(path)


@pytest.mark.parametrize("text,match", [
    ('[{"name": "t", "type": {"input": "int", "output": "int"}, "examples": [{"i": '
     + "9" * 5000 + ', "o": 1}]}]', "not valid JSON"),
    ('[{"name": "t", "type": {"input": "int", "output": "int"}, "examples": '
     '[{"i": 4611686018427387905, "o": 1}]}]', "out of range"),
    ('[{"name": "\\ud800", "type": {"input": "int", "output": "int"}, "examples": '
     '[{"i": 1, "o": 1}]}]', "lone surrogate"),
    ('[{"name": "' + "n" * 2000 + '", "type": {"input": "int", "output": "int"}, "examples": '
     '[{"i": 1, "o": 1}]}]', "longer than"),
])
def test_hostile_values_and_names(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(TaskFileError, match=match):
        load_tasks(_write(tmp_path, text))


def test_non_utf8_and_directories(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'[{"name": "\xff"}]')
    with pytest.raises(TaskFileError, match="not UTF-8"):
        load_tasks(bad)
    with pytest.raises(TaskFileError, match="cannot read"):
        load_tasks(tmp_path)
