"""Searcher specs: names and JSON in, equal searchers out, clear errors otherwise."""

from __future__ import annotations

import json

import pytest

from hylo.core.grammar import Grammar
from hylo.domains import get_domain
from hylo.search.enumerative import EnumerativeSearcher
from hylo.search.registry import SpecError, available, build_searcher, parse_spec

DOMAIN = get_domain("lists")
GRAMMAR = Grammar.uniform(DOMAIN.dsl)


def test_a_name_and_its_json_build_the_same_searcher() -> None:
    a = build_searcher("enumerative", GRAMMAR, DOMAIN)
    assert isinstance(a, EnumerativeSearcher) and a.domain is DOMAIN
    spec = {"name": "enumerative",
            "params": {"max_lambda_depth": 3, "keep": 2, "all_inputs": True}}
    b = build_searcher(json.dumps(spec), GRAMMAR, DOMAIN)
    assert b.spec() == spec
    # A spec round-trips: what a worker receives rebuilds an equal searcher.
    assert build_searcher(b.spec(), GRAMMAR).spec() == spec
    assert a.spec() == {"name": "enumerative",
                        "params": {"max_lambda_depth": 2, "keep": 1, "all_inputs": False}}
    assert "enumerative" in available()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nosuch", "unknown searcher"),
        ("{not json", "not valid JSON"),
        ('{"params": {}}', "needs a 'name'"),
        ('{"name": "enumerative", "params": []}', "must be an object"),
        ('{"name": "enumerative", "extra": 1}', "unknown fields"),
        ('{"name": "enumerative", "params": {"depth": 1}}', "has no parameter depth"),
        ('{"name": "enumerative", "params": {"keep": 0}}', "keep must be"),
        ('{"name": "enumerative", "params": {"keep": "2"}}', "keep must be"),
        ('{"name": "enumerative", "params": {"max_lambda_depth": true}}', "max_lambda_depth"),
        ('{"name": "enumerative", "params": {"max_lambda_depth": 1000}}', "max_lambda_depth"),
    ],
)
def test_bad_specs_are_clear_errors(spec: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        build_searcher(spec, GRAMMAR, DOMAIN)


def test_parse_spec_normalises() -> None:
    assert parse_spec(" enumerative ") == {"name": "enumerative", "params": {}}
    assert parse_spec({"name": "x", "params": {"a": 1}}) == {"name": "x", "params": {"a": 1}}
    with pytest.raises(SpecError):
        parse_spec(42)  # type: ignore[arg-type]
