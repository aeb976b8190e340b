"""Literal names of the general DSL's constants, and its literal hook.

The DSL's literal hook (`literal(name)`, `DSL.literal`): a task's constants join its grammar as
primitives named by their literal text, which any general DSL reads back, so a program that uses
one parses, typechecks and runs whatever constants it was found with:

- `int`: canonical decimal (`7`, `-12`), within +/-2**62.
- `float`: Python's `repr` of a finite float, always with a `.` or an exponent (`2.0`, `0.5`,
  `1e-05`).
- `str`: single-quoted, `'Check\\ssum\\sis\\s'`; program text cannot hold spaces, parentheses or
  double quotes, so inside the quotes `\\s` is a space, `\\n`, `\\t`, `\\r` the usual controls,
  `\\\\` and `\\'` a backslash and a quote, `\\xHH`, `\\uHHHH`, `\\UHHHHHHHH` any other
  character that is not printable ASCII or is `"`, `(`, `)`; everything else stands for itself.
  `str_literal(s)` writes the one canonical name of `s`.
- `char`: `#` and a one-character string literal: `#'a'`, `#'\\s'`.
- `list(int)`: `[1,3,3,2]` (no spaces), such as PSB1's scrabble letter values.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from hylo.core.dsl import Primitive
from hylo.core.types import Type, parse_type

#: A literal integer's magnitude bound: the task files' bound on integers.
MAX_LITERAL_INT = 2**62
#: The longest literal name read (a longer one is refused before it is looked at).
MAX_LITERAL_CHARS = 20_000
#: The longest string constant (in characters) and int-list constant (in elements).
MAX_CONSTANT_LENGTH = 1000

INT = parse_type("int")
FLOAT = parse_type("float")
BOOL = parse_type("bool")
CHAR = parse_type("char")
STR = parse_type("str")
INT_LIST = parse_type("list(int)")

_INT_LITERAL = re.compile(r"0|-?[1-9][0-9]*", re.ASCII)
_FLOAT_LITERAL = re.compile(r"-?[0-9]+(\.[0-9]+)?(e[+-][0-9]+)?", re.ASCII)
_INT_LIST_LITERAL = re.compile(r"\[((0|-?[1-9][0-9]*)(,(0|-?[1-9][0-9]*))*)?\]", re.ASCII)
_PLAIN = frozenset(chr(c) for c in range(0x21, 0x7F)) - set("\\'\"()")
_NAMED_ESCAPES = {" ": "\\s", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\", "'": "\\'"}
_UNESCAPE = {v[1]: k for k, v in _NAMED_ESCAPES.items()}


def str_literal(s: str) -> str:
    """The canonical literal name of the string `s` (see the module docstring)."""
    out = ["'"]
    for c in s:
        if c in _PLAIN:
            out.append(c)
        elif c in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[c])
        elif ord(c) <= 0xFF:
            out.append(f"\\x{ord(c):02x}")
        elif ord(c) <= 0xFFFF:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(f"\\U{ord(c):08x}")
    out.append("'")
    return "".join(out)


def char_literal(c: str) -> str:
    if len(c) != 1:
        raise ValueError("a char literal is one character")
    return "#" + str_literal(c)


def _read_str_literal(name: str) -> str | None:
    """The string a `'...'` name stands for, None if it is not one (or not canonical)."""
    if len(name) < 2 or name[0] != "'" or name[-1] != "'":
        return None
    body = name[1:-1]
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        kind = body[i + 1] if i + 1 < len(body) else ""
        width = {"x": 2, "u": 4, "U": 8}.get(kind)
        if width is not None:
            digits = body[i + 2:i + 2 + width]
            if len(digits) != width or not all(d in "0123456789abcdef" for d in digits):
                return None
            code = int(digits, 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                return None
            out.append(chr(code))
            i += 2 + width
        elif kind in _UNESCAPE:
            out.append(_UNESCAPE[kind])
            i += 2
        else:
            return None
    s = "".join(out)
    return s if str_literal(s) == name else None


def literal_value(name: str) -> tuple[Type, Any] | None:
    """(type, value) of the literal `name`, None if `name` is no canonical literal."""
    if not 0 < len(name) <= MAX_LITERAL_CHARS:
        return None
    head = name[0]
    if head == "'":
        s = _read_str_literal(name)
        if s is None or len(s) > MAX_CONSTANT_LENGTH:
            return None
        return STR, s
    if head == "#":
        c = _read_str_literal(name[1:])
        return (CHAR, c) if c is not None and len(c) == 1 else None
    if head == "[":
        if not _INT_LIST_LITERAL.fullmatch(name):
            return None
        xs = [int(x) for x in name[1:-1].split(",")] if len(name) > 2 else []
        if len(xs) > MAX_CONSTANT_LENGTH or any(abs(x) > MAX_LITERAL_INT for x in xs):
            return None
        return INT_LIST, xs
    if len(name) > 40:
        return None
    if _INT_LITERAL.fullmatch(name):
        v = int(name)
        return (INT, v) if abs(v) <= MAX_LITERAL_INT else None
    if _FLOAT_LITERAL.fullmatch(name):
        x = float(name)
        if math.isfinite(x) and repr(x) == name:
            return FLOAT, x
    return None


def literal_name(t: Type, value: Any) -> str:
    """The canonical literal name of a constant `value` of type `t`; ValueError if the type
    has no literals or the value is out of their bounds."""
    if t == STR and type(value) is str:
        name = str_literal(value)
    elif t == CHAR and type(value) is str and len(value) == 1:
        name = char_literal(value)
    elif t == INT and type(value) is int:
        name = str(value)
    elif t == FLOAT and type(value) in (float, int):
        name = repr(float(value))
    elif t == INT_LIST and type(value) is list and all(type(x) is int for x in value):
        name = "[" + ",".join(map(str, value)) + "]"
    else:
        raise ValueError(f"no literal of type {t} for this value")
    if literal_value(name) is None:
        raise ValueError(f"constant out of bounds for a literal of type {t}")
    return name


@lru_cache(maxsize=4096)
def literal(name: str) -> Primitive | None:
    """The general DSL's literal hook (`DSL.literal`): the constant a literal name stands for."""
    found = literal_value(name)
    if found is None:
        return None
    t, value = found
    if isinstance(value, list):
        frozen = tuple(value)
        return Primitive(name, t, lambda: list(frozen), doc=f"the constant {name}")
    return Primitive(name, t, lambda: value, doc=f"the constant {name}")


