"""Types: constructors with parameters, arrows, type variables, unification.

A type is either a `TCon` (a constructor applied to argument types: `int`, `list(int)`,
and the arrow `->` with two arguments) or a `TVar` (a numbered type variable).
Substitutions are plain dicts from variable number to type; `unify` never mutates its input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

ARROW = "->"


@dataclass(frozen=True, slots=True)
class TCon:
    name: str
    args: tuple[Type, ...] = ()

    def __str__(self) -> str:
        return show_type(self)


@dataclass(frozen=True, slots=True)
class TVar:
    index: int

    def __str__(self) -> str:
        return show_type(self)


Type = TCon | TVar
Subst = dict[int, Type]


class UnificationError(Exception):
    """Two types cannot be made equal."""


class TypeParseError(ValueError):
    """A type's text is malformed."""


INT = TCon("int")
BOOL = TCon("bool")


def tlist(t: Type) -> TCon:
    return TCon("list", (t,))


def arrow(*ts: Type) -> Type:
    """`arrow(a, b, c)` is `a -> (b -> c)`."""
    if not ts:
        raise ValueError("arrow needs at least one type")
    out = ts[-1]
    for t in reversed(ts[:-1]):
        out = TCon(ARROW, (t, out))
    return out


def is_arrow(t: Type) -> bool:
    return isinstance(t, TCon) and t.name == ARROW


def arguments(t: Type) -> list[Type]:
    """Argument types of a curried function type, outermost first."""
    out = []
    while isinstance(t, TCon) and t.name == ARROW:
        out.append(t.args[0])
        t = t.args[1]
    return out


def returns(t: Type) -> Type:
    while isinstance(t, TCon) and t.name == ARROW:
        t = t.args[1]
    return t


def free_vars(t: Type) -> set[int]:
    if isinstance(t, TVar):
        return {t.index}
    out: set[int] = set()
    for a in t.args:
        out |= free_vars(a)
    return out


def is_ground(t: Type) -> bool:
    if isinstance(t, TVar):
        return False
    return all(is_ground(a) for a in t.args)


def apply(t: Type, s: Mapping[int, Type]) -> Type:
    """Resolve every variable bound in `s`, transitively."""
    if isinstance(t, TVar):
        bound = s.get(t.index)
        return t if bound is None else apply(bound, s)
    if not t.args:
        return t
    return TCon(t.name, tuple(apply(a, s) for a in t.args))


def _occurs(v: int, t: Type, s: Mapping[int, Type]) -> bool:
    t = _walk(t, s)
    if isinstance(t, TVar):
        return t.index == v
    return any(_occurs(v, a, s) for a in t.args)


def _walk(t: Type, s: Mapping[int, Type]) -> Type:
    while isinstance(t, TVar) and t.index in s:
        t = s[t.index]
    return t


def unify(a: Type, b: Type, s: Mapping[int, Type] | None = None) -> Subst:
    """Most general unifier of `a` and `b` extending `s` (with occurs check)."""
    out: Subst = dict(s) if s else {}
    _unify_into(a, b, out)
    return out


def _unify_into(a: Type, b: Type, s: Subst) -> None:
    a, b = _walk(a, s), _walk(b, s)
    if isinstance(a, TVar):
        if isinstance(b, TVar) and b.index == a.index:
            return
        if _occurs(a.index, b, s):
            raise UnificationError(f"occurs check: t{a.index} in {show_type(apply(b, s))}")
        s[a.index] = b
        return
    if isinstance(b, TVar):
        _unify_into(b, a, s)
        return
    if a.name != b.name or len(a.args) != len(b.args):
        shown = f"{show_type(apply(a, s))} with {show_type(apply(b, s))}"
        raise UnificationError(f"cannot unify {shown}")
    for x, y in zip(a.args, b.args, strict=True):
        _unify_into(x, y, s)


def instantiate(t: Type, next_var: int) -> tuple[Type, int]:
    """Rename the variables of a polymorphic type to fresh ones numbered from `next_var`."""
    mapping: dict[int, TVar] = {}

    def go(u: Type) -> Type:
        nonlocal next_var
        if isinstance(u, TVar):
            if u.index not in mapping:
                mapping[u.index] = TVar(next_var)
                next_var += 1
            return mapping[u.index]
        if not u.args:
            return u
        return TCon(u.name, tuple(go(a) for a in u.args))

    return go(t), next_var


def canonical(t: Type) -> Type:
    """Rename variables to 0, 1, ... in order of first appearance."""
    mapping: dict[int, int] = {}
    for v in _vars_in_order(t):
        mapping.setdefault(v, len(mapping))
    return _rename(t, mapping)


def _rename(t: Type, mapping: Mapping[int, int]) -> Type:
    # A renaming, applied once: not `apply`, which would chase 1 -> 0 -> 1 ... through it.
    if isinstance(t, TVar):
        return TVar(mapping.get(t.index, t.index))
    if not t.args:
        return t
    return TCon(t.name, tuple(_rename(a, mapping) for a in t.args))


def _vars_in_order(t: Type) -> Iterator[int]:
    if isinstance(t, TVar):
        yield t.index
    else:
        for a in t.args:
            yield from _vars_in_order(a)


def type_size(t: Type) -> int:
    if isinstance(t, TVar):
        return 1
    return 1 + sum(type_size(a) for a in t.args)


# ---------------------------------------------------------------- text
_VAR_NAMES = "abcdefgh"


def show_type(t: Type) -> str:
    """`list(int) -> int`, `(a -> b) -> list(a) -> list(b)`; variables print as a..h, then tN."""
    if isinstance(t, TVar):
        return _VAR_NAMES[t.index] if t.index < len(_VAR_NAMES) else f"t{t.index}"
    if t.name == ARROW:
        left = show_type(t.args[0])
        if is_arrow(t.args[0]):
            left = f"({left})"
        return f"{left} -> {show_type(t.args[1])}"
    if not t.args:
        return t.name
    return f"{t.name}({', '.join(show_type(a) for a in t.args)})"


# A hyphen may join words of a name (`list-of-int`) but never ends one, so `int->int` reads as
# an arrow.
_TOKEN = re.compile(r"\s*(->|[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*|[(),])")


def parse_type(text: str) -> Type:
    """Inverse of `show_type`. Single letters a..h and tN are type variables."""
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise TypeParseError(f"bad character at {pos} in type {text!r}")
        tokens.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    i = 0

    def peek() -> str | None:
        return tokens[i] if i < len(tokens) else None

    def take(expected: str | None = None) -> str:
        nonlocal i
        if i >= len(tokens):
            raise TypeParseError(f"unexpected end of type {text!r}")
        tok = tokens[i]
        if expected is not None and tok != expected:
            raise TypeParseError(f"expected {expected!r}, got {tok!r} in type {text!r}")
        i += 1
        return tok

    def arrow_type() -> Type:
        left = atom()
        if peek() == ARROW:
            take()
            return TCon(ARROW, (left, arrow_type()))
        return left

    def atom() -> Type:
        tok = take()
        if tok == "(":
            inner = arrow_type()
            take(")")
            return inner
        if tok in (")", ",", ARROW):
            raise TypeParseError(f"unexpected {tok!r} in type {text!r}")
        if len(tok) == 1 and tok in _VAR_NAMES:
            return TVar(_VAR_NAMES.index(tok))
        if re.fullmatch(r"t\d+", tok):
            return TVar(int(tok[1:]))
        if peek() == "(":
            take()
            args = [arrow_type()]
            while peek() == ",":
                take()
                args.append(arrow_type())
            take(")")
            return TCon(tok, tuple(args))
        return TCon(tok)

    out = arrow_type()
    if i != len(tokens):
        raise TypeParseError(f"trailing text in type {text!r}")
    return out
