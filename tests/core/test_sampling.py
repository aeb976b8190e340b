"""Sampling programs from a grammar: well typed, derivable, bounded, seeded, and distributed as
the grammar's weights say."""

from __future__ import annotations

import math
import random

import pytest

from hylo.core.dsl import DSL, Primitive
from hylo.core.grammar import Grammar
from hylo.core.infer import is_well_typed
from hylo.core.program import parse, size
from hylo.core.sampling import application_depth, sample_program
from hylo.core.types import INT, TCon, arrow, parse_type
from hylo.domains import get_domain

LISTS = get_domain("lists").dsl
REQUESTS = ["list(int) -> list(int)", "list(int) -> int", "int -> list(int) -> list(int)",
            "list(int) -> list(int) -> int", "int -> bool"]


@pytest.mark.parametrize("grammar", [Grammar.uniform(LISTS), Grammar.random(LISTS, seed=5)],
                         ids=["uniform", "random"])
@pytest.mark.parametrize("request_text", REQUESTS)
def test_samples_typecheck_are_derivable_and_bounded(grammar: Grammar, request_text: str) -> None:
    request = parse_type(request_text)
    rng = random.Random(1)
    drawn = [grammar.sample(request, rng, max_size=20, max_depth=4) for _ in range(150)]
    programs = [p for p in drawn if p is not None]
    assert len(programs) > 100  # the bounds are loose enough that most draws land
    for p in programs:
        assert is_well_typed(p, LISTS, request), str(p)
        assert math.isfinite(grammar.cost(p, request))
        assert size(p) <= 20
        assert application_depth(p) <= 4
        assert parse(str(p)) == p
    assert max(application_depth(p) for p in programs) >= 2  # not only leaves


def test_seeded_draws_repeat_and_seeds_differ() -> None:
    g = Grammar.random(LISTS, seed=2)
    request = parse_type("list(int) -> list(int)")

    def draws(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [str(g.sample(request, rng, max_depth=5)) for _ in range(40)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)


def _tiny(w_one: float, w_two: float, w_inc: float) -> Grammar:
    dsl = DSL.from_table([
        Primitive("one", INT, 1), Primitive("two", INT, 2),
        Primitive("inc", arrow(INT, INT), lambda x: x + 1),
    ])
    return Grammar(dsl, {"one": w_one, "two": w_two, "inc": w_inc})


def test_frequencies_follow_the_weights() -> None:
    """Top-level choices come out with the grammar's probabilities, and a whole program with
    exp(-description length) (up to the quantisation of costs)."""
    g = _tiny(0.0, math.log(3.0), math.log(2.0))  # P(one, two, inc) = 1/6, 3/6, 2/6
    rng = random.Random(0)
    n = 6000
    drawn = [str(g.sample(INT, rng, max_size=200, max_depth=200)) for _ in range(n)]
    heads = {"one": 0, "two": 0, "inc": 0}
    for text in drawn:
        heads[text.split()[0].strip("(")] += 1
    for name, p in (("one", 1 / 6), ("two", 3 / 6), ("inc", 2 / 6)):
        sigma = math.sqrt(n * p * (1 - p))
        assert abs(heads[name] - n * p) < 4 * sigma, (name, heads)
    # (inc two) has probability 2/6 * 3/6 = 1/6
    k = drawn.count("(inc two)")
    assert abs(k - n / 6) < 4 * math.sqrt(n / 6 * 5 / 6)


def test_bounds_condition_the_draw() -> None:
    """Past a bound a draw is abandoned and drawn again: with depth 0 only leaves come out, and
    a type nothing builds gives None."""
    g = _tiny(0.0, 0.0, 5.0)  # inc is very likely: most unbounded draws are deep
    rng = random.Random(3)
    leaves = {str(g.sample(INT, rng, max_depth=0, tries=1000)) for _ in range(50)}
    assert leaves == {"one", "two"}
    assert g.sample(INT, rng, max_depth=0, tries=1) in (None, parse("one"), parse("two"))
    assert sample_program(g, TCon("image"), rng) is None
    small = [g.sample(INT, rng, max_size=3, tries=500) for _ in range(50)]
    assert all(p is not None and size(p) <= 3 for p in small)


def test_application_depth_counts_lambdas_as_transparent() -> None:
    p = LISTS.parse("(lam (map (lam (+ $0 1)) (sort $0)))")
    assert application_depth(p) == 2
    assert application_depth(LISTS.parse("(lam $0)")) == 0
    assert application_depth(LISTS.parse("(lam (sum (map (lam (* $0 (+ $0 1))) $0)))")) == 4
