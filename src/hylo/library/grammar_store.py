"""The search grammar as the library holds it: abstractions (inventions) plus weights.

Abstractions are stored as text (name, body s-expression, type) with provenance, the grammar as a
dict of log-weights per name with the variable weight under `VARIABLE_KEY`. Loading rebuilds the
DSL with the inventions (in the order they were added, so later bodies may use earlier names)
and the grammar over it.
"""

from __future__ import annotations

from hylo.core.dsl import DSL, Invention
from hylo.core.grammar import Grammar
from hylo.core.program import parse
from hylo.core.types import parse_type, show_type
from hylo.library.store import Store

VARIABLE_KEY = "$variable"


def load_inventions(
    store: Store, domain: str, up_to_iteration: int | None = None
) -> list[Invention]:
    out: dict[str, Invention] = {}
    for rec in store.abstractions(up_to_iteration):
        if rec.provenance.get("domain", domain) != domain:
            continue
        body = parse(rec.body, {n: i.body for n, i in out.items()})
        out[rec.name] = Invention(rec.name, body, parse_type(rec.type))
    return list(out.values())


def load_grammar(
    store: Store, dsl: DSL, domain: str, iteration: int | None = None
) -> Grammar:
    """The library's grammar (latest iteration unless given); uniform if none was saved."""
    inventions = load_inventions(store, domain, iteration)
    if inventions:
        dsl = dsl.with_inventions(inventions)
    weights = store.grammar(iteration) or {}
    log_variable = float(weights.pop(VARIABLE_KEY, 0.0))
    known = {k: v for k, v in weights.items() if k in set(dsl.names())}
    return Grammar(dsl, known, log_variable)


def save_grammar(store: Store, grammar: Grammar, iteration: int) -> None:
    store.set_grammar(iteration, {**grammar.log_weights, VARIABLE_KEY: grammar.log_variable})


def save_invention(
    store: Store, inv: Invention, iteration: int, domain: str, provenance: dict | None = None
) -> None:
    prov = {"domain": domain, **(provenance or {})}
    store.add_abstraction(inv.name, str(inv.body), show_type(inv.type), iteration, prov)
