"""Hybrid candidates from the core enumerator: invariants of the enumeration and its pruning."""

import pytest

from hylo.core.grammar import Grammar
from hylo.core.infer import is_well_typed
from hylo.core.program import parse, show
from hylo.core.types import parse_type
from hylo.domains.digits import PRUNE
from hylo.domains.digits import dsl as digits_dsl
from hylo.neural.candidates import Prune, candidates, eta_reduce, with_neural
from hylo.neural.names import KIND_TYPES

LIB = "nn:digit@v1"
RULES = Prune.from_json(PRUNE)


def _grammar(weights=None):
    neural = {LIB: KIND_TYPES["classify"], "nn:new:classify": KIND_TYPES["classify"]}
    g = Grammar.uniform(with_neural(digits_dsl(), neural))
    return g.with_weights(weights) if weights else g


def _found(request_text, grammar=None, limit=None, max_nodes=60_000):
    return candidates(grammar or _grammar(), parse_type(request_text), RULES, 8, limit,
                      max_nodes=max_nodes)


@pytest.mark.parametrize("request_text", ["image -> int", "list(image) -> int",
                                          "list(image) -> bool"])
def test_candidates_are_well_typed_closed_unique_reduced_and_ordered(request_text):
    found = _found(request_text)
    assert found
    texts = [show(c.program) for c in found]
    assert len(texts) == len(set(texts))
    g = _grammar()
    request = parse_type(request_text)
    lengths = [c.description_length for c in found]
    assert lengths == sorted(lengths)  # by description length under the grammar
    for c in found:
        assert is_well_typed(c.program, g.dsl, request), show(c.program)
        assert eta_reduce(c.program) == c.program


def test_candidates_reach_the_sequence_programs_and_prune_the_redundant():
    ints = {show(c.program) for c in _found("list(image) -> int")}
    bools = {show(c.program) for c in _found("list(image) -> bool")}
    assert f"(lam (sum (map {LIB} $0)))" in ints
    assert f"(lam (maximum (map {LIB} $0)))" in ints
    assert f"(count (lam (eq ({LIB} $0) 7)))" in ints
    assert f"(lam (sorted (map {LIB} $0)))" in bools
    # general rules: ignored arguments, constant subexpressions
    assert not any(t.startswith("(lam 3") or "(+ 3 4)" in t for t in ints)
    assert not any("(lam 7)" in t for t in ints)
    # the domain's facts: x + 0, length of a map, (eq x x), one order of a commutative op
    assert "(lam (+ (length $0) 0))" not in ints
    assert f"(lam (length (map {LIB} $0)))" not in ints
    assert not any("(eq (length $0) (length $0))" in t for t in bools)
    assert ("(lam (eq (length $0) 3))" in bools) != ("(lam (eq 3 (length $0)))" in bools)


def test_without_the_domain_rules_the_redundant_programs_come_back():
    g = _grammar()
    found = {show(c.program) for c in candidates(g, parse_type("list(image) -> int"), Prune(),
                                                 8, None, max_nodes=60_000)}
    assert "(lam (+ (length $0) 0))" in found
    assert f"(lam (length (map {LIB} $0)))" in found


def test_a_learned_grammar_reorders_the_candidates():
    uniform = [show(c.program) for c in _found("list(image) -> int", limit=6)]
    tilted = [show(c.program) for c in _found("list(image) -> int", _grammar({"maximum": 3.0}),
                                              limit=6)]
    first = f"(lam (maximum (map {LIB} $0)))", f"(lam (sum (map {LIB} $0)))"
    assert uniform.index(first[0]) > uniform.index(first[1])
    assert tilted.index(first[0]) < tilted.index(first[1])


def test_limit_keeps_the_first():
    full = _found("list(image) -> int")
    assert _found("list(image) -> int", limit=5) == full[:5]


def test_eta_reduce():
    assert show(eta_reduce(parse("(lam (map (lam (f $0)) $0))"))) == "(map f)"
    assert show(eta_reduce(parse("(lam (f $0 $0))"))) == "(lam (f $0 $0))"


def test_unbound_neural_primitives_raise_and_bound_ones_run():
    from hylo.core.evaluate import run_program
    from hylo.core.limits import EvalFailure

    t = KIND_TYPES["classify"]
    program = parse(f"(lam (sum (map {LIB} $0)))")
    with pytest.raises((EvalFailure, RuntimeError)):
        run_program(program, with_neural(digits_dsl(), {LIB: t}), ([1, 2],))
    bound = with_neural(digits_dsl(), {LIB: t}, {LIB: lambda x: x * 2})
    assert run_program(program, bound, ([1, 2, 3],)) == 12
    with pytest.raises(ValueError):
        with_neural(digits_dsl(), {"sum2": t})


def _parts(p):
    """Every lambda and every maximal application (head with all its arguments) of `p`."""
    from hylo.core.program import App, Lam, spine

    yield p
    if isinstance(p, App):
        head, args = spine(p)
        for q in (head, *args):
            yield from _parts(q)
    elif isinstance(p, Lam):
        yield from _parts(p.body)


def test_no_candidate_holds_a_constant_subexpression_or_a_constant_function():
    from hylo.core.program import App, Lam, Prim, free_indices, spine

    prims = _grammar().dsl.primitives
    for request_text in ("list(image) -> int", "list(image) -> bool"):
        for c in _found(request_text, max_nodes=30_000):
            for q in _parts(c.program):
                if isinstance(q, Lam):
                    assert 0 in free_indices(q.body), show(c.program)
                    assert q.body != parse("$0"), show(c.program)
                if isinstance(q, App):
                    head, args = spine(q)
                    # saturated ones: eta reduction leaves `(count f)` with a closed `f`
                    if isinstance(head, Prim) and len(args) == prims[head.name].arity:
                        assert any(free_indices(a) for a in args), show(c.program)
