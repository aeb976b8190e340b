"""Evaluation limits. A program that loops, explodes or raises is a recorded failure."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Per-evaluation limits.

    `max_steps` counts function applications (the reference interpreter counts every node it
    evaluates; the fast evaluator counts calls of compiled lambdas, where all iteration happens).
    `max_seconds` is checked every 1024 steps. `max_depth` bounds Python recursion.
    List sizes and integer magnitudes are bounded by the domain's primitives themselves.
    """

    max_steps: int = 200_000
    max_seconds: float = 1.0
    max_depth: int = 400


DEFAULT_LIMITS = Limits()


class EvalFailure(Exception):
    """An evaluation failed: raised, ran out of steps/time, or recursed too deep."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class StepLimit(Exception):
    """Raised inside evaluation when the step or time budget is spent."""


@contextmanager
def guarded(limits: Limits) -> Iterator[None]:
    """Run untrusted evaluation: whatever it raises becomes an `EvalFailure`.

    Sets Python's recursion limit to what `limits.max_depth` needs for the duration, whatever
    the process had (so both evaluators, in any process, fail at the same depth), and puts the
    process-wide value back afterwards.
    """
    old = sys.getrecursionlimit()
    needed = limits.max_depth * 8 + 200
    try:
        sys.setrecursionlimit(needed)
    except RecursionError:  # already deeper than that: keep the limit the caller has
        pass
    try:
        yield
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
