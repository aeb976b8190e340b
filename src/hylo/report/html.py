"""The learning report: one self-contained HTML file read from a library store.

What it shows, for one learning run (the latest unless asked): the learning curve (train and test
solved % per iteration), median search seconds per solved task, the per-task speed-up on test
tasks solved both at the first and the last iteration, the library as a table (name, type, body,
body in base primitives, iteration, uses, tasks) and as a dependency graph, and a table per
iteration (timings, what was added). Figures are PNG embedded as data URIs (`hylo.report.plots`).
"""

from __future__ import annotations

import datetime as _dt
import html
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hylo.library import Store, open_store

RUN_KIND = "learn"


@dataclass
class ReportData:
    run: Any
    iterations: list[Any]
    abstractions: list[Any]


def collect(store: Store, run_id: int | None = None) -> ReportData:
    runs = [r for r in store.runs() if r.kind == RUN_KIND]
    if run_id is not None:
        runs = [r for r in runs if r.id == run_id]
        if not runs:
            raise ValueError(f"no learning run {run_id} in this library")
    if not runs:
        raise ValueError("this library holds no learning run (run `hylo learn` first)")
    # the latest run that finished an iteration
    run = next((r for r in reversed(runs) if store.iterations(r.id)), runs[-1])
    last = max((it.iteration for it in store.iterations(run.id)), default=None)
    abstractions = store.abstractions(last, domain=run.config.get("domain"))
    return ReportData(run, store.iterations(run.id), abstractions)


def speedup(first: dict, last: dict) -> tuple[list[tuple[str, float, float]], float | None]:
    """Test tasks solved at both iterations: (name, seconds first, seconds last), and the ratio
    of the median seconds (first / last)."""
    a = first.get("test", {}).get("tasks", {})
    b = last.get("test", {}).get("tasks", {})
    both = [(n, a[n]["seconds"], b[n]["seconds"]) for n in sorted(a)
            if n in b and a[n]["solved"] and b[n]["solved"]]
    if not both:
        return both, None
    m1 = statistics.median(x for _, x, _ in both)
    m2 = statistics.median(y for _, _, y in both)
    return both, (m1 / m2 if m2 > 0 else None)


def render(store: Store, run_id: int | None = None) -> str:
    from hylo.report import plots

    data = collect(store, run_id)
    its = data.iterations
    xs = [it.iteration for it in its]
    ms = [it.metrics for it in its]

    def pct(split: str, m: dict) -> float | None:
        s = m.get(split, {})
        if not s.get("total") or (split == "test" and not s.get("searched")):
            return None
        return 100.0 * s.get("solved", 0) / s["total"]

    parts: list[str] = []
    cfg = data.run.config
    parts.append(f"<h1>hylo learning report: {_e(cfg.get('domain', '?'))}</h1>")
    wall = sum(m.get("seconds", {}).get("total", 0) for m in ms)
    parts.append(
        f"<p>Run {data.run.id} ({_e(data.run.status)}), started "
        f"{_e(_when(data.run.started_at))}; {len(its)} finished iteration(s); "
        f"wall time of finished iterations {wall / 60:.1f} min; "
        f"{cfg.get('workers')} worker(s).</p>"
    )
    if not its:
        parts.append("<p>No iteration has finished yet.</p>")
        return _page(parts)

    first, last = ms[0], ms[-1]
    both, ratio = speedup(first, last)
    headline = [
        ("train solved (any iteration)",
         _frac(last["train"].get("solved"), last["train"]["total"])),
        (f"test solved at iteration {xs[0]} ({first['test'].get('timeout', 0):g}s)",
         _frac(first["test"].get("solved"), first["test"]["total"])),
        (f"test solved at iteration {xs[-1]} ({last['test'].get('timeout', 0):g}s)",
         _frac(last["test"].get("solved"), last["test"]["total"])),
        ("library size", str(last.get("library_size", 0))),
        (f"median test seconds, solved at {xs[0]} and {xs[-1]} ({len(both)} tasks)",
         (f"{statistics.median(a for _, a, _ in both):.3f}s → "
          f"{statistics.median(b for _, _, b in both):.3f}s ({ratio:.1f}x)") if ratio else "–"),
    ]
    parts.append("<table class='kv'>" + "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in headline) + "</table>")

    parts.append("<h2>Learning curve</h2>")
    parts.append(_img(plots.learning_curve(
        xs, [pct("train", m) for m in ms], [pct("test", m) for m in ms],
        [m.get("test", {}).get("timeout") if m.get("test", {}).get("searched") else None
         for m in ms])))
    parts.append(_img(plots.search_times(xs, {
        "test (solved tasks)": [m.get("test", {}).get("median_seconds") for m in ms],
        "train (tasks searched and solved)": [m.get("train", {}).get("median_seconds")
                                              for m in ms],
    })))
    if both:
        parts.append(_img(plots.speedup_scatter(both, xs[0], xs[-1])))
    parts.append(_img(plots.library_growth(xs, [m.get("library_size", 0) for m in ms])))

    parts.append("<h2>Iterations</h2>")
    rows = []
    for x, m in zip(xs, ms, strict=True):
        tr, te, sec = m.get("train", {}), m.get("test", {}), m.get("seconds", {})
        rows.append([
            str(x),
            _frac(tr.get("solved"), tr.get("total")),
            f"{tr.get('solved_now', 0)}/{tr.get('searched', 0)} at ≤{tr.get('timeout', 0):g}s",
            _frac(te.get("solved"), te.get("total")) + f" at {te.get('timeout', 0):g}s"
            if te.get("searched") else "not tested",
            _num(te.get("median_seconds")),
            str(m.get("library_size", 0)),
            ", ".join(m.get("new_abstractions", [])) or "–",
            f"{sec.get('sleep', 0):.0f} / {sec.get('wake', 0):.0f} / {sec.get('test', 0):.0f}"
            f" / {sec.get('total', 0):.0f}",
            "; ".join(m.get("sleep", {}).get("errors", [])) or "–",
        ])
    parts.append(_table(["iteration", "train solved", "train searched: solved", "test solved",
                         "test median s", "library", "new", "s sleep / wake / test / total",
                         "stitch errors"], rows))

    parts.extend(_guidance(store, cfg, xs, ms))

    parts.append("<h2>Library</h2>")
    parts.append(_library(data.abstractions))
    if data.abstractions:
        nodes = [(a.name, a.iteration, int(a.provenance.get("uses", 0)))
                 for a in data.abstractions]
        names = {a.name for a in data.abstractions}
        edges = []
        for a in data.abstractions:
            for tok in _tokens(a.body):
                if tok in names and tok != a.name:
                    edges.append((tok, a.name))
        gists = {a.name: " ".join(_gist(a.body, names)) for a in data.abstractions}
        parts.append(_img(plots.dependency_graph(nodes, sorted(set(edges)), gists)))

    parts.append(f"<h2>Test tasks: iteration {xs[0]} and {xs[-1]}</h2>")
    rows = []
    a = first.get("test", {}).get("tasks", {})
    b = last.get("test", {}).get("tasks", {})
    for n in sorted(set(a) | set(b)):
        ra, rb = a.get(n, {}), b.get(n, {})
        rows.append([n, _solved(ra), _solved(rb), _e(rb.get("program") or "")])
    parts.append(_table(["task", f"iteration {xs[0]}", f"iteration {xs[-1]}",
                         f"program at iteration {xs[-1]}"], rows, raw_last=True))
    parts.append("<h2>Configuration</h2><pre>" + _e(_pretty(cfg)) + "</pre>")
    return _page(parts)


def write_report(library: str | Path | Store, out: str | Path, run_id: int | None = None) -> Path:
    store = open_store(library)
    try:
        text = render(store, run_id)
    finally:
        if not isinstance(library, Store):
            store.close()
    path = Path(out)
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ guidance
def guided_pair(store: Store, domain: str | None) -> tuple[Any, Any] | None:
    """The latest benchmark run with guidance and the latest without it on the same suite,
    split and timeout (of `domain`), or None when the library holds no such pair."""
    bench = [r for r in store.runs() if r.kind == "bench" and r.status == "finished"
             and (domain is None or r.config.get("domain") == domain)
             and "guided" in r.config]

    def key(r: Any) -> tuple:
        c = r.config
        return (c.get("suite"), c.get("split"), c.get("timeout"))

    for guided in reversed([r for r in bench if r.config["guided"]]):
        plain = [r for r in bench if not r.config["guided"] and key(r) == key(guided)]
        if plain:
            return guided, plain[-1]
    return None


def guidance_points(store: Store, guided: Any, plain: Any) -> tuple[
        list[tuple[str, float, float]], int, int]:
    """(name, seconds without, seconds with) of the tasks both runs solved; solved counts."""
    a = {t.task: t for t in store.attempts(plain.id)}
    b = {t.task: t for t in store.attempts(guided.id)}
    both = [(n, a[n].seconds, b[n].seconds) for n in sorted(a)
            if n in b and a[n].solved and b[n].solved]
    return both, sum(t.solved for t in a.values()), sum(t.solved for t in b.values())


def _guidance(store: Store, cfg: dict, xs: list[int], ms: list[dict]) -> list[str]:
    """The recognition model per iteration, and search time with vs without it."""
    from hylo.report import plots

    parts: list[str] = []
    rows = []
    for x, m in zip(xs, ms, strict=True):
        g = m.get("guide")
        if not g:
            continue
        total = m.get("seconds", {}).get("total") or 0.0
        test_ll = g.get("test_log_likelihood", {})
        rows.append([
            str(x), _e(g.get("mode", "unigram")), str(g.get("replays", 0)),
            str(g.get("dreams", 0)), str(g.get("epochs", 0)),
            f"{_num(g.get('valid_log_likelihood'))} vs "
            f"{_num(g.get('valid_log_likelihood_grammar'))}",
            f"{_num(test_ll.get('model'))} vs {_num(test_ll.get('grammar'))} "
            f"({test_ll.get('programs', 0)})",
            f"{m.get('seconds', {}).get('dream', 0):.0f}s "
            f"({100 * m.get('seconds', {}).get('dream', 0) / total:.0f}%)" if total else "–",
        ])
    pair = guided_pair(store, cfg.get("domain"))
    if not rows and pair is None:
        return parts
    parts.append("<h2>Guidance (recognition model)</h2>")
    if rows:
        parts.append(_table(["iteration", "mode", "replays", "dreams", "epochs",
                             "held-out replays: log-lik. model vs grammar",
                             "test solutions: log-lik. model vs grammar (programs)",
                             "dream phase (share of iteration)"], rows))
    if pair is not None:
        guided, plain = pair
        both, n_plain, n_guided = guidance_points(store, guided, plain)
        c = guided.config
        parts.append(
            f"<p>Benchmark runs {plain.id} (without guidance) and {guided.id} (with): "
            f"{_e(c.get('suite'))}/{_e(c.get('split'))} at {c.get('timeout')}s per task; "
            f"solved {n_plain} without, {n_guided} with.</p>")
        if both:
            m1 = statistics.median(a for _, a, _ in both)
            m2 = statistics.median(b for _, _, b in both)
            ratio = f"{m1 / m2:.1f}x" if m2 > 0 else "–"
            parts.append(f"<p>Tasks solved by both ({len(both)}): median {m1:.3f}s without, "
                         f"{m2:.3f}s with guidance ({ratio}).</p>")
            parts.append(_img(plots.time_scatter(both, "seconds without guidance",
                                                 "seconds with guidance",
                                                 "Search time per task")))
    return parts


# ------------------------------------------------------------------ pieces
def _library(abstractions: list[Any]) -> str:
    if not abstractions:
        return "<p>The library has no abstractions yet.</p>"
    from hylo.core.program import inline_inventions, parse

    bodies: dict[str, Any] = {}
    rows = []
    for a in abstractions:
        try:
            body = parse(a.body, bodies)
            bodies[a.name] = body
            flat = str(inline_inventions(body))
        except ValueError:
            flat = "?"
        prov = a.provenance
        tasks = prov.get("tasks", [])
        rows.append([
            f"<b>{_e(a.name)}</b>", _e(a.type), f"<code>{_e(a.body)}</code>",
            f"<code>{_e(flat)}</code>" if flat != a.body else "same",
            str(a.iteration), str(prov.get("uses", "")),
            f"{len(tasks)}: " + _e(", ".join(tasks[:6]) + (" …" if len(tasks) > 6 else "")),
        ])
    return _table(["name", "type", "body", "in base primitives", "iteration", "uses",
                   "tasks (provenance)"], rows, raw=True)


def _gist(body: str, library: set[str], limit: int = 3) -> list[str]:
    """The first few distinct primitive names a body uses (what a reader recognises it by)."""
    out: list[str] = []
    for tok in _tokens(body):
        if tok in ("lam", "lambda") or tok.startswith("$") or tok in library or tok in out:
            continue
        if tok.lstrip("-").isdigit():
            continue
        out.append(tok)
    return out[:limit]


def _tokens(text: str) -> list[str]:
    return text.replace("(", " ").replace(")", " ").split()


def _table(head: list[str], rows: list[list[str]], raw: bool = False,
           raw_last: bool = False) -> str:
    out = ["<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    for r in rows:
        cells = []
        for k, c in enumerate(r):
            cells.append(c if raw or (raw_last and k == len(r) - 1) else _e(c))
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _img(uri: str) -> str:
    return f"<img src='{uri}' alt='figure'>"


def _solved(r: dict) -> str:
    if not r:
        return "–"
    return f"✓ {r['seconds']:.2f}s" if r.get("solved") else "✗"


def _frac(a: Any, b: Any) -> str:
    if a is None or not b:
        return "–"
    return f"{a}/{b} ({100.0 * a / b:.1f}%)"


def _num(x: Any) -> str:
    return "–" if x is None else f"{x:.3f}"


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _when(t: float) -> str:
    return _dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M")


def _pretty(d: dict) -> str:
    import json

    return json.dumps(d, indent=2, sort_keys=True)


_CSS = """
body{font-family:system-ui,-apple-system,sans-serif;margin:2em auto;max-width:1100px;
color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f4f4f4} table.kv th{width:28em}
code{font-size:12px} img{max-width:100%;margin:0.5em 0;display:block}
pre{background:#f7f7f7;padding:1em;font-size:12px;overflow:auto}
"""


def _page(parts: list[str]) -> str:
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>hylo learning report"
            f"</title><style>{_CSS}</style></head><body>" + "\n".join(parts) + "</body></html>")
