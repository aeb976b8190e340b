"""A DSL is data: a table of typed primitives with their Python meaning, plus inventions.

The engine never names a domain; a domain builds a `DSL` from its tables (see STYLE.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hylo.core.program import Invented, Program, parse
from hylo.core.types import Type, arguments, parse_type, show_type


@dataclass(frozen=True)
class Primitive:
    """A typed primitive. `impl` is uncurried: it takes `arity` positional arguments.

    A `lazy` primitive (such as `if`) receives each argument as a zero-argument thunk,
    so that the branch not taken is never evaluated.
    """

    name: str
    type: Type
    impl: Any
    lazy: bool = False
    doc: str = ""
    arity: int = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "arity", len(arguments(self.type)))


@dataclass(frozen=True)
class Invention:
    """A named library abstraction: a closed program with its (generalised) type."""

    name: str
    body: Program
    type: Type

    @property
    def arity(self) -> int:
        return len(arguments(self.type))


#: `literal(name)`: the primitive a literal name stands for (e.g. `"49"` for a list DSL's
#: integers), or None when `name` is no literal. Must refuse oversized names cheaply.
LiteralHook = Callable[[str], Primitive | None]


@dataclass
class DSL:
    """Primitives and inventions by name. `literal` (optional) resolves names that are in
    neither, such as a task's integer constants, so that a program using `49` parses,
    typechecks and runs under any DSL of its domain, whatever constants it was built with.
    Look names up with `primitive(name)`, which consults it."""

    primitives: dict[str, Primitive]
    inventions: dict[str, Invention] = field(default_factory=dict)
    literal: LiteralHook | None = None

    @classmethod
    def from_table(
        cls, table: Iterable[tuple[str, str, Callable[..., Any]] | Primitive]
    ) -> DSL:
        """Build from rows `(name, type text, impl)` or `Primitive`s."""
        prims: dict[str, Primitive] = {}
        for row in table:
            p = row if isinstance(row, Primitive) else Primitive(row[0], parse_type(row[1]), row[2])
            if p.name in prims:
                raise ValueError(f"primitive {p.name!r} defined twice")
            prims[p.name] = p
        return cls(prims)

    def primitive(self, name: str) -> Primitive:
        """The primitive `name`: one of the table's, else the literal hook's; KeyError if none."""
        p = self.primitives.get(name)
        if p is not None:
            return p
        if self.literal is not None and name not in self.inventions:
            p = self.literal(name)
            if p is not None:
                return p
        raise KeyError(f"unknown primitive {name!r}")

    def literals(self, names: Iterable[str]) -> list[Primitive]:
        """The literal-hook primitives among `names` that are not in the table (in order,
        once each): what a grammar must add to derive a program that uses them."""
        if self.literal is None:
            return []
        out: dict[str, Primitive] = {}
        for n in names:
            if n in self.primitives or n in self.inventions or n in out:
                continue
            p = self.literal(n)
            if p is not None:
                out[n] = p
        return list(out.values())

    def type_of(self, name: str) -> Type:
        if name in self.inventions:
            return self.inventions[name].type
        return self.primitive(name).type

    def names(self) -> list[str]:
        return [*self.primitives, *self.inventions]

    def invention_bodies(self) -> Mapping[str, Program]:
        return {n: inv.body for n, inv in self.inventions.items()}

    def parse(self, text: str) -> Program:
        return parse(text, self.invention_bodies())

    def with_inventions(self, inventions: Iterable[Invention]) -> DSL:
        out = dict(self.inventions)
        for inv in inventions:
            if inv.name in self.primitives or (self.literal and self.literal(inv.name)):
                raise ValueError(f"invention {inv.name!r} shadows a primitive")
            out[inv.name] = inv
        return DSL(dict(self.primitives), out, self.literal)

    def with_primitives(self, primitives: Iterable[Primitive]) -> DSL:
        """This DSL plus `primitives` (e.g. a task's constants); a name already here is kept."""
        prims = dict(self.primitives)
        for p in primitives:
            if p.name in self.inventions:
                raise ValueError(f"primitive {p.name!r} shadows an invention")
            prims.setdefault(p.name, p)
        return DSL(prims, dict(self.inventions), self.literal)

    def invented(self, name: str) -> Invented:
        return Invented(name, self.inventions[name].body)

    def describe(self) -> list[tuple[str, str]]:
        return [(n, show_type(self.type_of(n))) for n in self.names()]
