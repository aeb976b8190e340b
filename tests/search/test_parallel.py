"""Tasks over a process pool: the same answers as in-process, in task order, whatever stops."""

from __future__ import annotations

import dataclasses
import json

from hylo.core.dsl import Invention
from hylo.core.grammar import Grammar
from hylo.core.infer import infer_type
from hylo.core.program import parse
from hylo.core.task import Example, Task
from hylo.core.types import parse_type
from hylo.domains import get_domain
from hylo.search.base import Budget
from hylo.search.executor import SearchConfig, iter_solve, solve_tasks

DSL = get_domain("lists").dsl
LISTS = [[3, 1, 2], [], [5, 5, 0, 7], [1]]
REQ = parse_type("list(int) -> list(int)")


def _task(name, f, request=REQ):
    return Task(name, request, tuple(Example((xs,), f(xs)) for xs in LISTS))


def _grammar() -> Grammar:
    body = parse("(lam (map (lam (+ $0 3)) $0))")
    dsl = DSL.with_inventions([Invention("add3-all", body, infer_type(body, DSL))])
    return Grammar.random(DSL, seed=9).with_dsl(dsl, default_weight=1.0)


TASKS = [
    _task("sum", sum, parse_type("list(int) -> int")),
    _task("impossible", lambda xs: [len(xs) * 7919 % 13, 424242, *xs[::-2]]),
    _task("reverse", lambda xs: xs[::-1]),
    _task("add-3-twice", lambda xs: [x + 6 for x in xs]),  # quick only through the invention
    _task("length", len, parse_type("list(int) -> int")),
]


def test_config_is_plain_data_and_rebuilds_grammar_and_searcher() -> None:
    g = _grammar()
    spec = {"name": "enumerative", "params": {"keep": 2}}
    config = SearchConfig.from_grammar("lists", g, spec)
    text = json.dumps(dataclasses.asdict(config))
    data = json.loads(text)
    again = SearchConfig(**{**data, "inventions": tuple(tuple(i) for i in data["inventions"])})
    assert again == config
    g2 = again.build_grammar()
    assert set(g2.dsl.inventions) == {"add3-all"}
    assert g2.dsl.inventions["add3-all"].body == g.dsl.inventions["add3-all"].body
    assert g2.log_weights == g.log_weights and g2.log_variable == g.log_variable
    assert g2.max_type_size == g.max_type_size
    searcher = again.build()
    assert searcher.spec()["name"] == "enumerative" and searcher.spec()["params"]["keep"] == 2
    assert again.build({"reverse": -9.0}).grammar.log_weights["reverse"] == -9.0


def test_pool_and_in_process_agree_and_keep_task_order() -> None:
    config = SearchConfig.from_grammar("lists", _grammar())
    # The solvable tasks take well under 0.1 s here; the budget leaves a loaded CI machine room.
    budget = Budget(seconds=2.0)
    seen: list[str] = []
    serial = solve_tasks(TASKS, config, budget, workers=0)
    pooled = solve_tasks(TASKS, config, budget, workers=2, on_result=lambda r: seen.append(r.task))
    assert [r.task for r in serial] == [t.name for t in TASKS]
    assert [r.task for r in pooled] == [t.name for t in TASKS]
    assert sorted(seen) == sorted(t.name for t in TASKS)
    assert [(r.solved, r.program) for r in pooled] == [(r.solved, r.program) for r in serial], (
        [(r.task, r.stopped, r.seconds, r.candidates) for r in serial + pooled])
    by_name = {r.task: r for r in pooled}
    assert {n for n, r in by_name.items() if r.solved} == {"sum", "reverse", "add-3-twice",
                                                           "length"}
    assert by_name["add-3-twice"].program == "(lam (add3-all (add3-all $0)))"
    timed_out = by_name["impossible"]
    assert timed_out.stopped == "timeout" and not timed_out.solved
    assert timed_out.seconds < 2.0 + 1.0


def test_iter_solve_in_process_yields_every_task_once() -> None:
    config = SearchConfig.from_grammar("lists", Grammar.uniform(DSL))
    tasks = [TASKS[0], TASKS[2]]
    out = list(iter_solve(tasks, config, Budget(seconds=2), workers=0))
    assert sorted(r.task for r in out) == ["reverse", "sum"]
    assert all(r.solved for r in out)
