"""The learning commands through typer (mounted on a test app, as `hylo.cli` mounts them)."""

from __future__ import annotations

import json
import subprocess
import sys

import typer
from typer.testing import CliRunner

from hylo import cli_learn
from hylo.library import open_store

app = typer.Typer()
app.command("learn")(cli_learn.learn_lists)
app.command("report")(cli_learn.report)
app.command("export")(cli_learn.library_export)
app.command("import")(cli_learn.library_import)
runner = CliRunner()


def test_import_is_light():
    code = ("import sys, hylo.cli_learn; heavy = [m for m in ('torch', 'matplotlib', "
            "'stitch_core', 'numpy') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_learn_report_export_import(tmp_path):
    db = tmp_path / "lib.db"
    r = runner.invoke(app, ["learn", "--iterations", "2", "--workers", "1", "--library", str(db),
                            "--train-limit", "4", "--test-limit", "2", "--timeout", "0.5",
                            "--probe-timeout", "0.5", "--train-timeouts", "0.5",
                            "--resolve-timeout", "0.3", "--keep", "2"])
    assert r.exit_code == 0, r.output
    assert "finished" in r.output
    with open_store(db) as store:
        assert [it.iteration for it in store.iterations()] == [0, 1]
    html = tmp_path / "r.html"
    r = runner.invoke(app, ["report", str(db), "--html", str(html)])
    assert r.exit_code == 0, r.output
    assert "data:image/png;base64," in html.read_text()
    out = tmp_path / "lib.json"
    r = runner.invoke(app, ["export", "--library", str(db), str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["format"] == "hylo-library"
    r = runner.invoke(app, ["import", "--library", str(tmp_path / "b.db"), str(out)])
    assert r.exit_code == 0, r.output
    # errors are messages and exit codes, not tracebacks
    r = runner.invoke(app, ["report", str(tmp_path / "missing.db"), "--html", str(html)])
    assert r.exit_code == 2
    r = runner.invoke(app, ["report", str(tmp_path / "b.db"), "--html", str(html)])
    assert r.exit_code == 2 and "no learning run" in r.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "hylo-library", "version": 99}')
    r = runner.invoke(app, ["import", "--library", str(tmp_path / "c.db"), str(bad)])
    assert r.exit_code == 2
    r = runner.invoke(app, ["learn", "--train-timeouts", "x", "--library", str(db)])
    assert r.exit_code == 2


def test_learn_takes_a_searcher_spec(tmp_path):
    db = tmp_path / "lib.db"
    bad = runner.invoke(app, ["learn", "--library", str(db), "--searcher", "no-such-searcher"])
    assert bad.exit_code == 2
    assert "unknown searcher" in bad.output and "Traceback" not in bad.output
    spec = '{"name": "enumerative", "params": {"max_lambda_depth": 1}}'
    r = runner.invoke(app, ["learn", "--iterations", "1", "--workers", "0", "--library", str(db),
                            "--train-limit", "2", "--test-limit", "1", "--timeout", "0.3",
                            "--train-timeouts", "0.3", "--searcher", spec])
    assert r.exit_code == 0, r.output
    with open_store(db) as store:
        (run,) = store.runs()
        assert run.config["searcher"] == {"name": "enumerative",
                                          "params": {"max_lambda_depth": 1}}


def test_guide_options_are_checked(tmp_path):
    db = tmp_path / "lib.db"
    for args in (["--guide", "bigram"], ["--guide-share", "0"], ["--guide-share", "2"]):
        r = runner.invoke(app, ["learn", "--library", str(db), "--iterations", "1", *args])
        assert r.exit_code == 2, r.output
    assert not db.exists()
