"""benchmarks/guidance.py: the guided-vs-unguided figures from two bench JSON files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "guidance.py"
_spec = importlib.util.spec_from_file_location("guidance_bench", _PATH)
guidance = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(guidance)


def _doc(rows, guided, timeout=1.0):
    return {"timeout": timeout, "guided": guided, "guide": None,
            "tasks": [{"task": n, "solved": s, "seconds": t, "candidates": c, **extra}
                      for n, s, t, c, extra in rows]}


def test_compare_counts_both_and_divides_the_medians():
    plain = _doc([("a", True, 0.4, 400, {}), ("b", True, 0.2, 200, {}),
                  ("c", False, 1.0, 999, {}), ("d", True, 0.9, 900, {"held_out": False})],
                 guided=False)
    guided = _doc([("a", True, 0.1, 100, {}), ("b", True, 0.1, 50, {}),
                   ("c", True, 0.5, 500, {}), ("d", True, 0.1, 90, {})], guided=True)
    out = guidance.compare(guided, plain)
    assert (out["solved_guided"], out["solved_unguided"], out["solved_both"]) == (4, 2, 2)
    assert out["only_guided"] == ["c", "d"] and out["only_unguided"] == []
    assert out["median_seconds_unguided"] == pytest.approx(0.3)
    assert out["median_seconds_guided"] == pytest.approx(0.1)
    assert out["speedup_seconds"] == 3.0 and out["speedup_candidates"] == 4.0


def test_runs_at_different_budgets_are_not_compared():
    with pytest.raises(ValueError):
        guidance.compare(_doc([], True, 1.0), _doc([], False, 2.0))
