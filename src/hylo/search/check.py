"""The one checker: does a program fit a task's examples, under the evaluator's limits.

Every searcher confirms what it reports here (the `Searcher.solve` template does it), the CLI
verifies with it and the learner's rewrite check uses it, so "fits the examples" has exactly one
meaning: for every example, the fast evaluator's output under `limits` is `equal` (the domain's
value equality) to the expected output, and no evaluation fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hylo.core.dsl import DSL
from hylo.core.evaluate import run_program
from hylo.core.limits import DEFAULT_LIMITS, EvalFailure, Limits
from hylo.core.program import Program
from hylo.core.task import Task
from hylo.core.values import strict_equal


@dataclass(frozen=True)
class Check:
    """The outcome of checking one program on one task."""

    passed: int
    total: int
    failures: tuple[str, ...] = field(default=())  # per failing example: why (wrong, error kind)

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.passed == self.total


class Checker:
    """Checks programs over `dsl` with `equal` (the domain's) under `limits`."""

    def __init__(
        self,
        dsl: DSL,
        equal: Callable[[Any, Any], bool] = strict_equal,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.dsl = dsl
        self.equal = equal
        self.limits = limits

    def program(self, program: Program | str) -> Program:
        return self.dsl.parse(program) if isinstance(program, str) else program

    def outputs(self, program: Program | str, task: Task) -> list[Any] | None:
        """The program's output on each example, None if any evaluation fails."""
        p = self.program(program)
        out = []
        for ex in task.examples:
            try:
                out.append(run_program(p, self.dsl, ex.inputs, self.limits))
            except EvalFailure:
                return None
        return out

    def check(self, program: Program | str, task: Task, stop_early: bool = False) -> Check:
        """Run on every example (or up to the first failure with `stop_early`)."""
        try:
            p = self.program(program)
        except (ValueError, KeyError) as e:
            return Check(0, len(task.examples), (f"unparsable: {e}",))
        passed = 0
        failures: list[str] = []
        for i, ex in enumerate(task.examples):
            try:
                got = run_program(p, self.dsl, ex.inputs, self.limits)
            except EvalFailure as e:
                failures.append(f"example {i}: {e.kind}")
            else:
                if self.equal(got, ex.output):
                    passed += 1
                    continue
                failures.append(f"example {i}: wrong output")
            if stop_early:
                break
        return Check(passed, len(task.examples), tuple(failures))

    def fits(self, program: Program | str, task: Task) -> bool:
        return self.check(program, task, stop_early=True).ok
