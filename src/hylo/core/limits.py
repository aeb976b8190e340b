"""Evaluation limits. A program that loops, explodes or raises is a recorded failure.

Two mechanisms keep every evaluation within its limits, whatever the program:

- Counting (deterministic, cheap): the evaluators count steps (calls of lambdas and saturated
  calls of primitives used as function values: all iteration a program can cause goes through
  one or the other) and read the clock every `CHECK_EVERY` steps.
- A watchdog (for the rest: a program whose steps each take long, a domain primitive that loops
  in Python): one daemon thread per process watches the generation counter that each evaluation
  increments. When one generation outlives its time limit, the watchdog first asks the evaluator
  to stop at its next step (it sets the checkpoint so the next counted call checks, and marks the
  generation killed: a newer evaluation is never touched); if the evaluation is still running a
  grace period later, it raises `Overrun` in the evaluating thread
  (`PyThreadState_SetAsyncExc`), which reaches it at its next Python bytecode. The hot path pays
  one counter increment per evaluation, nothing else.

Blind spots that remain: one C call that runs for long without returning to Python (a huge sort,
a blocking system call) is stopped only when it returns; domains bound their values' sizes.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Per-evaluation limits.

    `max_steps` counts function applications (the reference interpreter counts every node it
    evaluates; the fast evaluator counts calls of compiled lambdas; both count saturated calls
    of primitives used as function values). `max_seconds` holds for every program: checked
    every `CHECK_EVERY` steps and enforced by the watchdog otherwise. `max_depth` bounds Python
    recursion. List sizes and integer magnitudes are bounded by the domain's primitives.
    """

    max_steps: int = 200_000
    max_seconds: float = 1.0
    max_depth: int = 400


DEFAULT_LIMITS = Limits()
CHECK_EVERY = 1024


class EvalFailure(Exception):
    """An evaluation failed: raised, ran out of steps/time, or recursed too deep."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class StepLimit(Exception):
    """Raised inside evaluation when the step or time budget is spent."""


class Overrun(StepLimit):
    """Raised by the watchdog into an evaluation that outlived its time limit."""

    def __init__(self, message: str = "more than its time limit (stopped by the watchdog)") -> None:
        super().__init__(message)


# ------------------------------------------------------------------ the shared counter
# One list, shared by the fast evaluator (which closes over it), the reference interpreter and
# the watchdog; evaluation is single-threaded per process, so plain list items suffice.
# EXPIRES is an absolute `perf_counter` time (a search's deadline) after which the watchdog
# stops the current evaluation and sets EXPIRED, which a search loop reads between candidates.
# EPOCH counts armings; EXPIRED holds the epoch whose EXPIRES passed (0: none), so a late
# watchdog round can never expire the search armed after the one it looked at.
(STEPS, NEXT, MAX_STEPS, DEADLINE, SECONDS, GEN, KILLED, THREAD, ARMED, EXPIRES, EXPIRED,
 EPOCH) = range(12)
COUNTER: list = [0, CHECK_EVERY, DEFAULT_LIMITS.max_steps, 0.0, DEFAULT_LIMITS.max_seconds,
                 0, -1, 0, False, math.inf, 0, 0]


def arm(seconds: float, expires: float = math.inf) -> bool:
    """Watch this thread's evaluations (each new generation) under `seconds` each, and none
    past `expires`; returns the previous armed state for `disarm` to restore. Starts the
    watchdog on first use."""
    c = COUNTER
    was = c[ARMED]
    c[SECONDS] = seconds
    ident = threading.get_ident()
    if c[THREAD] != ident:
        c[THREAD] = ident
        _CLOCK[0] = _cpu_clock(ident)
    c[GEN] += 1
    # A search's arming (a finite `expires`) always starts a new epoch, even when the state says
    # armed: an interrupt that landed in a `finally` can leave ARMED set, and the new search must
    # not inherit the last one's passed deadline. Nested evaluations (`guarded`) keep the epoch.
    if not was or expires != math.inf:
        # order matters: a watchdog that sees the new epoch sees the new EXPIRES
        c[EXPIRES] = expires
        c[EPOCH] += 1
        c[EXPIRED] = 0
    c[ARMED] = True
    if not _WATCHDOG:
        _start_watchdog()
    return bool(was)


def disarm(previous: bool = False) -> None:
    """Stop watching (outside evaluation the watchdog must never fire)."""
    COUNTER[ARMED] = previous


def killed() -> bool:
    """The watchdog has asked the current evaluation to stop."""
    c = COUNTER
    return c[KILLED] == c[GEN]


_WATCHDOG: list[threading.Thread] = []
_CLOCK: list[int | None] = [None]  # the CPU-time clock of the watched thread, where there is one


def _cpu_clock(ident: int) -> int | None:
    try:
        return time.pthread_getcpuclockid(ident)
    except (AttributeError, OSError):
        return None


def _cpu(clock: int | None) -> float:
    """CPU seconds the watched thread has used (wall time where the OS cannot tell)."""
    if clock is None:
        return time.perf_counter()
    try:
        return time.clock_gettime(clock)
    except OSError:
        return time.perf_counter()
_SET_ASYNC = ctypes.pythonapi.PyThreadState_SetAsyncExc
_SET_ASYNC.argtypes = (ctypes.c_ulong, ctypes.py_object)


def _raise_in(thread: int, exc: type[BaseException] | None) -> None:
    _SET_ASYNC(ctypes.c_ulong(thread), ctypes.py_object(exc) if exc else ctypes.py_object())


def _watch() -> None:
    c = COUNTER
    seen = -1
    since = killed_at = cpu_at_kill = 0.0
    stage = 0
    while True:
        seconds = c[SECONDS]
        time.sleep(min(0.025, max(0.002, seconds / 8)))
        if not c[ARMED]:
            seen = -1
            continue
        gen = c[GEN]
        now = time.perf_counter()
        if gen != seen:  # a new evaluation: its clock starts now (it started at most a poll ago)
            seen, since, stage = gen, now, 0
        epoch = c[EPOCH]
        expires = c[EXPIRES]
        if c[EPOCH] != epoch:
            continue  # a search was armed meanwhile: look again at the next poll
        if now > expires:
            c[EXPIRED] = epoch  # that search is out of time: stop this evaluation too
        if now < min(since + seconds, max(expires, since)):
            continue
        if stage == 0:
            c[KILLED] = gen  # polite: the next counted step of this generation raises
            c[NEXT] = -1
            killed_at = now
            cpu_at_kill = _cpu(_CLOCK[0])
            stage = 1
            continue
        grace = min(max(0.01, seconds / 4), 0.25)
        # Interrupt only an evaluation that kept running (used CPU) after the polite request:
        # one that merely waited for a core will honour it, and an interrupt it does not need
        # might land after it ended.
        if now >= killed_at + stage * grace and _cpu(_CLOCK[0]) - cpu_at_kill >= grace / 2:
            thread = c[THREAD]
            if c[GEN] == gen and c[ARMED]:  # still the same evaluation: interrupt it
                _raise_in(thread, Overrun)
                if c[GEN] != gen or not c[ARMED]:  # it ended meanwhile: take the exception back
                    _raise_in(thread, None)
            stage += 1


def _start_watchdog() -> None:
    t = threading.Thread(target=_watch, name="hylo-eval-watchdog", daemon=True)
    t.start()
    _WATCHDOG.append(t)


def _after_fork() -> None:  # threads do not survive fork: the child starts its own when needed
    _WATCHDOG.clear()
    COUNTER[ARMED] = False
    COUNTER[THREAD] = 0  # re-read the thread's CPU clock


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


@contextmanager
def guarded(limits: Limits) -> Iterator[None]:
    """Run untrusted evaluation: whatever it raises becomes an `EvalFailure`.

    Watched by the watchdog for `limits.max_seconds`. Sets Python's recursion limit to what
    `limits.max_depth` needs for the duration, whatever the process had (so both evaluators, in
    any process, fail at the same depth), and puts the process-wide value back afterwards.
    """
    old = sys.getrecursionlimit()
    needed = limits.max_depth * 8 + 200
    try:
        sys.setrecursionlimit(needed)
    except RecursionError:  # already deeper than that: keep the limit the caller has
        pass
    was = bool(COUNTER[ARMED])
    try:
        try:
            arm(limits.max_seconds)
            yield
        finally:
            disarm(was)
    except EvalFailure:
        raise
    except StepLimit as e:
        raise EvalFailure("limit", str(e)) from None
    except RecursionError:
        raise EvalFailure("recursion", "too deep") from None
    except MemoryError:
        raise EvalFailure("memory", "out of memory") from None
    except Exception as e:  # a program that raises is a recorded failure, whatever it raised
        raise EvalFailure("error", f"{type(e).__name__}: {e}") from None
    finally:
        sys.setrecursionlimit(old)
