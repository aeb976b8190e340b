"""Enumerative search: check the enumerator's programs, cheapest first, against the examples."""

from __future__ import annotations

import time
from collections.abc import Iterator

from hylo.core import evaluate
from hylo.core.evaluate import input_env
from hylo.core.grammar import QUANTUM, Grammar
from hylo.core.limits import StepLimit
from hylo.core.program import Program
from hylo.core.task import Task
from hylo.core.types import Type
from hylo.search.base import Budget, Searcher, SearchResult
from hylo.search.enumerate import FAILED, Enumerator


class EnumerativeSearcher(Searcher):
    """Best-first enumeration (see `hylo.search.enumerate`) with early cut-off on examples.

    A candidate is run on the examples in order and dropped at the first wrong output, error or
    exhausted limit. `keep` > 1 keeps searching after the first solution until `keep` solutions
    were found (within the budget); they are returned in `SearchResult.extra`.
    """

    def __init__(self, grammar: Grammar, max_lambda_depth: int = 2, keep: int = 1) -> None:
        super().__init__(grammar)
        self.max_lambda_depth = max_lambda_depth
        self.keep = keep

    def candidates(self, request: Type) -> Iterator[tuple[Program, float]]:
        en = Enumerator(self.grammar, request, self.max_lambda_depth)
        for cost, ids in en.buckets():
            for nid in ids:
                yield en.program(nid), cost / QUANTUM

    def solve(self, task: Task, budget: Budget) -> SearchResult:
        t0 = time.perf_counter()
        result = SearchResult(task.name, False)
        try:
            en = Enumerator(self.grammar, task.request, self.max_lambda_depth)
        except ValueError as e:
            result.stopped = f"error: {e}"
            return result
        examples = [(input_env(ex.inputs), ex.output) for ex in task.examples]
        if not examples:
            result.stopped = "error: task has no examples"
            return result
        en.set_first_input(examples[0][0])
        out0 = examples[0][1]
        rest = examples[1:]
        value0 = en.value0
        closure = en.closure
        limits = budget.limits
        evaluate.start(limits)  # sets step and time limits; each candidate resets the counter
        start_cheap = evaluate.start_cheap
        deadline = t0 + budget.seconds
        max_candidates = budget.max_candidates
        found: list[tuple[int, int]] = []
        tried = 0
        stopped = "exhausted"
        try:
            for cost, ids in en.buckets():
                if time.perf_counter() > deadline:
                    stopped = "timeout"
                    break
                if en.size > budget.max_nodes:
                    stopped = "memory"
                    break
                for start in range(0, len(ids), 2048):
                    chunk = ids[start : start + 2048]
                    if max_candidates is not None:  # never check more than the budget allows
                        chunk = chunk[: max_candidates - tried]
                    for nid in chunk:
                        # Memoised value on the first example: one primitive call per program.
                        v = value0(nid)
                        if v is FAILED or v != out0:
                            continue
                        fn = closure(nid)
                        start_cheap()
                        try:
                            for env, out in rest:
                                if fn(env) != out:
                                    break
                            else:
                                found.append((nid, cost))
                        except (Exception, StepLimit):
                            pass
                    tried += len(chunk)
                    if len(found) >= self.keep:
                        stopped = "solved"
                        break
                    if time.perf_counter() > deadline:
                        stopped = "timeout"
                        break
                    if max_candidates is not None and tried >= max_candidates:
                        stopped = "candidates"
                        break
                if stopped != "exhausted":
                    break
        except RecursionError:
            stopped = "error: recursion while enumerating"
        except MemoryError:
            stopped = "memory"
        result.seconds = time.perf_counter() - t0
        result.candidates = tried
        result.stopped = "solved" if found else stopped
        if found:
            found.sort(key=lambda f: f[1])
            best, cost = found[0]
            result.solved = True
            result.program = str(en.program(best))
            result.description_length = cost / QUANTUM
            result.extra = [(str(en.program(n)), c / QUANTUM) for n, c in found[1 : self.keep]]
        return result
