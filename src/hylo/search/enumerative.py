"""Enumerative search: check the enumerator's programs, cheapest first, against the examples."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hylo.core import evaluate
from hylo.core.domain import Domain
from hylo.core.evaluate import input_env
from hylo.core.grammar import QUANTUM, Grammar
from hylo.core.limits import COUNTER, EPOCH, EXPIRED, StepLimit, arm, disarm
from hylo.core.program import Program
from hylo.core.task import Task
from hylo.core.values import strict_equal
from hylo.search.base import Budget, Searcher, SearchResult, flag
from hylo.search.check import Checker
from hylo.search.enumerate import FAILED, Enumerator, Stopped

_CHUNK = 2048  # candidates between two looks at the clock and the budget
_MIN_SECONDS = 0.001


class EnumerativeSearcher(Searcher):
    """Best-first enumeration (see `hylo.search.enumerate`) with early cut-off on examples.

    A candidate runs on the examples in order and is dropped at the first wrong output, error
    or exhausted limit; the hot loop compares with `!=` (memoised value on the first example,
    then the compiled closure) when the domain's equality is the default `strict_equal`, which
    `!=` can only over-approve, else with the domain's `equal`. A candidate counts as found only
    once the shared `Checker` accepts it (domain equality on every example: `True` is not `1`).
    `keep` > 1 keeps searching after the first solution until `keep` were found (within the
    budget); they are returned in `SearchResult.extra`. With `all_inputs` (off by default) a fit
    that ignores an input is provisional (`Searcher.all_inputs`).

    Time: each candidate runs under `budget.limits`, its time limit never more than what is left
    of the budget; the watchdog (`hylo.core.limits`) stops a candidate when the budget expires,
    and bucket building watches the deadline too, so `solve` ends within its budget plus one
    poll of the watchdog. A request with finitely many programs ends with "exhausted".
    """

    name = "enumerative"
    params = ("max_lambda_depth", "keep", "all_inputs")

    def __init__(
        self,
        grammar: Grammar,
        domain: Domain | None = None,
        max_lambda_depth: int = 2,
        keep: int = 1,
        all_inputs: bool = False,
    ) -> None:
        super().__init__(grammar, domain)
        self.all_inputs = flag("all_inputs", all_inputs)
        for pname, value, low in (("max_lambda_depth", max_lambda_depth, 0), ("keep", keep, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= 64:
                raise ValueError(f"{pname} must be an integer in [{low}, 64], got {value!r}")
        self.max_lambda_depth = max_lambda_depth
        self.keep = keep

    def search(self, task: Task, budget: Budget) -> SearchResult:
        t0 = time.perf_counter()
        deadline = t0 + budget.seconds
        result = SearchResult(task.name, False)
        if not task.examples:
            result.stopped = "error: task has no examples"
            return result
        try:
            grammar = self.grammar_for(task)  # the task's constants join the grammar
            en = Enumerator(grammar, task.request, self.max_lambda_depth)
        except ValueError as e:
            result.stopped = f"error: {e}"
            return result
        en.deadline = deadline
        en.max_nodes = budget.max_nodes
        examples = [(input_env(ex.inputs), ex.output) for ex in task.examples]
        en.set_first_input(examples[0][0])
        equal = self.domain.equal if self.domain is not None else strict_equal
        limits = budget.limits
        evaluate.start(limits)  # step limit for every candidate; `start_cheap` resets the count
        found: list[tuple[int, int]] = []
        fallback: list[tuple[int, int]] = []  # fits that ignore an input (`all_inputs`)

        def final(p: Program) -> bool:
            return self.uses_every_input(p, task)

        tried = 0
        stopped = "exhausted"
        try:
            for cost, ids in en.buckets(empty=True):
                if time.perf_counter() > deadline:
                    stopped = "timeout"
                    break
                if en.size > budget.max_nodes:
                    stopped = "memory"
                    break
                for start in range(0, len(ids), _CHUNK):
                    chunk = ids[start : start + _CHUNK]
                    if budget.max_candidates is not None:  # never more than the budget allows
                        chunk = chunk[: budget.max_candidates - tried]
                    left = deadline - time.perf_counter()
                    if left <= 0:
                        stopped = "timeout"
                        break
                    seconds = max(_MIN_SECONDS, min(limits.max_seconds, left))
                    checker = Checker(grammar.dsl, equal, replace(limits, max_seconds=seconds))
                    evaluate.set_seconds(seconds)
                    arm(seconds, deadline)
                    try:
                        done = self._scan(en, chunk, examples, equal, checker, task, cost, found,
                                          fallback, final)
                    finally:
                        disarm()  # a search is never nested in an evaluation: watch nothing now
                    tried += done
                    if len(found) >= self.keep:
                        stopped = "solved"
                        break
                    if done < len(chunk) or time.perf_counter() > deadline:
                        stopped = "timeout"
                        break
                    if budget.max_candidates is not None and tried >= budget.max_candidates:
                        stopped = "candidates"
                        break
                if stopped != "exhausted":
                    break
        except Stopped as e:
            stopped = str(e.args[0])
        except RecursionError:
            stopped = "error: recursion while enumerating"
        except MemoryError:
            stopped = "memory"
        result.seconds = time.perf_counter() - t0
        result.candidates = tried
        result.stopped = "solved" if found or fallback else stopped
        if not found and fallback:
            found = fallback
            result.provisional = True
        if found:
            found.sort(key=lambda f: f[1])
            best, cost = found[0]
            result.solved = True
            result.program = str(en.program(best))
            result.description_length = cost / QUANTUM
            result.extra = [(str(en.program(n)), c / QUANTUM) for n, c in found[1 : self.keep]]
        return result

    @staticmethod
    def _scan(
        en: Enumerator,
        chunk: list[int],
        examples: list[tuple[tuple[Any, ...], Any]],
        equal: Any,
        checker: Checker,
        task: Task,
        cost: int,
        found: list[tuple[int, int]],
        fallback: list[tuple[int, int]],
        final: Callable[[Program], bool],
    ) -> int:
        """Check `chunk`'s candidates in order; returns how many were checked (fewer when the
        budget expired). Found ones are confirmed by `checker` and appended to `found`, or to
        `fallback` when `final` says they are only provisional (they ignore an input)."""
        value0 = en.value0
        closure = en.closure
        start_cheap = evaluate.start_cheap
        counter = COUNTER
        epoch = counter[EPOCH]  # this search's arming (see `hylo.core.limits.arm`)
        out0 = examples[0][1]
        rest = examples[1:]
        exact = equal is strict_equal  # then `!=` is a sound and fast pre-filter
        n = len(chunk)
        i = 0
        while i < n:
            first = i
            try:
                if exact:  # the hot loop, specialised: `!=` on every example
                    for i in range(first, n):  # i: where an interrupt landed
                        if counter[EXPIRED] == epoch:
                            return i
                        nid = chunk[i]
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
                                p = en.program(nid)
                                if checker.fits(p, task):
                                    (found if final(p) else fallback).append((nid, cost))
                        except Exception:  # raised, or ran out of its limits: no solution
                            pass
                    return n
                for i in range(first, n):
                    if counter[EXPIRED] == epoch:
                        return i
                    nid = chunk[i]
                    try:
                        v = value0(nid)
                        if v is FAILED or not equal(v, out0):
                            continue
                        fn = closure(nid)
                        start_cheap()
                        for env, out in rest:
                            if not equal(fn(env), out):
                                break
                        else:
                            p = en.program(nid)
                            if checker.fits(p, task):
                                (found if final(p) else fallback).append((nid, cost))
                    except Exception:  # raised, or ran out of its limits: not a solution
                        pass
                return n
            except StepLimit:  # the watchdog's interrupt landed between two candidates
                i += 1
        return n
