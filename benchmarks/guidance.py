"""Guided vs unguided search from two `hylo bench --json` files of the same suite and budget.

    hylo bench lists --split test --timeout 1 --library L --json guided.json
    hylo bench lists --split test --timeout 1 --library L --no-guide --json plain.json
    python benchmarks/guidance.py guided.json plain.json [--json out.json]

Prints (and writes) the fields the recognition issue names: solved with and without guidance,
the tasks solved by both, the median search seconds of those tasks each way and their ratio
(`speedup`: unguided / guided), and the same for the candidates checked (which does not depend
on the machine's load). Works for `hylo bench arc` files too (their `solved` is ARC's).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys


def _tasks(doc: dict) -> dict[str, dict]:
    """Task name -> row, `solved` as the summary counts it: a program refuted on the task's
    held-out examples (synthetic suites) is not solved."""
    out = {}
    for t in doc["tasks"]:
        out[t.get("task") or t.get("name")] = {
            **t, "solved": bool(t["solved"]) and t.get("held_out") is not False}
    return out


def compare(guided: dict, plain: dict) -> dict:
    if guided.get("timeout") != plain.get("timeout"):
        raise ValueError("the two runs have different timeouts")
    g, p = _tasks(guided), _tasks(plain)
    both = [n for n in g if n in p and g[n]["solved"] and p[n]["solved"]]

    def median(rows: dict, names: list[str], key: str) -> float | None:
        vals = [rows[n].get(key) for n in names if rows[n].get(key) is not None]
        return statistics.median(vals) if vals else None

    out = {
        "guided": {"file_guided": guided.get("guided"), "guide": guided.get("guide")},
        "timeout": guided.get("timeout"),
        "total": len(g),
        "solved_guided": sum(bool(t["solved"]) for t in g.values()),
        "solved_unguided": sum(bool(t["solved"]) for t in p.values()),
        "solved_both": len(both),
        "only_guided": sorted(n for n in g if g[n]["solved"] and not p.get(n, {}).get("solved")),
        "only_unguided": sorted(n for n in p if p[n]["solved"] and not g.get(n, {}).get("solved")),
    }
    for key in ("seconds", "candidates"):
        a, b = median(p, both, key), median(g, both, key)
        out[f"median_{key}_unguided"] = a
        out[f"median_{key}_guided"] = b
        out[f"speedup_{key}"] = round(a / b, 2) if a is not None and b else None
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("guided")
    ap.add_argument("unguided")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    try:
        with open(args.guided) as f:
            guided = json.load(f)
        with open(args.unguided) as f:
            plain = json.load(f)
        out = compare(guided, plain)
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"error: {e}")
    print(json.dumps(out, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
