"""Evaluation limits. A program that loops, explodes or raises is a recorded failure."""

from __future__ import annotations

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
