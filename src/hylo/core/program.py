"""Programs: a typed lambda calculus with de Bruijn indices, and its s-expression text.

Nodes are immutable, hashable and compared structurally. Application is curried (`App(f, x)`);
the text format flattens application spines, as Stitch does: `(lam (map (lam (+ $0 1)) $0))`.

- `Prim(name)`        a primitive of a domain (its type and meaning live in the `DSL`)
- `Invented(name, body)`  a named library abstraction; prints as its name
- `App(f, x)`, `Lam(body)`, `Var(index)` (`$0` is the innermost binder)
- `Hole(type)`        an unfilled position (`??`, or `(?? type)` when typed)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from hylo.core.types import Type, TypeParseError, parse_type, show_type


class Program:
    __slots__ = ()

    def __str__(self) -> str:
        return show(self)


@dataclass(frozen=True, slots=True, repr=False)
class Prim(Program):
    name: str

    def __repr__(self) -> str:
        return f"Prim({self.name!r})"


@dataclass(frozen=True, slots=True, repr=False)
class Invented(Program):
    name: str
    body: Program

    def __repr__(self) -> str:
        return f"Invented({self.name!r})"


@dataclass(frozen=True, slots=True, repr=False)
class App(Program):
    f: Program
    x: Program

    def __repr__(self) -> str:
        return f"App({show(self)})"


@dataclass(frozen=True, slots=True, repr=False)
class Lam(Program):
    body: Program

    def __repr__(self) -> str:
        return f"Lam({show(self.body)})"


@dataclass(frozen=True, slots=True, repr=False)
class Var(Program):
    index: int

    def __repr__(self) -> str:
        return f"Var({self.index})"


@dataclass(frozen=True, slots=True, repr=False)
class Hole(Program):
    type: Type | None = None

    def __repr__(self) -> str:
        return f"Hole({show_type(self.type) if self.type else ''})"


class ParseError(ValueError):
    """Program text is malformed."""


# ------------------------------------------------------------------ structure
def spine(p: Program) -> tuple[Program, list[Program]]:
    """`(f a b)` -> (f, [a, b])."""
    args: list[Program] = []
    while isinstance(p, App):
        args.append(p.x)
        p = p.f
    args.reverse()
    return p, args


def apply_args(f: Program, args: list[Program] | tuple[Program, ...]) -> Program:
    for a in args:
        f = App(f, a)
    return f


def walk(p: Program) -> Iterator[Program]:
    """Every node, pre-order (the body of an `Invented` is not entered)."""
    stack = [p]
    while stack:
        q = stack.pop()
        yield q
        if isinstance(q, App):
            stack.append(q.x)
            stack.append(q.f)
        elif isinstance(q, Lam):
            stack.append(q.body)


def size(p: Program) -> int:
    """Number of leaves and lambdas (applications are not counted)."""
    return sum(1 for q in walk(p) if not isinstance(q, App))


def depth(p: Program) -> int:
    if isinstance(p, App):
        f, args = spine(p)
        return 1 + max(depth(a) for a in args) if args else depth(f)
    if isinstance(p, Lam):
        return 1 + depth(p.body)
    return 1


def free_indices(p: Program, cutoff: int = 0) -> set[int]:
    """de Bruijn indices free in `p` (relative to the outside of `p`)."""
    if isinstance(p, Var):
        return {p.index - cutoff} if p.index >= cutoff else set()
    if isinstance(p, App):
        return free_indices(p.f, cutoff) | free_indices(p.x, cutoff)
    if isinstance(p, Lam):
        return free_indices(p.body, cutoff + 1)
    return set()


def shift(p: Program, d: int, cutoff: int = 0) -> Program:
    """Add `d` to every free index >= cutoff."""
    if isinstance(p, Var):
        if p.index >= cutoff:
            if p.index + d < 0:
                raise ValueError("shift would make an index negative")
            return Var(p.index + d)
        return p
    if isinstance(p, App):
        return App(shift(p.f, d, cutoff), shift(p.x, d, cutoff))
    if isinstance(p, Lam):
        return Lam(shift(p.body, d, cutoff + 1))
    return p


def substitute(body: Program, value: Program, index: int = 0) -> Program:
    """`body[index := value]`, removing binder `index` (beta reduction of `(lam body) value`)."""
    if isinstance(body, Var):
        if body.index == index:
            return shift(value, index)
        if body.index > index:
            return Var(body.index - 1)
        return body
    if isinstance(body, App):
        return App(substitute(body.f, value, index), substitute(body.x, value, index))
    if isinstance(body, Lam):
        return Lam(substitute(body.body, value, index + 1))
    return body


def beta_normal(p: Program, max_steps: int = 10_000, inline: bool = True) -> Program:
    """Beta-normal form; inventions are inlined unless `inline` is False.

    Bounded: raises ValueError past max_steps (a term need not have a normal form)."""
    steps = [0]

    def go(q: Program) -> Program:
        steps[0] += 1
        if steps[0] > max_steps:
            raise ValueError("beta normalisation exceeded its step limit")
        if isinstance(q, Invented) and inline:
            return go(q.body)
        if isinstance(q, Lam):
            return Lam(go(q.body))
        if isinstance(q, App):
            f = go(q.f)
            x = go(q.x)
            if isinstance(f, Lam):
                return go(substitute(f.body, x))
            return App(f, x)
        return q

    return go(p)


def inline_inventions(p: Program) -> Program:
    """Replace each invention by its body and beta-reduce: the program in base primitives."""
    if not any(isinstance(q, Invented) for q in walk(p)):
        return p
    return beta_normal(p)


def primitives_used(p: Program) -> list[str]:
    return [q.name for q in walk(p) if isinstance(q, (Prim, Invented))]


# ------------------------------------------------------------------ text
def show(p: Program) -> str:
    if isinstance(p, (Prim, Invented)):
        return p.name
    if isinstance(p, Var):
        return f"${p.index}"
    if isinstance(p, Lam):
        return f"(lam {show(p.body)})"
    if isinstance(p, Hole):
        return "??" if p.type is None else f"(?? {_type_sexp(p.type)})"
    f, args = spine(p)
    return "(" + " ".join(show(x) for x in [f, *args]) + ")"


def _type_sexp(t: Type) -> str:
    # Type text inside a program must not contain spaces or parentheses of its own.
    return '"' + show_type(t) + '"'


_TOKENS = re.compile(r'\s*(\(|\)|"[^"]*"|[^\s()"]+)')
_SYMBOL = re.compile(r"[^\s()\"$]\S*|\$\d+")


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return tokens
        m = _TOKENS.match(text, pos)
        if not m:
            raise ParseError(f"cannot read program text at position {pos}: {text[pos:pos + 20]!r}")
        tokens.append(m.group(1))
        pos = m.end()


def parse(text: str, inventions: Mapping[str, Program] | None = None) -> Program:
    """Read a program. Names found in `inventions` become `Invented` nodes, others `Prim`."""
    tokens = tokenize(text)
    if not tokens:
        raise ParseError("empty program text")
    inventions = inventions or {}
    pos = 0

    def expr() -> Program:
        nonlocal pos
        if pos >= len(tokens):
            raise ParseError(f"unexpected end of program text: {text!r}")
        tok = tokens[pos]
        pos += 1
        if tok == ")":
            raise ParseError(f"unexpected ')' in {text!r}")
        if tok == "(":
            if pos < len(tokens) and tokens[pos] in ("lam", "lambda"):
                pos += 1
                body = expr()
                close()
                return Lam(body)
            if pos < len(tokens) and tokens[pos] == "??":
                nxt = tokens[pos + 1] if pos + 1 < len(tokens) else ""
                if nxt.startswith('"'):
                    try:
                        t = parse_type(nxt[1:-1])
                    except TypeParseError as e:
                        raise ParseError(str(e)) from e
                    pos += 2
                    close()
                    return Hole(t)
                if nxt == ")":
                    pos += 2
                    return Hole()
                # Otherwise `(?? x ...)` applies an untyped hole: read on as an application.
            head = expr()
            args = []
            while pos < len(tokens) and tokens[pos] != ")":
                args.append(expr())
            close()
            if not args:
                raise ParseError(f"empty application '({show(head)})' in {text!r}")
            return apply_args(head, args)
        return atom(tok)

    def close() -> None:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos] != ")":
            raise ParseError(f"missing ')' in {text!r}")
        pos += 1

    def atom(tok: str) -> Program:
        if tok.startswith("$"):
            if not (tok[1:].isascii() and tok[1:].isdigit()):  # `$²` is a digit to isdigit()
                raise ParseError(f"bad variable {tok!r} in {text!r}")
            return Var(int(tok[1:]))
        if tok == "??":
            return Hole()
        if tok.startswith('"') or tok in ("lam", "lambda"):
            raise ParseError(f"unexpected {tok!r} in {text!r}")
        if tok in inventions:
            return Invented(tok, inventions[tok])
        return Prim(tok)

    out = expr()
    if pos != len(tokens):
        raise ParseError(f"trailing text after program in {text!r}")
    return out
