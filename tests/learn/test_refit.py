"""Grammar refit: what the corpus uses gets cheaper, nothing becomes unreachable, and the refit
is the likelihood maximum it claims to be."""

from __future__ import annotations

import math

import pytest
from learn_helpers import LISTS, corpus

from hylo.core.dsl import Invention
from hylo.core.grammar import Grammar, NotDerivable
from hylo.core.infer import infer_type
from hylo.core.types import parse_type
from hylo.learn.refit import VAR, RefitConfig, choices, frontier_weights, refit


def _corpus():
    return [(p, t.request, 1.0) for t, p in corpus()]


def _log_likelihood(g: Grammar, data) -> float:
    return -sum(w * g.description_length(p, t) for p, t, w in data)


def test_used_primitives_get_heavier_and_cheaper():
    g0 = Grammar.uniform(LISTS)
    data = _corpus()
    g1 = refit(g0, data)
    for name in ("map", "take", "drop", "+"):
        assert g1.log_weights[name] > g0.log_weights[name] + 0.3, name
    for name in ("is-prime", "zip-with", "concat"):  # never used by the corpus
        assert g1.log_weights[name] < g1.log_weights["map"]
        assert math.isfinite(g1.log_weights[name])
    for p, t, _ in data:
        assert g1.description_length(p, t) < g0.description_length(p, t)
    assert _log_likelihood(g1, data) > _log_likelihood(g0, data)


def test_unused_names_stay_reachable():
    g1 = refit(Grammar.uniform(LISTS), _corpus())
    t = parse_type("list(int) -> list(int)")
    p = LISTS.parse("(lam (filter (lam (is-prime $0)) $0))")
    assert math.isfinite(g1.description_length(p, t))


def test_refit_is_a_maximum_of_the_smoothed_likelihood():
    """Moving any one weight away from the fit lowers the objective the fit maximises."""
    g0 = Grammar.uniform(LISTS)
    data = _corpus()
    cfg = RefitConfig(pseudocount=0.5, l2=0.05)
    g1 = refit(g0, data, cfg)

    def objective(g: Grammar) -> float:
        # exact log-likelihood of the choices (no quantisation) plus the same smoothing terms
        total = 0.0
        contexts = {}
        for p, t, w in data:
            for context, chosen in choices(g0, p, t):
                contexts.setdefault(context, {}).setdefault(chosen, 0.0)
                contexts[context][chosen] += w
        for (names, n_vars), counts in contexts.items():
            ws = {n: g.log_weights[n] for n in names}
            members = [*ws.values(), *([g.log_variable] * n_vars)]
            m = max(members)
            log_z = m + math.log(sum(math.exp(x - m) for x in members))
            for n, w in ws.items():
                total += (counts.get(n, 0.0) + cfg.pseudocount) * (w - log_z)
            if n_vars:
                total += (counts.get(VAR, 0.0) + cfg.pseudocount * n_vars) * (
                    g.log_variable - log_z)
        reg = sum(w * w for w in g.log_weights.values()) + g.log_variable ** 2
        return total - 0.5 * cfg.l2 * reg

    best = objective(g1)
    for name in ("map", "take", "+", "sort", "car"):
        for delta in (-0.2, 0.2):
            w = dict(g1.log_weights)
            w[name] += delta
            assert objective(Grammar(LISTS, w, g1.log_variable)) < best
    for delta in (-0.2, 0.2):
        assert objective(Grammar(LISTS, dict(g1.log_weights), g1.log_variable + delta)) < best


def test_a_useful_invention_becomes_cheap():
    body = LISTS.parse("(lam (lam (lam (take $1 (drop $2 $0)))))")
    dsl = LISTS.with_inventions([Invention("fn_0", body, infer_type(body, LISTS))])
    t = parse_type("list(int) -> list(int)")
    data = [(dsl.parse(f"(lam (fn_0 {k} {n} $0))"), t, 1.0) for k, n in [(1, 2), (2, 3), (0, 4)]]
    g0 = Grammar.uniform(dsl)
    g1 = refit(g0, data)
    assert g1.log_weights["fn_0"] > g1.log_weights["take"]
    assert g1.log_weights["fn_0"] > g0.log_weights["fn_0"] + 0.5


def test_choices_and_weights():
    t = parse_type("list(int) -> list(int)")
    g = Grammar.uniform(LISTS)
    cs = choices(g, LISTS.parse("(lam (map (lam (+ $0 1)) $0))"), t)
    assert [c for _, c in cs] == ["map", "+", VAR, "1", VAR]
    with pytest.raises(NotDerivable):
        choices(g, LISTS.parse("(lam (map car $0))"), t)
    ws = frontier_weights(g, [(LISTS.parse("(lam $0)"), t),
                              (LISTS.parse("(lam (reverse (reverse $0)))"), t)])
    assert abs(sum(ws) - 1) < 1e-9 and ws[0] > ws[1]
    # underivable programs get no weight, and an empty corpus leaves the grammar as it was
    assert refit(g, []).log_weights == g.log_weights
