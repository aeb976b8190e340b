"""A domain's prior: the grammar search starts from without a library."""

from __future__ import annotations

from hylo.core.domain import Domain
from hylo.domains import get_domain
from hylo.library import open_store
from hylo.library.grammar_store import load_grammar, save_grammar


def test_prior_reads_search_defaults_and_defaults_to_uniform() -> None:
    dsl = get_domain("lists").dsl
    assert Domain("d", dsl).prior().log_variable == 0.0
    d = Domain("d", dsl, search_defaults={"prior": {"log_variable": 1.5,
                                                    "log_weights": {"map": 0.7}}})
    g = d.prior()
    assert g.log_variable == 1.5 and g.log_weights["map"] == 0.7 and g.log_weights["sum"] == 0.0


def test_an_empty_library_starts_from_the_prior_a_filled_one_keeps_its_grammar(tmp_path) -> None:
    lists = get_domain("lists")
    prior = lists.prior()
    with open_store(tmp_path / "lib.db") as store:
        assert load_grammar(store, lists.dsl, "lists", default=prior).log_variable == (
            prior.log_variable)
        g = prior.with_weights({"$variable": -1.0, "map": 2.0})
        save_grammar(store, g, 0, "lists")
        back = load_grammar(store, lists.dsl, "lists", default=prior)
        assert back.log_variable == -1.0 and back.log_weights["map"] == 2.0
