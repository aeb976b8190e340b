"""Typed genetic programming (`hylo.search.genetic`): typed variation, lexicase selection,
evaluation, the search's promises."""

from __future__ import annotations

import dataclasses
import random
import time

import numpy as np
import pytest

from hylo.core.domain import Domain
from hylo.core.dsl import Invention
from hylo.core.grammar import Grammar
from hylo.core.infer import is_well_typed
from hylo.core.program import size
from hylo.core.sampling import application_depth
from hylo.core.task import Example, Task
from hylo.core.types import parse_type
from hylo.domains import get_domain
from hylo.search import conformance
from hylo.search.base import Budget
from hylo.search.genetic import (
    FAIL_ERROR,
    MAX_ERROR,
    Evolution,
    GeneticSearcher,
    lexicase_select,
    mad_epsilon,
    population_programs,
    tournament_select,
)
from hylo.search.registry import SpecError, available, build_searcher

LISTS = get_domain("lists")
PRIOR = LISTS.prior()


def _task(name: str, request: str, f, seed: int = 0, n: int = 10,
          inputs=None) -> Task:
    rng = random.Random(seed)
    examples = []
    for _ in range(n):
        x = inputs(rng) if inputs else [rng.randint(0, 9) for _ in range(rng.randint(1, 6))]
        examples.append(Example((x,), f(x)))
    return Task(name, parse_type(request), tuple(examples))


def _graded(a, b) -> float:
    """A per-case distance on list values (the lists domain's own errors are 0/1)."""
    if type(a) is bool or type(b) is bool:
        return 0.0 if a is b else 1.0
    if type(a) is int and type(b) is int:
        return float(min(abs(a - b), 1000))
    if type(a) is list and type(b) is list:
        return 10.0 * abs(len(a) - len(b)) + sum(_graded(x, y) for x, y in zip(a, b, strict=False))
    return 1000.0


GRADED = dataclasses.replace(LISTS, case_error=_graded)


def _evolution(task: Task, domain: Domain = LISTS, grammar: Grammar = PRIOR,
               **params) -> Evolution:
    s = GeneticSearcher(grammar, domain, **params)
    return Evolution(s, s.grammar_for(task), task, Budget(seconds=60.0), time.perf_counter())


def test_registered_and_conformance_runs_it() -> None:
    # tests/search/test_searcher_conformance.py runs every registered name
    assert "genetic" in available()
    s = build_searcher({"name": "genetic", "params": {"population": 50, "seed": 3}}, PRIOR,
                       LISTS)
    assert isinstance(s, GeneticSearcher)
    assert build_searcher(s.spec(), PRIOR, LISTS).spec() == s.spec()
    assert s.spec()["params"]["selection"] == "lexicase"


@pytest.mark.parametrize(("params", "message"), [
    ({"population": 0}, "population must be"),
    ({"population": "10"}, "population must be"),
    ({"selection": "roulette"}, "selection must be one of"),
    ({"downsample": 0.0}, "downsample must be above 0"),
    ({"downsample": 1.5}, "downsample must be"),
    ({"crossover": 0.8, "mutation": 0.5}, "crossover \\+ mutation"),
    ({"max_size": True}, "max_size must be"),
    ({"seed": 1.5}, "seed must be"),
    ({"all_inputs": "yes"}, "all_inputs must be"),
])
def test_bad_parameters_are_clear_errors(params: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        build_searcher({"name": "genetic", "params": params}, PRIOR, LISTS)


REQUESTS = {
    "list(int) -> list(int)": lambda rng: [rng.randint(-3, 9) for _ in range(rng.randint(0, 5))],
    "list(int) -> int": lambda rng: [rng.randint(-3, 9) for _ in range(rng.randint(1, 5))],
    "int -> list(int)": lambda rng: rng.randint(0, 5),
    "list(list(int)) -> list(int)": lambda rng: [[rng.randint(0, 4)] for _ in range(3)],
}


@pytest.mark.parametrize("request_text", list(REQUESTS))
def test_offspring_are_well_typed_and_within_their_bounds(request_text: str) -> None:
    """Property over many seeds: every program drawn, crossed or mutated type-checks against
    the request, stays within max_size and max_depth, and its node counts agree with the
    program's."""
    inputs = REQUESTS[request_text]
    for seed in range(12):
        task = Task("t", parse_type(request_text),
                    tuple(Example((inputs(random.Random(seed + i)),), 0) for i in range(3)))
        max_size, max_depth = 6 + seed, 2 + seed % 4
        run = _evolution(task, population=30, max_size=max_size, max_depth=max_depth,
                         init_depth=max_depth, seed=seed, umad_rate=0.2)
        population = run.initial_population()
        assert population and len({p.text for p in population}) == len(population)
        rng = random.Random(seed)
        children = list(population)
        for _ in range(150):
            a, b = rng.choice(children), rng.choice(children)
            x = rng.random()
            child = run.cross(a, b) if x < 0.5 else run.mutate(a) if x < 0.8 else run.umad(a)
            if child is not None:
                children.append(child)
        assert len(children) > len(population)
        for node in children:
            p = run.dsl.parse(node.text)
            assert str(p) == node.text
            assert is_well_typed(p, run.dsl, task.request), node.text
            assert size(p) == node.size <= max_size, node.text
            assert application_depth(p) == node.depth <= max_depth, node.text


def test_crossover_respects_variable_scope() -> None:
    """A donor's subtree that uses a lambda's variable lands only where a lambda binds a
    variable of that type at that index; one that uses an input is shifted to stay that
    input."""
    task = _task("scope", "list(int) -> list(int)", lambda xs: xs)
    run = _evolution(task, max_size=40, max_depth=8)
    receiver = run.from_program(run.dsl.parse("(lam (take (sum $0) (map (lam (+ $0 1)) $0)))"))
    donor = run.from_program(run.dsl.parse(
        "(lam (map (lam (* (length $1) (negate $0))) $0))"))
    seen = set()
    for _ in range(600):
        child = run.cross(receiver, donor)
        if child is None:
            continue
        p = run.dsl.parse(child.text)
        assert is_well_typed(p, run.dsl, task.request), child.text
        seen.add(child.text)
    # `(length $1)` (the input, seen from inside the donor's lambda) at the top level of the
    # receiver is `(length $0)`; inside the receiver's lambda it stays `$1`
    assert "(lam (take (length $0) (map (lam (+ $0 1)) $0)))" in seen
    assert "(lam (take (sum $0) (map (lam (+ (length $1) 1)) $0)))" in seen
    # `(negate $0)` uses the donor lambda's int: it may replace an int inside the receiver's
    # lambda, never the top-level int (there $0 is the input list)
    assert "(lam (take (sum $0) (map (lam (negate $0)) $0)))" in seen
    assert not any(t.startswith("(lam (take (negate") for t in seen)


def test_umad_adds_and_deletes_typed_nodes() -> None:
    task = _task("t", "list(int) -> list(int)", lambda xs: xs)
    run = _evolution(task, umad_rate=0.3, max_size=40, max_depth=8)
    parent = run.from_program(run.dsl.parse("(lam (reverse (sort (cdr $0))))"))
    seen = {c.text for c in (run.umad(parent) for _ in range(300)) if c is not None}
    assert "(lam (reverse (sort $0)))" in seen  # `(cdr $0)` deleted to its argument
    assert "(lam (reverse (cdr $0)))" in seen
    assert any(len(t) > len(parent.text) for t in seen)  # something wrapped
    assert all(is_well_typed(run.dsl.parse(t), run.dsl, task.request) for t in seen)


def test_from_program_refuses_what_the_grammar_cannot_derive() -> None:
    task = _task("t", "list(int) -> list(int)", lambda xs: xs)
    run = _evolution(task)
    with pytest.raises(ValueError):
        run.from_program(run.dsl.parse("(lam (sum $0))"))  # an int, not a list
    with pytest.raises(ValueError):
        run.from_program(run.dsl.parse("(lam (reverse $1))"))  # unbound


def test_lexicase_picks_a_specialist_the_elite_hides() -> None:
    errors = np.array([
        [1.0, 1.0, 1.0, 1.0],  # the elite: lowest total
        [0.0, 9.0, 9.0, 9.0],  # the specialist: the only one right on case 0
        [5.0, 5.0, 5.0, 5.0],  # dominated by the elite: never selected by lexicase
        [5.0, 5.0, 5.0, 5.0],
    ])
    rng = np.random.default_rng(0)
    picks = lexicase_select(errors, 4000, rng)
    counts = np.bincount(picks, minlength=4)
    assert counts[2] == counts[3] == 0
    assert 0.2 < counts[1] / 4000 < 0.3  # whenever case 0 comes first
    assert counts[0] + counts[1] == 4000
    # a tournament of 2 never lets the specialist past the elite
    totals = errors.sum(axis=1)
    t = tournament_select(totals, np.ones(4), 4000, rng, 2)
    assert (t == 1).sum() < (t == 0).sum()


def test_lexicase_breaks_final_ties_uniformly_over_programs() -> None:
    # three programs with the same row and one worse: the three share the selections
    errors = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [1.0, 1.0]])
    picks = lexicase_select(errors, 3000, np.random.default_rng(1))
    counts = np.bincount(picks, minlength=4)
    assert counts[3] == 0 and all(800 < c < 1200 for c in counts[:3])


def test_epsilon_lexicase_with_real_errors() -> None:
    rng = np.random.default_rng(2)
    filler = rng.uniform(1.0, 4.0, size=(20, 2))
    errors = np.vstack([[[0.0, 3.0], [0.05, 3.0]], filler])
    eps = mad_epsilon(errors)
    col = errors[:, 0]
    assert eps[0] == pytest.approx(np.median(np.abs(col - np.median(col))))
    plain = lexicase_select(errors, 3000, np.random.default_rng(3))
    epsilon = lexicase_select(errors, 3000, np.random.default_rng(3), eps)
    # 0.05 is within epsilon of the best on case 0: epsilon-lexicase keeps the near-best
    # program that plain lexicase never selects
    assert (plain == 1).sum() == 0
    assert (epsilon == 1).sum() > 100
    # and the search runs with it on real-valued errors
    task = _task("add3-rev", "list(int) -> list(int)", lambda xs: [x + 3 for x in xs][::-1])
    s = GeneticSearcher(PRIOR, GRADED, selection="epsilon-lexicase", population=300,
                        generations=2)
    r = s.solve(task, Budget(seconds=30.0))
    assert r.stopped in ("solved", "exhausted") and s.last_stats["selection_seconds"] > 0


def test_errors_come_from_the_domain_and_failures_are_large() -> None:
    task = _task("add1", "list(int) -> list(int)", lambda xs: [x + 1 for x in xs])
    run = _evolution(task, domain=GRADED)
    programs = ["(lam $0)", "(lam (map (lam (+ $0 1)) $0))", "(lam (map (lam (car empty)) $0))"]
    nodes = [run.from_program(run.dsl.parse(t)) for t in programs]
    rows = run.evaluate(nodes[:1] + nodes[2:], range(run.n_cases))
    outputs = [ex.output for ex in task.examples]
    assert rows[0] == [_graded(ex.inputs[0], out) for ex, out in zip(task.examples, outputs,
                                                                        strict=True)]
    assert all(e == FAIL_ERROR for e in rows[1])
    assert run.executions == 2 * run.n_cases and run.programs == 2
    run.evaluate(nodes[:1], range(run.n_cases))  # cached by text: not run again
    assert run.executions == 2 * run.n_cases
    # a distance that cannot be computed is the largest real error
    broken = dataclasses.replace(LISTS, case_error=lambda a, b: 1 / 0)
    run = _evolution(task, domain=broken)
    assert run.evaluate(nodes[:1], [0]) == [[MAX_ERROR] + [None] * (run.n_cases - 1)]
    # a program right everywhere ends the evaluation: the search has its result
    run = _evolution(task)
    with pytest.raises(Exception, match="solved"):
        run.evaluate(nodes, range(run.n_cases))
    assert run.found is not None and run.found.text == programs[1]


def test_downsampled_lexicase_runs_fewer_cases() -> None:
    task = _task("impossible", "list(int) -> list(int)", lambda xs: [7, 1, 7] + xs[::-1],
                 n=20)
    stats = {}
    for fraction in (1.0, 0.25):
        s = GeneticSearcher(PRIOR, LISTS, population=200, generations=4, downsample=fraction,
                            seed=1)
        r = s.solve(task, Budget(seconds=20.0))
        assert not r.solved and r.stopped == "exhausted"
        stats[fraction] = s.last_stats
    assert stats[0.25]["generations"] == stats[1.0]["generations"] == 4
    assert stats[0.25]["executions"] < 0.6 * stats[1.0]["executions"]
    # a program perfect on the sample is run on every case before it counts
    reverse = _task("rev", "list(int) -> list(int)", lambda xs: xs[::-1], n=12)
    r = GeneticSearcher(PRIOR, LISTS, downsample=0.2).solve(reverse, Budget(seconds=5.0))
    assert r.solved and r.program == "(lam (reverse $0))"


def test_deterministic_for_a_seed() -> None:
    task = _task("add2-rev", "list(int) -> list(int)", lambda xs: [x + 2 for x in xs][::-1])
    runs = []
    for seed in (5, 5, 6):
        s = GeneticSearcher(PRIOR, GRADED, population=300, generations=3, seed=seed)
        r = s.solve(task, Budget(seconds=30.0))
        runs.append((r.solved, r.program, r.candidates, s.last_stats["executions"]))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


@pytest.mark.parametrize(("name", "request_text", "f"), [
    ("reverse", "list(int) -> list(int)", lambda xs: xs[::-1]),
    ("sum", "list(int) -> int", sum),
    ("sort-descending", "list(int) -> list(int)", lambda xs: sorted(xs)[::-1]),
    ("max-minus-min", "list(int) -> int", lambda xs: max(xs) - min(xs)),
])
def test_solves_easy_list_tasks_with_zero_one_errors(name, request_text, f) -> None:
    r = GeneticSearcher(PRIOR, LISTS).solve(_task(name, request_text, f), Budget(seconds=5.0))
    assert r.solved and r.stopped == "solved" and r.seconds < 5.5, r
    assert r.strategy == "genetic" and r.description_length is not None


def test_solves_add_one_with_graded_errors() -> None:
    # With the lists domain's 0/1 errors, `map (+ 1)` is a needle in a haystack for GP; a
    # graded per-case error makes it a climb (docs/genetic.md: about two seeds in three within
    # 30 generations). Generations, not seconds, bound each run, so the test is deterministic.
    task = _task("add1", "list(int) -> list(int)", lambda xs: [x + 1 for x in xs])
    for seed in range(4):
        s = GeneticSearcher(PRIOR, GRADED, seed=seed, generations=15)
        r = s.solve(task, Budget(seconds=60.0))
        if r.solved:
            break
    assert r.solved and s.last_stats["generations"] >= 1, r
    assert "map" in (r.program or "")


def test_uses_the_library_and_the_task_constants() -> None:
    inc = Invention("inc1", LISTS.dsl.parse("(lam (+ $0 1))"), parse_type("int -> int"))
    dsl = LISTS.dsl.with_inventions([inc])
    grammar = Grammar(dsl, {"inc1": 3.0}, 3.0)
    task = _task("add1", "list(int) -> list(int)", lambda xs: [x + 1 for x in xs])
    s = GeneticSearcher(grammar, LISTS, population=200)
    population = population_programs(s, task)
    assert any("inc1" in p.text for p in population)
    r = s.solve(task, Budget(seconds=5.0))
    assert r.solved and "inc1" in (r.program or ""), r
    # a task constant (an integer from the examples) joins the grammar
    task = _task("add7", "list(int) -> list(int)", lambda xs: [x + 7 for x in xs])
    population = population_programs(GeneticSearcher(PRIOR, LISTS), task)
    assert any(" 7" in p.text for p in population)


def test_budget_and_candidates_are_respected() -> None:
    task = _task("impossible", "list(int) -> list(int)", lambda xs: [7, 1, 7] + xs[::-1])
    for seconds in (0.2, 1.0):
        t0 = time.perf_counter()
        r = GeneticSearcher(PRIOR, LISTS).solve(task, Budget(seconds=seconds))
        wall = time.perf_counter() - t0
        assert r.stopped == "timeout" and not r.solved
        assert wall < 2 * seconds + 0.5, wall  # the contract's tolerance (conformance)
    r = GeneticSearcher(PRIOR, LISTS).solve(task, Budget(seconds=10.0, max_candidates=1500))
    assert r.stopped == "candidates" and r.candidates == 1500


def test_a_finite_space_ends_exhausted() -> None:
    domain = conformance.conformance_domain()
    task = conformance.conformance_tasks()["finite"]
    r = GeneticSearcher(conformance.conformance_grammar(domain), domain).solve(
        task, Budget(seconds=5.0))
    assert r.stopped == "exhausted" and r.candidates == 1 and r.seconds < 1.0


def test_the_speed_benchmark_prints_its_figures(monkeypatch, capsys) -> None:
    import importlib.util
    import json
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "gp_speed.py"
    spec = importlib.util.spec_from_file_location("gp_speed", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, "argv", ["gp_speed.py", "--population", "60", "--generations",
                                      "2", "--repeat", "1"])
    module.main()
    out = json.loads(capsys.readouterr().out)
    assert out["population"] == 60 and out["cases"] > 0
    assert out["executions_per_second"] > 0 and out["selections_per_second"] > 0
    assert out["selection_seconds_per_generation"] >= 0
    assert out["runs"][0]["generations"] == 2


def test_a_portfolio_gives_evolution_a_share_only_where_it_can_climb():
    from hylo.core.task import Example, Task
    from hylo.domains import get_domain
    from hylo.search.registry import build_searcher

    lists, general = get_domain("lists"), get_domain("general")
    few = Task("few", parse_type("list(int) -> list(int)"),
               tuple(Example(([k],), [k]) for k in range(3)))
    many = Task("many", few.request, tuple(Example(([k],), [k]) for k in range(12)))
    spec = {"name": "genetic", "params": {"min_cases": 10, "graded": True}}
    on_lists = build_searcher(spec, lists.prior(), lists)
    assert not on_lists.applicable(many)  # 0/1 errors only
    spec_any = {"name": "genetic", "params": {"min_cases": 10}}
    assert build_searcher(spec_any, lists.prior(), lists).applicable(many)
    assert not build_searcher(spec_any, lists.prior(), lists).applicable(few)
    on_general = build_searcher(spec, general.prior(), general)
    assert on_general.applicable(many) and not on_general.applicable(few)
    assert build_searcher({"name": "genetic"}, lists.prior(), lists).applicable(few)


def test_a_fit_is_simplified_before_it_is_returned() -> None:
    task = _task("sort", "list(int) -> list(int)", sorted)
    bloated = "(lam (sort (reverse (sort (reverse $0)))))"
    run = _evolution(task)
    with pytest.raises(Exception, match="solved"):
        run.evaluate([run.from_program(run.dsl.parse(bloated))], range(run.n_cases))
    assert run.found is not None and run.found.text == "(lam (sort $0))"
    # simplify 0: the fit as found
    run = _evolution(task, simplify=0)
    with pytest.raises(Exception, match="solved"):
        run.evaluate([run.from_program(run.dsl.parse(bloated))], range(run.n_cases))
    assert run.found is not None and run.found.text == bloated
