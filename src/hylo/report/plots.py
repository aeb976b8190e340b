"""Figures for the learning report, drawn with matplotlib and returned as embeddable PNG.

Each function takes plain data (lists, dicts) and returns a `data:image/png;base64,...` URI, so
the report is one self-contained HTML file. matplotlib is imported on first use (Agg backend):
the CLI stays fast to import.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

_DPI = 110


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight")
    _plt().close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def learning_curve(
    iterations: Sequence[int],
    train_pct: Sequence[float | None],
    test_pct: Sequence[float | None],
    test_timeouts: Sequence[float | None],
) -> str:
    """Solved % per iteration: training tasks (solved by any iteration so far) and test tasks
    (solved at that iteration; marker filled where the test ran at the benchmark timeout)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    ax.plot(iterations, _nan(train_pct), "o-", color="#1f77b4", label="train (solved so far)")
    ax.plot(iterations, _nan(test_pct), "-", color="#d62728", alpha=0.6)
    full = max((t for t in test_timeouts if t), default=None)
    for x, y, t in zip(iterations, test_pct, test_timeouts, strict=True):
        if y is None:
            continue
        filled = t == full
        ax.plot([x], [y], "s", color="#d62728", markerfacecolor="#d62728" if filled else "white",
                markersize=7)
        ax.annotate(f"{y:.0f}%", (x, y), textcoords="offset points", xytext=(0, 7),
                    ha="center", fontsize=8, color="#d62728")
    ax.plot([], [], "s", color="#d62728", label=f"test at {full:g}s" if full else "test")
    if any(t != full for t in test_timeouts if t):
        others = sorted({t for t in test_timeouts if t and t != full})
        ax.plot([], [], "s", color="#d62728", markerfacecolor="white",
                label="test at " + ", ".join(f"{t:g}s" for t in others))
    ax.set_xlabel("iteration")
    ax.set_ylabel("tasks solved (%)")
    ax.set_ylim(0, 100)
    ax.set_xticks(list(iterations))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Learning curve")
    return _uri(fig)


def search_times(
    iterations: Sequence[int],
    series: Mapping[str, Sequence[float | None]],
) -> str:
    """Median search seconds per solved task, per iteration (log scale)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    for label, ys in series.items():
        ax.plot(iterations, _nan(ys), "o-", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("median seconds per solved task")
    ax.set_xticks(list(iterations))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    ax.set_title("Search time")
    return _uri(fig)


def speedup_scatter(points: Sequence[tuple[str, float, float]], first: int, last: int) -> str:
    """Per task solved at both iterations: seconds at `first` (x) against at `last` (y)."""
    return time_scatter(points, f"seconds at iteration {first}",
                        f"seconds at iteration {last}", "Test tasks solved at both")


def time_scatter(points: Sequence[tuple[str, float, float]], xlabel: str, ylabel: str,
                 title: str) -> str:
    """Per task: seconds one way (x) against another (y), log-log, with the no-change and
    3x-faster lines."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.8, 4.6))
    xs = [max(a, 1e-3) for _, a, _ in points]
    ys = [max(b, 1e-3) for _, _, b in points]
    ax.scatter(xs, ys, s=14, alpha=0.7, color="#2ca02c")
    lo = min([*xs, *ys, 1e-3])
    hi = max([*xs, *ys, 1.0])
    ax.plot([lo, hi], [lo, hi], "--", color="grey", linewidth=1, label="no change")
    ax.plot([lo, hi], [lo / 3, hi / 3], ":", color="grey", linewidth=1, label="3x faster")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    return _uri(fig)


def library_growth(iterations: Sequence[int], sizes: Sequence[int]) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.8, 3.0))
    ax.bar(iterations, sizes, color="#9467bd")
    ax.set_xlabel("iteration")
    ax.set_ylabel("abstractions")
    ax.set_xticks(list(iterations))
    ax.set_title("Library size")
    ax.grid(alpha=0.3, axis="y")
    return _uri(fig)


def dependency_graph(
    nodes: Sequence[tuple[str, int, int]],
    edges: Sequence[tuple[str, str]],
    gists: Mapping[str, str] | None = None,
) -> str:
    """Abstractions (name, iteration learned, uses) as nodes laid out by iteration (columns);
    an arrow from A to B when B's body calls A. Node area grows with uses; `gists[name]`, a few
    words (the primitives its body uses), is written under the node."""
    gists = gists or {}
    plt = _plt()
    by_iter: dict[int, list[str]] = {}
    for name, it, _ in nodes:
        by_iter.setdefault(it, []).append(name)
    cols = sorted(by_iter)
    height = max((len(v) for v in by_iter.values()), default=1)
    fig, ax = plt.subplots(figsize=(max(5.0, 2.3 * len(cols) + 1.5),
                                    max(2.5, 0.85 * height + 1.2)))
    pos: dict[str, tuple[float, float]] = {}
    for ci, it in enumerate(cols):
        names = by_iter[it]
        for k, n in enumerate(names):
            pos[n] = (float(ci), (len(names) - 1) / 2.0 - k)  # each column centred on 0
    uses = {n: u for n, _, u in nodes}
    for a, b in edges:
        if a in pos and b in pos:
            ax.annotate("", xy=pos[b], xytext=pos[a],
                        arrowprops={"arrowstyle": "-|>", "color": "#7f7f7f", "lw": 1.0,
                                    "shrinkA": 17, "shrinkB": 17,
                                    "connectionstyle": "arc3,rad=0.15"})
    for n, (x, y) in pos.items():
        size = 550 + 80 * math.sqrt(max(uses.get(n, 0), 0))
        ax.scatter([x], [y], s=size, color="#ffbb78", edgecolor="#d62728", zorder=3)
        ax.annotate(n, (x, y), ha="center", va="center", fontsize=7, zorder=4)
        if gists.get(n):
            ax.annotate(gists[n], (x, y), textcoords="offset points", xytext=(0, -17),
                        ha="center", va="top", fontsize=6.5, color="#444444", zorder=4)
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels([f"iteration {c}" for c in cols], fontsize=8)
    ax.set_yticks([])
    ax.set_xlim(-0.6, max(len(cols) - 0.4, 0.6))
    ax.set_ylim(-height / 2.0 - 0.6, height / 2.0 + 0.1)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title("Library: which abstraction calls which (arrow: used by)")
    if not nodes:
        ax.text(0.5, 0.5, "no abstractions yet", ha="center", va="center",
                transform=ax.transAxes)
    return _uri(fig)


def _nan(ys: Sequence[float | None]) -> list[float]:
    return [math.nan if y is None else float(y) for y in ys]
