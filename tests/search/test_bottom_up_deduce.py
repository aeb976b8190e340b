"""Deduced lambdas in bottom-up search (`hylo.search.bottom_up_deduce`): they find compositions
of lambdas sooner, never a wrong program, at most `deduce_slack` nats dearer than without, and a
witness that lies or crashes costs time, never a result."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from hylo.core.interpret import run_reference
from hylo.core.limits import Limits
from hylo.core.task import Example, Task
from hylo.core.types import parse_type
from hylo.core.values import strict_equal
from hylo.domains.lists import load_domain
from hylo.search.base import Budget
from hylo.search.bottom_up import BottomUpSearcher
from hylo.search.registry import build_searcher

DOMAIN = load_domain()
GRAMMAR = DOMAIN.prior()
LIMITS = Limits(max_steps=20_000, max_seconds=0.2)
PARAMS = {"max_points": 8, "constant_bodies": False}

# Two lambdas composed: dear for plain bottom-up, the kind deduction is for.
PROGRAMS = [
    ("list(int) -> list(int)", "(lam (map (lam (+ $0 $0)) (filter (lam (even? $0)) $0)))"),
    ("list(int) -> list(int)", "(lam (scanl1 (lam (lam (max2 $1 $0))) (map (lam (abs $0)) $0)))"),
    ("list(int) -> list(int) -> list(int)",
     "(lam (lam (filter (lam (even? $0)) (zip-with (lam (lam (- $1 $0))) $1 $0))))"),
    ("int -> list(int) -> list(int)", "(lam (lam (map (lam (* $2 $0)) (sort $0))))"),
    ("list(int) -> list(int)", "(lam (mapi (lam (lam (+ $1 $0))) (reverse $0)))"),
]


def _task(name: str, request: str, program: str, seed: int, n: int = 5) -> Task:
    rng = random.Random(seed)
    p = DOMAIN.dsl.parse(program)
    pairs = []
    while len(pairs) < n:
        inputs = DOMAIN.sample_inputs(parse_type(request), rng, 1)[0]
        try:
            pairs.append(Example(inputs, run_reference(p, DOMAIN.dsl, inputs, LIMITS)))
        except Exception:
            continue
    return Task(name, parse_type(request), tuple(pairs))


def _fits(program: str, task: Task) -> bool:
    p = DOMAIN.dsl.parse(program)
    return all(strict_equal(run_reference(p, DOMAIN.dsl, ex.inputs, LIMITS), ex.output)
               for ex in task.examples)


def _solve(task: Task, seconds: float, domain=DOMAIN, **params):
    s = BottomUpSearcher(GRAMMAR, domain, **{**PARAMS, **params})
    return s.solve(task, Budget(seconds=seconds, limits=LIMITS))


def test_keep_evens_and_double_with_far_fewer_evaluations() -> None:
    task = Task("keep-evens-and-double", parse_type("list(int) -> list(int)"), tuple(
        Example((i,), o) for i, o in [([1, 2, 3, 4], [4, 8]), ([6, 5, 0, 7, 10], [12, 0, 20]),
                                      ([9, 3, 8], [16]), ([2, 2, 11, 4, -6], [4, 4, 8, -12])]))
    plain = _solve(task, 30.0)
    deduced = _solve(task, 30.0, deduce=True)
    print(f"plain {plain.candidates} ({plain.program}), deduced {deduced.candidates} "
          f"({deduced.program})")
    assert plain.solved and deduced.solved and _fits(deduced.program, task)
    assert deduced.candidates * 20 < plain.candidates
    assert deduced.description_length <= plain.description_length + 8.0


@pytest.mark.parametrize("request_text,program", PROGRAMS)
def test_deduced_programs_fit_and_stay_within_the_slack(request_text: str, program: str) -> None:
    """On tasks made by compositions of two lambdas: solved, right on the examples, and no
    more than the slack above the cheapest fit plain bottom-up finds (when it finds one)."""
    for seed in range(2):
        task = _task(f"{program}-{seed}", request_text, program, seed)
        r = _solve(task, 10.0, deduce=True, deduce_slack=8.0)
        print(f"{task.name}: {r.program}, {r.candidates} candidates, {r.seconds:.2f}s")
        assert r.solved and _fits(r.program, task), (task.name, r)
        plain = _solve(task, 2.0)
        if plain.solved:
            assert r.description_length <= plain.description_length + 8.0 + 1e-9


def test_slack_zero_keeps_plain_order() -> None:
    """With no slack a deduced program is never dearer than the level reached: the result
    costs what plain bottom-up's costs."""
    for program in ("(lam (map (lam (+ $0 $0)) (reverse $0)))",
                    "(lam (filter (lam (odd? $0)) (sort $0)))"):
        task = _task("slack-zero", "list(int) -> list(int)", program, seed=3)
        plain = _solve(task, 10.0)
        zero = _solve(task, 10.0, deduce=True, deduce_slack=0.0)
        assert plain.solved and zero.solved and _fits(zero.program, task)
        assert zero.description_length <= plain.description_length + 1e-9


def _liar(xs, out):  # claims every map works with a lambda that returns 0
    return [((x,), 0) for x in xs] if isinstance(xs, list) else None


def _crasher(xs, out):
    raise RuntimeError("a broken witness")


@pytest.mark.parametrize("witness", [_liar, _crasher])
def test_a_bad_witness_never_makes_a_wrong_result(witness) -> None:
    domain = replace(DOMAIN, witnesses={"map": witness, "filter": witness})
    for request_text, program in PROGRAMS[:2]:
        task = _task("bad-witness", request_text, program, seed=5)
        r = _solve(task, 2.0, domain=domain, deduce=True)
        assert not r.solved or _fits(r.program, task), r


def test_params_are_validated_and_kept_in_the_spec() -> None:
    s = build_searcher({"name": "bottom-up", "params": {"deduce": True, "deduce_slack": 4}},
                       GRAMMAR, DOMAIN)
    assert s.spec()["params"]["deduce"] is True and s.spec()["params"]["deduce_slack"] == 4.0
    for bad in ({"deduce": "yes"}, {"deduce_slack": -1}, {"deduce_slack": True},
                {"deduce_slack": "8"}):
        with pytest.raises(ValueError):
            BottomUpSearcher(GRAMMAR, DOMAIN, **bad)
