"""Bottom-up enumeration with observational equivalence, lambdas included (Probe / Bee search).

Programs are built from smaller ones in increasing cost under the grammar's quantised
production costs: `p(a1..ak)` at hole `(tau, env)` costs `cost(p | tau, env) + sum cost(ai)`,
its description length top-down, so a learned grammar and its inventions order the search. A
*bank* holds the programs of one type in one context (`hylo.search.bottom_up_bank.Context`), by
cost level; level `L` of every bank is built from the entries of lower levels whose costs add
up to `L` minus the production's cost.

Each program is evaluated once, on all of its context's points at once: its value tuple is
made from its children's tuples by calling the primitive's `impl` per point (a failure is a
marker at that point; a lazy primitive such as `if` gets thunks of the children's values, so
it selects pointwise). It is kept only if its tuple is new for its bank (the domain's value
key); a tuple that fails everywhere is dropped. At the root context the points are the
examples, so merging is exact there; a root program of the request's return type whose tuple
equals the outputs is confirmed by the `Checker` and returned.

A task's queries (`Task.queries`, inputs without outputs) are root points after the examples:
programs that fit the examples alike but predict differently on them stay apart, so the search
can return `attempts` fits with distinct predictions, the cheapest first (ARC gives two
attempts per test input). After the first fit it searches on for at most `attempt_slack` nats
for the others; a fit that fails on a query, or whose predictions the domain finds
implausible (`Domain.plausible`), counts only when no other is found.

With `combine_share` > 0 and a domain that combines partial programs (`Domain.combine`, e.g.
grids stacking pieces that are each right on part of the outputs), that share of the budget is
kept for the end: when enumeration finds no fit, the domain proposes combinations of the root
programs built, and the first the checker accepts is the result.

Lambdas are first-class: an argument of arrow type `a1 -> .. -> an -> b` is a body of type `b`
found bottom-up in a child context (the lambda's arguments in front of the outer variables,
`$0` the innermost argument), whose points are probe bindings of the arguments; bodies are
merged by their values there (an approximation; see `bottom_up_bank`). A lambda applied at the
outer level is its body's real compiled closure, so outer values are exact. Lambdas nest up to
`max_lambda_depth`.

Memory is bounded by a stop, not eviction: once `max_values` values (or `budget.max_nodes`)
are stored, the search ends with `stopped="memory"`. Every evaluation runs under
`budget.limits` and the watchdog (`hylo.core.limits.arm`), its time limit never more than what
is left of the budget; the search stops at its deadline (`"timeout"`), after
`budget.max_candidates` programs evaluated (`"candidates"`), or when no new value can be built
(`"exhausted"`). `SearchResult.candidates` counts programs evaluated. Deterministic: banks,
productions and entries are walked in creation order, probes drawn with fixed seeds.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import replace
from typing import Any

from hylo.core import evaluate
from hylo.core.domain import Domain
from hylo.core.evaluate import Closure, lam_node, prim_node, var_node
from hylo.core.grammar import QUANTUM, ROOT, Grammar
from hylo.core.limits import COUNTER, EPOCH, EXPIRED, EvalFailure, StepLimit, arm, disarm
from hylo.core.program import App, Lam, Prim, Program, Var
from hylo.core.task import Task
from hylo.core.types import Type, arguments, is_arrow, returns
from hylo.core.values import strict_equal
from hylo.search.base import Budget, Searcher, SearchResult, flag
from hylo.search.bottom_up_bank import Context, Probes, child_points, tuple_key_fn
from hylo.search.bottom_up_deduce import Deducer
from hylo.search.bottom_up_split import Splitter
from hylo.search.check import Checker
from hylo.search.enumerate import FAILED, _invention_primitive

_CHECK = 512  # evaluations between two looks at the clock, the memory and the budget
_MIN_SECONDS = 0.001


class _Stop(Exception):
    """Ends a run: `args[0]` is the reason (a `STOP_REASONS` entry)."""


class _Found(Exception):
    """Ends a run: `args` is (root entry, cost) of a program the checker accepted."""


def _raise_failed() -> Any:
    raise ValueError("argument failed")


class Bank:
    """The programs of one type in one context, by cost level."""

    __slots__ = ("bid", "ctx", "tau", "gctx", "prods", "levels", "nonempty", "seen", "upto",
                 "lam_levels", "lam_nonempty")

    def __init__(self, bid: int, ctx: Context, tau: Type,
                 gctx: tuple[str, int] | None = None) -> None:
        self.bid = bid
        self.ctx = ctx
        self.tau = tau
        # the grammar context of the holes this bank fills (a contextual grammar weighs the
        # argument holes of each parent apart; None: the unigram weights, shared)
        self.gctx = gctx
        # (production cost, production id, ((argument bank, lambdas), ...)), by cost + arity;
        # None until the bank is first built (`BottomUpRun.expand`)
        self.prods: list[tuple[int, int, tuple[tuple[Bank, int], ...]]] | None = None
        self.levels: dict[int, list[int]] = {}
        self.nonempty: list[int] = []  # costs of non-empty levels, ascending
        self.seen: dict[Hashable, int] = {}  # value key -> entry
        self.upto = 0  # levels 1..upto are built
        # In a lambda body's context, the entries used as lambdas: all of them, or with
        # `constant_bodies=False` those that use one of the lambda's arguments (a body that
        # ignores them all is a constant function; ordinary programs can often say the same,
        # `(map (lam 3) xs)` as `(repeat (length xs) 3)`, though at a higher cost)
        self.lam_levels: dict[int, list[int]] = {}
        self.lam_nonempty: list[int] = []


class BottomUpRun:
    """One bottom-up search of one task (the state `BottomUpSearcher.search` builds).

    After the run, `banks` and `entries()` expose what was kept (tests inspect them).
    """

    def __init__(self, grammar: Grammar, task: Task, domain: Domain | None,
                 max_lambda_depth: int, probes: int, max_points: int,
                 constant_bodies: bool = True) -> None:
        self.grammar = grammar
        self.constant_bodies = constant_bodies
        self.dsl = grammar.dsl
        self.task = task
        self.domain = domain
        self.max_lambda_depth = max_lambda_depth
        self.max_points = max_points
        self.key = tuple_key_fn(domain)
        self.probes = Probes(task, domain, probes)
        inputs = arguments(task.request)
        self.arity = len(inputs)
        # The examples' points, then the queries' (whose outputs no one knows)
        root_envs = [evaluate.input_env(ex.inputs) for ex in task.examples]
        root_envs += [evaluate.input_env(q) for q in task.queries]
        self.n_examples = len(task.examples)
        self.split = bool(task.queries)
        self.contexts: list[Context] = [
            Context(0, None, tuple(reversed(inputs)), root_envs,
                    list(range(len(root_envs))), 0, 0)
        ]
        self._children: dict[tuple[int, tuple[Type, ...]], Context] = {}
        # Productions: id -> (name or "$i", maker or None, variable index, lambdas per argument)
        self.prod_name: list[str] = []
        self.prod_maker: list[Any] = []
        self.prod_var: list[int] = []
        self.prod_lams: list[tuple[int, ...]] = []
        self.prod_has_lam: list[bool] = []
        self._prod_ids: dict[tuple[str, tuple[int, ...]], int] = {}
        self._makers: dict[str, Any] = {}
        # Entries (parallel lists): value tuple, (production id, *children), has a failure
        self.vals: list[tuple[Any, ...]] = []
        self.struct: list[tuple[int, ...]] = []
        self.bad: list[bool] = []
        self.bank_of: list[int] = []
        self.masks: list[int] = []  # free variables of each entry (bit i: $i of its context)
        self._closures: dict[int, Closure] = {}
        self._funcs: dict[int, tuple[Any, ...]] = {}
        self._evaluators: dict[int, Callable[[Context, tuple[int, ...]], tuple[Any, ...]]] = {}
        self._var_vals: dict[tuple[int, int], tuple[Any, ...]] = {}
        self.banks: list[Bank] = []
        self._bank_index: dict[tuple[int, Type, tuple[str, int] | None], Bank] = {}
        self.evaluated = 0
        self.max_arity = 0  # over the productions of the banks expanded so far
        self.max_prod_cost = 0
        self.root = self._bank(self.contexts[0], returns(task.request),
                               grammar.context(*ROOT))
        self.target = self.key(tuple(ex.output for ex in task.examples))

    # ------------------------------------------------------------ structure
    def _bank(self, ctx: Context, tau: Type, gctx: tuple[str, int] | None = None) -> Bank:
        b = self._bank_index.get((ctx.cid, tau, gctx))
        if b is None:
            b = Bank(len(self.banks), ctx, tau, gctx)
            self._bank_index[(ctx.cid, tau, gctx)] = b
            self.banks.append(b)  # its productions are filled by `_expand`
        return b

    def _child(self, ctx: Context, arg_types: tuple[Type, ...]) -> Context:
        key = (ctx.cid, arg_types)
        c = self._children.get(key)
        if c is None:
            envs, origin = child_points(ctx, arg_types, self.probes, self.max_points)
            env = (*reversed(arg_types), *ctx.env)
            c = Context(len(self.contexts), ctx, env, envs, origin, ctx.depth + 1,
                        len(arg_types))
            self.contexts.append(c)
            self._children[key] = c
        return c

    def _prod_id(self, name: str, var: int, lams: tuple[int, ...]) -> int:
        key = (name, lams)
        pid = self._prod_ids.get(key)
        if pid is None:
            pid = len(self.prod_name)
            self._prod_ids[key] = pid
            self.prod_name.append(name)
            self.prod_var.append(var)
            self.prod_lams.append(lams)
            self.prod_has_lam.append(any(lams))
            self.prod_maker.append(None if var >= 0 else self._maker(name))
        return pid

    def _maker(self, name: str) -> Any:
        m = self._makers.get(name)
        if m is None:
            m = (self.dsl.primitives[name] if name in self.dsl.primitives
                 else _invention_primitive(name, self.dsl))
            self._makers[name] = m
        return m

    def expand(self, b: Bank) -> None:
        """Fill bank `b`'s productions (on its first build: unreached banks cost nothing)."""
        ctx = b.ctx
        prods: list[tuple[int, int, tuple[tuple[Bank, int], ...]]] = []
        context = self.grammar.context
        for prod in self.grammar.productions(b.tau, ctx.env, b.gctx):
            if prod.var_index >= 0:
                pid = self._prod_id(prod.name, prod.var_index, ())
                prods.append((prod.cost, pid, ()))
                continue
            args: list[tuple[Bank, int]] = []
            for k, t in enumerate(prod.arg_types):
                if is_arrow(t):
                    ats = tuple(arguments(t))
                    # No lambda deeper than allowed, nor over a type with no probes.
                    if ctx.depth >= self.max_lambda_depth or not all(
                            self.probes.has(a) for a in ats):
                        break
                    args.append((self._bank(self._child(ctx, ats), returns(t),
                                            context(prod.name, k)), len(ats)))
                else:
                    args.append((self._bank(ctx, t, context(prod.name, k)), 0))
            else:
                pid = self._prod_id(prod.name, -1, tuple(n for _, n in args))
                prods.append((prod.cost, pid, tuple(args)))
        prods.sort(key=lambda p: p[0] + len(p[2]))
        b.prods = prods
        self.max_arity = max(self.max_arity, max((len(p[2]) for p in prods), default=0))
        self.max_prod_cost = max(self.max_prod_cost, max((p[0] for p in prods), default=0))

    def mask(self, pid: int, children: tuple[int, ...]) -> int:
        """The free variables of production `pid` over `children` (bit i: `$i` of their
        context; a lambda argument's own variables are shifted out)."""
        var = self.prod_var[pid]
        if var >= 0:
            return 1 << var
        mask = 0
        for c, n in zip(children, self.prod_lams[pid], strict=True):
            mask |= self.masks[c] >> n
        return mask

    # ------------------------------------------------------------ programs and closures
    def body(self, eid: int) -> Program:
        """The program of entry `eid` (free variables: its context's)."""
        key = self.struct[eid]
        pid = key[0]
        if self.prod_var[pid] >= 0:
            return Var(self.prod_var[pid])
        name = self.prod_name[pid]
        out: Program = Prim(name) if name in self.dsl.primitives else self.dsl.invented(name)
        for c, n in zip(key[1:], self.prod_lams[pid], strict=True):
            arg = self.body(c)
            for _ in range(n):
                arg = Lam(arg)
            out = App(out, arg)
        return out

    def program(self, eid: int) -> Program:
        p = self.body(eid)
        for _ in range(self.arity):
            p = Lam(p)
        return p

    def closure(self, eid: int) -> Closure:
        """Entry `eid` compiled (from its children's closures), built on first use."""
        f = self._closures.get(eid)
        if f is None:
            key = self.struct[eid]
            pid = key[0]
            var = self.prod_var[pid]
            if var >= 0:
                f = var_node(var)
            else:
                maker = self.prod_maker[pid]
                if maker.arity == 0:
                    impl = maker.impl
                    f = lambda env, impl=impl: impl()  # noqa: E731
                else:
                    args = []
                    for c, n in zip(key[1:], self.prod_lams[pid], strict=True):
                        g = self.closure(c)
                        for _ in range(n):
                            g = lam_node(g)
                        args.append(g)
                    f = prim_node(maker, args)
            self._closures[eid] = f
        return f

    def funcs(self, eid: int) -> tuple[Any, ...]:
        """The lambda whose body is entry `eid`, as a function value at each point of the
        outer context (the body's real closure over that point's environment)."""
        fs = self._funcs.get(eid)
        if fs is None:
            ctx = self.banks[self.bank_of[eid]].ctx
            g = self.closure(eid)
            for _ in range(ctx.nargs):
                g = lam_node(g)
            assert ctx.parent is not None
            fs = tuple(g(env) for env in ctx.parent.envs)
            self._funcs[eid] = fs
        return fs

    def entries(self) -> Iterator[tuple[Bank, int, int]]:
        """(bank, cost, entry) for every entry kept, bank by bank, cheapest first."""
        for b in self.banks:
            for cost in b.nonempty:
                for eid in b.levels[cost]:
                    yield b, cost, eid

    # ------------------------------------------------------------ evaluation
    def evaluator(self, pid: int) -> Callable[[Context, tuple[int, ...]], tuple[Any, ...]]:
        """A function `(context, children) -> value tuple` for production `pid`: `_values`,
        specialised for the common case (a plain primitive of one or two value arguments)."""
        ev = self._evaluators.get(pid)
        if ev is not None:
            return ev
        maker = self.prod_maker[pid]
        generic = self._values
        if (maker is None or maker.lazy or self.prod_has_lam[pid]
                or len(self.prod_lams[pid]) not in (1, 2)):
            def ev(ctx: Context, children: tuple[int, ...]) -> tuple[Any, ...]:
                return generic(ctx, pid, children)
        else:
            impl = maker.impl
            vals = self.vals
            bad = self.bad
            start = evaluate.start_cheap

            if len(self.prod_lams[pid]) == 1:
                def ev(ctx: Context, children: tuple[int, ...]) -> tuple[Any, ...]:
                    c = children[0]
                    if bad[c]:
                        return generic(ctx, pid, children)
                    start()
                    out: list[Any] = []
                    try:
                        out.extend(map(impl, vals[c]))
                        return tuple(out)
                    except StepLimit:
                        start()
                    except Exception:
                        pass
                    return _resume(impl, [vals[c]], out, len(ctx.envs))
            else:
                def ev(ctx: Context, children: tuple[int, ...]) -> tuple[Any, ...]:
                    c, d = children
                    if bad[c] or bad[d]:
                        return generic(ctx, pid, children)
                    start()
                    out: list[Any] = []
                    try:
                        out.extend(map(impl, vals[c], vals[d]))
                        return tuple(out)
                    except StepLimit:
                        start()
                    except Exception:
                        pass
                    return _resume(impl, [vals[c], vals[d]], out, len(ctx.envs))
        self._evaluators[pid] = ev
        return ev

    def _values(self, ctx: Context, pid: int, children: tuple[int, ...]) -> tuple[Any, ...]:
        """The value tuple of production `pid` over `children` at `ctx`'s points."""
        var = self.prod_var[pid]
        if var >= 0:
            key = (ctx.cid, var)
            vs = self._var_vals.get(key)
            if vs is None:
                vs = tuple(env[var] for env in ctx.envs)
                self._var_vals[key] = vs
            return vs
        maker = self.prod_maker[pid]
        impl = maker.impl
        n = len(ctx.envs)
        if not children:
            try:
                evaluate.start_cheap()
                v = impl()
            except Exception:
                v = FAILED
            return (v,) * n
        lams = self.prod_lams[pid]
        vals = self.vals
        if self.prod_has_lam[pid]:
            cols = []
            bad = False
            for c, k in zip(children, lams, strict=True):
                if k:
                    fs = self._funcs.get(c)
                    cols.append(fs if fs is not None else self.funcs(c))
                else:
                    cols.append(vals[c])
                    bad = bad or self.bad[c]
        else:
            cols = [vals[c] for c in children]
            isbad = self.bad
            bad = any([isbad[c] for c in children])
        start = evaluate.start_cheap
        start()  # one evaluation: this node on all its points (one step and time budget)
        if maker.lazy:
            out = []
            for args in zip(*cols, strict=True):
                try:
                    out.append(impl(*[_raise_failed if a is FAILED else (lambda a=a: a)
                                      for a in args]))
                except StepLimit:
                    out.append(FAILED)
                    start()
                except Exception:
                    out.append(FAILED)
            return tuple(out)
        if not bad:  # the fast path: one C-level map, resumed after a failing point
            out = []
            try:
                out.extend(map(impl, *cols))
                return tuple(out)
            except StepLimit:
                start()
            except Exception:
                pass
            return _resume(impl, cols, out, n)
        out = []
        for args in zip(*cols, strict=True):
            if FAILED in args:
                out.append(FAILED)
                continue
            try:
                out.append(impl(*args))
            except StepLimit:
                out.append(FAILED)
                start()
            except Exception:
                out.append(FAILED)
        return tuple(out)


def _resume(impl: Any, cols: list[tuple[Any, ...]], out: list[Any], n: int) -> tuple[Any, ...]:
    """Finish a fast-path evaluation that raised at point `len(out)` (which fails): `map`
    again from the next point, as often as points fail."""
    while True:
        out.append(FAILED)  # `extend` kept the points before the failing one
        i = len(out)
        if i >= n:
            return tuple(out)
        try:
            out.extend(map(impl, *[col[i:] for col in cols]))
            return tuple(out)
        except StepLimit:
            evaluate.start_cheap()
        except Exception:
            pass


class BottomUpSearcher(Searcher):
    """Bottom-up enumeration with observational equivalence; see the module docstring.

    Params: `max_lambda_depth` (lambdas nested at most this deep, as top-down's),
    `max_values` (values stored before the search stops with "memory"), `probes` (probe
    values per argument type and example), `max_points` (points of a lambda body's context,
    at least 4 per outer point), `constant_bodies` (whether a body that ignores its lambda's
    arguments may be a lambda: off, the search is faster and may miss the cheapest program),
    `deduce` (lambdas deduced from the domain's witnesses for root lists, `bottom_up_deduce`)
    `deduce_slack` (nats a deduced program may cost above the root level reached) and
    `deduce_wait` (one dearer than the root level by more than this waits for the root level
    to come this near, so that a cheaper fit found meanwhile wins; or for the budget's end),
    `attempts` (fits with distinct predictions on the task's queries to return, the first as
    `program`, the others in `extra`; only tasks with queries can have more than one) and
    `attempt_slack` (nats above the first fit's cost to search on for them) and
    `combine_share` (the budget's share kept for combining partial programs, `Domain.combine`),
    `split` (outputs split into kept programs joined by the domain's concatenations,
    `Domain.concatenations`, `bottom_up_split`) and `split_slack` (nats a split may cost above
    the root level reached).
    """

    name = "bottom-up"
    params = ("max_lambda_depth", "max_values", "probes", "max_points", "constant_bodies",
              "all_inputs", "deduce", "deduce_slack", "deduce_wait", "attempts",
              "attempt_slack", "combine_share", "split", "split_slack")

    def __init__(
        self,
        grammar: Grammar,
        domain: Domain | None = None,
        max_lambda_depth: int = 1,
        max_values: int = 1_000_000,
        probes: int = 10,
        max_points: int = 16,
        constant_bodies: bool = True,
        all_inputs: bool = False,
        deduce: bool = False,
        deduce_slack: float = 8.0,
        deduce_wait: float = 4.0,
        attempts: int = 1,
        attempt_slack: float = 4.0,
        combine_share: float = 0.0,
        split: bool = True,
        split_slack: float = 48.0,
    ) -> None:
        super().__init__(grammar, domain)
        self.constant_bodies = flag("constant_bodies", constant_bodies)
        self.deduce = flag("deduce", deduce)
        self.split = flag("split", split)
        for pname, nats in (("deduce_slack", deduce_slack), ("deduce_wait", deduce_wait),
                            ("attempt_slack", attempt_slack), ("split_slack", split_slack)):
            if (not isinstance(nats, (int, float)) or isinstance(nats, bool)
                    or not 0 <= nats <= 1000):
                raise ValueError(f"{pname} must be a number in [0, 1000], got {nats!r}")
        self.deduce_slack = float(deduce_slack)
        self.deduce_wait = float(deduce_wait)
        self.attempt_slack = float(attempt_slack)
        self.split_slack = float(split_slack)
        if (not isinstance(combine_share, (int, float)) or isinstance(combine_share, bool)
                or not 0 <= combine_share <= 0.9):
            raise ValueError(f"combine_share must be a number in [0, 0.9], got {combine_share!r}")
        self.combine_share = float(combine_share)
        self.all_inputs = flag("all_inputs", all_inputs)
        for pname, value, low, high in (
            ("max_lambda_depth", max_lambda_depth, 0, 8),
            ("max_values", max_values, 1, 1 << 40),
            ("probes", probes, 1, 1000),
            ("max_points", max_points, 1, 100_000),
            ("attempts", attempts, 1, 10),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"{pname} must be an integer in [{low}, {high}], got {value!r}")
        self.max_lambda_depth = max_lambda_depth
        self.max_values = max_values
        self.probes = probes
        self.max_points = max_points
        self.attempts = attempts
        self.run_: BottomUpRun | None = None  # the last search's state, for inspection

    def search(self, task: Task, budget: Budget) -> SearchResult:
        t0 = time.perf_counter()
        deadline = t0 + budget.seconds
        result = SearchResult(task.name, False)
        if not task.examples:
            result.stopped = "error: task has no examples"
            return result
        grammar = self.grammar_for(task)
        run = BottomUpRun(grammar, task, self.domain, self.max_lambda_depth, self.probes,
                          self.max_points, self.constant_bodies)
        self.run_ = run
        equal = self.domain.equal if self.domain is not None else strict_equal
        limits = budget.limits
        cap = min(self.max_values, budget.max_nodes)
        combine = self.domain.combine if self.domain is not None else None
        combining = combine is not None and self.combine_share > 0
        enumerate_until = deadline - self.combine_share * budget.seconds if combining \
            else deadline
        state = _Loop(run, budget, enumerate_until, cap, self.all_inputs)
        if run.split:  # fits with distinct predictions exist only where there are queries
            state.attempts = self.attempts
            state.attempt_slack = round(self.attempt_slack * QUANTUM)
            judge = self.domain.plausible if self.domain is not None else None
            if judge is not None:
                n = run.n_examples
                state.plausible = lambda eid: bool(judge(task, run.vals[eid][n:]))
        if (self.deduce and self.domain is not None and self.domain.witnesses
                and not run.split):  # witnesses need every point's output
            state.deducer = Deducer(run, dict(self.domain.witnesses), equal, self.deduce_slack)
            state.wait = round(min(self.deduce_wait, self.deduce_slack) * QUANTUM)
        if (self.split and self.domain is not None and self.domain.concatenations
                and not run.split):
            splitter = Splitter(run, dict(self.domain.concatenations), self.split_slack)
            if splitter.joins:
                state.splitter = splitter
                state.wait = round(self.deduce_wait * QUANTUM)
        checker_for: Callable[[float], Checker] = lambda s: Checker(  # noqa: E731
            grammar.dsl, equal, replace(limits, max_seconds=s))
        evaluate.start(limits)
        found: tuple[int, int] | None = None
        # Banks are built on demand, recursively: a chain of cheap productions can go deep.
        recursion = sys.getrecursionlimit()
        sys.setrecursionlimit(max(recursion, 8_000))
        try:
            state.rearm()
            found = state.loop(checker_for)
            stopped = "solved"
        except _Found as e:  # found while building every bank (`_Loop._exhausted`)
            found = (e.args[0], e.args[1])
            stopped = "solved"
        except _Stop as e:
            stopped = str(e.args[0])
        except RecursionError:
            stopped = "error: recursion while enumerating"
        except MemoryError:
            stopped = "memory"
        finally:
            disarm()
            sys.setrecursionlimit(recursion)
        fits = state.fits + state.weak
        if (combining and found is None and not fits and state.fallback is None
                and state.deduced is None and not stopped.startswith("error")):
            combined = _combined(run, combine, checker_for(limits.max_seconds), deadline,
                                 self.attempts)
            if combined:
                result.seconds = time.perf_counter() - t0
                result.candidates = run.evaluated
                result.solved, result.stopped = True, "solved"
                scored = [(str(p), grammar.with_literals(p).description_length(p, task.request))
                          for p in combined]
                result.program, result.description_length = scored[0]
                result.extra = scored[1:]
                return result
        result.seconds = time.perf_counter() - t0
        result.candidates = run.evaluated  # distinct predictions, those failing nowhere first
        if found is None and fits:  # the budget ended before `attempts` fits were found
            found = fits[0]
            stopped = "solved"
        if found is None and state.deduced is not None:  # the budget ended first
            found = state.deduced
            stopped = "solved"
        if found is None and state.fallback is not None:
            found = state.fallback
            stopped = "solved"
            result.provisional = True
        result.stopped = stopped
        if found is not None:
            eid, cost = found
            result.solved = True
            result.program = str(run.program(eid))
            result.description_length = cost / QUANTUM
            others = [(e, c) for e, c in fits if e != eid][: self.attempts - 1]
            result.extra = [(str(run.program(e)), c / QUANTUM) for e, c in others]
            if combining and run.split and len(others) + 1 < self.attempts:
                self._more_attempts(result, run, combine, checker_for(limits.max_seconds),
                                    min(deadline, time.perf_counter()
                                        + self.combine_share * budget.seconds),
                                    strong=bool(state.fits))
                result.seconds = time.perf_counter() - t0
        return result

    def _more_attempts(self, result: SearchResult, run: BottomUpRun, combine: Any,
                       checker: Checker, deadline: float, strong: bool) -> None:
        """Fill the attempts enumeration left over with combined programs of other predictions
        (after the fits found, or before them when those are all weak)."""
        found = [result.program, *(p for p, _ in result.extra)]
        parsed = [run.dsl.parse(p) for p in found if p is not None]
        exclude = {_query_key(run, checker, p) for p in parsed}
        combined = _combined(run, combine, checker, deadline, self.attempts - len(found),
                             exclude)
        if not combined:
            return
        grammar = run.grammar
        scored = [(str(p), grammar.with_literals(p).description_length(p, run.task.request))
                  for p in combined]
        ranked = [(result.program, result.description_length), *result.extra]
        ranked = [*ranked, *scored] if strong else [*scored, *ranked]
        ranked = ranked[: self.attempts]
        (result.program, result.description_length), result.extra = ranked[0], ranked[1:]


def _combined(run: BottomUpRun, combine: Any, checker: Checker, deadline: float,
              attempts: int = 1, exclude: set[Hashable] | None = None) -> list[Program]:
    """The domain's combinations of root programs (`Domain.combine`) that fit the task, as
    programs, at most `attempts` with distinct predictions on the queries (the first
    proposed first). A proposal `(p, [a, b, c])` is `p(a, b, c)` when `p` takes three
    arguments, and `p(p(a, b), c)` when it takes two; a pick is a root program's index or the
    name of a constant (a primitive or a literal of the DSL). Predictions in `exclude` are
    skipped."""
    root = run.root
    eids = [e for level in sorted(root.levels) for e in root.levels[level] if not run.bad[e]]
    outputs = tuple(ex.output for ex in run.task.examples)
    now = time.perf_counter()
    propose_until = now + 0.8 * max(0.0, deadline - now)  # the rest checks the proposals
    try:
        proposals = combine([run.vals[e] for e in eids], outputs, propose_until)
    except Exception:  # a domain's combiner that fails is no combination
        return []
    out: list[Program] = []
    predictions: set[Hashable] = set(exclude or ())
    for name, picks in proposals[:32]:
        if len(out) >= attempts or time.perf_counter() > deadline:
            break
        parts = [_pick(run, eids, p) for p in picks]
        prim = run.dsl.primitives.get(name)
        if prim is None or prim.arity < 2 or len(parts) < 2 or any(p is None for p in parts):
            continue
        if prim.arity == len(parts):  # applied to the picks
            body = Prim(name)
            for part in parts:
                body = App(body, part)
        elif prim.arity == 2:  # folded left over them
            body = parts[0]
            for part in parts[1:]:
                body = App(App(Prim(name), body), part)
        else:
            continue
        program: Program = body
        for _ in range(run.arity):
            program = Lam(program)
        if not checker.fits(program, run.task):
            continue
        key = _query_key(run, checker, program)
        if key in predictions:
            continue
        predictions.add(key)
        out.append(program)
    return out


def _pick(run: BottomUpRun, eids: list[int], pick: Any) -> Program | None:
    """A combination's part: the body of root program `pick` (an index), or the constant
    named `pick` (a primitive or a literal of the run's DSL, of no arguments)."""
    if isinstance(pick, int) and not isinstance(pick, bool):
        return run.body(eids[pick]) if 0 <= pick < len(eids) else None
    if isinstance(pick, str):
        try:
            prim = run.dsl.primitive(pick)
        except KeyError:
            return None
        return Prim(pick) if prim.arity == 0 else None
    return None


def _query_key(run: BottomUpRun, checker: Checker, program: Program) -> Hashable:
    """What `program` predicts on the task's queries, as a hashable key (failures included)."""
    out = []
    for q in run.task.queries:
        try:
            out.append(repr(evaluate.run_program(program, checker.dsl, q, checker.limits)))
        except EvalFailure as e:
            out.append(f"failed: {e.kind}")
    return tuple(out)


class _Loop:
    """The level-by-level walk of a `BottomUpRun` under a budget."""

    def __init__(self, run: BottomUpRun, budget: Budget, deadline: float, cap: int,
                 all_inputs: bool = False) -> None:
        self.run = run
        self.budget = budget
        self.deadline = deadline
        self.cap = cap
        self.max_candidates = budget.max_candidates if budget.max_candidates is not None \
            else math.inf
        self.next_check = min(_CHECK, self.max_candidates)
        self.epoch = 0
        self.seconds = budget.limits.max_seconds
        # The root's variables a fit must mention (`Searcher.all_inputs`; none when it is off),
        # and the first fit that ignores one of them: (entry, cost), kept while the run goes on.
        self.inputs = (1 << run.arity) - 1 if all_inputs else 0
        self.fallback: tuple[int, int] | None = None
        self.deducer: Deducer | None = None
        self.splitter: Splitter | None = None
        # A deduced fit dearer than the root level + `wait`: (entry, cost), returned when the
        # root level comes within `wait` of its cost (or at the end), unless a cheaper fit is
        # found first
        self.deduced: tuple[int, int] | None = None
        self.wait = 0
        # Fits with distinct predictions on the queries, (entry, cost): those that fail on none,
        # and those that fail on some; the run ends when `attempts` of the first are found, or
        # `attempt_slack` above the first's cost
        self.attempts = 1
        self.attempt_slack = 0
        self.fits: list[tuple[int, int]] = []
        self.weak: list[tuple[int, int]] = []
        self.plausible: Callable[[int], bool] | None = None  # `Domain.plausible`, per entry

    def rearm(self) -> None:
        left = self.deadline - time.perf_counter()
        if left <= 0:
            raise _Stop("timeout")
        self.seconds = max(_MIN_SECONDS, min(self.budget.limits.max_seconds, left))
        evaluate.set_seconds(self.seconds)
        arm(self.seconds, self.deadline)
        self.epoch = COUNTER[EPOCH]

    def check(self) -> None:
        run = self.run
        self.next_check = min(run.evaluated + _CHECK, self.max_candidates)
        if COUNTER[EXPIRED] == self.epoch or time.perf_counter() > self.deadline:
            raise _Stop("timeout")
        if len(run.vals) >= self.cap:
            raise _Stop("memory")
        if run.evaluated >= self.max_candidates:
            raise _Stop("candidates")
        self.rearm()

    def loop(self, checker_for: Callable[[float], Checker]) -> tuple[int, int]:
        """Walk the root bank's levels; banks below are built on demand (a level of a bank is
        built when a production above first asks for it, from its own lower levels), so a
        bank reached only through dear productions is built only when its cost is in reach."""
        run = self.run
        self.checker_for = checker_for
        root = run.root
        streak = 0
        look = 32
        while True:
            level = root.upto + 1
            if self.deduced is not None and self.deduced[1] <= level + self.wait:
                return self.deduced
            first = self.fits[0] if self.fits else self.weak[0] if self.weak else None
            if first is not None and level > first[1] + self.attempt_slack:
                return first
            try:
                if self.deducer is not None:
                    self.deducer.advance(self, level)
                if self.splitter is not None:
                    self.splitter.advance(self, level)
                self.get(root, level)
            except _Found as found:
                return found.args[0], found.args[1]
            except StepLimit:  # the watchdog's interrupt landed between two evaluations: the
                pass  # levels being built then miss entries (never a wrong one); go on
            streak = 0 if root.levels.get(level) else streak + 1
            if streak >= look:  # a long run of empty levels: is anything left to build?
                look *= 2
                if self._exhausted(level):
                    raise _Stop("exhausted")

    def _exhausted(self, level: int) -> bool:
        """Build every bank up to `level`; then nothing more can be built when no level in
        reach of the kept entries got one (no combination of them reaches `level` or above)."""
        run = self.run
        i = 0
        while i < len(run.banks):  # building banks expands them, which can make new ones
            self.get(run.banks[i], level)  # `_Found` from here reaches `search`
            i += 1
        last = max((b.nonempty[-1] for b in run.banks if b.nonempty), default=0)
        return level > run.max_arity * last + run.max_prod_cost

    def get(self, bank: Bank, level: int) -> None:
        """Build `bank` up to `level` (raises `_Found` when a root entry fits the task)."""
        while bank.upto < level:
            bank.upto += 1
            self._level(bank, bank.upto)

    def _level(self, bank: Bank, level: int) -> None:
        """Build `bank`'s entries of cost `level` (its children's lower levels on demand);
        a root entry whose values are the outputs is confirmed by the checker and ends the
        search (`_Found`; the rest of the level is left unbuilt)."""
        run = self.run
        out: list[int] = []
        bank.levels[level] = out
        ctx = bank.ctx
        seen = bank.seen
        evaluator = run.evaluator
        key_of = run.key
        is_root = bank is run.root
        target = run.target
        split = run.split
        n_examples = run.n_examples
        vals = run.vals
        struct = run.struct
        bad = run.bad
        bank_of = run.bank_of
        masks = run.masks
        bid = bank.bid
        arg_bits = (1 << ctx.nargs) - 1
        all_lams = run.constant_bodies
        cap = self.cap
        lam_out: list[int] = []
        failed = FAILED
        counter = COUNTER
        get = self.get
        deducer = self.deducer
        ops = deducer.ops_for(bank) if deducer is not None else None
        if bank.prods is None:
            run.expand(bank)
        for pcost, pid, args in bank.prods:  # type: ignore[union-attr]
            rem = level - pcost
            k = len(args)
            if rem < k:
                break
            combos: Any
            if k == 0:
                if rem:
                    continue
                combos = ((),)
            elif k == 1:
                a = args[0][0]
                if a.upto < rem:
                    get(a, rem)
                la = (a.lam_levels if args[0][1] else a.levels).get(rem)
                if not la:
                    continue
                combos = [(x,) for x in la]
            elif k == 2:
                (a, na), (b, nb) = args
                top = rem - 1
                if a.upto < top:
                    get(a, top)
                a_levels, a_nonempty = (a.lam_levels, a.lam_nonempty) if na else \
                    (a.levels, a.nonempty)
                pairs = []
                for ca in a_nonempty:
                    if ca > top:
                        break
                    cb = rem - ca
                    if b.upto < cb:
                        get(b, cb)
                    lb = (b.lam_levels if nb else b.levels).get(cb)
                    if lb:
                        pairs.append((a_levels[ca], lb))
                if not pairs:
                    continue
                combos = ((x, y) for la, lb in pairs for y in lb for x in la)
            else:
                combos = self._combinations(args, rem)
            values = evaluator(pid)
            for children in combos:
                if run.evaluated >= self.next_check or counter[EXPIRED] == self.epoch:
                    self.check()
                run.evaluated += 1
                vs = values(ctx, children)
                if failed in vs and all(v is failed for v in vs):
                    continue
                key = key_of(vs)
                fit = is_root and (key[:n_examples] if split else key) == target
                if key in seen:
                    if fit and self.fallback is not None:
                        self._instead_of_fallback(pid, children, vs, level)  # may end the run
                    continue
                eid = len(vals)
                if eid >= cap:
                    raise _Stop("memory")
                vals.append(vs)
                struct.append((pid, *children))
                isbad = failed in vs
                bad.append(isbad)
                bank_of.append(bid)
                mask = run.mask(pid, children)
                masks.append(mask)
                seen[key] = eid
                out.append(eid)
                if all_lams or mask & arg_bits:
                    lam_out.append(eid)
                if fit:
                    if self.checker_for(self.seconds).fits(run.program(eid), run.task):
                        if mask & self.inputs == self.inputs:
                            self._fit(eid, level, isbad)
                        elif self.fallback is None:  # provisional: it ignores an input
                            self.fallback = (eid, level)
                    self.rearm()
                if ops is not None and not isbad:  # after the root check: `L` itself may fit
                    deducer.try_entry(self, ops, eid, level)  # type: ignore[union-attr]
        if out:
            bank.nonempty.append(level)
        else:
            del bank.levels[level]
        if lam_out:
            bank.lam_levels[level] = lam_out
            bank.lam_nonempty.append(level)

    def _fit(self, eid: int, level: int, fails_on_a_query: bool) -> None:
        """A confirmed root fit: ends the run (`_Found`) once `attempts` fits with distinct
        predictions are in (`weak`: one that fails on a query or whose predictions the domain
        finds implausible, kept for want of better)."""
        weak = fails_on_a_query
        if not weak and self.plausible is not None:
            try:
                weak = not self.plausible(eid)
            except Exception:  # a judge that fails judges nothing
                weak = False
        if self.attempts == 1 and not weak:
            raise _Found(eid, level)
        (self.weak if weak else self.fits).append((eid, level))
        if len(self.fits) >= self.attempts:
            raise _Found(*self.fits[0])

    def found_deduced(self, pid: int, children: tuple[int, ...], cost: int) -> None:
        """A root program `p f L` the deducer built: ends the run (`_Found`) when the checker
        accepts it (a provisional fit, `all_inputs`, is kept as the fallback). Stored as an
        entry of no bank, like `_instead_of_fallback`'s."""
        run = self.run
        mask = run.mask(pid, children)
        eid = len(run.vals)
        run.vals.append(tuple(ex.output for ex in run.task.examples))
        run.struct.append((pid, *children))
        run.bad.append(False)
        run.bank_of.append(run.root.bid)
        run.masks.append(mask)
        fits = self.checker_for(self.seconds).fits(run.program(eid), run.task)
        self.rearm()
        if fits:
            if mask & self.inputs == self.inputs:
                if cost <= run.root.upto + self.wait:
                    raise _Found(eid, cost)
                if self.deduced is None or cost < self.deduced[1]:
                    self.deduced = (eid, cost)  # returned once the root level is near its cost
                return
            if self.fallback is None:
                self.fallback = (eid, cost)
                return
        for column in (run.vals, run.struct, run.bad, run.bank_of, run.masks):
            column.pop()

    def _instead_of_fallback(self, pid: int, children: tuple[int, ...], vs: tuple[Any, ...],
                             level: int) -> None:
        """A root program with the outputs' values, which observational equivalence would drop
        since the provisional fit holds them: it ends the run (`_Found`) when it uses every
        input and the checker accepts it. It is stored as an entry of no bank, so banks still
        hold one program per value tuple."""
        run = self.run
        mask = run.mask(pid, children)
        if mask & self.inputs != self.inputs:
            return
        eid = len(run.vals)
        run.vals.append(vs)
        run.struct.append((pid, *children))
        run.bad.append(False)
        run.bank_of.append(run.root.bid)
        run.masks.append(mask)
        if self.checker_for(self.seconds).fits(run.program(eid), run.task):
            raise _Found(eid, level)
        for column in (run.vals, run.struct, run.bad, run.bank_of, run.masks):
            column.pop()
        self.rearm()

    def _combinations(self, args: tuple[tuple[Bank, int], ...], rem: int
                      ) -> Iterator[tuple[int, ...]]:
        """Children of a production whose argument costs add up to `rem`, each from its
        bank's levels (built on demand), in a fixed order."""
        k = len(args)
        if k == 0:
            if rem == 0:
                yield ()
            return
        first, lams = args[0]
        levels, nonempty = (first.lam_levels, first.lam_nonempty) if lams else \
            (first.levels, first.nonempty)
        if k == 1:
            if first.upto < rem:
                self.get(first, rem)
            yield from ((x,) for x in levels.get(rem, ()))
            return
        top = rem - (k - 1)
        if first.upto < top:
            self.get(first, top)
        for ca in nonempty:
            if ca > top:
                break
            la = levels[ca]
            for rest in self._combinations(args[1:], rem - ca):
                for x in la:
                    yield (x, *rest)
