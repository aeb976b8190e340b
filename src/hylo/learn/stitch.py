"""The one door to `stitch_core`: every call runs in a child process, guarded.

Stitch (Rust) finds the abstraction that compresses a corpus of programs most, rewrites the
corpus with it, and repeats. Version 0.1.29 panics on some abstractions that repeat an argument
unless `no_mismatch_check=True`; a panic surfaces in Python as `StitchException` (or as a
`BaseException` from pyo3), a bug in the extension could also hang or abort the process. So each
call runs in a fresh `spawn`ed process with a wall-clock limit, and every failure comes back as
an error string, never as an exception or a dead learning run.

The text format is Stitch's: `(lam (map (lam (+ $0 1)) $0))`, the same as `hylo.core.program.show`.
An abstraction's body uses `#0`, `#1`, ... for its arguments (`#0` is the first argument).
"""

from __future__ import annotations

import multiprocessing as mp
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

# Options that keep Stitch's output usable by a typed, eta-long grammar:
# - no_curried_metavars: an argument never stands in function position (`(#0 x)` would be filled
#   by a partial application such as `(+ 1)`, which the grammar cannot derive);
# - no_mismatch_check: 0.1.29 panics on a harmless cost mismatch otherwise.
DEFAULT_OPTIONS: dict[str, Any] = {"no_curried_metavars": True, "no_mismatch_check": True}


@dataclass(frozen=True)
class StitchAbstraction:
    """An abstraction as Stitch returns it (body in Stitch's `#i` notation)."""

    name: str
    body: str
    arity: int
    utility: float = 0.0
    uses: int = 0


@dataclass
class StitchOutcome:
    """What one guarded call gave back: abstractions and rewritten programs, or an error."""

    abstractions: list[StitchAbstraction] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


def _compress_child(conn: Any, programs: list[str], tasks: list[str] | None, kwargs: dict) -> None:
    try:
        import stitch_core

        res = stitch_core.compress(programs, tasks=tasks, **kwargs)
        abstractions = [
            (a["name"], a["body"], int(a["arity"]), float(a.get("utility", 0.0)),
             int(a.get("num_uses", 0)))
            for a in res.json["abstractions"]
        ]
        conn.send(("ok", abstractions, list(res.rewritten)))
    except BaseException as e:  # noqa: BLE001 - a Rust panic is a BaseException; report it
        conn.send(("error", f"{type(e).__name__}: {e}", traceback.format_exc(limit=3)))
    finally:
        conn.close()


def _guarded(target: Any, args: tuple, timeout: float) -> StitchOutcome:
    t0 = time.perf_counter()
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target, args=(child, *args), daemon=True)
    try:
        proc.start()
    except OSError as e:
        return StitchOutcome(error=f"could not start stitch process: {e}")
    child.close()
    out = StitchOutcome()
    try:
        if parent.poll(timeout):
            msg = parent.recv()
            if msg[0] == "ok":
                out.abstractions = [StitchAbstraction(*a) for a in msg[1]]
                out.rewritten = msg[2]
            else:
                out.error = msg[1]
        else:
            out.error = f"stitch took longer than {timeout:g}s"
    except (EOFError, OSError) as e:
        out.error = f"stitch process died (exit code {proc.exitcode}): {type(e).__name__}"
    finally:
        proc.join(1.0)
        if proc.is_alive():
            proc.kill()
            proc.join()
        parent.close()
    if out.error is None and proc.exitcode not in (0, None):
        out.error = f"stitch process exited with code {proc.exitcode}"
    out.seconds = time.perf_counter() - t0
    return out


def compress(
    programs: list[str],
    tasks: list[str] | None = None,
    *,
    iterations: int = 5,
    max_arity: int = 3,
    previous_abstractions: int = 0,
    timeout: float = 120.0,
    options: dict[str, Any] | None = None,
) -> StitchOutcome:
    """Learn up to `iterations` abstractions from `programs` (Stitch text); names continue at
    `fn_{previous_abstractions}`. `tasks[i]` names the task of `programs[i]`: an abstraction must
    be useful in at least two tasks. Never raises: failures come back in `.error`."""
    if not programs:
        return StitchOutcome()
    kwargs: dict[str, Any] = dict(DEFAULT_OPTIONS)
    kwargs.update(options or {})
    kwargs.update(
        iterations=iterations,
        max_arity=max_arity,
        previous_abstractions=previous_abstractions,
        silent=True,
    )
    out = _guarded(_compress_child, (list(programs), list(tasks) if tasks else None, kwargs),
                   timeout)
    if out.ok and len(out.rewritten) != len(programs):
        out.error = f"stitch returned {len(out.rewritten)} programs for {len(programs)}"
    return out
