"""The contextual (bigram) grammar: weights per (parent, argument position), used alike by the
description length, derivations, sampling and both enumerators; without contexts it is the
unigram grammar exactly."""

from __future__ import annotations

import random

import pytest

from hylo.core.derivation import VARIABLE, choices
from hylo.core.grammar import CONTEXTS_KEY, QUANTUM, ROOT, Grammar
from hylo.core.infer import check
from hylo.core.program import Lam, Prim, Program, Var, apply_args
from hylo.core.task import Example, Task
from hylo.core.types import arguments, is_arrow, parse_type, returns
from hylo.domains import get_domain
from hylo.search.base import Budget
from hylo.search.bottom_up import BottomUpSearcher
from hylo.search.enumerate import Enumerator

DOMAIN = get_domain("lists")
DSL = DOMAIN.dsl


def contextual(seed: int, scale: float = 1.5) -> Grammar:
    """Random unigram weights and random weights in every context."""
    rng = random.Random(seed)
    base = Grammar.random(DSL, seed=seed)
    names = [VARIABLE, *DSL.names()]
    contexts = {ROOT: {n: rng.gauss(0, scale) for n in names}}
    for name in DSL.names():
        for k in range(len(arguments(DSL.type_of(name)))):
            contexts[(name, k)] = {n: rng.gauss(0, scale) for n in names if rng.random() < 0.7}
    return Grammar(DSL, base.log_weights, base.log_variable, contexts=contexts)


CTX = contextual(5)


def brute_force(g: Grammar, tau, env, budget: int, max_env: int, ctx):
    """Every program of hole (tau, env) in context `ctx` costing at most `budget`."""
    if is_arrow(tau):
        for body, c in brute_force(g, tau.args[1], (tau.args[0], *env), budget, max_env, ctx):
            yield Lam(body), c
        return
    if len(env) > max_env:
        return
    for prod in g.productions(tau, env, ctx):
        if prod.cost + len(prod.arg_types) > budget:
            continue
        if prod.var_index >= 0:
            yield Var(prod.var_index), prod.cost
            continue
        yield from _args(g, prod.name, prod.arg_types, env, budget, max_env, [], prod.cost)


def _args(g, name, arg_types, env, budget, max_env, done, spent):
    i = len(done)
    if i == len(arg_types):
        yield apply_args(Prim(name), done), spent
        return
    left = len(arg_types) - i - 1
    for a, c in brute_force(g, arg_types[i], env, budget - spent - left, max_env, (name, i)):
        yield from _args(g, name, arg_types, env, budget, max_env, [*done, a], spent + c)


@pytest.mark.parametrize("request_text", ["list(int) -> list(int)", "list(int) -> int",
                                          "int -> list(int) -> list(int)"])
def test_enumeration_invariants_under_contexts(request_text):
    request = parse_type(request_text)
    en = Enumerator(CTX, request)
    got: list[tuple[Program, int]] = []
    for cost, ids in en.buckets():
        got += [(en.program(i), cost) for i in ids]
        if len(got) >= 3000:
            break
    texts = [str(p) for p, _ in got]
    assert len(set(texts)) == len(texts)
    assert [c for _, c in got] == sorted(c for _, c in got)
    for p, c in got:
        check(p, DSL, request)
        assert CTX.cost(p, request) == c, p


@pytest.mark.parametrize("request_text,bound", [("list(int) -> list(int)", 80),
                                                ("list(int) -> int", 80)])
def test_every_program_below_a_bound_is_enumerated_under_contexts(request_text, bound):
    request = parse_type(request_text)
    env = tuple(reversed(arguments(request)))
    brute: dict[str, int] = {}
    for p, c in brute_force(CTX, returns(request), env, bound, len(env) + 3, ROOT):
        brute[str(p)] = min(c, brute.get(str(p), c))
    en = Enumerator(CTX, request, max_lambda_depth=3)
    enumerated = {str(en.body(i)): cost for cost, ids in en.buckets(bound) for i in ids}
    assert len(brute) > 30
    assert enumerated == brute


def test_derivation_choices_follow_the_contexts():
    p = DSL.parse("(lam (map (lam (+ $0 1)) (sort $0)))")
    r = parse_type("list(int) -> list(int)")
    total = 0.0
    for prod_choice in choices(CTX, p, r):
        ctx = (prod_choice.parent or "", prod_choice.position)
        local = CTX.contexts.get(ctx, {})

        def w(n, local=local):
            return local.get(n, CTX.log_variable if n == VARIABLE else CTX.log_weights[n])

        import math

        z = math.log(sum(k * math.exp(w(n)) for n, k in prod_choice.candidates))
        total += z - w(prod_choice.chosen)
    assert abs(total - CTX.description_length(p, r)) <= 6 * 0.5 / QUANTUM + 1e-9


def test_without_contexts_the_grammar_is_the_unigram_one():
    g = Grammar.random(DSL, seed=2)
    same = Grammar(DSL, g.log_weights, g.log_variable, contexts={})
    t, env = parse_type("list(int)"), (parse_type("list(int)"),)
    assert not same.contextual and same.context("map", 1) is None
    assert same.productions(t, env, ("map", 1)) == g.productions(t, env)
    assert same.productions(t, env, ROOT) == g.productions(t, env)
    # a context a grammar does not weigh falls back to the unigram weights
    assert CTX.productions(t, env, ("no-such", 0)) == Grammar(
        DSL, CTX.log_weights, CTX.log_variable).productions(t, env)


def test_contexts_survive_json_and_travel_in_the_compact_form():
    again = Grammar.from_json(DSL, CTX.to_json())
    assert again.contexts == CTX.contexts
    names = [VARIABLE, "map", "sort"]
    compact = {"names": names, "rows": [["", -1, [0.0, 5.0, -5.0]], ["map", 1, [1.0, 2.0, 3.0]]]}
    g = Grammar.uniform(DSL).with_weights({"sort": 1.0, CONTEXTS_KEY: compact})
    assert g.log_weights["sort"] == 1.0
    assert g.contexts[ROOT] == {VARIABLE: 0.0, "map": 5.0, "sort": -5.0}
    assert g.contexts[("map", 1)]["sort"] == 3.0
    with pytest.raises(KeyError):
        Grammar.uniform(DSL).with_weights(
            {CONTEXTS_KEY: {"names": ["nosuch"], "rows": [["", -1, [1.0]]]}})
    with pytest.raises(ValueError):
        Grammar.uniform(DSL).with_weights(
            {CONTEXTS_KEY: {"names": ["map"], "rows": [["", -1, [1.0, 2.0]]]}})


def test_sampling_follows_the_contexts():
    g = Grammar.uniform(DSL).with_weights(
        {CONTEXTS_KEY: [["", -1, {"sort": 6.0}], ["sort", 0, {"reverse": 6.0}]]})
    rng = random.Random(0)
    request = parse_type("list(int) -> list(int)")
    drawn = [g.sample(request, rng, max_size=12) for _ in range(200)]
    texts = [str(p) for p in drawn if p is not None]
    assert sum(t.startswith("(lam (sort (reverse") for t in texts) > len(texts) // 2


def test_bottom_up_uses_the_contexts():
    xs = ([3, 1, 2], [5, 4], [0, 9, 7, 8])
    task = Task("inc", parse_type("list(int) -> list(int)"),
                tuple(Example((x,), [v + 1 for v in x]) for x in xs))
    plain = Grammar.uniform(DSL)
    guided = plain.with_weights({CONTEXTS_KEY: [["", -1, {"map": 4.0}],
                                                ["map", 0, {"+": 4.0}],
                                                ["+", 1, {"1": 4.0}]]})
    budget = Budget(seconds=60)
    a = BottomUpSearcher(plain, DOMAIN).solve(task, budget)
    b = BottomUpSearcher(guided, DOMAIN).solve(task, budget)
    assert a.solved and b.solved
    assert b.candidates < a.candidates
    p = DSL.parse(b.program)
    assert b.description_length == pytest.approx(guided.description_length(p, task.request))
