"""How neural modules are spelled in program text, and the types of the module kinds.

Pure Python (no torch), so search and the store can read these names without the extra.

- `nn:<name>@v<version>`   a trained module from the library, e.g. `(nn:classify@v1 $0)`.
- `nn:new:<kind>`          a fresh module of that kind that training fills, e.g.
                           `(nn:new:classify $0)`. Every occurrence of the same name in one
                           program is the same module (shared weights).
- `nn:new:<kind>#<tag>`    a second, distinct fresh module of the same kind (`#2`, `#b`, ...).

A kind's type decides where it may stand: `classify : image -> int` (a distribution over the
classes 0..n-1), `regress : image -> real`, `mlp : vec -> vec`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hylo.core.program import Invented, Prim, Program, walk
from hylo.core.types import INT, TCon, Type, arrow

IMAGE = TCon("image")
REAL = TCon("real")
VEC = TCon("vec")

#: kind name -> its type. A kind's builder lives in `hylo.neural.kinds`.
KIND_TYPES: dict[str, Type] = {
    "classify": arrow(IMAGE, INT),
    "regress": arrow(IMAGE, REAL),
    "mlp": arrow(VEC, VEC),
}

PREFIX = "nn:"
_LIBRARY = re.compile(r"nn:([A-Za-z_][A-Za-z0-9_\-]*)@v(\d+)\Z")
_FRESH = re.compile(r"nn:new:([A-Za-z_][A-Za-z0-9_\-]*)(?:#([A-Za-z0-9_\-]+))?\Z")


@dataclass(frozen=True)
class NeuralName:
    """A parsed neural primitive name: a library reference or a fresh hole."""

    text: str
    kind: str | None  # fresh holes: their kind; library references: known only from the store
    name: str | None  # library references: the module's name
    version: int | None
    tag: str | None = None

    @property
    def fresh(self) -> bool:
        return self.version is None


def is_neural(name: str) -> bool:
    return name.startswith(PREFIX)


def parse_name(text: str) -> NeuralName:
    m = _FRESH.match(text)
    if m:
        kind = m.group(1)
        if kind not in KIND_TYPES:
            raise ValueError(
                f"unknown module kind {kind!r} in {text!r}; kinds: {sorted(KIND_TYPES)}"
            )
        return NeuralName(text, kind, None, None, m.group(2))
    m = _LIBRARY.match(text)
    if m:
        return NeuralName(text, None, m.group(1), int(m.group(2)))
    raise ValueError(
        f"bad neural primitive {text!r}: expected nn:<name>@v<version> or nn:new:<kind>[#tag]"
    )


def library_name(name: str, version: int) -> str:
    return f"nn:{name}@v{version}"


def fresh_name(kind: str, tag: str | None = None) -> str:
    if kind not in KIND_TYPES:
        raise ValueError(f"unknown module kind {kind!r}")
    return f"nn:new:{kind}" + (f"#{tag}" if tag else "")


def neural_names(program: Program) -> list[str]:
    """The neural primitives of `program` (inside inventions too), first occurrence first."""
    seen: list[str] = []
    for q in walk(program):
        if isinstance(q, Prim) and is_neural(q.name) and q.name not in seen:
            seen.append(q.name)
        if isinstance(q, Invented):
            for name in neural_names(q.body):
                if name not in seen:
                    seen.append(name)
    return seen
