"""A portfolio: several registered strategies on one budget, first program that fits wins.

Members are searcher specs (`{"name", "params"}`), so any registered strategy joins the
portfolio by being named in its parameters: nothing here knows one strategy from another.

Two ways to share the budget (`mode`):

- `split`: members run one after another, member i getting `shares[i]` of what is left for
  it and those after it (normalised), so time a member does not use (it exhausted its space, or
  failed at once) flows on to the next.
- `interleave`: rounds of doubling slices. In round r member i runs afresh for
  `first * 2**r * shares[i]` seconds, until one solves the task or the budget is spent; a
  member that exhausted its space (or hit its memory or candidate cap) sits out later rounds.
  Restarts cost at most about as much again as the last round (a geometric series), and a
  member that would solve the task quickly is never held behind a long one.

A provisional result (a fit that ignores an input, `Searcher.all_inputs`) does not end the
portfolio: the next members (or rounds) look for a fit that uses every input, and the
provisional one is returned only when none is found.

A member may say it does not apply to a task (`Searcher.applicable`); its share goes to the
others. Every member searches with the portfolio's grammar and domain (and so the task's
constants); the result names the member that found the program (`strategy`), and `trace`
records each member's runs (seconds, candidates, why it stopped), which `hylo bench --json`
keeps per task.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from hylo.core.domain import Domain
from hylo.core.grammar import Grammar
from hylo.core.task import Task
from hylo.search.base import Budget, Searcher, SearchResult, flag

#: The members when none are given: bottom-up first (fast on shallow compositions, lambdas
#: found by their values), then top-down (deep programs the grammar likes).
DEFAULT_MEMBERS: tuple[dict[str, Any], ...] = (
    {"name": "bottom-up", "params": {}},
    {"name": "enumerative", "params": {}},
)
MODES = ("split", "interleave")
_MIN_SLICE = 0.05  # seconds: a member is not started on less


class PortfolioSearcher(Searcher):
    name = "portfolio"
    params = ("members", "shares", "mode", "first", "keep", "max_lambda_depth", "all_inputs")
    #: settings a caller gives the portfolio as a whole (the learner sets `keep`): forwarded to
    #: every member that takes them, unless its own spec sets them
    forwarded = ("keep", "max_lambda_depth", "all_inputs")

    def __init__(
        self,
        grammar: Grammar,
        domain: Domain | None = None,
        members: Sequence[Mapping[str, Any] | str] | None = None,
        shares: Sequence[float] | None = None,
        mode: str = "split",
        first: float = 0.5,
        keep: int | None = None,
        max_lambda_depth: int | None = None,
        all_inputs: bool | None = None,
    ) -> None:
        from hylo.search.registry import build_searcher, parse_spec, searcher_class

        super().__init__(grammar, domain)
        specs = [parse_spec(m) for m in (members if members is not None else DEFAULT_MEMBERS)]
        if not specs:
            raise ValueError("a portfolio needs at least one member")
        if any(s["name"] == self.name for s in specs):
            raise ValueError("a portfolio cannot contain a portfolio")
        if shares is None:
            shares = [1.0] * len(specs)
        if len(shares) != len(specs):
            raise ValueError(f"{len(shares)} shares for {len(specs)} members")
        if any(not isinstance(x, (int, float)) or isinstance(x, bool) or not 0 < x < 1e6
               for x in shares):
            raise ValueError(f"shares must be positive numbers, got {list(shares)!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if not isinstance(first, (int, float)) or isinstance(first, bool) or not 0 < first < 1e6:
            raise ValueError(f"first must be a positive number of seconds, got {first!r}")
        self.members = specs
        self.shares = [float(x) for x in shares]
        self.mode = mode
        self.first = float(first)
        self.keep = keep
        self.max_lambda_depth = max_lambda_depth
        self.all_inputs = None if all_inputs is None else flag("all_inputs", all_inputs)
        built = []
        for s in specs:
            params = dict(s["params"])
            takes = searcher_class(s["name"]).params
            for name in self.forwarded:
                value = getattr(self, name)
                if value is not None and name in takes:
                    params.setdefault(name, value)
            built.append(build_searcher({"name": s["name"], "params": params}, grammar, domain))
        self._searchers = built

    def search(self, task: Task, budget: Budget) -> SearchResult:
        t0 = time.perf_counter()
        deadline = t0 + budget.seconds
        active = [(s, share) for s, share in zip(self._searchers, self.shares, strict=True)
                  if s.applicable(task)]
        trace: list[dict[str, Any]] = []
        state = {"candidates": 0, "found": None, "fallback": None}
        if self.mode == "split":
            self._split(task, budget, deadline, active, trace, state)
        else:
            self._interleave(task, budget, deadline, active, trace, state)
        found: SearchResult | None = state["found"] or state["fallback"]
        if found is not None:
            result = replace(found, task=task.name)
        else:
            reasons = {t["stopped"] for t in trace}
            result = SearchResult(task.name, False)
            if not trace:
                result.stopped = "error: no member applies to this task"
            elif time.perf_counter() >= deadline or "timeout" in reasons:
                result.stopped = "timeout"
            elif reasons <= {"exhausted"}:
                result.stopped = "exhausted"
            else:  # every member stopped on its own limits: say the first reason that is one
                result.stopped = sorted(reasons - {"exhausted"})[0]
        result.candidates = state["candidates"]
        result.seconds = time.perf_counter() - t0
        result.trace = trace
        return result

    # ------------------------------------------------------------------ the two schedules
    def _run(self, searcher: Searcher, task: Task, budget: Budget, seconds: float,
             trace: list[dict[str, Any]], state: dict[str, Any]) -> SearchResult:
        left = None
        if budget.max_candidates is not None:
            left = max(0, budget.max_candidates - state["candidates"])
        r = searcher.solve(task, replace(budget, seconds=seconds, max_candidates=left))
        state["candidates"] += r.candidates
        trace.append({"strategy": r.strategy or searcher.name, "seconds": round(r.seconds, 4),
                      "budget": round(seconds, 4), "candidates": r.candidates,
                      "stopped": r.stopped, **({"provisional": True} if r.provisional else {})})
        if r.solved and not r.provisional:
            state["found"] = r
        elif r.solved and state["fallback"] is None:
            # a fit that ignores an input: the next members may find one that uses them all
            state["fallback"] = r
        return r

    def _out_of_candidates(self, budget: Budget, state: dict[str, Any]) -> bool:
        return budget.max_candidates is not None and state["candidates"] >= budget.max_candidates

    def _split(self, task: Task, budget: Budget, deadline: float,
               active: list[tuple[Searcher, float]], trace: list[dict[str, Any]],
               state: dict[str, Any]) -> None:
        for i, (searcher, share) in enumerate(active):
            left = deadline - time.perf_counter()
            if left < _MIN_SLICE or self._out_of_candidates(budget, state):
                return
            rest = sum(s for _, s in active[i:])
            self._run(searcher, task, budget, left * share / rest, trace, state)
            if state["found"] is not None:
                return

    def _interleave(self, task: Task, budget: Budget, deadline: float,
                    active: list[tuple[Searcher, float]], trace: list[dict[str, Any]],
                    state: dict[str, Any]) -> None:
        live = list(active)
        mean = sum(s for _, s in live) / max(1, len(live))
        scale = self.first
        while live:
            for searcher, share in list(live):
                left = deadline - time.perf_counter()
                if left < _MIN_SLICE or self._out_of_candidates(budget, state):
                    return
                r = self._run(searcher, task, budget, min(left, scale * share / mean),
                              trace, state)
                if state["found"] is not None:
                    return
                # more time cannot help: exhausted, memory, caps (a provisional fit can improve)
                if r.stopped != "timeout" and not r.provisional:
                    live.remove((searcher, share))
            scale *= 2
