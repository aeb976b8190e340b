"""Constants from the task: which integers a task's grammar gets, the literal hook that makes a
program using one parse, typecheck, run, be checked and stored under any list DSL, the search
that finds them, and a learning iteration over tasks solved with them."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hylo.cli import app
from hylo.core.dsl import Invention
from hylo.core.evaluate import run_program
from hylo.core.grammar import Grammar, NotDerivable
from hylo.core.infer import check, infer_type
from hylo.core.interpret import run_reference
from hylo.core.task import Example, Task
from hylo.core.types import parse_type
from hylo.domains.lists import load_domain
from hylo.domains.lists.constants import MAX_CONSTANTS, ranked_constants, task_constants
from hylo.domains.lists.primitives import LISTS_DSL, MAX_LITERAL, int_literal
from hylo.search.base import Budget
from hylo.search.check import Checker
from hylo.search.registry import build_searcher

DOMAIN = load_domain()
L2L = parse_type("list(int) -> list(int)")


def _task(name: str, pairs: list[tuple], request=L2L, held_out=()) -> Task:
    return Task(name, request, tuple(Example((i,), o) for i, o in pairs), tuple(held_out))


TAKE7 = _task("take-7", [([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 5, 6, 7]),
                         ([9, 3, 1, 4, 1, 5, 9, 2, 6], [9, 3, 1, 4, 1, 5, 9]),
                         ([4, 4], [4, 4])])
ADD10 = _task("add-10", [([1, 2], [11, 12]), ([0, -3, 7], [10, 7, 17]), ([30], [40])])
ABOVE49 = _task("above-49", [([49, 50, 3, 80], [50, 80]), ([12, 77, 49, 91], [77, 91]),
                             ([60, 1, 2], [60]), ([100, 49, 51, 48], [100, 51])])


# ------------------------------------------------------------------ which constants
def test_constants_come_from_the_examples_ranked_and_capped() -> None:
    names = [p.name for p in task_constants(TAKE7)]
    assert names[0] == "7"  # every output's length: a scalar in each example
    assert len(names) <= MAX_CONSTANTS and len(set(names)) == len(names)
    assert not {"0", "1", "2", "3", "4", "5"} & set(names)  # the DSL has those
    assert all(DOMAIN.dsl.type_of(n) == parse_type("int") for n in names)
    assert "10" in [p.name for p in task_constants(ADD10)]
    assert "49" in [p.name for p in task_constants(ABOVE49)]
    assert len(task_constants(ABOVE49, limit=3)) == 3 and task_constants(ABOVE49, limit=0) == []


def test_constants_are_deterministic_and_include_neighbours() -> None:
    assert ranked_constants(ADD10) == ranked_constants(ADD10)
    ranked = ranked_constants(_task("t", [([20, 20], [20])]))
    assert ranked[0] == 20 and {19, 21} <= set(ranked)


def test_constants_never_come_from_held_out_examples_or_booleans() -> None:
    secret = _task("t", [([8], [8])], held_out=[Example(([999],), [999])])
    assert 999 not in ranked_constants(secret)
    flags = Task("b", parse_type("list(bool) -> bool"),
                 (Example(([True, True, True, True, True, True, True],), True),))
    assert ranked_constants(flags) == [7, 6, 8]  # the length only: True is no integer


def test_the_domain_wires_them_with_the_documented_weight() -> None:
    assert DOMAIN.task_constants is not None
    assert [p.name for p in DOMAIN.task_constants(TAKE7)] == [p.name for p in task_constants(TAKE7)]
    assert DOMAIN.search_defaults["constants"] == {"log_weight": -2.5, "count": MAX_CONSTANTS}


# ------------------------------------------------------------------ the literal hook
@pytest.mark.parametrize("name", ["49", "-1", "6", "-120", str(MAX_LITERAL), str(-MAX_LITERAL)])
def test_literals_resolve_to_their_integer(name: str) -> None:
    p = int_literal(name)
    assert p is not None and p.name == name and p.impl() == int(name) and p.arity == 0


@pytest.mark.parametrize("name", ["07", "+7", "-0", "4.5", "1e3", "x", "", "٣", "1_000",
                                  str(MAX_LITERAL + 1), "9" * 30])
def test_non_literals_are_refused(name: str) -> None:
    assert int_literal(name) is None


def test_a_huge_literal_is_refused_at_once() -> None:
    name = "9" * 100_000
    t0 = time.perf_counter()
    assert int_literal(name) is None
    with pytest.raises(KeyError):
        LISTS_DSL.type_of(name)
    assert time.perf_counter() - t0 < 0.1


def test_a_program_with_a_literal_typechecks_and_runs_under_any_list_dsl() -> None:
    text = "(lam (filter (lam (gt? $0 49)) $0))"
    inv = Invention("#keep-big", LISTS_DSL.parse("(lam (gt? $0 100))"), parse_type("int -> bool"))
    for dsl in (LISTS_DSL, LISTS_DSL.with_inventions([inv]),
                LISTS_DSL.with_primitives(task_constants(TAKE7))):
        p = dsl.parse(text)
        check(p, dsl, L2L)
        assert run_program(p, dsl, ([49, 50, 3, 80],)) == [50, 80]
        assert run_reference(p, dsl, ([49, 50, 3, 80],)) == [50, 80]
        assert Checker(dsl).check(p, ABOVE49).passed == len(ABOVE49.examples)
    assert infer_type(LISTS_DSL.parse("(+ -7 1000)"), LISTS_DSL) == parse_type("int")
    with pytest.raises(ValueError):  # an invention may not take a literal's name
        LISTS_DSL.with_inventions([Invention("12", inv.body, inv.type)])


def test_the_grammar_scores_a_literal_only_once_it_has_it() -> None:
    g = Grammar.uniform(LISTS_DSL)
    p = LISTS_DSL.parse("(lam (take 7 $0))")
    with pytest.raises(NotDerivable):
        g.cost(p, L2L)
    assert g.with_literals(LISTS_DSL.parse("(lam (take 5 $0))")) is g
    with_7 = g.with_literals(p)
    assert "7" in with_7.dsl.primitives and with_7.log_weights["7"] == -2.0
    assert with_7.cost(p, L2L) > g.cost(LISTS_DSL.parse("(lam (take 5 $0))"), L2L)


def test_the_cli_checks_a_program_with_a_literal(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps([{"name": "above-49", "type": {"input": "list-of-int",
                                                              "output": "list-of-int"},
                                 "examples": [{"i": [49, 50, 3, 80], "o": [50, 80]}]}]))
    ok = CliRunner().invoke(app, ["solve", str(path), "--program",
                                  "(lam (filter (lam (gt? $0 49)) $0))"])
    assert ok.exit_code == 0 and "fits" in ok.output, ok.output
    huge = CliRunner().invoke(app, ["solve", str(path), "--program",
                                    "(lam (take " + "9" * 50_000 + " $0))"])
    assert "unknown primitive" in huge.output and "Traceback" not in huge.output


# ------------------------------------------------------------------ search finds them
@pytest.mark.parametrize("task", [TAKE7, ABOVE49], ids=lambda t: t.name)
def test_enumeration_finds_programs_with_the_tasks_constants(task: Task) -> None:
    searcher = build_searcher("enumerative", Grammar.uniform(DOMAIN.dsl), DOMAIN)
    r = searcher.solve(task, Budget(seconds=20.0))
    assert r.solved, r
    words = r.program.replace("(", " ").replace(")", " ").split()
    used = {q for q in words if q.lstrip("-").isdigit()}
    assert used - {"0", "1", "2", "3", "4", "5"}, r.program  # it needed a constant


def test_without_constants_those_tasks_are_out_of_reach_quickly() -> None:
    class NoConstants(type(build_searcher("enumerative", Grammar.uniform(DOMAIN.dsl), DOMAIN))):
        use_constants = False

    r = NoConstants(Grammar.uniform(DOMAIN.dsl), DOMAIN).solve(TAKE7, Budget(seconds=1.0))
    assert not r.solved or "7" not in r.program.split()


# ------------------------------------------------------------------ learning keeps them
def test_a_learning_iteration_keeps_solutions_with_constants(monkeypatch, tmp_path: Path) -> None:
    import hylo.domains
    from hylo.core.domain import Domain
    from hylo.learn.frontier import Frontiers
    from hylo.learn.loop import LearnConfig, frontier_key, learn
    from hylo.library import open_store

    base = load_domain()
    tasks = [TAKE7, _task("take-8", [([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 5, 6, 7, 8]),
                                     ([8, 8, 8, 8, 8, 8, 8, 8, 8, 8], [8] * 8)]),
             _task("drop-7", [([1, 2, 3, 4, 5, 6, 7, 8, 9], [8, 9]), ([9] * 8, [9])])]
    domain = Domain(**{**base.__dict__, "suites": {"consts": lambda: tasks},
                       "split": lambda ts: (list(ts), [])})
    real = hylo.domains.get_domain
    monkeypatch.setattr(hylo.domains, "get_domain",
                        lambda name: domain if name == "lists" else real(name))
    config = LearnConfig(domain="lists", suite="consts", iterations=2, workers=0,
                         train_timeouts=(5.0,), resolve_timeout=1.0, test_timeout=0.0)
    db = tmp_path / "lib.db"
    summary = learn(db, config)
    assert summary  # two iterations ran: wake, then sleep over the constants and wake again
    with open_store(db) as store:
        raw = store.get_meta(frontier_key("lists"))
        frontiers = Frontiers.from_json(json.loads(raw) if isinstance(raw, str) else raw)
    kept = {name: [p for p, _ in entries] for name, entries in frontiers.entries.items()}
    assert set(kept) == {t.name for t in tasks}, kept
    for name, programs in kept.items():
        assert programs, name
        # the cheapest keeps its constant and still fits (the learned library may name parts)
        want = name.split("-")[1]
        assert any(want in p.replace("(", " ").replace(")", " ").split() for p in programs), kept

    # a library file carries them, and an abstraction whose body holds a literal, both ways
    from hylo.library.exchange import export_library, import_library
    from hylo.library.grammar_store import load_grammar

    with open_store(db) as store:
        doc = export_library(store, "lists")
    doc["abstractions"].append({"name": "take_seven", "body": "(lam (take 7 $0))",
                                "type": "list(t0) -> list(t0)", "iteration": 0})
    with open_store(tmp_path / "copy.db") as store:
        import_library(store, doc)
        g = load_grammar(store, LISTS_DSL, "lists")
        raw = store.get_meta(frontier_key("lists"))
    assert g.cost(g.dsl.parse("(lam (take_seven $0))"), L2L) > 0
    copied = Frontiers.from_json(json.loads(raw) if isinstance(raw, str) else raw)
    assert copied.entries == frontiers.entries


def test_sleep_scores_refits_and_rescores_solutions_with_constants() -> None:
    from hylo.learn.compress import check_program
    from hylo.learn.frontier import Frontiers
    from hylo.learn.refit import frontier_weights, refit

    g = Grammar.uniform(LISTS_DSL)
    programs = {"take-7": "(lam (take 7 $0))", "above-49": "(lam (filter (lam (gt? $0 49)) $0))"}
    by_name = {"take-7": TAKE7, "above-49": ABOVE49}
    frontiers = Frontiers(3, {n: [(p, 1.0)] for n, p in programs.items()})
    frontiers.rescore(g, by_name)  # without the literal hook in scoring these were dropped
    assert {n: [p for p, _ in e] for n, e in frontiers.entries.items()} == {
        n: [p] for n, p in programs.items()}
    p = LISTS_DSL.parse(programs["take-7"])
    assert frontiers.entries["take-7"][0][1] == g.with_literals(p).description_length(p, L2L)
    assert frontier_weights(g, [(p, L2L)]) == [1.0]
    assert check_program(p, p, TAKE7, LISTS_DSL, g) == p
    # the choices around the constant count: `take` gains weight, no weight for `7` appears
    fitted = refit(g, [(p, L2L, 1.0)] * 5)
    assert fitted.log_weights["take"] > fitted.log_weights["drop"]
    assert "7" not in fitted.log_weights
