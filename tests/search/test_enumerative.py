"""Enumerative search: what it finds, how it stops, and that it agrees with the reference."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from hylo.core.grammar import Grammar
from hylo.core.interpret import run_reference
from hylo.core.limits import EvalFailure, Limits
from hylo.core.program import parse
from hylo.core.task import Example, Task
from hylo.core.types import BOOL, INT, Type, arguments, parse_type
from hylo.domains import get_domain
from hylo.search.base import Budget, SearchResult
from hylo.search.enumerate import Enumerator
from hylo.search.enumerative import EnumerativeSearcher

DSL = get_domain("lists").dsl
UNIFORM = Grammar.uniform(DSL)
RANDOM = Grammar.random(DSL, seed=4)
LISTS = [[3, 1, 2], [], [5, 5, 0, 7], [1], [9, 2, 8, 2, 6]]


def task(name: str, request: str, f: Any, inputs: list[tuple[Any, ...]]) -> Task:
    return Task(name, parse_type(request), tuple(Example(x, f(*x)) for x in inputs))


def one_list(f: Any, name: str, request: str = "list(int) -> list(int)") -> Task:
    return task(name, request, f, [(xs,) for xs in LISTS])


IDENTITY = one_list(lambda xs: list(xs), "identity")
SUM = one_list(sum, "sum", "list(int) -> int")
REVERSE = one_list(lambda xs: xs[::-1], "reverse")
IMPOSSIBLE = task(
    "impossible",
    "list(int) -> list(int)",
    lambda xs: [len(xs) * 7919 % 13, 424242, *xs[::-2]],
    [(xs,) for xs in LISTS],
)


def correct(program: str, t: Task, dsl=DSL) -> bool:
    p = parse(program, dsl.invention_bodies())
    try:
        return all(run_reference(p, dsl, ex.inputs) == ex.output for ex in t.examples)
    except EvalFailure:
        return False


def solve(t: Task, budget: Budget, grammar: Grammar = UNIFORM, **kw) -> SearchResult:
    return EnumerativeSearcher(grammar, **kw).solve(t, budget)


@pytest.mark.parametrize(
    ("t", "expected"),
    [(IDENTITY, "(lam $0)"), (SUM, "(lam (sum $0))"), (REVERSE, "(lam (reverse $0))")],
    ids=["identity", "sum", "reverse"],
)
def test_solves_simple_tasks(t: Task, expected: str) -> None:
    r = solve(t, Budget(seconds=5))
    assert r.solved and r.stopped == "solved" and r.task == t.name
    assert r.program == expected
    assert correct(r.program, t)
    assert r.description_length == UNIFORM.description_length(parse(r.program), t.request)
    assert 1 <= r.candidates and r.seconds < 5
    js = r.to_json()
    assert js["name"] == t.name and js["solved"] and js["program"] == expected


def test_an_arity_two_task() -> None:
    # int -> list(int) -> list(int): add n to each element.
    t = task(
        "add-n",
        "int -> list(int) -> list(int)",
        lambda n, xs: [x + n for x in xs],
        [(2, [1, 2, 3]), (0, [4]), (5, []), (-1, [7, 0])],
    )
    r = solve(t, Budget(seconds=10))
    assert r.solved, r
    assert correct(r.program, t)
    p = parse(r.program)
    assert run_reference(p, DSL, (10, [1, 1])) == [11, 11]  # it generalises
    cons = task("cons", "int -> list(int) -> list(int)", lambda n, xs: [n, *xs],
                [(2, [1, 2, 3]), (0, [4]), (5, [])])
    r = solve(cons, Budget(seconds=5))
    assert r.program == "(lam (lam (cons $1 $0)))"


def test_a_tiny_timeout_is_respected() -> None:
    for seconds in (0.05, 0.3):
        t0 = time.perf_counter()
        r = solve(IMPOSSIBLE, Budget(seconds=seconds))
        wall = time.perf_counter() - t0
        assert not r.solved and r.program is None, r
        assert r.stopped == "timeout", r
        assert wall < seconds + 1.0 and r.seconds < seconds + 1.0, (wall, r)


def test_slow_candidates_do_not_break_the_timeout() -> None:
    # A big input makes many candidates run long (up to their own limits).
    big = list(range(1000))
    t = Task("big", parse_type("list(int) -> list(int)"), (Example((big,), [-7, 123456]),))
    t0 = time.perf_counter()
    r = solve(t, Budget(seconds=0.3))
    assert r.stopped == "timeout" and time.perf_counter() - t0 < 2.5  # room for load


@pytest.mark.parametrize("n", [1, 10, 100, 3000])
def test_max_candidates_bounds_the_candidates_checked(n: int) -> None:
    r = solve(IMPOSSIBLE, Budget(seconds=30, max_candidates=n))
    assert r.stopped == "candidates" and not r.solved
    assert r.candidates == n


def test_max_nodes_stops_the_search() -> None:
    r = solve(IMPOSSIBLE, Budget(seconds=30, max_nodes=500))
    assert r.stopped == "memory" and not r.solved


def test_a_task_without_examples_is_an_error_not_a_crash() -> None:
    r = solve(Task("empty", parse_type("list(int) -> int"), ()), Budget(seconds=1))
    assert not r.solved and r.stopped.startswith("error")


def test_keep_returns_further_solutions() -> None:
    r = solve(IDENTITY, Budget(seconds=5), keep=4)
    assert r.solved and r.program == "(lam $0)"
    assert len(r.extra) == 3
    texts = [r.program, *(p for p, _ in r.extra)]
    assert len(set(texts)) == 4
    dls = [r.description_length, *(dl for _, dl in r.extra)]
    assert dls == sorted(dls)
    for text, dl in r.extra:
        assert correct(text, IDENTITY)
        assert UNIFORM.description_length(parse(text), IDENTITY.request) == dl


def test_candidates_are_checked_in_the_enumerators_order() -> None:
    # The first program (in the Enumerator's order) that fits is the n-th: a budget of n
    # candidates finds it, a budget of n - 1 does not.
    request = parse_type("list(int) -> int")
    # (a task whose first fit comes early under RANDOM: 2617 candidates with today's DSL; the
    # reference check of each candidate is slow, so a deep one costs minutes)
    t = task("sum-plus-one", "list(int) -> int", lambda xs: sum(xs) + 1,
             [([3, 1, 2],), ([5, 5, 0, 7],), ([9, 2, 8, 2, 6],), ([0, 4],)])
    en = Enumerator(RANDOM, request, max_lambda_depth=2)
    n = 0
    for _cost, ids in en.buckets():
        hit = next((k for k, nid in enumerate(ids) if correct(str(en.program(nid)), t)), None)
        if hit is not None:
            n += hit + 1
            break
        n += len(ids)
    assert n > 50  # not a trivial case
    r = solve(t, Budget(seconds=60, max_candidates=n), RANDOM)
    assert r.solved and r.candidates <= n, r
    r = solve(t, Budget(seconds=60, max_candidates=n - 1), RANDOM)
    assert not r.solved and r.stopped == "candidates", r


# ------------------------------------------------------------------ against the reference
LIMITS = Limits(max_steps=50_000, max_seconds=30.0)


def first_correct_by_reference(grammar: Grammar, t: Task, max_programs: int) -> tuple[str, float]:
    """The first program in enumeration order that the reference interpreter finds correct."""
    en = Enumerator(grammar, t.request, max_lambda_depth=2)
    seen = 0
    for cost, ids in en.buckets():
        for nid in ids:
            p = en.program(nid)
            try:
                if all(run_reference(p, grammar.dsl, ex.inputs, LIMITS) == ex.output
                       for ex in t.examples):
                    return str(p), cost / 8
            except EvalFailure:
                pass
            seen += 1
            if seen > max_programs:
                raise AssertionError(f"nothing solves {t.name} in {max_programs} programs")
    raise AssertionError("enumeration ended")


def _value(t: Type, rng: random.Random) -> Any:
    if t == INT:
        return rng.randint(-3, 12)
    if t == BOOL:
        return rng.random() < 0.5
    return [_value(t.args[0], rng) for _ in range(rng.randint(0, 5))]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("grammar", "request_text", "seed"),
    [
        (UNIFORM, "list(int) -> list(int)", 0),
        (RANDOM, "list(int) -> int", 1),
        (RANDOM, "list(int) -> bool", 2),
        (UNIFORM, "int -> list(int) -> list(int)", 3),
        (RANDOM, "int -> int", 4),
    ],
    ids=["uniform-list", "random-int", "random-bool", "uniform-arity2", "random-int-int"],
)
def test_search_returns_the_first_program_the_reference_finds_correct(
    grammar, request_text, seed
) -> None:
    # Targets are drawn from the first programs of the grammar; each task's examples are the
    # target's outputs (by the reference) on random inputs.
    rng = random.Random(seed)
    request = parse_type(request_text)
    pool = []
    en = Enumerator(grammar, request, max_lambda_depth=2)
    for _cost, ids in en.buckets():
        pool.extend(en.program(nid) for nid in ids)
        if len(pool) > 1500:
            break
    # the first 1500 exactly: the last bucket may be large (more so as the DSL grows), and a
    # target beyond the reference scan's 2000 programs would not be found by it
    pool = pool[:1500]
    done = 0
    while done < 4:
        target = rng.choice(pool)
        inputs = [tuple(_value(a, rng) for a in arguments(request)) for _ in range(5)]
        try:
            outs = [run_reference(target, DSL, x, LIMITS) for x in inputs]
        except EvalFailure:
            continue
        t = Task(f"target {target}", request,
                 tuple(Example(x, y) for x, y in zip(inputs, outs, strict=True)))
        want, want_dl = first_correct_by_reference(grammar, t, 2000)
        # in plain enumeration order: a fit that ignores an input is final too
        r = solve(t, Budget(seconds=20), grammar, all_inputs=False)
        assert r.solved, (t.name, r)
        assert (r.program, r.description_length) == (want, want_dl), t.name
        assert r.description_length <= grammar.description_length(target, request)
        done += 1


# ------------------------------------------------------------------ hostile requests
def test_a_request_with_one_program_is_exhausted_at_once() -> None:
    t = Task("finite", parse_type("int -> list(list(list(list(int))))"),
             (Example((1,), [[[[1]]]]),))
    t0 = time.perf_counter()
    r = solve(t, Budget(seconds=10))
    assert r.stopped == "exhausted" and r.candidates == 1 and not r.solved, r
    assert time.perf_counter() - t0 < 3.0  # at once (it never returned before), room for load


def test_a_slow_nullary_invention_does_not_stall_the_search() -> None:
    from hylo.core.dsl import Invention
    from hylo.core.infer import infer_type

    m = "(* 5 (* 5 (* 5 (* 2 4))))"
    body = parse(f"(length (map (map sort) (repeat {m} (repeat (* 5 (* 5 4)) (range {m})))))")
    dsl = DSL.with_inventions([Invention("slow", body, infer_type(body, DSL))])
    grammar = Grammar(dsl, {"slow": 4.0})  # the likeliest entry: every search meets it first
    for seconds in (0.5, 4.0):  # the second leaves a loaded machine time after the kill
        t0 = time.perf_counter()
        r = solve(SUM, Budget(seconds=seconds, limits=Limits(max_seconds=1.0)), grammar)
        wall = time.perf_counter() - t0
        assert wall < 2 * seconds + 0.5, (seconds, wall, r)
    assert r.solved and r.program == "(lam (sum $0))", r


def test_true_is_not_one() -> None:
    # Programs such as `(lam (eq? 0 0))` give True where 1 is expected: never a solution.
    t = Task("ones", parse_type("list(int) -> bool"), (Example(([],), 1), Example(([5],), 1)))
    r = solve(t, Budget(seconds=1))
    assert not r.solved and r.program is None, r


def test_a_search_after_a_leaked_armed_state_gets_its_own_deadline() -> None:
    # An interrupt that lands in a `finally` can leave the watchdog armed with a passed deadline
    # and its epoch expired; the next search must still run to its own budget.
    from hylo.core import limits

    c = limits.COUNTER
    limits.arm(0.05, time.perf_counter() - 1.0)
    c[limits.EXPIRED] = c[limits.EPOCH]
    try:
        t = Task("sum", parse_type("list(int) -> int"),
                 tuple(Example((xs,), sum(xs)) for xs in ([1, 2], [5], [3, 0, 4])))
        r = EnumerativeSearcher(Grammar.uniform(DSL)).solve(t, Budget(seconds=5.0))
    finally:
        limits.disarm()
    assert r.solved and r.program == "(lam (sum $0))", r.stopped
    assert not c[limits.ARMED]
