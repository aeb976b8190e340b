"""A third-party package registers a domain and a searcher through entry points only, and
`hylo bench` and `hylo learn` run them, in parallel too (pool workers are spawned processes
that find the plug-in through the same `PYTHONPATH`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

SITE = Path(__file__).parent / "site"
runner = CliRunner()

ENTRY_POINTS = """\
[hylo.domains]
toy = hylo_toy:load_domain

[hylo.searchers]
toy-exhaustive = hylo_toy:ExhaustiveSearcher
"""


def make_site(root: Path, entry_points: str = ENTRY_POINTS, name: str = "hylo_toy") -> Path:
    """A directory holding the plug-in and its `*.dist-info`, as pip would lay it out."""
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "hylo_toy").exists():
        shutil.copytree(SITE / "hylo_toy", root / "hylo_toy",
                        ignore=shutil.ignore_patterns("__pycache__"))
    info = root / f"{name}-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)
    return root


def _clear_caches() -> None:
    from hylo.domains import get_domain
    from hylo.search.registry import searcher_class

    get_domain.cache_clear()
    searcher_class.cache_clear()


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The plug-in visible to this process (sys.path) for in-process CLI runs."""
    site = make_site(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    _clear_caches()
    yield site
    sys.modules.pop("hylo_toy", None)
    _clear_caches()


def _hylo(
    args: list[str], site: Path, cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess:
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path, COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "hylo.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


EXPECTED = {
    "plus-two": "(lam (inc (inc $0)))",
    "twice-plus-two": "(lam (dbl (inc $0)))",
    "four-times": "(lam (dbl (dbl $0)))",
    "minus-one": "(lam (neg (inc (neg $0))))",
    "twice-plus-one": "(lam (inc (dbl $0)))",
    "negate-twice-plus-two": "(lam (dbl (neg (inc $0))))",  # first in chain order
}


def test_bench_runs_the_plugin_domain_and_searcher_in_two_worker_processes(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    out = tmp_path / "bench.json"
    db = tmp_path / "lib.db"
    r = _hylo(["bench", "toy-suite", "--split", "all", "--searcher",
               '{"name": "toy-exhaustive", "params": {"max_depth": 4}}', "--workers", "2",
               "--timeout", "10", "--json", str(out), "--library", str(db)], site, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    data = json.loads(out.read_text())
    assert data["domain"] == "toy" and data["workers"] == 2 and data["executor"] == "pool"
    assert data["searcher"] == {"name": "toy-exhaustive", "params": {"max_depth": 4}}
    assert data["total"] == 6 and data["solved"] == 6
    assert {t["name"]: t["program"] for t in data["tasks"]} == EXPECTED
    assert {t["strategy"] for t in data["tasks"]} == {"toy-exhaustive"}
    from hylo.library import open_store

    with open_store(db) as store:
        assert [r.status for r in store.runs()] == ["finished"]
        assert set(store.best_solutions()) == set(EXPECTED)
        assert {p.domain for p in store.primitives()} == {"toy"}


def test_learn_runs_the_plugin_domain_with_two_workers(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    db = tmp_path / "lib.db"
    r = _hylo(["learn", "--domain", "toy", "--iterations", "2", "--workers", "2",
               "--library", str(db), "--timeout", "2", "--train-timeouts", "2",
               "--resolve-timeout", "1"], site, tmp_path, timeout=150)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr and "finished" in r.stdout
    from hylo.library import open_store

    with open_store(db) as store:
        assert [it.iteration for it in store.iterations()] == [0, 1]
        runs = store.runs()
        assert runs[-1].status == "finished" and runs[-1].config["domain"] == "toy"
        solved = set(store.best_solutions())
        train = set(sorted(EXPECTED)[::2])  # the plug-in's split
        assert train <= solved <= set(EXPECTED)


def test_searcher_spec_errors_are_one_line(plugin: Path) -> None:
    from hylo.cli import app

    bad = runner.invoke(app, ["bench", "toy-suite", "--searcher", "nope", "--workers", "0"])
    assert bad.exit_code == 2 and "unknown searcher 'nope'" in bad.output
    assert "toy-exhaustive" in bad.output  # the message lists what is installed
    param = runner.invoke(app, ["bench", "toy-suite", "--workers", "0", "--searcher",
                                '{"name": "toy-exhaustive", "params": {"depth": 1}}'])
    assert param.exit_code == 2 and "no parameter depth" in param.output
    value = runner.invoke(app, ["bench", "toy-suite", "--workers", "0", "--searcher",
                                '{"name": "toy-exhaustive", "params": {"max_depth": -1}}'])
    assert value.exit_code == 2 and "max_depth" in value.output
    for r in (bad, param, value):
        assert "Traceback" not in r.output and r.exception is None or isinstance(
            r.exception, SystemExit)


def test_inline_bench_of_a_plugin_suite_in_process(plugin: Path, tmp_path: Path) -> None:
    from hylo.cli import app

    out = tmp_path / "b.json"
    r = runner.invoke(app, ["bench", "toy-suite", "--domain", "toy", "--split", "test",
                            "--searcher", "toy-exhaustive", "--workers", "0",
                            "--json", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["executor"] == "inline" and data["split"] == "test" and data["total"] == 3
    assert data["timeout"] == 5.0  # the domain's default
    assert all(t["program"] == EXPECTED[t["name"]] for t in data["tasks"])


def test_a_suite_in_two_domains_is_ambiguous(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    site = make_site(tmp_path / "site")
    # a second plug-in package whose domain has a suite of the same name
    make_site(site, "[hylo.domains]\ntoy2 = hylo_toy:load_domain\n", name="hylo_toy_again")
    monkeypatch.syspath_prepend(str(site))
    _clear_caches()
    try:
        from hylo.cli import app

        r = runner.invoke(app, ["bench", "toy-suite", "--workers", "0"])
        assert r.exit_code == 2
        assert "several domains" in r.output and "toy" in r.output and "toy2" in r.output
    finally:
        sys.modules.pop("hylo_toy", None)
        _clear_caches()


def test_a_broken_plugin_is_a_clear_error_and_does_not_break_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path / "site", "[hylo.domains]\nbroken = hylo_toy:no_such_function\n")
    monkeypatch.syspath_prepend(str(site))
    _clear_caches()
    try:
        from hylo.cli import app

        r = runner.invoke(app, ["learn", "--domain", "broken", "--iterations", "1"])
        assert r.exit_code == 2 and "failed to load" in r.output
        ok = runner.invoke(app, ["bench", "--help"])
        assert ok.exit_code == 0
    finally:
        sys.modules.pop("hylo_toy", None)
        _clear_caches()


def test_a_domain_command_is_mounted_under_its_group(plugin: Path) -> None:
    from hylo.cli import app

    listed = runner.invoke(app, ["bench", "--help"])
    assert listed.exit_code == 0 and "toy-stats" in listed.output
    r = runner.invoke(app, ["bench", "toy-stats", "--squares"])
    assert r.exit_code == 0, r.output
    assert "6 toy tasks, 36 examples" in r.output and "3->9" in r.output
    # a suite name is not taken for a command, nor a command for a suite
    s = runner.invoke(app, ["bench", "toy-suite", "--workers", "0", "--searcher",
                            "toy-exhaustive", "--split", "all"])
    assert s.exit_code == 0 and "6/6 solved" in s.output
