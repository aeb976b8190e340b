"""Typed genetic programming with lexicase selection (`genetic`).

A population of well-typed programs evolves under the task's grammar (`Searcher.grammar_for`:
the library's weights and abstractions, the task's constants). Every program is a tree of
`GNode`s, each filling one hole `(type, env)` of the grammar (`hylo.core.grammar`): a lambda
for an arrow type, a variable of that type in scope, or a primitive/invention at ground types.
Because every node knows its hole, variation stays typed by construction:

- **Initial population**: ramped half-and-half over the grammar's productions, each choice
  drawn with its probability under the grammar (so weights and learned abstractions count),
  restricted to the choices that can still be completed within the depth bound; deduplicated;
  evaluated cheapest (most probable) first, so a trivial solution is found at once.
- **Subtree crossover**: a point of the first parent, and a subtree of the second of the same
  type whose free variables are bound, with the same types, at the point. de Bruijn indices:
  a variable bound by a lambda inside the donor's context must be bound by a lambda of the same
  type at the same index in the receiver's; a variable that is one of the program's inputs is
  shifted to stay that input (`_shift`). Size and depth bounds are enforced when choosing.
- **Subtree mutation**: a point replaced by a subtree freshly drawn from the grammar for the
  point's hole (its type, env and grammar context), within what the bounds leave. Optionally
  (`umad` > 0) UMAD's tree analogue: every point wrapped in a production of its own type or
  replaced by an argument of its type, independently (measured no better: docs/genetic.md).
- **Evaluation**: each new program is compiled from its nodes' closures (shared between
  parents and children, so compiling a child costs only its new path) and run on each example
  under `budget.limits` and the watchdog; a failing evaluation has error `FAIL_ERROR`, and one
  that runs out of its limits fails the program's remaining examples too. The per-case error
  is the domain's (`Domain.error`: 0/1 by default, distances where the domain defines
  `case_error`), clipped to `MAX_ERROR`. Errors are cached by program text (a program is run
  once per case, however often it recurs); with a `case_error`, errors are also cached per case
  by the output's value key (observationally equal outputs cost one error computation).
- **Selection**: lexicase over the numpy error matrix (programs x cases), vectorised over all
  the selections of a generation (`Lexicase`); epsilon-lexicase with the median absolute
  deviation of each case as its epsilon; down-sampled lexicase (`downsample` < 1: each
  generation sees a random fraction of the cases, and only programs perfect on it are run on
  the rest); or tournaments on total error, smaller programs winning ties.

- **Simplification**: a program with zero error on every example is made smaller before it is
  returned: greedily, outermost first, an application is replaced by one of its own arguments
  of the same type (not a lambda, so its scope is the same) while the program keeps zero error
  everywhere, at most `simplify` tries (evolved fits carry dead code: `(max2 x (min2 x y))`;
  smaller fits generalise better, as Helmuth, McPhee and Spector's auto-simplification found).

It stops when a program has zero error on every example (the `Searcher.solve` template then
confirms it with the checker), at the budget's deadline (`timeout`), at `budget.max_candidates`
programs evaluated (`candidates`), after `generations` generations or when a whole generation
made no program not seen before (`exhausted`). Deterministic for a seed. `candidates` counts
distinct programs evaluated; `last_stats` (on the searcher, after a search) holds the
executions (program x example evaluations), generations and time spent selecting.
"""

from __future__ import annotations

import bisect
import math
import random
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from hylo.core import evaluate
from hylo.core.domain import Domain
from hylo.core.evaluate import Closure, input_env, lam_node, prim_node, var_node
from hylo.core.grammar import ROOT, Grammar, NotDerivable
from hylo.core.limits import COUNTER, EPOCH, EXPIRED, StepLimit, arm, disarm
from hylo.core.program import Invented, Lam, Prim, Program, Var, spine
from hylo.core.sampling import _choices
from hylo.core.task import Task
from hylo.core.types import Type, arguments, is_arrow
from hylo.core.values import strict_equal
from hylo.search.base import Budget, Searcher, SearchResult, flag
from hylo.search.enumerate import _deferred_node, _invention_primitive

#: The error of a case whose evaluation failed (raised, ran out of its limits).
FAIL_ERROR = 1e12
#: A real error is clipped to this (infinite, NaN or huge distances), below `FAIL_ERROR`.
MAX_ERROR = 1e11
SELECTIONS = ("lexicase", "epsilon-lexicase", "tournament")
_LAM = -2  # `GNode.var` of a lambda
_PRIM = -1  # `GNode.var` of a primitive or invention
_INF = 1 << 30
_MIN_SECONDS = 0.001
_CHECK = 64  # programs (or draws) between two looks at the clock
_MAX_CACHE = 300_000  # programs whose errors are kept; past it the cache keeps the population
_SELECT_CELLS = 1 << 22  # lexicase's working set: selections x distinct rows, per chunk
_TRIES = 4  # attempts at a child new to its generation before a duplicate is accepted


class _TooBig(Exception):
    """A draw passed a bound: abandon it."""


class _Stop(Exception):
    """Ends the search: `args[0]` is the reason."""


# ------------------------------------------------------------------ typed program trees
class GNode:
    """One node of a typed program tree: it fills a hole of type `tau` (`tid`: its number in
    the search's table of types).

    `var` is `_LAM` (a lambda; `tau` is an arrow), a de Bruijn index (a variable), or `_PRIM`
    (primitive or invention `name` applied to `kids`, one per argument). Nodes are immutable
    and shared between programs; `size` counts nodes as `hylo.core.program.size` does,
    `depth` is the application depth (`hylo.core.sampling.application_depth`), `fv` the free
    variables as a bit mask, `text` the program text of the subtree.
    """

    __slots__ = ("name", "var", "tau", "tid", "kids", "size", "depth", "fv", "text", "fn",
                 "inner", "tmask")

    def __init__(self, name: str, var: int, tau: Type, tid: int,
                 kids: tuple[GNode, ...] = ()) -> None:
        self.name = name
        self.var = var
        self.tau = tau
        self.tid = tid
        self.kids = kids
        self.fn: Closure | None = None
        if var == _LAM:
            body = kids[0]
            self.size = 1 + body.size
            self.inner = 1 + body.inner
            self.depth = body.depth
            self.fv = body.fv >> 1
            self.tmask = body.tmask | (1 << tid)
            self.text = f"(lam {body.text})"
        elif var >= 0:
            self.size = 1
            self.inner = 0
            self.depth = 0
            self.fv = 1 << var
            self.tmask = 1 << tid
            self.text = f"${var}"
        elif kids:
            fv = 0
            size = 1
            inner = 1
            depth = 0
            tmask = 1 << tid
            for k in kids:
                fv |= k.fv
                size += k.size
                inner += k.inner
                tmask |= k.tmask
                if k.depth > depth:
                    depth = k.depth
            self.size = size
            self.inner = inner
            self.depth = depth + 1
            self.fv = fv
            self.tmask = tmask
            self.text = "(" + name + " " + " ".join([k.text for k in kids]) + ")"
        else:
            self.size = 1
            self.inner = 0
            self.depth = 0
            self.fv = 0
            self.tmask = 1 << tid
            self.text = name

    def __repr__(self) -> str:
        return f"GNode({self.text})"


def _replace(node: GNode, path: Sequence[int], new: GNode, i: int = 0) -> GNode:
    """`node` with the subtree at `path` (child positions from `node`) replaced by `new`."""
    if i == len(path):
        return new
    k = path[i]
    kids = list(node.kids)
    kids[k] = _replace(kids[k], path, new, i + 1)
    return GNode(node.name, node.var, node.tau, node.tid, tuple(kids))


def _shift(node: GNode, d: int, cutoff: int) -> GNode:
    """Add `d` to every free variable index >= `cutoff` (de Bruijn shifting)."""
    if node.fv >> cutoff == 0:
        return node
    if node.var >= 0:
        return GNode(f"${node.var + d}", node.var + d, node.tau, node.tid)
    if node.var == _LAM:
        return GNode(node.name, _LAM, node.tau, node.tid,
                     (_shift(node.kids[0], d, cutoff + 1),))
    return GNode(node.name, _PRIM, node.tau, node.tid,
                 tuple(_shift(k, d, cutoff) for k in node.kids))


def _applications(node: GNode, path: tuple[int, ...] = ()) -> list[tuple[tuple[int, ...], GNode]]:
    """Every application in `node` with its path, outermost first."""
    out: list[tuple[tuple[int, ...], GNode]] = []
    stack = [(path, node)]
    while stack:
        p, n = stack.pop()
        if n.var == _PRIM and n.kids:
            out.append((p, n))
        for i in range(len(n.kids) - 1, -1, -1):
            stack.append(((*p, i), n.kids[i]))
    return out


class Site:
    """A position in a program (not among its input lambdas): the node there, the path to it
    (child positions from the root), its hole's env (id) and grammar context, its level (the
    applications above it) and its lambda depth (the lambdas above it, inputs included)."""

    __slots__ = ("node", "path", "eid", "ctx", "level", "lams")

    def __init__(self, node: GNode, path: tuple[int, ...], eid: int,
                 ctx: tuple[str, int] | None, level: int, lams: int) -> None:
        self.node = node
        self.path = path
        self.eid = eid
        self.ctx = ctx
        self.level = level
        self.lams = lams


# ------------------------------------------------------------------ selection
def mad_epsilon(errors: np.ndarray) -> np.ndarray:
    """Per case (column), the median absolute deviation of the errors: epsilon-lexicase's
    epsilon (La Cava et al. 2016)."""
    if errors.size == 0:
        return np.zeros(errors.shape[1])
    median = np.median(errors, axis=0)
    return np.median(np.abs(errors - median), axis=0)


class Lexicase:
    """Lexicase selection over one error matrix (programs x cases), vectorised over all the
    selections asked for at once (`select`).

    Each selection takes the cases in its own random order and keeps, case after case, the
    candidates whose error is the lowest among those left (within `epsilon[case]` of it for
    epsilon-lexicase), until one is left or the cases run out; ties left at the end are broken
    uniformly. Programs with equal error rows are one candidate weighted by their number, which
    changes nothing in the distribution and makes the work depend on distinct rows only; the
    first case's filter is one mask per case, shared by every selection.
    """

    def __init__(self, errors: np.ndarray, epsilon: np.ndarray | None = None) -> None:
        self.count, self.cases = errors.shape
        if self.count == 0:
            raise ValueError("lexicase selection from no programs")
        uniq, inverse, counts = np.unique(errors, axis=0, return_inverse=True,
                                          return_counts=True)
        self.uniq = uniq
        self.counts = counts
        self.k = len(uniq)
        self.eps = (np.zeros(self.cases) if epsilon is None
                    else np.asarray(epsilon, dtype=float))
        self.members = np.argsort(inverse.reshape(-1), kind="stable")
        self.starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        if self.cases:
            self.first = (uniq <= (uniq.min(axis=0) + self.eps)[None, :]).T  # (cases, k)

    def select(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """`n` selections (row indices of the matrix)."""
        if n <= 0:
            return np.zeros(0, dtype=np.int64)
        k, cases = self.k, self.cases
        if k == 1 or cases == 0:
            return rng.integers(self.count, size=n)
        chunk = max(1, _SELECT_CELLS // k)  # selections x distinct rows held at once
        if n > chunk:
            return np.concatenate([self._select(min(chunk, n - i), rng)
                                   for i in range(0, n, chunk)])
        return self._select(n, rng)

    def _select(self, n: int, rng: np.random.Generator) -> np.ndarray:
        k, cases = self.k, self.cases
        uniq, eps, counts = self.uniq, self.eps, self.counts
        order = np.argsort(rng.random((n, cases)), axis=1)
        alive = self.first[order[:, 0]]  # (n, k)
        active = np.flatnonzero(alive.sum(axis=1) > 1)
        for t in range(1, cases):
            if active.size == 0:
                break
            cols = order[active, t]
            e = uniq[:, cols].T  # (active, k)
            a = alive[active]
            best = np.where(a, e, np.inf).min(axis=1)
            a &= e <= (best + eps[cols])[:, None]
            alive[active] = a
            active = active[a.sum(axis=1) > 1]
        # One group per selection, in proportion to its programs among the survivors, then
        # one of its programs uniformly.
        cum = np.cumsum(alive * counts[None, :], axis=1)
        r = rng.random(n) * cum[:, -1]
        group = np.minimum((cum <= r[:, None]).sum(axis=1), k - 1)
        within = np.minimum((rng.random(n) * counts[group]).astype(np.int64), counts[group] - 1)
        return self.members[self.starts[group] + within]


def lexicase_select(errors: np.ndarray, n: int, rng: np.random.Generator,
                    epsilon: np.ndarray | None = None) -> np.ndarray:
    """`n` lexicase selections (indices of rows of `errors`, programs x cases); with
    `epsilon` (one per case) epsilon-lexicase. See `Lexicase`."""
    if errors.shape[0] == 0 or n <= 0:
        return np.zeros(0, dtype=np.int64)
    return Lexicase(errors, epsilon).select(n, rng)


def tournament_select(totals: np.ndarray, sizes: np.ndarray, n: int, rng: np.random.Generator,
                      size: int) -> np.ndarray:
    """`n` tournaments of `size` programs drawn with replacement: the lowest total error wins,
    the smaller program on a tie."""
    count = len(totals)
    if count == 0 or n <= 0:
        return np.zeros(0, dtype=np.int64)
    rank = np.empty(count, dtype=np.int64)
    rank[np.lexsort((sizes, totals))] = np.arange(count)
    picks = rng.integers(count, size=(n, size))
    return picks[np.arange(n), rank[picks].argmin(axis=1)]


# ------------------------------------------------------------------ the searcher
def _number(name: str, value: Any, low: float, high: float, integer: bool = False) -> Any:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if integer:
        ok = ok and isinstance(value, int)
    if not ok or not math.isfinite(value) or not low <= value <= high:
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{name} must be {kind} in [{low:g}, {high:g}], got {value!r}")
    return value


class GeneticSearcher(Searcher):
    """Typed genetic programming with lexicase selection; see the module docstring.

    Parameters: `population` (programs per generation), `generations` (the most; the budget's
    clock always wins), `max_size` and `max_depth` (every program's bounds: nodes as
    `program.size` counts them, application depth), `init_depth` (the deepest initial program;
    ramped from 1), `mutation_depth` (the deepest subtree a mutation draws), `selection`
    (`lexicase`, `epsilon-lexicase` or `tournament`), `tournament_size`, `downsample` (the
    fraction of the examples each generation selects on; 1.0: all), `crossover` and `mutation`
    (probabilities of each child's operator; the rest are copies), `elitism` (programs of lowest
    total error carried over unchanged), `max_lambda_depth` (nesting of lambda arguments, as
    the enumerator's), `seed`, `all_inputs` (`Searcher.all_inputs`), `min_cases` and `graded`
    (when a portfolio gives it a share: `applicable`), `simplify` (tries at making a fit
    smaller; 0: the fit as found).
    """

    name = "genetic"
    params = ("population", "generations", "max_size", "max_depth", "init_depth",
              "mutation_depth", "selection", "tournament_size", "downsample", "crossover",
              "mutation", "umad", "umad_rate", "elitism", "max_lambda_depth", "seed",
              "all_inputs", "min_cases", "graded", "simplify")

    def __init__(
        self,
        grammar: Grammar,
        domain: Domain | None = None,
        population: int = 1000,
        generations: int = 300,
        max_size: int = 30,
        max_depth: int = 6,
        init_depth: int = 4,
        mutation_depth: int = 3,
        selection: str = "lexicase",
        tournament_size: int = 7,
        downsample: float = 1.0,
        crossover: float = 0.7,
        mutation: float = 0.25,
        umad: float = 0.0,
        umad_rate: float = 0.09,
        elitism: int = 1,
        max_lambda_depth: int = 2,
        seed: int = 0,
        all_inputs: bool = False,
        min_cases: int = 0,
        graded: bool = False,
        simplify: int = 200,
    ) -> None:
        super().__init__(grammar, domain)
        self.population = _number("population", population, 1, 100_000, True)
        self.generations = _number("generations", generations, 0, 10_000_000, True)
        self.max_size = _number("max_size", max_size, 1, 1000, True)
        self.max_depth = _number("max_depth", max_depth, 0, 100, True)
        self.init_depth = _number("init_depth", init_depth, 0, 100, True)
        self.mutation_depth = _number("mutation_depth", mutation_depth, 0, 100, True)
        if selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {', '.join(SELECTIONS)}, "
                             f"got {selection!r}")
        self.selection = selection
        self.tournament_size = _number("tournament_size", tournament_size, 1, 1000, True)
        self.downsample = _number("downsample", downsample, 0.0, 1.0)
        if self.downsample <= 0.0:
            raise ValueError("downsample must be above 0 (a fraction of the examples)")
        self.crossover = _number("crossover", crossover, 0.0, 1.0)
        self.mutation = _number("mutation", mutation, 0.0, 1.0)
        if crossover + mutation > 1.0 + 1e-9:
            raise ValueError(f"crossover + mutation must be at most 1, got "
                             f"{crossover + mutation:g}")
        self.umad = _number("umad", umad, 0.0, 1.0)
        self.umad_rate = _number("umad_rate", umad_rate, 0.0, 1.0)
        self.elitism = _number("elitism", elitism, 0, 1_000_000, True)
        self.max_lambda_depth = _number("max_lambda_depth", max_lambda_depth, 0, 64, True)
        self.seed = _number("seed", seed, -(2**63), 2**63 - 1, True)
        self.all_inputs = flag("all_inputs", all_inputs)
        self.min_cases = _number("min_cases", min_cases, 0, 1_000_000, True)
        self.graded = flag("graded", graded)
        self.simplify = _number("simplify", simplify, 0, 1_000_000, True)
        #: what the last search did: executions, generations, programs, seconds selecting...
        self.last_stats: dict[str, Any] = {}

    def applicable(self, task: Task) -> bool:
        """In a portfolio, evolution gets a share only where it can climb: at least
        `min_cases` examples and, with `graded`, a domain whose errors are distances (a 0/1
        error gives lexicase little to select on)."""
        if len(task.examples) < self.min_cases:
            return False
        return not self.graded or (self.domain is not None
                                   and self.domain.case_error is not None)

    def search(self, task: Task, budget: Budget) -> SearchResult:
        t0 = time.perf_counter()
        result = SearchResult(task.name, False)
        if not task.examples:
            result.stopped = "error: task has no examples"
            return result
        run = Evolution(self, self.grammar_for(task), task, budget, t0)
        try:
            stopped = run.evolve()
        except _Stop as e:
            stopped = str(e.args[0])
        except RecursionError:
            stopped = "error: recursion while evolving"
        except MemoryError:
            stopped = "memory"
        finally:
            disarm()
        result.seconds = time.perf_counter() - t0
        result.candidates = run.programs
        self.last_stats = run.stats(result.seconds)
        result.stats = dict(self.last_stats)
        found, provisional = run.found, False
        if found is None and run.fallback is not None:
            found, provisional = run.fallback, True
        if found is not None:
            result.solved = True
            result.stopped = "solved"
            result.provisional = provisional
            result.program = found.text
            try:
                program = run.grammar.dsl.parse(found.text)
                result.description_length = run.grammar.description_length(program,
                                                                           task.request)
            except (NotDerivable, ValueError, KeyError):
                result.description_length = None
        else:
            result.stopped = stopped
        return result


class Evolution:
    """One search's state: its types and envs by number, the sampler's tables, the error
    cache (rows per program text), counters. `GeneticSearcher.search` builds one per task and
    calls `evolve`; tests use its parts (`initial_population`, `cross`, `mutate`,
    `from_program`, `evaluate`) directly."""

    def __init__(self, searcher: GeneticSearcher, grammar: Grammar, task: Task, budget: Budget,
                 t0: float) -> None:
        self.s = searcher
        self.grammar = grammar
        self.dsl = grammar.dsl
        self.task = task
        self.budget = budget
        self.deadline = t0 + budget.seconds
        self.request = task.request
        inputs = arguments(task.request)
        self.arity = len(inputs)
        self.max_env = self.arity + searcher.max_lambda_depth
        self.rng = random.Random(searcher.seed)
        self.np_rng = np.random.default_rng(searcher.seed & (2**63 - 1))
        self.inputs = [input_env(ex.inputs) for ex in task.examples]
        self.outputs = [ex.output for ex in task.examples]
        self.n_cases = len(self.inputs)
        domain = searcher.domain
        self.fast_error = domain is None or (domain.case_error is None
                                             and domain.equal is strict_equal)
        self.domain = domain
        self.error_cache: list[dict[Any, float]] = [{} for _ in range(self.n_cases)]
        self.rows: dict[str, list[float | None]] = {}
        self.programs = 0
        self.executions = 0
        self.generation = 0
        self.select_seconds = 0.0
        self.eval_seconds = 0.0
        self.found: GNode | None = None
        self.fallback: GNode | None = None  # a fit that ignores an input (`all_inputs`)
        self.makers: dict[str, Any] = {}
        self._feasible: dict[tuple[int, int], list[int]] = {}
        self._tables: dict[tuple, tuple[list[float], list[tuple]]] = {}
        self._var_nodes: dict[tuple[int, int], GNode] = {}
        self._leaf_nodes: dict[tuple[str, int], GNode] = {}
        # types and envs by number: env 0 is the program body's (the inputs, last one `$0`)
        self.types: list[Type] = []
        self.tid_of: dict[Type, int] = {}
        self.arrow: list[tuple[int, int] | None] = []
        self.envs: list[tuple[Type, ...]] = [()]
        self.env_tids: list[tuple[int, ...]] = [()]
        self.eid_of: dict[tuple[int, ...], int] = {(): 0}
        self.ext: dict[tuple[int, int], int] = {}
        self._tids_of: dict[int, tuple[tuple[Type, ...], tuple[int, ...]]] = {}
        self.root_ctx = grammar.context(*ROOT)
        self.epoch = 0
        self.best_total = math.inf
        self.best_text: str | None = None  # the program of best_total (total error, size)
        self._lexicase: Lexicase | None = None
        self._wraps: dict[tuple, list[tuple]] = {}

    # ------------------------------------------------------------ types and envs as numbers
    def tid(self, tau: Type) -> int:
        t = self.tid_of.get(tau)
        if t is None:
            t = self.tid_of[tau] = len(self.types)
            self.types.append(tau)
            self.arrow.append(None)
            if is_arrow(tau):
                a, b = tau.args  # type: ignore[union-attr]
                self.arrow[t] = (self.tid(a), self.tid(b))
        return t

    def tids_of(self, types: tuple[Type, ...]) -> tuple[int, ...]:
        """The ids of a tuple of types (memoised by the tuple's identity: the grammar's
        tables keep handing out the same tuples)."""
        found = self._tids_of.get(id(types))
        if found is not None and found[0] is types:
            return found[1]
        ids = tuple(self.tid(t) for t in types)
        self._tids_of[id(types)] = (types, ids)
        return ids

    def extend(self, tid: int, eid: int) -> int:
        """The env of a lambda body: the argument `tid` in front of env `eid`."""
        key = (tid, eid)
        e = self.ext.get(key)
        if e is None:
            env = (self.types[tid], *self.envs[eid])
            tids = (tid, *self.env_tids[eid])
            e = self.eid_of.get(tids)
            if e is None:
                e = self.eid_of[tids] = len(self.envs)
                self.envs.append(env)
                self.env_tids.append(tids)
            self.ext[key] = e
        return e

    # ------------------------------------------------------------ drawing programs
    def feasible(self, tid: int, eid: int, limit: int) -> bool:
        """Whether some program of type `tid` in env `eid` has application depth at most
        `limit` (within the lambda bound). Monotone in `limit`, so each hole keeps the least
        limit known to work and the greatest known not to."""
        arrow = self.arrow[tid]
        while arrow is not None:
            eid = self.extend(arrow[0], eid)
            if len(self.envs[eid]) > self.max_env:
                return False
            tid = arrow[1]
            arrow = self.arrow[tid]
        key = (tid, eid)
        known = self._feasible.get(key)
        if known is None:
            known = self._feasible[key] = [_INF, -1]  # least limit that works, greatest not
        if limit >= known[0]:
            return True
        if limit <= known[1]:
            return False
        ok = False  # (the recursion lowers the limit at every level, so it ends)
        for prod in self.grammar.productions(self.types[tid], self.envs[eid]):
            if not prod.arg_types:
                ok = True
                break
            if limit > 0 and all(self.feasible(self.tid(a), eid, limit - 1)
                                 for a in prod.arg_types):
                ok = True
                break
        if ok:
            known[0] = limit
        else:
            known[1] = limit
        return ok

    def _table(self, tid: int, eid: int, ctx: tuple[str, int] | None, remaining: int,
               full: bool) -> tuple[list[float], list[tuple]]:
        """The choices of hole `(tid, eid)` in grammar context `ctx` that can be completed
        within `remaining` application levels: (cumulative weights, [(name, var, [argument
        type ids of each feasible instance], cost in nats)]). `full` keeps only choices with
        arguments where there are any (the full method)."""
        key = (tid, eid, ctx, remaining, full)
        found = self._tables.get(key)
        if found is not None:
            return found
        cumulative, choices = _choices(self.grammar, self.types[tid], self.envs[eid], ctx)
        options: list[tuple] = []
        weights: list[float] = []
        previous = 0.0
        for c, (name, var, instances) in zip(cumulative, choices, strict=True):
            mass = c - previous
            previous = c
            if mass <= 0.0:
                continue
            feasible = []
            for args in instances:
                ids = self.tids_of(args)
                if not ids or (remaining > 0 and all(
                        self.feasible(a, eid, remaining - 1) for a in ids)):
                    feasible.append(ids)
            if not feasible:
                continue
            options.append((name, var, feasible, -math.log(mass / cumulative[-1])))
            weights.append(mass)
        if full and remaining > 0:
            inner = [i for i, o in enumerate(options) if o[2][0]]
            if inner:
                options = [options[i] for i in inner]
                weights = [weights[i] for i in inner]
        cum: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            cum.append(total)
        found = (cum, options)
        self._tables[key] = found
        return found

    def draw(self, tid: int, eid: int, ctx: tuple[str, int] | None, level: int,
             max_depth: int, room: list[int], full_to: int, cost: list[float]) -> GNode:
        """A subtree for hole `(tid, eid)` drawn from the grammar, at most `max_depth`
        application levels in all counting `level` above it, within `room[0]` nodes; `full_to`:
        levels above which choices with arguments are preferred (the full method)."""
        room[0] -= 1
        if room[0] < 0:
            raise _TooBig
        arrow = self.arrow[tid]
        if arrow is not None:
            eid2 = self.extend(arrow[0], eid)
            if len(self.envs[eid2]) > self.max_env:
                raise _TooBig
            body = self.draw(arrow[1], eid2, ctx, level, max_depth, room, full_to, cost)
            return GNode("lam", _LAM, self.types[tid], tid, (body,))
        key = (tid, eid, ctx, max_depth - level, level < full_to)
        table = self._tables.get(key)
        if table is None:
            table = self._table(*key)
        cum, options = table
        if not options:
            raise _TooBig
        rng = self.rng
        i = bisect.bisect_right(cum, rng.random() * cum[-1])
        name, var, instances, c = options[i if i < len(options) else -1]
        cost[0] += c
        if var >= 0:
            vkey = (var, tid)
            node = self._var_nodes.get(vkey)
            if node is None:
                node = self._var_nodes[vkey] = GNode(name, var, self.types[tid], tid)
            return node
        args = instances[0] if len(instances) == 1 else instances[rng.randrange(len(instances))]
        if not args:
            lkey = (name, tid)
            node = self._leaf_nodes.get(lkey)
            if node is None:
                node = self._leaf_nodes[lkey] = GNode(name, _PRIM, self.types[tid], tid)
            return node
        context = self.grammar.context
        kids = tuple([self.draw(t, eid, context(name, k), level + 1, max_depth, room, full_to,
                                cost) for k, t in enumerate(args)])
        return GNode(name, _PRIM, self.types[tid], tid, kids)

    def sample_tree(self, tid: int, eid: int, ctx: tuple[str, int] | None, level: int,
                    max_depth: int, room: int, full: bool,
                    tries: int = 8) -> tuple[GNode, float] | None:
        """A drawn subtree and its cost in nats (the grammar's choices), None after `tries`."""
        for _ in range(tries):
            cost = [0.0]
            try:
                node = self.draw(tid, eid, ctx, level, max_depth, [room],
                                 max_depth if full else -1, cost)
            except _TooBig:
                continue
            return node, cost[0]
        return None

    def initial_population(self) -> list[GNode]:
        """Ramped half-and-half: depth bounds 1..init_depth, grow and full in turn, distinct
        programs, cheapest (likeliest under the grammar) first."""
        s = self.s
        want = s.population
        top = max(0, min(s.init_depth, s.max_depth))
        seen: dict[str, tuple[float, int, GNode]] = {}
        draws = 0
        misses = 0
        request = self.tid(self.request)
        while len(seen) < want and misses < max(200, 4 * want):
            if draws % _CHECK == 0:
                self.check_clock()
            depth = 1 + (draws // 2) % top if top > 0 else 0
            full = draws % 2 == 1
            draws += 1
            got = self.sample_tree(request, 0, self.root_ctx, 0, depth, s.max_size, full)
            if got is None or got[0].text in seen:
                misses += 1
                continue
            node, cost = got
            seen[node.text] = (cost, len(seen), node)
        return [n for _, _, n in sorted(seen.values(), key=lambda x: (x[0], x[1]))]

    def from_program(self, program: Program, request: Type | None = None) -> GNode:
        """The typed tree of an eta-long closed `program` of `request` (the task's by default),
        each node matched to the grammar production that derives it; ValueError when the
        grammar cannot derive it (seeds a population with known programs; tests)."""
        def go(p: Program, tid: int, eid: int) -> GNode:
            arrow = self.arrow[tid]
            if arrow is not None:
                if not isinstance(p, Lam):
                    raise ValueError(f"{p} is not eta-long at {self.types[tid]}")
                body = go(p.body, arrow[1], self.extend(arrow[0], eid))
                return GNode("lam", _LAM, self.types[tid], tid, (body,))
            head, args = spine(p)
            tau, env = self.types[tid], self.envs[eid]
            if isinstance(head, Var):
                if args or head.index >= len(env) or env[head.index] != tau:
                    raise ValueError(f"variable {head} is not of type {tau} here")
                return GNode(f"${head.index}", head.index, tau, tid)
            if not isinstance(head, Prim | Invented):
                raise ValueError(f"cannot type {p}")
            for prod in self.grammar.productions(tau, env):
                if prod.name != head.name or len(prod.arg_types) != len(args):
                    continue
                try:
                    kids = tuple(go(a, t, eid) for a, t in zip(args, self.tids_of(
                        prod.arg_types), strict=True))
                except ValueError:
                    continue
                return GNode(head.name, _PRIM, tau, tid, kids)
            raise ValueError(f"the grammar does not derive {p} at type {tau}")

        return go(program, self.tid(request if request is not None else self.request), 0)

    # ------------------------------------------------------------ variation
    def top(self, root: GNode) -> Site:
        """The program's body: the site below its input lambdas."""
        node = root
        eid = 0
        for _ in range(self.arity):
            eid = self.extend(self.arrow[node.tid][0], eid)  # type: ignore[index]
            node = node.kids[0]
        return Site(node, (0,) * self.arity, eid, self.root_ctx, 0, self.arity)

    def pick(self, root: GNode) -> Site:
        """A random site: an inner node nine times in ten (Koza), a leaf or any node otherwise;
        found by descending with the subtrees' counts, without listing the sites."""
        top = self.top(root)
        node = top.node
        rng = self.rng
        inner = node.inner > 0 and rng.random() < 0.9
        r = rng.randrange(node.inner if inner else node.size)
        path = list(top.path)
        eid, ctx, level, lams = top.eid, top.ctx, 0, top.lams
        context = self.grammar.context
        while r:
            r -= 1
            for k, kid in enumerate(node.kids):
                n = kid.inner if inner else kid.size
                if r < n:
                    path.append(k)
                    if node.var == _LAM:
                        eid = self.extend(self.arrow[node.tid][0], eid)  # type: ignore[index]
                        lams += 1
                    else:
                        ctx = context(node.name, k)
                        level += 1
                    node = kid
                    break
                r -= n
        return Site(node, tuple(path), eid, ctx, level, lams)

    def sites_of_type(self, root: GNode, tid: int, room: int,
                      depth_room: int) -> list[tuple[GNode, tuple[int, ...], int, int]]:
        """The sites of `root` of type `tid` whose subtree has at most `room` nodes and
        `depth_room` application levels, as (node, path, env id, lambda depth); subtrees
        without that type are not entered."""
        out = []
        top = self.top(root)
        bit = 1 << tid
        arrow = self.arrow
        extend = self.extend
        stack = [(top.node, top.path, top.eid, top.lams)]
        while stack:
            node, path, eid, lams = stack.pop()
            if node.tid == tid and node.size <= room and node.depth <= depth_room:
                out.append((node, path, eid, lams))
            if node.var == _LAM:
                body = node.kids[0]
                if body.tmask & bit:
                    stack.append((body, (*path, 0), extend(arrow[node.tid][0], eid),  # type: ignore[index]
                                  lams + 1))
            elif node.kids:
                for k, kid in enumerate(node.kids):
                    if kid.tmask & bit:
                        stack.append((kid, (*path, k), eid, lams))
        return out

    def mutate(self, parent: GNode) -> GNode | None:
        """A site's subtree replaced by one drawn from the grammar for its hole."""
        s = self.s
        site = self.pick(parent)
        room = s.max_size - (parent.size - site.node.size)
        depth = min(s.max_depth, site.level + s.mutation_depth)
        got = self.sample_tree(site.node.tid, site.eid, site.ctx, site.level, depth, room,
                               False, tries=4)
        if got is None:
            return None
        return _replace(parent, site.path, got[0])

    def umad(self, parent: GNode) -> GNode | None:
        """Uniform mutation by addition and deletion (UMAD, Helmuth et al. 2018) on typed trees:
        every site of the parent, independently, is wrapped with probability `add` in a
        production of its own type that takes it as an argument (the other arguments drawn
        from the grammar: `x` becomes `(reverse x)` or `(+ x 3)`), or, with probability
        `add / (1 + add)`, replaced by one of its own arguments of the same type (deletion:
        `(reverse x)` becomes `x`). None when the result passes the bounds or equals the
        parent."""
        add = self.s.umad_rate
        delete = add / (1.0 + add)
        rng = self.rng
        s = self.s
        context = self.grammar.context

        def go(node: GNode, eid: int, ctx: tuple[str, int] | None, level: int) -> GNode:
            if node.var == _LAM:
                arrow = self.arrow[node.tid]
                assert arrow is not None
                body = go(node.kids[0], self.extend(arrow[0], eid), ctx, level)
                if body is node.kids[0]:
                    return node
                return GNode(node.name, _LAM, node.tau, node.tid, (body,))
            out = node
            if node.kids:
                kids = tuple(go(k, eid, context(node.name, i), level + 1)
                             for i, k in enumerate(node.kids))
                if any(a is not b for a, b in zip(kids, node.kids, strict=True)):
                    out = GNode(node.name, _PRIM, node.tau, node.tid, kids)
            x = rng.random()
            if x < delete:
                same = [k for k in out.kids if k.tid == out.tid]
                if same:
                    return same[rng.randrange(len(same))]
            elif x < delete + add:
                wrapped = self.wrap(out, eid, ctx, level)
                if wrapped is not None:
                    return wrapped
            return out

        top = self.top(parent)
        body = go(top.node, top.eid, top.ctx, 0)
        if body is top.node:
            return None
        child = _replace(parent, top.path, body)
        if child.size > s.max_size or child.depth > s.max_depth or child.text == parent.text:
            return None
        return child

    def wrap(self, node: GNode, eid: int, ctx: tuple[str, int] | None,
             level: int) -> GNode | None:
        """`node` as one argument of a production of its own type (hole `(node.tid, eid)` in
        `ctx`), the other arguments drawn from the grammar; None when there is none."""
        remaining = self.s.max_depth - level
        key = (node.tid, eid, ctx, remaining)
        options = self._wraps.get(key)
        if options is None:
            cum, table = self._table(node.tid, eid, ctx, remaining, False)
            options = []
            previous = 0.0
            for c, (name, _, instances, _) in zip(cum, table, strict=True):
                weight, previous = c - previous, c
                for args in instances:
                    for i, a in enumerate(args):
                        if a == node.tid:
                            options.append((weight / len(instances), name, args, i))
            self._wraps[key] = options
        if not options:
            return None
        x = self.rng.random() * sum(o[0] for o in options)
        pick = options[-1]
        for option in options:
            x -= option[0]
            if x <= 0:
                pick = option
                break
        _, name, args, i = pick
        room = [self.s.max_size]
        kids = []
        for k, t in enumerate(args):
            if k == i:
                kids.append(node)
                continue
            try:
                kids.append(self.draw(t, eid, self.grammar.context(name, k), level + 1,
                                      min(self.s.max_depth, level + 2), room, -1, [0.0]))
            except _TooBig:
                return None
        return GNode(name, _PRIM, self.types[node.tid], node.tid, tuple(kids))

    def cross(self, receiver: GNode, donor: GNode) -> GNode | None:
        """Subtree crossover: a donor subtree of the site's type whose free variables are
        bound, with the same types, where it lands (inputs shifted to stay the same input)."""
        s = self.s
        arity = self.arity
        rng = self.rng
        for _ in range(4):
            site = self.pick(receiver)
            node = site.node
            room = s.max_size - (receiver.size - node.size)
            options = self.sites_of_type(donor, node.tid, room, s.max_depth - site.level)
            d_a = site.lams - arity
            env_a = self.env_tids[site.eid]
            fits = []
            for q in options:
                sub, _, eid_b, lams_b = q
                if sub is node:
                    continue
                d_b = lams_b - arity
                bound = sub.fv & ((1 << d_b) - 1)  # variables bound by the donor's lambdas
                if bound:
                    if bound >> d_a:
                        continue  # bound at an index the receiver's lambdas do not reach
                    env_b = self.env_tids[eid_b]
                    ok = True
                    while bound:
                        low = bound & -bound
                        v = low.bit_length() - 1
                        if env_a[v] != env_b[v]:
                            ok = False
                            break
                        bound ^= low
                    if not ok:
                        continue
                fits.append(q)
            if not fits:
                continue
            sub, _, _, lams_b = fits[rng.randrange(len(fits))]
            d_b = lams_b - arity
            if d_a != d_b:
                sub = _shift(sub, d_a - d_b, d_b)
            return _replace(receiver, site.path, sub)
        return None

    # ------------------------------------------------------------ evaluation
    def closure(self, node: GNode) -> Closure:
        f = node.fn
        if f is None:
            if node.var == _LAM:
                f = lam_node(self.closure(node.kids[0]))
            elif node.var >= 0:
                f = var_node(node.var)
            else:
                maker = self.makers.get(node.name)
                if maker is None:
                    maker = (_invention_primitive(node.name, self.dsl)
                             if node.name in self.dsl.inventions
                             else self.dsl.primitive(node.name))
                    self.makers[node.name] = maker
                if node.name in self.dsl.inventions and maker.arity == 0:
                    f = _deferred_node(maker.impl)
                else:
                    f = prim_node(maker, [self.closure(k) for k in node.kids])
            node.fn = f
        return f

    def body(self, root: GNode) -> GNode:
        node = root
        for _ in range(self.arity):
            node = node.kids[0]
        return node

    def error(self, case: int, out: Any) -> float:
        expected = self.outputs[case]
        if self.fast_error:
            if out is expected:
                return 0.0
            try:
                if out != expected:
                    return 1.0
            except Exception:  # a value that cannot be compared is not the expected one
                return 1.0
            return 0.0 if strict_equal(out, expected) else 1.0
        domain = self.domain
        assert domain is not None
        cache = self.error_cache[case]
        try:
            key = domain.value_key(out)
            found = cache.get(key)
        except Exception:  # an unhashable or unkeyable value: not cached
            key, found = None, None
        if found is not None:
            return found
        try:
            e = float(domain.error(out, expected))
        except Exception:  # a distance that cannot be computed (overflow...) is the largest
            e = MAX_ERROR
        if not e >= 0.0:  # NaN or negative
            e = MAX_ERROR
        elif e > MAX_ERROR:
            e = MAX_ERROR
        if key is not None and len(cache) < _MAX_CACHE:
            cache[key] = e
        return e

    def row(self, node: GNode) -> list[float | None]:
        r = self.rows.get(node.text)
        if r is None:
            cap = self.budget.max_candidates
            if cap is not None and self.programs >= cap:
                raise _Stop("candidates")
            if len(self.rows) >= _MAX_CACHE:
                self.rows.clear()  # the population's rows are filled in again when needed
            r = self.rows[node.text] = [None] * self.n_cases
            self.programs += 1
        return r

    def run_cases(self, node: GNode, cases: Sequence[int]) -> list[float | None]:
        """Fill in the errors of `node` on `cases` (those not yet known); returns its row."""
        row = self.row(node)
        missing = [c for c in cases if row[c] is None]
        if not missing:
            return row
        counter = COUNTER
        if counter[EXPIRED] == self.epoch:
            raise _Stop("timeout")
        envs = self.inputs
        start = evaluate.start_cheap
        error = self.error
        try:
            try:
                fn = self.closure(self.body(node))
            except Exception:  # a constant that fails to build
                for c in missing:
                    row[c] = FAIL_ERROR
                return row
            for j, c in enumerate(missing):
                self.executions += 1
                start()
                try:
                    out = fn(envs[c])
                except StepLimit:  # out of its limits: the rest are not run
                    for c2 in missing[j:]:
                        row[c2] = FAIL_ERROR
                    break
                except Exception:
                    row[c] = FAIL_ERROR
                    continue
                row[c] = error(c, out)
        except StepLimit:  # the watchdog's interrupt landed outside the evaluation proper
            for c in missing:
                if row[c] is None:
                    row[c] = FAIL_ERROR
        return row

    def evaluate(self, nodes: Sequence[GNode], cases: Sequence[int]) -> list[list[float | None]]:
        """Errors of every program on `cases` (their rows, in order); a program perfect there
        is run on every case, and one perfect on all is the result (the search stops)."""
        t0 = time.perf_counter()
        left = self.deadline - t0
        if left <= 0:
            raise _Stop("timeout")
        seconds = max(_MIN_SECONDS, min(self.budget.limits.max_seconds, left))
        evaluate.start(self.budget.limits)  # the step limit (`start_cheap` resets the count)
        evaluate.set_seconds(seconds)
        arm(seconds, self.deadline)
        self.epoch = COUNTER[EPOCH]
        all_cases = range(self.n_cases)
        rows = []
        try:
            for i, node in enumerate(nodes):
                if i % _CHECK == _CHECK - 1 and time.perf_counter() > self.deadline:
                    raise _Stop("timeout")
                row = self.run_cases(node, cases)
                if all(row[c] == 0.0 for c in cases):
                    if len(cases) < self.n_cases:
                        row = self.run_cases(node, all_cases)
                    if all(e == 0.0 for e in row):
                        self.accept(node)
                rows.append(row)
        finally:
            disarm()
            self.eval_seconds += time.perf_counter() - t0
        return rows

    def accept(self, node: GNode) -> None:
        """A program with zero error everywhere: the result, confirmed by the checker (the
        search goes on if the checker, with the full limits, disagrees)."""
        arity = self.arity
        if self.s.all_inputs and (self.body(node).fv & ((1 << arity) - 1)) != (1 << arity) - 1:
            if self.fallback is None:
                self.fallback = node
            return
        smaller = self.simplify(node)
        disarm()
        try:
            checker = self.s.checker(self.budget, self.task)
            ok = checker.fits(smaller.text, self.task)
            if ok:
                node = smaller
            elif smaller is not node:
                ok = checker.fits(node.text, self.task)
        finally:
            arm(max(_MIN_SECONDS, min(self.budget.limits.max_seconds,
                                      self.deadline - time.perf_counter())), self.deadline)
            self.epoch = COUNTER[EPOCH]
        if ok:
            self.found = node
            raise _Stop("solved")

    def simplify(self, node: GNode) -> GNode:
        """`node` (zero error everywhere) made smaller, keeping zero error everywhere: see the
        module docstring. Stops at the budget's limits, returning the smallest fit so far."""
        tries = self.s.simplify
        every = range(self.n_cases)
        inputs = (1 << self.arity) - 1 if self.s.all_inputs else 0
        improved = True
        try:
            while improved and tries > 0:
                improved = False
                for path, sub in _applications(node):
                    for kid in sub.kids:
                        if kid.var == _LAM or kid.tid != sub.tid:
                            continue
                        if tries <= 0:
                            return node
                        tries -= 1
                        smaller = _replace(node, path, kid)
                        if self.body(smaller).fv & inputs != inputs:
                            continue
                        if all(e == 0.0 for e in self.run_cases(smaller, every)):
                            node, improved = smaller, True
                            break
                    if improved:
                        break
        except _Stop:  # out of time or candidates: the last fit stands
            pass
        return node

    def check_clock(self) -> None:
        if time.perf_counter() > self.deadline:
            raise _Stop("timeout")

    # ------------------------------------------------------------ the loop
    def evolve(self) -> str:
        s = self.s
        population = self.initial_population()
        if not population:
            return "exhausted"  # the grammar builds no program of the request within the bounds
        all_cases = list(range(self.n_cases))
        n_down = max(1, round(s.downsample * self.n_cases))
        cases = all_cases
        if n_down < self.n_cases:
            cases = sorted(self.rng.sample(all_cases, n_down))
        rows = self.evaluate(population, cases)
        for generation in range(s.generations):
            self.generation = generation + 1
            self.check_clock()
            if n_down < self.n_cases:
                cases = sorted(self.rng.sample(all_cases, n_down))
                rows = self.evaluate(population, cases)  # the cases the parents have not met
            if cases is all_cases:
                errors = np.array(rows, dtype=float)
            else:
                errors = np.array([[r[c] for c in cases] for r in rows], dtype=float)
            children = self.breed(population, errors)
            self.check_clock()
            new = sum(1 for c in children if c.text not in self.rows)
            rows = self.evaluate(children, cases)
            population = children
            if new == 0:
                return "exhausted"  # nothing new came out of a whole generation
        return "exhausted"

    def breed(self, population: list[GNode], errors: np.ndarray) -> list[GNode]:
        """The next generation: elites, then children of selected parents."""
        s = self.s
        rng = self.rng
        count = len(population)
        totals = errors.sum(axis=1)
        sizes = np.array([n.size for n in population])
        order = np.lexsort((sizes, totals))
        if float(totals[order[0]]) < self.best_total:
            self.best_total = float(totals[order[0]])
            self.best_text = population[order[0]].text
        children: list[GNode] = [population[i] for i in order[: min(s.elitism, count)]]
        self._lexicase = None  # this generation's
        texts = {c.text for c in children}
        want = s.population
        ops = []
        needed = 0
        for _ in range(want - len(children)):
            x = rng.random()
            op = 0 if x < s.crossover else 1 if x < s.crossover + s.mutation else 2
            ops.append(op)
            needed += 2 if op == 0 else 1
        t0 = time.perf_counter()
        picks = self.select(errors, totals, sizes, needed).tolist()
        self.select_seconds += time.perf_counter() - t0
        spare: list[int] = []  # parents for retries, drawn in batches when needed
        k = 0

        def parent() -> GNode:
            nonlocal k
            if k < len(picks):
                k += 1
                return population[picks[k - 1]]
            if not spare:
                t1 = time.perf_counter()
                spare.extend(reversed(self.select(errors, totals, sizes,
                                                  max(64, needed // 4)).tolist()))
                self.select_seconds += time.perf_counter() - t1
            return population[spare.pop()]

        for i, op in enumerate(ops):
            if i % _CHECK == _CHECK - 1:
                self.check_clock()
            child = None
            for attempt in range(_TRIES):
                a = parent()
                if op == 0:
                    b = parent()
                    child = self.cross(a, b) or self.mutate(a) or a
                elif op == 1:
                    if s.umad and rng.random() < s.umad:
                        child = self.umad(a) or self.mutate(a) or a
                    else:
                        child = self.mutate(a) or a
                else:
                    child = a
                if child.text not in texts or attempt == _TRIES - 1:
                    break
            assert child is not None
            texts.add(child.text)
            children.append(child)
        return children

    def select(self, errors: np.ndarray, totals: np.ndarray, sizes: np.ndarray,
               n: int) -> np.ndarray:
        """`n` parents (row indices) by the searcher's selection."""
        s = self.s
        if s.selection == "tournament":
            return tournament_select(totals, sizes, n, self.np_rng, s.tournament_size)
        if self._lexicase is None:
            eps = mad_epsilon(errors) if s.selection == "epsilon-lexicase" else None
            self._lexicase = Lexicase(errors, eps)
        return self._lexicase.select(n, self.np_rng)

    def stats(self, seconds: float) -> dict[str, Any]:
        return {
            "executions": self.executions,
            "programs": self.programs,
            "generations": self.generation,
            "seconds": seconds,
            "evaluation_seconds": self.eval_seconds,
            "selection_seconds": self.select_seconds,
            "best_total_error": self.best_total if math.isfinite(self.best_total) else None,
            "best_program": self.best_text,
            "cases": self.n_cases,
        }


def population_programs(searcher: GeneticSearcher, task: Task) -> list[GNode]:
    """The initial population `searcher` would draw for `task` (for tests and inspection)."""
    return Evolution(searcher, searcher.grammar_for(task), task, Budget(seconds=60.0),
                     time.perf_counter()).initial_population()
