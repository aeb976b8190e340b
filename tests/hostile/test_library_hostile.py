"""Hostile library files and export files: every one is opened, shown and imported, through the
API and through the CLI; none gives a traceback or hangs, each ends in success where the file is
valid or in one clear error line naming the problem (`corpus/library.json` says which).

The corpus is written by `make_library_corpus.py`; directories, paths under a file and files
over the size cap are made here."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hylo.domains import get_domain
from hylo.library import open_store
from hylo.library.exchange import (
    MAX_FILE_BYTES,
    ExchangeError,
    export_library,
    frontiers_key,
    import_file,
)
from hylo.library.grammar_store import load_grammar
from hylo.library.runs import describe_runs
from hylo.library.store import StoreError

CORPUS = Path(__file__).parent / "corpus"
EXPECTED: dict[str, str | None] = json.loads((CORPUS / "library.json").read_text())
LIBRARIES = sorted(k for k in EXPECTED if k.startswith("library/"))
EXPORTS = sorted(k for k in EXPECTED if k.startswith("exports/"))
LISTS = get_domain("lists").dsl
runner = CliRunner()


def test_the_corpus_is_large_and_complete() -> None:
    on_disk = {f"{p.parent.name}/{p.name}" for d in ("library", "exports")
               for p in (CORPUS / d).iterdir()}
    assert on_disk == set(EXPECTED)
    assert len(EXPECTED) >= 40


def _read_everything(path: Path) -> None:
    """What `library show`, `learn` and `export` read of a library."""
    with open_store(path) as store:
        load_grammar(store, LISTS, "lists")
        store.get_meta(frontiers_key("lists"))
        describe_runs(store)
        store.tasks()
        store.iterations()
        store.best_solutions()
        export_library(store, "lists")


def _outcome(action: object) -> str | None:
    """None on success, else the error's text; anything but our two errors fails the test."""
    t0 = time.monotonic()
    try:
        action()  # type: ignore[operator]
    except (StoreError, ExchangeError) as error:
        text = str(error)
        assert "\n" not in text and "Traceback" not in text, text
        return text
    finally:
        assert time.monotonic() - t0 < 10, "took too long"
    return None


def _check(name: str, outcome: str | None) -> None:
    expected = EXPECTED[name]
    if expected is None:
        assert outcome is None, f"{name}: {outcome}"
    else:
        assert outcome is not None, f"{name} was accepted"
        # `expected` is a piece of the message; `a|b` accepts either piece
        assert any(part in outcome for part in expected.split("|")), (
            f"{name}: {outcome!r} lacks {expected!r}")


@pytest.mark.parametrize("name", LIBRARIES)
def test_open_a_library_file(name: str, tmp_path: Path) -> None:
    copy = tmp_path / "hylo.db"
    shutil.copyfile(CORPUS / name, copy)  # opening may write (WAL, migration): never the corpus
    _check(name, _outcome(lambda: _read_everything(copy)))


@pytest.mark.parametrize("name", EXPORTS)
def test_import_an_export_file(name: str, tmp_path: Path) -> None:
    target = tmp_path / "hylo.db"
    outcome = _outcome(lambda: import_file(target, CORPUS / name))
    _check(name, outcome)
    if outcome is not None and target.exists():  # refused: nothing was written
        with open_store(target) as store:
            assert store.abstractions() == [] and store.grammar("lists") is None
            assert store.get_meta(frontiers_key("lists")) is None
    if outcome is None:
        with open_store(target) as store:
            assert {a.name for a in load_grammar(store, LISTS, "lists").dsl.inventions.values()} \
                == {"fn_0", "fn_1"}


def _cli(*args: str) -> tuple[int, str]:
    from hylo.cli import app

    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"hylo {' '.join(args)} raised {result.exception!r}")
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("name", sorted({*LIBRARIES[::2], *(n for n in LIBRARIES if "/ok_" in n)}))
def test_library_show_on_a_library_file(name: str, tmp_path: Path) -> None:
    copy = tmp_path / "hylo.db"
    shutil.copyfile(CORPUS / name, copy)
    code, output = _cli("library", "show", "--library", str(copy))
    # `show` prints rows as stored (a body that does not parse is still text to show), so a
    # damaged library may show (0) or be refused (2); never a traceback, never another code.
    assert code == 0 if EXPECTED[name] is None else code in (0, 2), output


@pytest.mark.parametrize("name", EXPORTS[::4] + ["exports/ok_valid.json"])
def test_library_import_on_an_export_file(name: str, tmp_path: Path) -> None:
    code, output = _cli("library", "import", "--library", str(tmp_path / "hylo.db"),
                        str(CORPUS / name))
    assert code == (0 if EXPECTED[name] is None else 2), output


# ------------------------------------------------------------------ made at test time
def test_a_library_path_that_is_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "lib.db"
    folder.mkdir()
    assert "is a directory" in (_outcome(lambda: open_store(folder)) or "")


def test_a_library_path_under_a_file(tmp_path: Path) -> None:
    parent = tmp_path / "plain-file"
    parent.write_text("x")
    outcome = _outcome(lambda: open_store(parent / "sub" / "hylo.db"))
    assert outcome is not None and "is a file, not a folder" in outcome
    code, output = _cli("library", "show", "--library", str(parent / "hylo.db"))
    assert code == 2


def test_an_export_that_is_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "lib.json"
    folder.mkdir()
    outcome = _outcome(lambda: import_file(tmp_path / "hylo.db", folder))
    assert outcome is not None and "is a directory" in outcome


def test_an_export_over_the_size_cap(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:  # sparse: fast to make, never read past the cap
        handle.truncate(MAX_FILE_BYTES + 10)
    outcome = _outcome(lambda: import_file(tmp_path / "hylo.db", big))
    assert outcome is not None and "larger than" in outcome


def test_an_export_too_deep_for_the_parser(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    outcome = _outcome(lambda: import_file(tmp_path / "hylo.db", deep))
    assert outcome is not None and "nests too deeply" in outcome


def test_export_to_a_path_under_a_file(tmp_path: Path) -> None:
    from hylo.library.exchange import export_file

    parent = tmp_path / "plain-file"
    parent.write_text("x")
    outcome = _outcome(lambda: export_file(open_store(None), parent / "out.json", "lists"))
    assert outcome is not None and "cannot write" in outcome


def test_learn_on_a_library_under_a_file(tmp_path: Path) -> None:
    from hylo.learn.loop import LearnConfig, learn

    parent = tmp_path / "plain-file"
    parent.write_text("x")
    config = LearnConfig(domain="lists", suite="lists", iterations=1)
    outcome = _outcome(lambda: learn(parent / "hylo.db", config))
    assert outcome is not None and "plain-file" in outcome


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_never_blocks(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "not a regular file" in (_outcome(lambda: open_store(fifo)) or "")
    assert "not a regular file" in (_outcome(lambda: import_file(tmp_path / "h.db", fifo)) or "")
