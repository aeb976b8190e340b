"""Invariants of best-first enumeration (as DeepSynth2 states them), on uniform and random grammars.

- no duplicates; non-decreasing description length; every program type-checks against the
  request; its description length under the grammar is the cost it came with;
- completeness: below a cost bound, exactly the programs an independent brute-force derivation of
  the same grammar gives;
- each program's prebuilt closure computes what the reference interpreter computes.
"""

from __future__ import annotations

import random
from itertools import islice

import pytest

from hylo.core import evaluate
from hylo.core.dsl import Invention
from hylo.core.evaluate import input_env
from hylo.core.grammar import QUANTUM, Grammar
from hylo.core.infer import check, infer_type
from hylo.core.interpret import run_reference
from hylo.core.limits import EvalFailure, Limits
from hylo.core.program import App, Lam, Prim, Program, Var, apply_args, parse
from hylo.core.types import BOOL, INT, Type, arguments, is_arrow, parse_type, returns
from hylo.domains import get_domain
from hylo.search.enumerate import Enumerator, enumerate_programs

DSL = get_domain("lists").dsl


def _with_inventions():
    invs: list[Invention] = []
    for name, text in [
        ("inc", "(lam (+ $0 1))"),
        ("keep-pos", "(lam (filter (lam (gt? $0 0)) $0))"),
        ("twice", "(lam (lam ($1 ($1 $0))))"),
    ]:
        body = parse(text, {i.name: i.body for i in invs})
        invs.append(Invention(name, body, infer_type(body, DSL)))
    return DSL.with_inventions(invs)


INV_DSL = _with_inventions()
GRAMMARS = {
    "uniform": Grammar.uniform(DSL),
    "random": Grammar.random(DSL, seed=1, scale=1.5),
    "inventions": Grammar.random(INV_DSL, seed=2),
}


def first(grammar: Grammar, request: Type, n: int, **kw) -> list[tuple[int, int, Enumerator]]:
    en = Enumerator(grammar, request, **kw)
    out = []
    for cost, ids in en.buckets():
        out.extend((nid, cost, en) for nid in ids)
        if len(out) >= n:
            break
    return out[:n]


@pytest.mark.parametrize(
    ("grammar_name", "request_text", "n"),
    [
        ("uniform", "list(int) -> list(int)", 20_000),
        ("random", "list(int) -> list(int)", 20_000),
        ("uniform", "list(int) -> int", 3_000),
        ("random", "list(int) -> bool", 3_000),
        ("uniform", "int -> int", 3_000),
        ("random", "int -> list(int) -> list(int)", 3_000),
        ("random", "list(int) -> list(bool)", 3_000),
        ("inventions", "list(int) -> list(int)", 3_000),
    ],
)
def test_enumeration_invariants(grammar_name: str, request_text: str, n: int) -> None:
    grammar, request = GRAMMARS[grammar_name], parse_type(request_text)
    got = first(grammar, request, n)
    assert len(got) == n
    ids = [nid for nid, _, _ in got]
    assert len(set(ids)) == n
    en = got[0][2]
    programs = [en.program(nid) for nid in ids]
    texts = [str(p) for p in programs]
    assert len(set(texts)) == n, "duplicate programs"
    costs = [c for _, c, _ in got]
    assert costs == sorted(costs), "description length decreased"
    for p, cost in zip(programs, costs, strict=True):
        check(p, grammar.dsl, request)
        assert grammar.cost(p, request) == cost, p
    # Programs are eta-long with exactly the request's input lambdas outside.
    for p in programs[:2000]:
        body = p
        for _ in arguments(request):
            assert isinstance(body, Lam)
            body = body.body
        assert not isinstance(body, Lam)


def test_enumeration_is_deterministic() -> None:
    request = parse_type("list(int) -> int")
    g = GRAMMARS["random"]
    a = [str(n[2].program(n[0])) for n in first(g, request, 3000)]
    b = [str(n[2].program(n[0])) for n in first(g, request, 3000)]
    assert a == b


def test_enumerate_programs_yields_programs_with_their_description_length() -> None:
    g = GRAMMARS["random"]
    request = parse_type("list(int) -> int")
    bound = 100
    got = list(enumerate_programs(g, request, max_cost=bound))
    assert got and all(dl <= bound / QUANTUM for _, dl in got)
    unbounded = list(islice(enumerate_programs(g, request), len(got) + 200))
    assert [str(p) for p, _ in got] == [
        str(p) for p, dl in unbounded if dl <= bound / QUANTUM
    ]
    for p, dl in got:
        assert g.description_length(p, request) == dl


def test_max_lambda_depth_bounds_the_lambdas_inside() -> None:
    request = parse_type("list(int) -> list(int)")
    for depth in (0, 1):
        got = first(GRAMMARS["uniform"], request, 3000, max_lambda_depth=depth)
        en = got[0][2]
        for nid, _, _ in got:
            assert _lambda_nesting(en.body(nid)) <= depth
    deeper = first(GRAMMARS["uniform"], request, 3000, max_lambda_depth=2)
    assert max(_lambda_nesting(e.body(nid)) for nid, _, e in deeper) == 2


def _lambda_nesting(p: Program) -> int:
    if isinstance(p, Lam):
        return 1 + _lambda_nesting(p.body)
    if isinstance(p, App):
        return max(_lambda_nesting(p.f), _lambda_nesting(p.x))
    return 0


# ------------------------------------------------------------------ completeness
def brute_force(
    grammar: Grammar, tau: Type, env: tuple[Type, ...], budget: int, max_env: int
):
    """Every derivation of hole (tau, env) costing at most `budget`: (program, cost).

    Written from the grammar's definition only (lambdas free for arrows, productions for the
    rest, children costing at least one unit each), independently of the enumerator.
    """
    if is_arrow(tau):
        for body, c in brute_force(grammar, tau.args[1], (tau.args[0], *env), budget, max_env):
            yield Lam(body), c
        return
    if len(env) > max_env:
        return
    for prod in grammar.productions(tau, env):
        if prod.cost + len(prod.arg_types) > budget:
            continue
        if prod.var_index >= 0:
            yield Var(prod.var_index), prod.cost
            continue
        head: Program = (
            Prim(prod.name) if prod.name in grammar.dsl.primitives
            else grammar.dsl.invented(prod.name)
        )
        yield from _args(grammar, head, prod.arg_types, env, budget, max_env, [], prod.cost)


def _args(grammar, head, arg_types, env, budget, max_env, done, spent):
    i = len(done)
    if i == len(arg_types):
        yield apply_args(head, done), spent
        return
    left_after = len(arg_types) - i - 1
    for a, c in brute_force(grammar, arg_types[i], env, budget - spent - left_after, max_env):
        yield from _args(grammar, head, arg_types, env, budget, max_env, [*done, a], spent + c)


@pytest.mark.parametrize(
    ("grammar_name", "request_text", "bound"),
    [
        ("uniform", "list(int) -> list(int)", 90),
        ("random", "list(int) -> list(int)", 90),
        ("uniform", "int -> int", 90),
        ("random", "list(int) -> bool", 90),
        ("random", "int -> list(int) -> list(int)", 85),
        ("inventions", "list(int) -> int", 85),
    ],
)
def test_every_program_below_a_cost_bound_is_enumerated(grammar_name, request_text, bound) -> None:
    grammar, request = GRAMMARS[grammar_name], parse_type(request_text)
    depth = 3
    env = tuple(reversed(arguments(request)))
    brute: dict[str, int] = {}
    for p, c in brute_force(grammar, returns(request), env, bound, len(env) + depth):
        s = str(p)
        brute[s] = min(c, brute.get(s, c))
    en = Enumerator(grammar, request, max_lambda_depth=depth)
    enumerated: dict[str, int] = {}
    for cost, ids in en.buckets(bound):
        for nid in ids:
            enumerated[str(en.body(nid))] = cost
    assert len(brute) > 50
    assert enumerated == brute


# ------------------------------------------------------------------ closures
LIMITS = Limits(max_steps=50_000, max_seconds=30.0)


def _value(t: Type, rng: random.Random):
    if t == INT:
        return rng.randint(-5, 25)
    if t == BOOL:
        return rng.random() < 0.5
    return [_value(t.args[0], rng) for _ in range(rng.randint(0, 6))]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("grammar_name", "request_text"),
    [
        ("random", "list(int) -> list(int)"),
        ("uniform", "int -> list(int) -> int"),
        ("inventions", "list(int) -> list(int)"),
        ("inventions", "int -> int"),
    ],
)
def test_each_programs_closure_computes_what_the_reference_computes(
    grammar_name, request_text
) -> None:
    grammar, request = GRAMMARS[grammar_name], parse_type(request_text)
    rng = random.Random(request_text)
    got = first(grammar, request, 2500)
    en = got[0][2]
    oks = 0
    for nid, _, _ in got:
        inputs = tuple(_value(t, rng) for t in arguments(request))
        try:
            want = ("ok", run_reference(en.program(nid), grammar.dsl, inputs, LIMITS))
        except EvalFailure as e:
            want = ("fail", e.kind)
        fn = en.closure(nid)
        try:
            have = ("ok", evaluate.run_closure(fn, input_env(inputs), LIMITS))
        except EvalFailure as e:
            have = ("fail", e.kind)
        if want == ("fail", "limit"):
            continue
        assert have == want, f"{en.program(nid)} on {inputs}"
        oks += want[0] == "ok"
    assert oks > 1000


def test_hash_consing_shares_equal_subprograms() -> None:
    en = Enumerator(GRAMMARS["uniform"], parse_type("list(int) -> list(int)"))
    for _ in islice(en.buckets(), 12):
        pass
    # Node ids are interned by structure: one id per distinct (head, children), and so one id
    # per distinct body text.
    keys = [tuple(en.struct[nid]) for nid in range(en.size)]
    assert len(set(keys)) == len(keys)
    bodies = [str(en.body(nid)) for nid in range(en.size)]
    assert len(set(bodies)) == len(bodies)
    assert any("lam" in b for b in bodies)
