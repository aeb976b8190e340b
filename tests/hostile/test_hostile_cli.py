"""The hostile corpus through the CLI: every file ends in time with a clear result.

For each task file (`corpus/tasks/`, plus big ones made here) `hylo solve` and `hylo bench` run
in-process; for each program text (`corpus/programs/`) `hylo solve --program`. Every run must:
raise nothing but typer's exit (0 tracebacks), exit 0/1 (ran) or 2 (refused, one clear line),
end within 2x its time limit plus start-up, and print no raw control characters (terminal
escape codes, bidi overrides, NUL) and no unescaped markup. A few run as real processes, where
an unencodable character would crash the write to the pipe.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import make_corpus  # type: ignore[import-not-found]  # tests/hostile is on sys.path
import pytest
from typer.testing import CliRunner, Result

from hylo.cli import app

CORPUS = Path(__file__).parent / "corpus"
TASKS = CORPUS / "tasks"
PROGRAMS = CORPUS / "programs"
TIMEOUT = 0.3  # per task
SLACK = 1.5  # seconds of start-up and loading on a busy 2-core machine

runner = CliRunner()

#: characters that must never reach the terminal raw
RAW = ["\x1b", "\x07", "\x00", "\x08", "\x9b", "\u202e", "\u200b", "\r"]


def _expect(name: str) -> set[int]:
    if name in make_corpus.REFUSED or name == "a_directory.json":
        return {2}
    assert name in make_corpus.ACCEPTED, f"corpus file {name} is in no table of make_corpus.py"
    return {0, 1}


def _check(result: Result, seconds: float, limit: float, codes: set[int]) -> None:
    out = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"raised {result.exception!r}\n{out}")
    assert "Traceback" not in out, out
    assert result.exit_code in codes, f"exit {result.exit_code}, expected {codes}:\n{out}"
    for ch in RAW:
        assert ch not in out, f"raw {ch!r} in output:\n{out!r}"
    out.encode("utf-8")  # no lone surrogates: the write to a real terminal would crash
    assert seconds < 2 * limit + SLACK, f"took {seconds:.1f}s, limit {limit}s"
    if result.exit_code == 2:
        assert "error:" in out


def _run(args: list[str]) -> tuple[Result, float]:
    t0 = time.perf_counter()
    result = runner.invoke(app, args)
    return result, time.perf_counter() - t0


def _n_tasks(path: Path) -> int:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return 1
    return max(1, len(data)) if isinstance(data, list) else 1


CORPUS_FILES = sorted(p.name for p in TASKS.iterdir())


def test_corpus_is_complete() -> None:
    """The committed files are exactly what make_corpus.py writes, and there are enough."""
    tables = {**make_corpus.REFUSED, **make_corpus.ACCEPTED}
    assert set(CORPUS_FILES) == set(tables) | {"a_directory.json"}
    assert set(p.name for p in PROGRAMS.iterdir()) == set(make_corpus.PROGRAMS)
    for name, text in tables.items():
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        assert (TASKS / name).read_bytes() == data, f"{name}: rerun make_corpus.py"
    assert len(CORPUS_FILES) + len(make_corpus.PROGRAMS) >= 100


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", CORPUS_FILES)
def test_solve_each_task_file(name: str) -> None:
    path = TASKS / name
    result, seconds = _run(["solve", str(path), "--timeout", str(TIMEOUT)])
    _check(result, seconds, TIMEOUT * _n_tasks(path), _expect(name))
    if name.startswith("name_rich_markup") and result.exit_code != 2:
        assert "[/bold]" in result.output or "[/red]" in result.output  # printed as text


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(make_corpus.ACCEPTED))
def test_bench_each_accepted_task_file(name: str, tmp_path: Path) -> None:
    path = TASKS / name
    out = tmp_path / "b.json"
    result, seconds = _run(["bench", str(path), "--timeout", str(TIMEOUT), "--workers", "0",
                            "--json", str(out)])
    _check(result, seconds, TIMEOUT * _n_tasks(path), {0})


# ------------------------------------------------------------------ made at test time
def _big(tmp: Path) -> dict[str, Path]:
    """Files too big to commit, and things that are not files."""
    head = '[{"name": "t", "type": {"input": "list-of-int", "output": "int"}, "examples": '
    files = {
        "deep_list_100k.json": "[" * 100_000 + "]" * 100_000,
        "deep_object_100k.json": '{"a": ' * 100_000 + "1" + "}" * 100_000,
        "deep_value_100k.json": head + '[{"i": ' + "[" * 100_000 + "]" * 100_000
        + ', "o": 1}]}]',
        "deep_type_100k.json": '[{"name": "t", "type": {"input": "' + "list-of-" * 100_000
        + 'int", "output": "int"}, "examples": [{"i": 1, "o": 1}]}]',
        "million_element_list.json": head + '[{"i": [' + ", ".join(["7"] * 1_000_000)
        + '], "o": 1}]}]',
        "many_examples.json": head + "[" + ", ".join(['{"i": [1, 2, 3], "o": 6}'] * 60_000)
        + "]}]",
        "over_the_byte_cap.json": " " * (5 * 1024 * 1024) + "[]",
        "name_one_megabyte.json": '[{"name": "' + "n" * 1_000_000 + '", "type": {"input": '
        '"int", "output": "int"}, "examples": [{"i": 1, "o": 1}]}]',
        "near_the_value_cap.json": head + '[{"i": [' + ", ".join(["1"] * 9_000)
        + '], "o": 9000}, {"i": [2], "o": 1}]}]',
    }
    out = {}
    for name, text in files.items():
        (tmp / name).write_text(text)
        out[name] = tmp / name
    fifo = tmp / "a_fifo.json"
    os.mkfifo(fifo)
    out["a_fifo.json"] = fifo
    loop = tmp / "symlink_loop.json"
    loop.symlink_to(loop)
    out["symlink_loop.json"] = loop
    out["missing.json"] = tmp / "no" / "such" / "file.json"
    out["dev_zero.json"] = Path("/dev/zero")
    return out


BIG_ACCEPTED = {"near_the_value_cap.json"}


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _big(tmp_path_factory.mktemp("big"))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", [
    "deep_list_100k.json", "deep_object_100k.json", "deep_value_100k.json",
    "deep_type_100k.json", "million_element_list.json", "many_examples.json",
    "over_the_byte_cap.json", "name_one_megabyte.json", "near_the_value_cap.json",
    "a_fifo.json", "symlink_loop.json", "missing.json", "dev_zero.json",
])
def test_big_and_strange_inputs(name: str, big: dict[str, Path]) -> None:
    result, seconds = _run(["solve", str(big[name]), "--timeout", str(TIMEOUT)])
    _check(result, seconds, TIMEOUT, {0, 1} if name in BIG_ACCEPTED else {2})
    if name == "million_element_list.json":
        assert "too large" in result.output


# ------------------------------------------------------------------ programs
GOOD_TASK = make_corpus.one()  # list-of-int -> int, [1, 2] -> 3, [] -> 0: `sum` fits


@pytest.fixture(scope="module")
def good_task(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prog") / "task.json"
    path.write_text(GOOD_TASK)
    return path


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(make_corpus.PROGRAMS))
def test_each_program_text(name: str, good_task: Path) -> None:
    text = (PROGRAMS / name).read_bytes().decode("utf-8", "surrogateescape")
    result, seconds = _run(["solve", str(good_task), "--program", text, "--timeout", "1"])
    _check(result, seconds, 1.0, {0} if name == "right_program.txt" else {1, 2})


@pytest.mark.timeout(60)
@pytest.mark.parametrize("program", [
    "(lam " + "(+ 1 " * 100_000 + "(sum $0)" + ")" * 100_001,
    "(lam " * 100_000 + "$0" + ")" * 100_000,
    '(lam (?? "' + "list(" * 100_000 + "int" + ")" * 100_000 + '"))',
    "(lam (sum $0))" * 20_000,
], ids=["app-100k", "lam-100k", "hole-type-100k", "too-long"])
def test_generated_huge_programs(program: str, good_task: Path) -> None:
    result, seconds = _run(["solve", str(good_task), "--program", program, "--timeout", "1"])
    _check(result, seconds, 1.0, {2})


# ------------------------------------------------------------------ libraries and processes
def test_library_under_a_file_is_one_clear_error(tmp_path: Path, good_task: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    for args in (["bench", str(good_task), "--workers", "0", "--timeout", "0.3"],
                 ["solve", str(good_task), "--timeout", "0.3"],
                 ["learn", "--domain", "lists", "--iterations", "1"]):
        result, seconds = _run([*args, "--library", str(afile / "lib.db")])
        _check(result, seconds, 1.0, {2})
    shown, seconds = _run(["library", "show", "--library", str(afile / "lib.db")])
    _check(shown, seconds, 1.0, {2})


@pytest.mark.timeout(60)
def test_hostile_names_through_a_real_pipe(tmp_path: Path) -> None:
    """Real processes writing to pipes (strict UTF-8 encoding): sanitised output only."""
    names = ["name_ansi_color.json", "name_osc_title.json", "name_rich_markup.json",
             "name_bidi_override.json", "name_lone_surrogate.json"]
    for name in names:
        t0 = time.perf_counter()
        r = subprocess.run(
            [sys.executable, "-m", "hylo.cli", "bench", str(TASKS / name), "--workers", "0",
             "--timeout", str(TIMEOUT)],
            capture_output=True, timeout=60, env=dict(os.environ, PYTHONIOENCODING="utf-8"),
        )
        seconds = time.perf_counter() - t0
        out = (r.stdout + r.stderr).decode("utf-8")  # strict: must be valid UTF-8
        assert "Traceback" not in out, out
        assert r.returncode in ({2} if name in make_corpus.REFUSED else {0}), out
        for ch in RAW:
            assert ch not in out, f"{name}: raw {ch!r} in {out!r}"
        assert seconds < 2 * TIMEOUT + 10  # a fresh interpreter's start-up included
