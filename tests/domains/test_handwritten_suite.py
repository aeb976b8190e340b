"""The handwritten DeepCoder-style tuning suite (benchmarks/handwritten_lists.py) builds the
same tasks from a seed, and the lists domain reads them with their held-out examples."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from hylo.domains.lists import load_domain

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "handwritten_lists.py"


def _module():
    spec = importlib.util.spec_from_file_location("handwritten_lists", _PATH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_builds_the_same_suite_and_the_domain_reads_it(tmp_path: Path) -> None:
    mod = _module()
    tasks = mod.build(seed=0)
    assert tasks == mod.build(seed=0) and tasks != mod.build(seed=1)
    assert len(tasks) == len(mod.TASKS) and len({t["name"] for t in tasks}) == len(tasks)
    path = tmp_path / "hw.json"
    path.write_text(json.dumps(tasks))
    loaded = load_domain().load_file(str(path))
    assert len(loaded) == len(tasks)
    for t in loaded:
        assert len(t.examples) == 5 and len(t.held_out) == 10
        outputs = [json.dumps(ex.output) for ex in t.examples]
        assert len(set(outputs)) > 1, t.name  # examples that say something
