"""The enumerator's memoised first-example values agree with full closure evaluation."""

from __future__ import annotations

import random

import pytest

from hylo.core.evaluate import input_env, run_closure
from hylo.core.grammar import Grammar
from hylo.core.limits import EvalFailure
from hylo.core.types import parse_type
from hylo.domains import get_domain
from hylo.search.enumerate import FAILED, Enumerator


@pytest.mark.parametrize(
    ("request_text", "inputs"),
    [
        ("list(int) -> list(int)", ([3, 1, 4, 1, 5],)),
        ("list(int) -> int", ([2, 7, 1, 8],)),
        ("list(int) -> bool", ([],)),
        ("int -> list(int) -> list(int)", (2, [5, 0, 9])),
    ],
)
def test_value0_matches_closure_evaluation(request_text: str, inputs: tuple) -> None:
    dsl = get_domain("lists").dsl
    en = Enumerator(Grammar.random(dsl, seed=7), parse_type(request_text))
    env = input_env(inputs)
    en.set_first_input(env)
    ids: list[int] = []
    for _cost, bucket in en.buckets():
        ids.extend(bucket)
        if len(ids) > 30_000:
            break
    rng = random.Random(0)
    sample = rng.sample(ids, 3000)
    failed = 0
    for nid in sample:
        v = en.value0(nid)
        try:
            expected = run_closure(en.closure(nid), env)
        except EvalFailure:
            assert v is FAILED, f"{en.program(nid)}: memoised {v!r}, closure failed"
            failed += 1
            continue
        assert v == expected, f"{en.program(nid)}: memoised {v!r} != {expected!r}"
        assert type(v) is type(expected)
    assert failed < len(sample)  # the sample is not all failures
