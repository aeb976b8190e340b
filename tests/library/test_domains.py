"""Two domains learning into one library file never clash: grammars, abstractions (each has
its own `fn_0`), frontiers and exports stay apart, and a grammar is never loaded over the wrong
DSL (a weight for a name the DSL lacks is refused, not dropped)."""

from __future__ import annotations

from pathlib import Path

import pytest

import hylo.domains
from hylo.core.domain import Domain
from hylo.core.dsl import DSL, Invention
from hylo.core.grammar import Grammar
from hylo.core.infer import infer_type
from hylo.core.task import Example, Task
from hylo.library import open_store
from hylo.library.exchange import export_library, frontiers_key, import_library
from hylo.library.grammar_store import load_grammar, save_grammar, save_invention
from hylo.library.runs import record_result
from hylo.library.store import Store, StoreError
from hylo.search.base import SearchResult

LISTS = hylo.domains.get_domain("lists").dsl
TINY = DSL.from_table([
    ("inc", "int -> int", lambda x: x + 1),
    ("dbl", "int -> int", lambda x: 2 * x),
])


@pytest.fixture
def tiny_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    real = hylo.domains.get_domain

    def get_domain(name: str) -> Domain:
        return Domain(name="tiny", dsl=TINY) if name == "tiny" else real(name)

    monkeypatch.setattr(hylo.domains, "get_domain", get_domain)


def _learn_step(store: Store, domain: str, dsl: DSL, body: str, iteration: int) -> Grammar:
    """What one checkpoint of the learner writes for a domain: a run, an abstraction `fn_0`,
    the grammar, a solved task and the frontiers."""
    run = store.start_run("learn", {"domain": domain})
    program = dsl.parse(body)
    inv = Invention("fn_0", program, infer_type(program, dsl))
    save_invention(store, inv, iteration, domain, {"uses": 2})
    grammar = Grammar(dsl.with_inventions([inv]), {"fn_0": -0.5}, -1.0)
    save_grammar(store, grammar, iteration, domain)
    task = Task(f"{domain}-task", inv.type, (Example((1,), 2),))
    record_result(store, run, domain, task,
                  SearchResult(task.name, True, "(lam (fn_0 $0))", 3.0, 0.1, 5), iteration)
    store.set_meta(frontiers_key(domain), {"keep": 3, "entries": {task.name: [["fn_0", 1.0]]}})
    store.finish_iteration(run, iteration, {"solved": 1})
    return grammar


def test_two_domains_share_one_file(tmp_path: Path, tiny_registered: None) -> None:
    path = tmp_path / "hylo.db"
    with open_store(path) as store:
        _learn_step(store, "lists", LISTS, "(lam (map (lam (+ $0 1)) $0))", 0)
        _learn_step(store, "tiny", TINY, "(lam (inc (dbl $0)))", 0)
    with open_store(path) as store:
        lists = load_grammar(store, LISTS, "lists")
        tiny = load_grammar(store, TINY, "tiny")
        assert str(lists.dsl.inventions["fn_0"].body) == "(lam (map (lam (+ $0 1)) $0))"
        assert str(tiny.dsl.inventions["fn_0"].body) == "(lam (inc (dbl $0)))"
        assert lists.log_weights["fn_0"] == -0.5 == tiny.log_weights["fn_0"]
        assert lists.log_variable == -1.0 == tiny.log_variable
        assert set(tiny.dsl.names()) == {"inc", "dbl", "fn_0"}
        assert [a.domain for a in store.abstractions()] == ["lists", "tiny"]
        assert {t.domain for t in store.tasks()} == {"lists", "tiny"}
        assert store.get_meta(frontiers_key("lists")) != store.get_meta(frontiers_key("tiny"))
        # Each export carries its own domain only, and each imports into a fresh library.
        for domain, dsl in (("lists", LISTS), ("tiny", TINY)):
            doc = export_library(store, domain)
            assert [a["name"] for a in doc["abstractions"]] == ["fn_0"]
            assert set(doc["meta"]) == {frontiers_key(domain)}
            fresh = open_store(None)
            assert import_library(fresh, doc)["added"] == ["fn_0"]
            again = load_grammar(fresh, dsl, domain)
            assert str(again.dsl.inventions["fn_0"].body) == doc["abstractions"][0]["body"]
        # A domain whose library is empty loads the uniform grammar, not the other one's.
        assert load_grammar(store, TINY, "other").log_weights == Grammar.uniform(TINY).log_weights


def test_a_grammar_over_another_dsl_is_refused() -> None:
    store = open_store(None)
    store.set_grammar("tiny", 0, {"inc": -1.0, "map": -2.0})
    with pytest.raises(StoreError, match="'map'"):
        load_grammar(store, TINY, "tiny")


def test_an_abstraction_that_does_not_parse_is_refused() -> None:
    store = open_store(None)
    store.add_abstraction("tiny", "fn_0", "(lam (inc $0", "int -> int", 0, {})
    with pytest.raises(StoreError, match="fn_0"):
        load_grammar(store, TINY, "tiny")
    store = open_store(None)
    store.add_abstraction("tiny", "fn_0", "(lam (inc $0))", "int -> bool", 0, {})
    with pytest.raises(StoreError, match="type"):
        load_grammar(store, TINY, "tiny")


TOY_SITE = Path(__file__).parents[1] / "plugins" / "site"


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The test plug-in domain `toy` (tests/plugins), registered through an entry point."""
    import shutil
    import sys

    site = tmp_path / "site"
    shutil.copytree(TOY_SITE / "hylo_toy", site / "hylo_toy",
                    ignore=shutil.ignore_patterns("__pycache__"))
    info = site / "hylo_toy-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hylo_toy\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[hylo.domains]\ntoy = hylo_toy:load_domain\n")
    monkeypatch.syspath_prepend(str(site))
    hylo.domains.get_domain.cache_clear()
    yield
    sys.modules.pop("hylo_toy", None)
    hylo.domains.get_domain.cache_clear()


def test_two_domains_learn_into_one_file(tmp_path: Path, toy: None) -> None:
    from hylo.learn.loop import LearnConfig, learn

    db = tmp_path / "hylo.db"
    quick = dict(iterations=2, workers=0, keep=2, search_keep=2, train_timeouts=(1.0,),
                 resolve_timeout=0.3, test_timeout=0.3, test_limit=1)
    lists = LearnConfig(domain="lists", suite="lists", train_limit=6, **quick)  # type: ignore
    toy_config = LearnConfig(domain="toy", suite="toy-suite", **quick)  # type: ignore
    assert learn(db, lists)["finished"]
    assert learn(db, toy_config)["finished"]
    toy_dsl = hylo.domains.get_domain("toy").dsl
    with open_store(db) as store:
        runs = store.runs()
        assert [(r.config["domain"], r.status) for r in runs] == [
            ("lists", "finished"), ("toy", "finished")]
        # Each domain numbers its own iterations from 0 and has its own grammar per iteration.
        assert [it.iteration for it in store.iterations(runs[0].id)] == [0, 1]
        assert [it.iteration for it in store.iterations(runs[1].id)] == [0, 1]
        for domain, dsl in (("lists", LISTS), ("toy", toy_dsl)):
            for i in (0, 1):
                grammar = load_grammar(store, dsl, domain, i)  # never the other's names
                assert set(grammar.log_weights) <= set(grammar.dsl.names())
                assert set(grammar.dsl.primitives) == set(dsl.primitives)
            # Each domain's frontiers hold its own tasks only (lists may solve none in time on
            # a loaded machine; the toy tasks are two primitives deep).
            entries = store.get_meta(frontiers_key(domain))["entries"]
            assert set(entries) <= {t.name for t in store.tasks(domain)}
            assert entries or domain == "lists"
        assert {p.domain for p in store.primitives()} == {"lists", "toy"}
        assert {a.domain for a in store.abstractions()} <= {"lists", "toy"}
