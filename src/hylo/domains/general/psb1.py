"""PSB1 (Helmuth & Spector 2015) problems as tasks of the general domain.

A PSB1 problem directory (`load_psb1_problem`) holds `train.jsonl`, `test.jsonl` and `edge.jsonl`,
one case a line, `{"input1": .., "inputN": .., "output1": .., "outputM": ..}`. The request
type is inferred from the values (a column of ints and floats is float; an empty list takes
its element type from the column's other lists, `int` if none has one); several outputs are a
`pair` (nested to the right; printed output first, as PSB1 numbers them). The training
examples are the edge cases first, then the cases of train.jsonl that are not edge cases
(`edge="all"`, the field's practice: every edge case is a training case; seven problems'
train.jsonl lack some v1.3 edge cases, so their training sets grow, checksum's from 100 to
190); `edge="train"` only moves the edge cases train.jsonl holds to the front, keeping the
paper's sizes. test.jsonl is the held-out set. The task's constants are the problem's own
(`PSB1_CONSTANTS`, the constants of each problem's instruction set in the PSB1 paper and its
Clojush files; integers 0, 1, 2 and the empty list are in the DSL already).

Files are read under `hylo.domains.general.tasks.LIMITS` (each line as a JSON document of its
own); every problem is a `TaskFileError` naming the file, the task, the case and the field.
The data lives outside the package (`shared/data/psb1`, see its PROVENANCE.md): the `psb1` suite
finds it with `shared_data_dir()` and raises one clear error when it is not there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hylo.core.task import Example, Task
from hylo.core.types import Type, arrow
from hylo.domains.general.literals import literal_name
from hylo.domains.general.tasks import (
    LIMITS,
    UNKNOWN,
    Budget,
    GeneralTask,
    TaskFileError,
    convert,
    infer_value_type,
    join_types,
    loads_json,
    output_type,
    pack_outputs,
    parse_type_name,
    read_text,
    settle_type,
    shared_data_dir,
    show_value,
)
from hylo.domains.general.values import value_key

#: The constants of each PSB1 problem's instruction set (Helmuth & Spector 2015; the Clojush
#: problem files' atom generators), as (type, value); 0, 1, 2 and the empty list are in the DSL.
PSB1_CONSTANTS: dict[str, tuple[tuple[str, Any], ...]] = {
    "checksum": (("str", "Check sum is "), ("char", " "), ("int", 64)),
    "digits": (("char", "\n"),),
    "double-letters": (("char", "!"),),
    "grade": (("str", "Student has a "), ("str", " grade."), ("str", "A"), ("str", "B"),
              ("str", "C"), ("str", "D"), ("str", "F")),
    "pig-latin": (("str", "ay"), ("char", " "), ("char", "a"), ("char", "e"), ("char", "i"),
                  ("char", "o"), ("char", "u"), ("str", "aeiou")),
    "replace-space-with-newline": (("char", " "), ("char", "\n")),
    "scrabble-score": (("list(int)", [
        {"a": 1, "b": 3, "c": 3, "d": 2, "e": 1, "f": 4, "g": 2, "h": 4, "i": 1, "j": 8,
         "k": 5, "l": 1, "m": 3, "n": 1, "o": 1, "p": 3, "q": 10, "r": 1, "s": 1, "t": 1,
         "u": 1, "v": 4, "w": 4, "x": 8, "y": 4, "z": 10}.get(chr(c).lower(), 0)
        for c in range(127)]),),
    "small-or-large": (("str", "small"), ("str", "large")),
    "string-differences": (("char", " "), ("char", "\n")),
    "syllables": (("str", "The number of syllables is "), ("char", "a"), ("char", "e"),
                  ("char", "i"), ("char", "o"), ("char", "u"), ("char", "y"),
                  ("str", "aeiouy")),
    "word-stats": (("char", "."), ("char", "?"), ("char", "!"), ("char", " "), ("char", "\t"),
                   ("char", "\n"), ("str", "words of length "), ("str", ": "),
                   ("str", "number of sentences: "), ("str", "average sentence length: ")),
    "x-word-lines": (("char", " "), ("char", "\n")),
}

_PSB1_KEY = re.compile(r"(input|output)([1-9][0-9]?)")
PSB1_SPLITS = ("train", "test", "edge")


def _read_jsonl(path: Path, source: str) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    rows = []
    for n, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        row = loads_json(line, f"{source}: line {n}")
        if not isinstance(row, dict):
            raise TaskFileError(f"{source}: line {n}: expected an object, got {show_value(row)}")
        rows.append(row)
    return rows


def load_psb1_problem(directory: str | Path, edge: str = "all") -> GeneralTask:
    """One PSB1 problem directory as a task (see the module docstring)."""
    d = Path(directory)
    if edge not in ("all", "train", "none"):
        raise ValueError("edge must be all, train or none")
    name = d.name
    label = f"{d}: task {name!r}"
    if not (d / "train.jsonl").is_file():
        raise TaskFileError(f"{label}: train.jsonl: missing")
    sets = {s: _read_jsonl(d / f"{s}.jsonl", f"{d / (s + '.jsonl')}") for s in PSB1_SPLITS}
    if not sets["train"]:
        raise TaskFileError(f"{label}: train.jsonl: no cases")
    keys = sorted(sets["train"][0], key=str)
    inputs, outputs = [], []
    for k in keys:
        m = _PSB1_KEY.fullmatch(k) if isinstance(k, str) else None
        if m is None:
            raise TaskFileError(f"{label}: train.jsonl: line 1: unknown key {show_value(k)} "
                                "(expected input1.., output1..)")
        (inputs if m.group(1) == "input" else outputs).append((int(m.group(2)), k))
    inputs.sort()
    outputs.sort()
    if [i for i, _ in inputs] != list(range(1, len(inputs) + 1)) or not inputs:
        raise TaskFileError(f"{label}: train.jsonl: line 1: inputs must be input1..inputN")
    if [i for i, _ in outputs] != list(range(1, len(outputs) + 1)) or not outputs:
        raise TaskFileError(f"{label}: train.jsonl: line 1: outputs must be output1..outputM")
    columns = [k for _, k in inputs] + [k for _, k in outputs]
    types: dict[str, Type] = {k: UNKNOWN for k in columns}
    for s, rows in sets.items():
        for n, row in enumerate(rows, 1):
            if set(row) != set(columns):
                raise TaskFileError(f"{label}: {s}.jsonl: case {n}: keys differ from "
                                    "train.jsonl's first case")
            for k in columns:
                where = f"{s}.jsonl: case {n}: {k}"
                try:
                    types[k] = join_types(types[k], infer_value_type(row[k], where), where)
                except ValueError as e:
                    raise TaskFileError(f"{label}: {e}") from None
    settled = {k: settle_type(t) for k, t in types.items()}
    in_types = [settled[k] for _, k in inputs]
    out_types = [settled[k] for _, k in outputs]
    budget = Budget(LIMITS)

    def examples(s: str) -> list[Example]:
        budget.file = LIMITS.file_size  # each jsonl file is a file of its own
        out = []
        for n, row in enumerate(sets[s], 1):
            try:
                values = []
                for (_, k), t in zip(inputs, in_types, strict=True):
                    budget.value = LIMITS.value_size
                    values.append(convert(row[k], t, f"{s}.jsonl: case {n}: {k}", budget))
                outs = []
                for (_, k), t in zip(outputs, out_types, strict=True):
                    budget.value = LIMITS.value_size
                    outs.append(convert(row[k], t, f"{s}.jsonl: case {n}: {k}", budget))
            except ValueError as e:
                raise TaskFileError(f"{label}: {e}") from None
            out.append(Example(tuple(values), pack_outputs(outs)))
        return out

    edges, train, test = examples("edge"), examples("train"), examples("test")
    if edge == "none":
        edges = []
    elif edge == "train":
        held = {_case_key(e) for e in train}
        edges = [e for e in edges if _case_key(e) in held]
    first: dict[Any, Example] = {}
    for e in edges:
        first.setdefault(_case_key(e), e)
    # train.jsonl's own repeated cases stay (the field's training sets have them)
    ordered = [*first.values(), *(e for e in train if _case_key(e) not in first)]
    constants = tuple(literal_name(parse_type_name(t), v)
                      for t, v in PSB1_CONSTANTS.get(name, ()))
    return GeneralTask(name, arrow(*in_types, output_type(out_types)), tuple(ordered),
                       tuple(test), constants=constants)


def _case_key(e: Example) -> Any:
    return value_key((e.inputs, e.output))


def psb1_root() -> Path:
    data = shared_data_dir()
    root = data / "psb1" if data is not None else None
    if root is None or not root.is_dir():
        raise TaskFileError(
            "psb1: the PSB1 data is not here: set HYLO_SHARED to the folder whose data/psb1 "
            "holds the problems (one directory each with train.jsonl, test.jsonl, edge.jsonl)")
    return root


def load_psb1(root: str | Path | None = None, edge: str = "all",
              names: Iterable[str] | None = None) -> list[Task]:
    """Every PSB1 problem under `root` (default: `psb1_root()`), sorted by name."""
    base = Path(root) if root is not None else psb1_root()
    wanted = set(names) if names is not None else None
    dirs = sorted(p for p in base.iterdir() if p.is_dir() and (p / "train.jsonl").is_file())
    return [load_psb1_problem(p, edge) for p in dirs if wanted is None or p.name in wanted]


