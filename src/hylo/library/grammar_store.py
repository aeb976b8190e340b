"""The search grammar as the library holds it: abstractions (inventions) plus weights, per domain.

Abstractions are stored as text (domain, name, body s-expression, type) with provenance, the
grammar as a dict of log-weights per name with the variable weight under `VARIABLE_KEY`, keyed
by (domain, iteration). Loading rebuilds the domain's DSL with its inventions (in the order they
were added, so later bodies may use earlier names) and the grammar over it. What does not fit
the DSL (a body that does not parse or type-check, a weight for a name the DSL lacks) is a
`StoreError` naming the row: a library is never read half.
"""

from __future__ import annotations

from hylo.core.dsl import DSL, Invention
from hylo.core.grammar import Grammar
from hylo.core.infer import ProgramTypeError, infer_type
from hylo.core.program import Program, depth, free_indices, parse
from hylo.core.types import Type, TypeParseError, canonical, parse_type, show_type
from hylo.library.store import Store, StoreError

VARIABLE_KEY = "$variable"
MAX_BODY_CHARS = 20_000  # the longest body stitch has given is ~1k characters
MAX_BODY_DEPTH = 200  # nesting of a body's AST: type inference recurses once per level


def check_program(dsl: DSL, text: str, where: str) -> tuple[Program, Type]:
    """The closed program `text` over `dsl` and its type, or `ValueError` (one line, starting
    with `where`): it must parse, be at most `MAX_BODY_CHARS` long, nest at most
    `MAX_BODY_DEPTH` deep, have no free variable and type-check."""
    if len(text) > MAX_BODY_CHARS:
        raise ValueError(f"{where}: program longer than {MAX_BODY_CHARS} characters")
    try:
        program = parse(text, dsl.invention_bodies())
    except RecursionError:
        raise ValueError(f"{where}: program nests too deeply to read") from None
    except ValueError as error:
        raise ValueError(f"{where}: {_line(error)}") from None
    if depth(program) > MAX_BODY_DEPTH:
        raise ValueError(f"{where}: program nests deeper than {MAX_BODY_DEPTH}")
    if free_indices(program):
        raise ValueError(f"{where}: program is not closed")
    try:
        return program, infer_type(program, dsl)
    except (ProgramTypeError, KeyError, RecursionError) as error:
        raise ValueError(f"{where}: ill-typed program: {_line(error)}") from None


def check_invention(
    dsl: DSL, name: str, body_text: str, type_text: str, where: str
) -> Invention:
    """The invention the row describes over `dsl` (earlier inventions included), or
    `ValueError` (one line, starting with `where`): a body `check_program` accepts, of the type
    the row claims."""
    try:
        claimed = parse_type(type_text)
    except (TypeParseError, RecursionError) as error:
        raise ValueError(f"{where}: {_line(error)}") from None
    body, inferred = check_program(dsl, body_text, where)
    if canonical(inferred) != canonical(claimed):
        raise ValueError(
            f"{where}: body has type {show_type(inferred)}, the row says {type_text}"
        )
    return Invention(name, body, claimed)


def load_inventions(
    store: Store, dsl: DSL, domain: str, up_to_iteration: int | None = None
) -> list[Invention]:
    """The domain's inventions, checked against `dsl`, in library order."""
    out: list[Invention] = []
    for rec in store.abstractions(up_to_iteration, domain=domain):
        where = f"abstraction {rec.name!r} of domain {domain!r} in the library"
        if rec.name in dsl.primitives or rec.name in dsl.inventions:
            raise StoreError(f"{where}: the name is already a primitive or an abstraction")
        try:
            inv = check_invention(dsl, rec.name, rec.body, rec.type, where)
        except ValueError as error:
            raise StoreError(str(error)) from None
        dsl = dsl.with_inventions([inv])
        out.append(inv)
    return out


def load_grammar(
    store: Store, dsl: DSL, domain: str, iteration: int | None = None,
    default: Grammar | None = None,
) -> Grammar:
    """The domain's grammar (its latest iteration unless given); `default` (the domain's prior,
    `Domain.prior()`), else uniform, if none was saved.
    A stored weight for a name the DSL (with the inventions) lacks is a `StoreError`: that
    grammar was written for another DSL, and dropping the name would search a different one."""
    inventions = load_inventions(store, dsl, domain, iteration)
    if inventions:
        dsl = dsl.with_inventions(inventions)
    weights = store.grammar(domain, iteration) or {}
    if not weights and default is not None:
        return default.with_dsl(dsl)  # the prior's weights over this DSL (names by name)
    log_variable = weights.pop(VARIABLE_KEY, 0.0)
    unknown = sorted(set(weights) - set(dsl.names()))
    if unknown:
        shown = ", ".join(repr(n) for n in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise StoreError(
            f"the library's grammar of domain {domain!r} weighs names its DSL lacks: {shown}"
        )
    return Grammar(dsl, weights, log_variable)


def save_grammar(store: Store, grammar: Grammar, iteration: int, domain: str) -> None:
    store.set_grammar(
        domain, iteration, {**grammar.log_weights, VARIABLE_KEY: grammar.log_variable}
    )


def save_invention(
    store: Store, inv: Invention, iteration: int, domain: str, provenance: dict | None = None
) -> None:
    store.add_abstraction(
        domain, inv.name, str(inv.body), show_type(inv.type), iteration, dict(provenance or {})
    )


def _line(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]
