"""Deduced lambdas for bottom-up search: `p f L` from a list `L` already built, with the domain's
witness functions (`Domain.witnesses`; FlashMeta's witnesses, lambda-squared's deduction).

Bottom-up search reaches `scanl1 f (map g xs)` only after every program cheaper than it, and
compositions of two lambdas are dear. Deduction takes a short cut at the root: when a root
program `L` of list type is kept, and the request's return type can be `p f L` for a primitive
`p` with a witness, the witness turns the task's outputs into the points `f` must meet (for
`map`: `f(x_j) = out_j`); the lambda bodies already built bottom-up for `f`'s context are tried
on those points, cheapest first, each try counted as one evaluation. A body that meets them all
makes the candidate `p f L`, confirmed by the checker like every result.

Search order: the candidate costs `cost(p) + cost(f) + cost(L)`, its description length, which
can be above the level the search has reached. Bodies are tried up to the cost at which the
candidate stays within `slack` nats of the root level being built; so a program found by
deduction is at most `slack` nats dearer than the cheapest program that fits (slack 0: the
order of plain bottom-up, found earlier only within a level).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hylo.core import evaluate
from hylo.core.grammar import QUANTUM
from hylo.core.limits import StepLimit
from hylo.core.types import Type, arguments, is_arrow, returns
from hylo.search.enumerate import FAILED

if TYPE_CHECKING:
    from hylo.search.bottom_up import Bank, BottomUpRun, _Loop


class DeduceOp:
    """`p f L` at the root: production `pid` (costing `cost`), witness, the bank of `f`'s
    bodies and `f`'s arity."""

    __slots__ = ("name", "pid", "cost", "witness", "body_bank", "nargs")

    def __init__(self, name: str, pid: int, cost: int, witness: Callable[..., Any],
                 body_bank: Bank, nargs: int) -> None:
        self.name = name
        self.pid = pid
        self.cost = cost
        self.witness = witness
        self.body_bank = body_bank
        self.nargs = nargs


class Deducer:
    """The deduction step of one bottom-up run (see the module docstring)."""

    def __init__(self, run: BottomUpRun, witnesses: dict[str, Callable[..., Any]],
                 equal: Callable[[Any, Any], bool], slack: float,
                 max_pending: int = 4096) -> None:
        self.run = run
        self.max_pending = max_pending
        self.pending: list[_Pending] = []
        self.equal = equal
        self.slack = round(slack * QUANTUM)
        self.outputs = [ex.output for ex in run.task.examples]
        self.ops: dict[tuple[Type, tuple[str, int] | None], list[DeduceOp]] = {}
        root = run.contexts[0]
        if run.max_lambda_depth < 1:
            return
        context = run.grammar.context
        for prod in run.grammar.productions(returns(run.task.request), root.env,
                                            run.root.gctx):
            w = witnesses.get(prod.name)
            if w is None or prod.var_index >= 0 or len(prod.arg_types) != 2:
                continue
            fun, xs = prod.arg_types
            if not is_arrow(fun) or is_arrow(xs):
                continue
            ats = tuple(arguments(fun))
            if not all(run.probes.has(a) for a in ats):
                continue
            body = run._bank(run._child(root, ats), returns(fun), context(prod.name, 0))
            pid = run._prod_id(prod.name, -1, (len(ats), 0))
            # the collection argument is an entry of the bank of its own hole's context
            self.ops.setdefault((xs, context(prod.name, 1)), []).append(
                DeduceOp(prod.name, pid, prod.cost, w, body, len(ats)))

    def ops_for(self, bank: Bank) -> list[DeduceOp] | None:
        """The deductions a new entry of `bank` can start (None: none)."""
        if bank.ctx.cid != 0:
            return None
        return self.ops.get((bank.tau, bank.gctx))

    def try_entry(self, loop: _Loop, ops: list[DeduceOp], eid: int, level: int) -> None:
        """Try `p f L` for the new root entry `L = eid` of cost `level` (raises `_Found`, via
        `loop.found_deduced`, for a candidate the checker accepts); an `L` the witness admits is
        kept, up to `max_pending`, and tried again on dearer bodies as the root level rises."""
        run = self.run
        values = run.vals[eid]
        if FAILED in values:
            return
        envs = run.contexts[0].envs
        for op in ops:
            points: list[tuple[tuple[Any, ...], Any]] = []
            for i, (xs, out) in enumerate(zip(values, self.outputs, strict=True)):
                try:
                    found = op.witness(xs, out)
                except Exception:  # a witness must not crash the search on odd values
                    found = None
                if found is None:
                    break
                env = envs[i]
                points.extend(((*reversed(args), *env), y) for args, y in found)
            else:
                pending = _Pending(op, points, eid, level)
                if len(self.pending) < self.max_pending:
                    self.pending.append(pending)
                self._advance(loop, pending)

    def advance(self, loop: _Loop, level: int) -> None:
        """Try the kept `L`s on the bodies that root level `level` brings into reach."""
        for pending in self.pending:
            self._advance(loop, pending, level)

    def _advance(self, loop: _Loop, p: _Pending, level: int | None = None) -> None:
        run = self.run
        op = p.op
        reach = run.root.upto if level is None else level
        top = reach + self.slack - op.cost - p.level
        if top <= p.upto:
            return
        bank = op.body_bank
        if bank.upto < top:
            loop.get(bank, top)
        low = p.upto
        p.upto = top
        equal = self.equal
        start = evaluate.start_cheap
        points = p.points
        for cost in bank.lam_nonempty:
            if cost <= low:
                continue
            if cost > top:
                return
            for body in bank.lam_levels[cost]:
                if run.evaluated >= loop.next_check:
                    loop.check()
                run.evaluated += 1
                g = run.closure(body)
                ok = True
                for env, want in points:
                    start()
                    try:
                        ok = equal(g(env), want)
                    except StepLimit:
                        start()
                        ok = False
                    except Exception:
                        ok = False
                    if not ok:
                        break
                if ok:
                    loop.found_deduced(op.pid, (body, p.eid), op.cost + cost + p.level)


class _Pending:
    """A root list `eid` (of cost `level`) the witness of `op` admits: the points its lambda
    must meet, and the body cost up to which it has been tried."""

    __slots__ = ("op", "points", "eid", "level", "upto")

    def __init__(self, op: DeduceOp, points: list[tuple[tuple[Any, ...], Any]], eid: int,
                 level: int) -> None:
        self.op = op
        self.points = points
        self.eid = eid
        self.level = level
        self.upto = 0
