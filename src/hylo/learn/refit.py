"""Sleep, grammar: refit the grammar's log-weights to the (rewritten) solutions.

The grammar (see `hylo.core.grammar`) picks, at each hole, one of the candidates available there
(the library entries whose type fits, and the variables in scope), with probability
`exp(w_x) / Z`, `Z` summing over the hole's candidates. A corpus of derivations gives, for each
distinct candidate set ("context") `c`, how often each candidate was chosen (`a[c, x]`) out of
`N[c]` choices. The refit maximises the log-likelihood

    sum_c [ sum_x a[c, x] * w_x  -  N[c] * log Z_c(w) ]  -  l2/2 * |w|^2

which is concave in `w` (a log-linear model), by Newton's method with a backtracking line
search: the exact maximum-likelihood weights of DreamCoder's unigram grammar rather than its
`log(actual) - log(possible)` approximation. Pseudocounts keep it a posterior: every context also
counts `pseudocount` uniform choices per candidate, so a primitive the corpus never used stays
reachable (it gets cheaper than nothing, dearer than what was used). The small `l2` term fixes
the one free constant (adding `k` to every weight changes no probability) and keeps names that no
context offered at 0.

Corpus programs are weighted: a task's solutions share weight 1 in proportion to their prior
under the grammar (a posterior over its frontier), so a task with three solutions does not count
three times.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hylo.core.grammar import Grammar, NotDerivable
from hylo.core.program import Invented, Lam, Prim, Program, Var, spine
from hylo.core.types import Type, is_arrow

VAR = "$var"

Context = tuple[tuple[str, ...], int]  # (distinct names offered, number of variables offered)


@dataclass(frozen=True)
class RefitConfig:
    pseudocount: float = 1.0
    l2: float = 0.05
    max_steps: int = 60
    tolerance: float = 1e-7


def choices(grammar: Grammar, program: Program, request: Type) -> list[tuple[Context, str]]:
    """The grammar's choices in the cheapest derivation of `program`: (context, chosen name or
    VAR) per non-lambda node. NotDerivable if the grammar cannot derive it."""
    out: list[tuple[Context, str]] = []

    def go(p: Program, tau: Type, env: tuple[Type, ...]) -> None:
        if is_arrow(tau):
            if not isinstance(p, Lam):
                raise NotDerivable(f"expected a lambda at type {tau}, got {p}")
            go(p.body, tau.args[1], (tau.args[0], *env))  # type: ignore[union-attr]
            return
        prods = grammar.productions(tau, env)
        names = tuple(sorted({pr.name for pr in prods if pr.var_index < 0}))
        n_vars = sum(1 for pr in prods if pr.var_index >= 0)
        context = (names, n_vars)
        head, args = spine(p)
        if isinstance(head, Var):
            if args or not any(pr.var_index == head.index for pr in prods):
                raise NotDerivable(f"variable {head} not available at type {tau}")
            out.append((context, VAR))
            return
        if not isinstance(head, (Prim, Invented)):
            raise NotDerivable(f"cannot derive {p}")
        matching = [pr for pr in prods if pr.name == head.name and len(pr.arg_types) == len(args)]
        if not matching:
            raise NotDerivable(f"{head.name} with {len(args)} arguments not available at {tau}")
        best = matching[0]
        if len(matching) > 1:  # several ground instances: take the cheapest derivable one
            best_cost: float | None = None
            for pr in matching:
                try:
                    c = pr.cost + sum(
                        grammar.cost(a, ta, env) for a, ta in zip(args, pr.arg_types, strict=True)
                    )
                except NotDerivable:
                    continue
                if best_cost is None or c < best_cost:
                    best, best_cost = pr, c
            if best_cost is None:
                raise NotDerivable(f"no instance of {head.name} derives {p}")
        out.append((context, head.name))
        for a, ta in zip(args, best.arg_types, strict=True):
            go(a, ta, env)

    go(program, request, ())
    return out


def frontier_weights(grammar: Grammar, programs: Sequence[tuple[Program, Type]]) -> list[float]:
    """Posterior weights of one task's solutions (summing to 1); underivable ones get 0."""
    logp = []
    for p, t in programs:
        try:
            logp.append(-grammar.with_literals(p).description_length(p, t))
        except NotDerivable:
            logp.append(-math.inf)
    m = max(logp, default=-math.inf)
    if m == -math.inf:
        return [0.0] * len(programs)
    ws = [math.exp(x - m) for x in logp]
    s = sum(ws)
    return [w / s for w in ws]


def refit(
    grammar: Grammar,
    corpus: Iterable[tuple[Program, Type, float]],
    config: RefitConfig = RefitConfig(),
) -> Grammar:
    """A new grammar over the same DSL whose weights maximise the (weighted, smoothed)
    likelihood of `corpus` (program, request, weight). Underivable programs are skipped."""
    import numpy as np

    names = list(grammar.dsl.names())
    index = {n: i for i, n in enumerate(names)}
    index[VAR] = len(names)
    dim = len(names) + 1
    counts: dict[Context, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for program, request, weight in corpus:
        if weight <= 0:
            continue
        try:
            cs = choices(grammar.with_literals(program), program, request)
        except (NotDerivable, RecursionError):
            continue
        for (cnames, n_vars), chosen in cs:
            if chosen not in index:  # a task's constant (literal): no weight of this grammar
                continue
            counts[(tuple(n for n in cnames if n in index), n_vars)][chosen] += weight
    if not counts:
        return Grammar(grammar.dsl, dict(grammar.log_weights), grammar.log_variable,
                       grammar.max_type_size)

    contexts = list(counts)
    member = np.zeros((len(contexts), dim))  # multiplicity of each candidate in each context
    actual = np.zeros((len(contexts), dim))
    for ci, context in enumerate(contexts):
        cnames, n_vars = context
        for n in cnames:
            member[ci, index[n]] = 1.0
        member[ci, dim - 1] = n_vars
        for chosen, w in counts[context].items():
            actual[ci, index[chosen]] += w
    actual += config.pseudocount * member  # uniform pseudo-choices per candidate
    total = actual.sum(axis=1)
    observed = actual.sum(axis=0)

    def objective(w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        m = w.max()
        ew = np.exp(w - m)
        z = member @ ew  # per context
        log_z = np.log(z) + m
        value = float(observed @ w - total @ log_z - 0.5 * config.l2 * (w @ w))
        p = member * ew[None, :] / z[:, None]  # candidate probabilities per context
        grad = observed - total @ p - config.l2 * w
        # Hessian of the log-partition part: sum_c N_c (diag(p_c) - p_c p_c^T)
        hess = -(np.diag(total @ p) - (p * total[:, None]).T @ p) - config.l2 * np.eye(dim)
        return value, grad, hess

    w = np.zeros(dim)
    for name, value in grammar.log_weights.items():
        w[index[name]] = value
    w[dim - 1] = grammar.log_variable
    value, grad, hess = objective(w)
    for _ in range(config.max_steps):
        try:
            step = np.linalg.solve(hess, -grad)
        except np.linalg.LinAlgError:
            step = grad
        if float(grad @ step) <= 0:  # not an ascent direction (numerics): plain gradient
            step = grad
        t = 1.0
        while t > 1e-8:
            cand = w + t * step
            new_value, new_grad, new_hess = objective(cand)
            if new_value >= value + 1e-4 * t * float(grad @ step):
                break
            t *= 0.5
        else:
            break
        improvement = new_value - value
        w, value, grad, hess = cand, new_value, new_grad, new_hess
        if improvement < config.tolerance:
            break
    weights = {n: float(w[index[n]]) for n in names}
    return Grammar(grammar.dsl, weights, float(w[dim - 1]), grammar.max_type_size)
