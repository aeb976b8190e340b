"""The digits commands end to end at a tiny budget, and their import hygiene."""

import json
import subprocess
import sys

import pytest

pytest.importorskip("torch")

from hylo.cli_digits import bench_digits, learn_digits  # noqa: E402
from hylo.library import open_store  # noqa: E402


def test_importing_the_commands_and_the_domain_does_not_import_torch():
    code = ("import sys, hylo.cli_digits, hylo.domains.digits, hylo.neural.names; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_learn_then_bench_end_to_end(tmp_path):
    lib = tmp_path / "lib.db"
    out = tmp_path / "learn.json"
    learn_digits(library=lib, budget=12, classify_budget=60, seed=0, json_path=out, threads=1,
                 quick=True, iterations=1)
    summary = json.loads(out.read_text())
    assert [r["name"] for r in summary["tasks"]] == ["classify", "sum", "count", "sorted", "max"]
    with open_store(lib) as store:
        runs = store.runs()
        # the one learning loop ran it: a 'learn' run of domain digits, one iteration
        assert runs[-1].kind == "learn" and runs[-1].status == "finished"
        assert runs[-1].config["domain"] == "digits"
        assert [it.iteration for it in store.iterations(runs[-1].id)] == [0]
        assert len(store.solutions(run_id=runs[-1].id)) == 5
        names = {m.name for m in store.modules()}
        first = summary["tasks"][0]
        if first["saved_modules"]:  # task 1 trained a fresh module: it is in the library
            assert "classify" in names
            mod = store.get_module("classify", 1)
            assert mod.provenance["domain"] == "digits" and mod.provenance["split_seed"] == 0

    with open_store(lib) as store:
        before = len([m for m in store.modules() if m.name == "classify"])
    report_path = tmp_path / "bench.json"
    bench_digits(budgets="8", json_path=report_path, library=lib, seed=0, threads=1,
                 methods=True, sum2=True, quick=True)
    report = json.loads(report_path.read_text())
    assert report["suite"] == "digits" and report["budgets"] == [8]
    assert {"library_module", "tasks", "sum2_full", "training_methods", "wall_seconds"} <= set(
        report)
    assert len(report["tasks"]) == 5
    for row in report["tasks"]:
        assert {"name", "budget", "hylo_accuracy", "baseline_accuracy", "seconds",
                "program"} <= set(row)
        assert 0.0 <= row["hylo_accuracy"] <= 1.0 and 0.0 <= row["baseline_accuracy"] <= 1.0
    assert {r["method"] for r in report["training_methods"]} == {"gradient", "reinforce", "es",
                                                                 "ga"}
    with open_store(lib) as store:
        assert store.runs()[-1].kind == "bench-digits"
        # bench measures, it never adds classify versions of its own cells to the library
        after = len([m for m in store.modules() if m.name == "classify"])
        assert after - before <= (0 if before else 1)


def test_bench_rejects_bad_budgets():
    import typer

    with pytest.raises(typer.BadParameter):
        bench_digits(budgets="a,b", json_path=None, library=None, seed=0, threads=1,
                     methods=False, sum2=False, quick=True)
