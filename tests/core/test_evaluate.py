"""The fast evaluator against the reference interpreter, and the limits every evaluation has.

The oracle is `run_reference` (slow, obviously correct). On random well-typed programs of the
list DSL both evaluators give the same value, of the requested type, or both fail. The two count
steps differently (the reference counts every node, the fast one only lambda calls, so the
reference never counts fewer), hence the one exception: a `limit` failure of the reference says
nothing about the fast evaluator, while a `limit` failure of the fast one implies the reference's.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import FAST, has_type, values, well_typed

from hylo.core import evaluate
from hylo.core.dsl import Invention
from hylo.core.evaluate import compile_program, input_env, run_closure, run_program
from hylo.core.grammar import Grammar
from hylo.core.infer import infer_type
from hylo.core.interpret import run_reference
from hylo.core.limits import DEFAULT_LIMITS, EvalFailure, Limits
from hylo.core.program import App, Hole, Lam, Prim, Var, parse
from hylo.core.types import arguments, parse_type, returns
from hylo.domains import get_domain

DSL = get_domain("lists").dsl
LIMITS = Limits(max_steps=100_000, max_seconds=30.0)  # steps, not the clock, bound these runs
REQUESTS = [
    "list(int) -> list(int)",
    "list(int) -> int",
    "list(int) -> bool",
    "int -> int",
    "list(int) -> list(bool)",
    "int -> list(int) -> list(int)",
]


def outcome(run: Any, p: Any, dsl: Any, inputs: tuple[Any, ...], limits: Limits) -> tuple:
    try:
        return ("ok", run(p, dsl, inputs, limits))
    except EvalFailure as e:
        return ("fail", e.kind)


def assert_agree(p, dsl, request, inputs, limits=LIMITS) -> None:
    ref = outcome(run_reference, p, dsl, inputs, limits)
    fast = outcome(run_program, p, dsl, inputs, limits)
    if ref == ("fail", "limit"):
        return
    if fast == ("fail", "limit"):
        raise AssertionError(f"{p} on {inputs}: fast ran out of steps, reference gave {ref}")
    assert ref[0] == fast[0], f"{p} on {inputs}: reference {ref}, fast {fast}"
    if ref[0] == "ok":
        assert ref[1] == fast[1], f"{p} on {inputs}: reference {ref[1]!r}, fast {fast[1]!r}"
        out = returns(request)
        assert has_type(ref[1], out), f"{p} on {inputs}: {ref[1]!r} is not a {out}"
        assert has_type(fast[1], out), f"{p} on {inputs}: {fast[1]!r} is not a {out}"
    else:
        assert ref[1] == fast[1], f"{p} on {inputs}: reference {ref}, fast {fast}"


def inputs_for(request):
    return st.tuples(*[values(t) for t in arguments(request)])


# ------------------------------------------------------------------ agreement
_UNIFORM = Grammar.uniform(DSL)
_RANDOM = Grammar.random(DSL, seed=11, scale=1.5)


@pytest.mark.parametrize("request_text", REQUESTS)
@pytest.mark.parametrize("grammar", [_UNIFORM, _RANDOM], ids=["uniform", "random"])
def test_fast_evaluator_agrees_with_the_reference(grammar, request_text) -> None:
    request = parse_type(request_text)

    @FAST
    @given(
        well_typed(grammar, request, max_height=4, eta=True),
        st.lists(inputs_for(request), min_size=1, max_size=3),
    )
    def prop(p, examples) -> None:
        for inputs in examples:
            assert_agree(p, DSL, request, inputs)

    prop()


def _dsl_with_inventions():
    invs: list[Invention] = []
    for name, text in [
        ("inc", "(lam (+ $0 1))"),
        ("keep-pos", "(lam (filter (lam (gt? $0 0)) $0))"),
        ("twice", "(lam (lam ($1 ($1 $0))))"),
        ("two", "(+ 1 1)"),
        ("sum-inc", "(lam (sum (map inc $0)))"),
    ]:
        body = parse(text, {i.name: i.body for i in invs})
        invs.append(Invention(name, body, infer_type(body, DSL)))
    return DSL.with_inventions(invs)


_INV_DSL = _dsl_with_inventions()
_INV_GRAMMAR = Grammar(_INV_DSL, {"inc": 2.0, "keep-pos": 2.0, "twice": 2.0, "two": 1.0})


@pytest.mark.parametrize("request_text", ["list(int) -> list(int)", "int -> int"])
def test_agreement_with_inventions(request_text) -> None:
    request = parse_type(request_text)

    @FAST
    @given(well_typed(_INV_GRAMMAR, request, max_height=4, eta=True), inputs_for(request))
    def prop(p, inputs) -> None:
        assert_agree(p, _INV_DSL, request, inputs)

    prop()


@pytest.mark.parametrize(
    ("text", "inputs", "expected"),
    [
        ("(lam (map (lam (+ $0 1)) $0))", ([1, 2, 3],), [2, 3, 4]),
        ("(lam (fold $0 empty (lam (lam (cons $1 $0)))))", ([1, 2, 3],), [1, 2, 3]),
        ("(lam (fold $0 0 (lam (lam (- $1 $0)))))", ([10, 3, 1],), 10 - (3 - (1 - 0))),
        ("(lam (lam (zip-with + $0 (repeat 3 $1))))", (5, [1, 2, 3, 4]), [6, 7, 8]),
        ("(lam (mapi (lam (lam (* $0 $1))) $0))", ([4, 4, 4],), [0, 4, 8]),
        ("(lam (if (empty? $0) 0 (car $0)))", ([],), 0),
        ("(lam (map (if (empty? $0) car last) (singleton $0)))", ([7, 8],), [8]),
        ("(lam (filter is-prime $0))", ([1, 2, 3, 4, 5, 9],), [2, 3, 5]),
        ("reverse", ([1, 2],), [2, 1]),
        ("(lam (map (+ 2) $0))", ([1],), [3]),
        ("((lam (lam (+ $0 $1))) 3)", (4,), 7),
    ],
)
def test_known_values(text, inputs, expected) -> None:
    p = parse(text)
    assert run_reference(p, DSL, inputs) == expected
    assert run_program(p, DSL, inputs) == expected


def test_the_untaken_branch_of_if_is_never_evaluated() -> None:
    p = parse("(lam (if (empty? $0) 0 (car $0)))")
    for run in (run_reference, run_program):
        assert run(p, DSL, ([],)) == 0
        assert run(p, DSL, ([5],)) == 5


@FAST
@given(
    well_typed(_RANDOM, parse_type("list(int) -> list(int)"), max_height=4, eta=True),
    values(parse_type("list(int)")),
)
def test_evaluation_is_deterministic(p, xs) -> None:
    first = outcome(run_program, p, DSL, (xs,), LIMITS)
    # Other evaluations in between must not leak state (the step counter is global).
    outcome(run_program, parse(NESTED_MAPS), DSL, (xs,), Limits(max_steps=50))
    outcome(run_program, parse("(lam (car empty))"), DSL, (xs,), LIMITS)
    assert outcome(run_program, p, DSL, (xs,), LIMITS) == first
    assert outcome(run_reference, p, DSL, (xs,), LIMITS) == outcome(
        run_reference, p, DSL, (xs,), LIMITS
    )
    # A program compiled once and run many times.
    fn = compile_program(p, DSL)
    applied = lambda env: fn(env)(xs)
    for _ in range(2):
        assert outcome(lambda *_: run_closure(applied, (), LIMITS), p, DSL, (), LIMITS) == first


def test_inputs_are_not_mutated() -> None:
    xs = [3, 1, 2]
    for text in ["sort", "reverse", "(lam (cons 1 $0))", "(lam (append $0 $0))", "unique"]:
        for run in (run_reference, run_program):
            run(parse(text), DSL, (xs,))
            assert xs == [3, 1, 2], text


def test_evaluators_leave_the_recursion_limit_as_they_found_it() -> None:
    saved = sys.getrecursionlimit()
    before = 1000  # below what the evaluators raise it to while they run
    sys.setrecursionlimit(before)
    try:
        p = parse("(lam (map (lam (+ $0 1)) $0))")
        assert run_reference(p, DSL, ([1],)) == [2]
        assert sys.getrecursionlimit() == before
        assert run_program(p, DSL, ([1],)) == [2]
        assert sys.getrecursionlimit() == before
        body = compile_program(p.body, DSL)  # type: ignore[attr-defined]
        assert run_closure(body, ([1],)) == [2]
        assert sys.getrecursionlimit() == before
    finally:
        sys.setrecursionlimit(saved)


def test_run_closure_takes_the_input_environment() -> None:
    p = parse("(lam (lam (cons $1 $0)))")
    body = compile_program(p.body.body, DSL)  # type: ignore[attr-defined]
    assert run_closure(body, input_env([7, [1]])) == [7, 1]
    assert input_env([1, 2, 3]) == (3, 2, 1)


# ------------------------------------------------------------------ limits
def num(n: int) -> str:
    """The DSL's text for the integer n >= 0 (its only literals are 0..5)."""
    if n <= 5:
        return str(n)
    q, r = divmod(n, 5)
    return f"(* 5 {num(q)})" if r == 0 else f"(+ (* 5 {num(q)}) {r})"


K = num(1000)


def both_fail(p, inputs, limits, dsl=DSL) -> list[EvalFailure]:
    out = []
    for run in (run_reference, run_program):
        with pytest.raises(EvalFailure) as info:
            run(p, dsl, inputs, limits)
        out.append(info.value)
    return out


NESTED_MAPS = f"(lam (map (lam (sum (map (lam (+ $0 $1)) (range {K})))) (range {K})))"
NESTED_FOLDS = (
    f"(lam (fold (range {K}) 0 (lam (lam (fold (range {K}) $0 (lam (lam "
    f"(fold (range {K}) $0 (lam (lam (+ $0 1)))))))))))"
)


@pytest.mark.parametrize("text", [NESTED_MAPS, NESTED_FOLDS])
def test_too_many_steps_is_a_limit_failure(text: str) -> None:
    t0 = time.perf_counter()
    for e in both_fail(parse(text), ([1],), Limits(max_steps=20_000, max_seconds=60.0)):
        assert e.kind == "limit" and "steps" in e.detail
    assert time.perf_counter() - t0 < 5.0


def test_num_spells_integers() -> None:
    for n in (0, 5, 6, 30, 999, 1000, 5000):
        assert run_program(parse(f"(lam {num(n)})"), DSL, (0,)) == n


def test_the_step_limit_is_not_hit_by_a_program_within_it() -> None:
    p = parse(f"(lam (map (lam (+ $0 1)) (range {K})))")
    want = list(range(1, 1001))
    assert run_reference(p, DSL, ([],), Limits(max_steps=20_000)) == want
    assert run_program(p, DSL, ([],), Limits(max_steps=2_000)) == want
    with pytest.raises(EvalFailure, match="limit"):
        run_program(p, DSL, ([],), Limits(max_steps=999))


def test_the_time_limit_stops_a_program_that_would_run_for_hours() -> None:
    # 10^9 lambda calls, and no step limit to speak of: only the clock can stop it.
    text = (
        f"(lam (map (lam (map (lam (sum (map (lam (+ $0 1)) (range {K})))) (range {K})))"
        f" (range {K})))"
    )
    limits = Limits(max_steps=10**12, max_seconds=0.2)
    for run in (run_reference, run_program):
        t0 = time.perf_counter()
        with pytest.raises(EvalFailure) as info:
            run(parse(text), DSL, ([],), limits)
        assert info.value.kind == "limit" and "s" in info.value.detail
        assert time.perf_counter() - t0 < 2.0, run.__name__


@pytest.mark.parametrize(
    "text",
    [
        # doubling by fold: 2^30 elements were asked for
        f"(lam (fold (range {num(30)}) $0 (lam (lam (append $0 $0)))))",
        f"(lam (concat (repeat {K} (range {K}))))",
        f"(lam (fold (range {K}) $0 (lam (lam (cons $1 (append $0 $0))))))",
    ],
)
def test_an_exploding_list_hits_the_list_size_limit(text: str) -> None:
    t0 = time.perf_counter()
    for e in both_fail(parse(text), ([1, 2],), DEFAULT_LIMITS):
        assert e.kind == "error" and "longer than" in e.detail
    assert time.perf_counter() - t0 < 5.0


def test_range_and_repeat_refuse_huge_counts() -> None:
    for text in [f"(lam (range (+ {K} 1)))", f"(lam (repeat (* 5 {K}) $0))"]:
        for e in both_fail(parse(text), ([1],), DEFAULT_LIMITS):
            assert e.kind == "error" and "beyond" in e.detail


def _deep(n: int):
    p = Var(0)
    for _ in range(n):
        p = App(Prim("cdr"), p)
    return Lam(p)


def test_a_program_nested_5000_deep_is_a_failure_not_a_crash() -> None:
    p = _deep(5000)
    for e in both_fail(p, (list(range(6000)),), DEFAULT_LIMITS):
        assert e.kind in ("recursion", "limit")
    # The interpreter is usable afterwards, and a shallower program of the same shape runs.
    assert run_program(_deep(50), DSL, (list(range(60)),)) == list(range(50, 60))
    assert run_reference(_deep(50), DSL, (list(range(60)),)) == list(range(50, 60))


def test_deep_recursion_at_run_time_is_a_failure_not_a_crash() -> None:
    # fold builds the composition of n increments (b = int -> int); applying it nests n calls.
    text = "(lam (fold (range {n}) (lam $0) (lam (lam (lam ($1 (+ $0 1))))) $0))"
    five_thousand = f"(concat (repeat 5 (range {K})))"  # range itself stops at 1000
    deep = text.replace("(range {n})", five_thousand)
    for e in both_fail(parse(deep), (5,), DEFAULT_LIMITS):
        assert e.kind in ("recursion", "limit")
    small = parse(text.format(n=num(20)))
    assert run_reference(small, DSL, (5,)) == run_program(small, DSL, (5,)) == 25


@pytest.mark.parametrize(
    ("text", "inputs", "exc"),
    [
        ("(lam (car $0))", ([],), "IndexError"),
        ("(lam (cdr $0))", ([],), "IndexError"),
        ("(lam (mod $0 0))", (3,), "ZeroDivisionError"),
        ("(lam (max $0))", ([],), "ValueError"),
        ("(lam (index 5 $0))", ([1],), "IndexError"),
        ("(lam (* $0 $0))", (10**6,), "ValueError"),
        ("(lam (map car $0))", ([[1], []],), "IndexError"),
    ],
)
def test_a_program_that_raises_is_an_error_failure(text, inputs, exc) -> None:
    for e in both_fail(parse(text), inputs, DEFAULT_LIMITS):
        assert e.kind == "error" and e.detail.startswith(exc), e


def test_holes_cannot_be_evaluated() -> None:
    for e in both_fail(Lam(Hole()), ([1],), DEFAULT_LIMITS):
        assert e.kind == "hole"


def test_a_failure_leaves_the_limits_of_the_next_run_alone() -> None:
    p = parse(NESTED_MAPS)
    with pytest.raises(EvalFailure):
        run_program(p, DSL, ([],), Limits(max_steps=10))
    ok = parse(f"(lam (map (lam (+ $0 1)) (range {K})))")
    assert len(run_program(ok, DSL, ([],))) == 1000
    # `start` resets the counter and its limits for each run.
    evaluate.start(Limits(max_steps=5))
    assert len(run_program(ok, DSL, ([],), DEFAULT_LIMITS)) == 1000


def test_both_evaluators_allow_the_same_recursion_depth() -> None:
    from hylo.core.evaluate import run_program
    from hylo.core.interpret import run_reference
    from hylo.core.program import parse
    from hylo.domains import get_domain

    dsl = get_domain("lists").dsl
    # A fold whose accumulator is a function: 625 nested calls at run time.
    text = "(lam (fold (range (* 5 (* 5 (* 5 5)))) (lam $0) (lam (lam (lam ($1 (+ $0 1))))) $0))"
    p = parse(text)
    assert run_reference(p, dsl, (5,)) == run_program(p, dsl, (5,)) == 630


# ------------------------------------------------------------------ limits for every program
# Primitives used as function values iterate without lambdas: before steps counted them and the
# watchdog existed, these ran for tens of seconds under a 0.2 s limit.
M = num(1000)
NO_LAMBDAS = [
    f"(lam (map (map sort) (repeat {M} (repeat {num(100)} (range {M})))))",
    f"(lam (map (map sum) (map (map sort) (repeat {num(300)} (repeat {num(300)} (range {M}))))))",
    f"(lam (map (map reverse) (repeat {M} (repeat {M} (repeat {M} $0)))))",
]


@pytest.mark.parametrize("text", NO_LAMBDAS)
def test_programs_without_lambdas_are_cut_off_by_the_time_limit(text: str) -> None:
    limits = Limits(max_steps=10**12, max_seconds=0.2)
    for run in (run_reference, run_program):
        t0 = time.perf_counter()
        with pytest.raises(EvalFailure) as info:
            run(parse(text), DSL, ([1, 2],), limits)
        assert info.value.kind == "limit", info.value
        # Cut off, not run to the end (tens of seconds before the watchdog): the bound leaves
        # room for a loaded machine and for freeing what the program built before the cut.
        assert time.perf_counter() - t0 < 2.5, run.__name__


def test_primitive_calls_count_as_steps() -> None:
    # 1000 calls of `sort` as a function value: within 2000 steps, not within 500.
    text = f"(lam (map sort (repeat {M} $0)))"
    assert len(run_program(parse(text), DSL, ([2, 1],), Limits(max_steps=2000))) == 1000
    for e in both_fail(parse(text), ([2, 1],), Limits(max_steps=500, max_seconds=30.0)):
        assert e.kind == "limit" and "steps" in e.detail


def _spinning_dsl():
    from hylo.core.dsl import DSL as Table
    from hylo.core.dsl import Primitive

    def spin(x: int) -> int:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 20:
            x += 1
        return x

    prims = [Primitive("spin", parse_type("int -> int"), spin),
             Primitive("1", parse_type("int"), lambda: 1)]
    return Table.from_table(prims)


def test_a_primitive_that_loops_in_python_is_stopped_by_the_watchdog() -> None:
    dsl = _spinning_dsl()
    for run in (run_reference, run_program):
        t0 = time.perf_counter()
        with pytest.raises(EvalFailure) as info:
            run(parse("(lam (spin $0))"), dsl, (1,), Limits(max_seconds=0.2))
        assert info.value.kind == "limit" and "watchdog" in info.value.detail
        assert time.perf_counter() - t0 < 2.5, run.__name__  # cut off, with room for load
    # The next evaluation is not touched by the interrupt of the last one.
    assert run_program(parse("(lam 1)"), dsl, (5,)) == 1


def test_a_nullary_invention_with_a_slow_body_is_cut_off() -> None:
    slow = parse(NO_LAMBDAS[0]).body  # type: ignore[attr-defined]
    inv = Invention("slow", slow, infer_type(slow, DSL))
    dsl = DSL.with_inventions([inv])
    p = parse("(lam (length slow))", dsl.invention_bodies())
    for run in (run_reference, run_program):
        t0 = time.perf_counter()
        with pytest.raises(EvalFailure) as info:
            run(p, dsl, ([1],), Limits(max_steps=10**12, max_seconds=0.2))
        assert info.value.kind == "limit"
        assert time.perf_counter() - t0 < 2.5, run.__name__  # cut off, with room for load
