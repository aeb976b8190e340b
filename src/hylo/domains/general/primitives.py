"""The general DSL: integers, floats, booleans, characters, strings, lists, pairs, printing.

The domain is data (see STYLE.md): `PRIMITIVES` is a table of typed primitives and their Python
meaning, and `GENERAL_DSL` is built from it with a literal hook (`literal`) for the constants a
task brings.

Types and values:

- `int` (Python `int`, never `bool`), `float` (a finite Python `float`), `bool`, `char` (a
  Python `str` of length 1), `str`, `list(t)` (a Python list) and `pair(a, b)` (a Python tuple
  `(a, b)`). Characters are a type of their own, so `chars : str -> list(char)` and
  `implode : list(char) -> str` go between a string and the list of its characters.
- Printed output. A program's value *is* what it prints: a task whose output is printed text
  (PSB1's printing problems) has output type `str`, and the expected value is the whole printed
  text, lines joined by `"\\n"` with no newline after the last (as PSB1's data hold it).
  `lines : list(str) -> str` prints one line per string; `show-int` and `show-float` format
  numbers as PSB1's programs print them (`show-float`: rounded to 10 decimal places, trailing
  zeros dropped but one kept: `1.0`, `1.3333333333`).
- Printed output and a returned value at once (PSB1's replace-space-with-newline prints the
  text and returns a count): the output type is the product `pair(str, int)`, the value the
  tuple `(printed, returned)`, built by the primitive `pair`; the task loaders give outputs
  `output1 .. outputN` of a PSB1 problem the type `pair(t1, pair(t2, ...))` (nested to the
  right). Each part is compared and scored on its own (`hylo.domains.general.values`).

Conventions every implementation follows (the evaluator relies on them):

- `impl` is uncurried: one positional argument per top-level arrow of its type; constants are
  zero-argument functions. Function-typed arguments arrive as one-argument Python callables,
  curried: an `a -> b -> c` argument is called `f(x)(y)`.
- `if` is lazy: it receives three zero-argument thunks and forces only the branch it takes.
- No primitive mutates an input; lists and strings returned are new values.
- Failure is an ordinary exception: `IndexError` (an index outside a string or list, `head` of
  an empty list), `ZeroDivisionError` (`div`, `mod`, `/.` by zero), `ValueError` (the limits
  below, an empty separator or pattern, `read-int` of a string that is no integer, `sqrt` of a
  negative number). A program that raises has no value on that input.
- Limits keep values small, so that enumeration stays cheap and nothing a program builds can
  take the machine's memory: integer results beyond `MAX_INT` (2**53, where floats stop being
  exact) and float results beyond `MAX_FLOAT` in magnitude (or not finite) raise; strings longer
  than `MAX_STR` characters and lists longer than `MAX_LIST` elements are never built; `range`,
  `range-step` and `iterate` count at most `MAX_COUNT` steps.
- Argument order puts the value worked on last, as `map f xs` does: `(index-of needle s)`,
  `(replace old new s)`, `(split sep s)`, `(join sep xs)`, `(slice i j s)`, `(take n xs)`.
- `fold` is a left fold, a loop over a collection: `fold f z [x1 .. xn] = f (.. (f z x1) ..) xn`.
  Loops over ranges are `map`/`fold` over `range a b` (`[a, b)`) or `range-step a b s`.

Literals: a task's constants are primitives named by their literal text (`literals`).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from typing import Any

from hylo.core.dsl import DSL, Primitive
from hylo.core.types import parse_type
from hylo.domains.general.literals import literal

MAX_INT = 2**53
MAX_FLOAT = 1e15
MAX_STR = 10_000
MAX_LIST = 10_000
MAX_COUNT = 1000
#: show-float's precision: PSB1's word-stats prints averages rounded to 10 decimal places
FLOAT_DIGITS = 10


# ------------------------------------------------------------------ guards
def _i(r: int) -> int:
    if r > MAX_INT or r < -MAX_INT:
        raise ValueError(f"integer beyond {MAX_INT} in magnitude")
    return r


def _f(r: float) -> float:
    # `not (a <= r <= b)` is also true for NaN
    if not (-MAX_FLOAT <= r <= MAX_FLOAT):
        raise ValueError(f"float beyond {MAX_FLOAT:g} in magnitude or not finite")
    return r


def _s(r: str) -> str:
    if len(r) > MAX_STR:
        raise ValueError(f"string longer than {MAX_STR}")
    return r


def _l(r: list[Any]) -> list[Any]:
    if len(r) > MAX_LIST:
        raise ValueError(f"list longer than {MAX_LIST}")
    return r


# ------------------------------------------------------------------ integers
def _add(a: int, b: int) -> int:
    return _i(a + b)


def _sub(a: int, b: int) -> int:
    return _i(a - b)


def _mul(a: int, b: int) -> int:
    return _i(a * b)


def _div(a: int, b: int) -> int:
    return a // b  # floored; b = 0 raises ZeroDivisionError


def _mod(a: int, b: int) -> int:
    return a % b  # floored, the sign of b; b = 0 raises ZeroDivisionError


def _min2(a: Any, b: Any) -> Any:
    return a if a <= b else b


def _max2(a: Any, b: Any) -> Any:
    return a if a >= b else b


# ------------------------------------------------------------------ floats
def _fadd(a: float, b: float) -> float:
    return _f(a + b)


def _fsub(a: float, b: float) -> float:
    return _f(a - b)


def _fmul(a: float, b: float) -> float:
    return _f(a * b)


def _fdiv(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError("float division by zero")
    return _f(a / b)


def _to_int(x: float) -> int:
    if not -MAX_INT <= x <= MAX_INT:
        raise ValueError(f"float beyond {MAX_INT} cannot become an int")
    return int(x)


def _floor(x: float) -> int:
    return _to_int(math.floor(_f(x)))


def _ceil(x: float) -> int:
    return _to_int(math.ceil(_f(x)))


def _round(x: float) -> int:
    """Half away from zero (what people mean by rounding), not Python's half to even."""
    return _to_int(math.copysign(math.floor(abs(_f(x)) + 0.5), x))


def _truncate(x: float) -> int:
    return _to_int(math.trunc(_f(x)))


def _round_to(n: int, x: float) -> float:
    if not 0 <= n <= 15:
        raise ValueError("round-to takes 0 to 15 decimal places")
    return _f(round(x, n))


def _sqrt(x: float) -> float:
    return math.sqrt(x)  # negative raises ValueError


def _fsum(xs: list[float]) -> float:
    return _f(math.fsum(xs))


def _float(n: int) -> float:
    return _f(float(n))


def show_float(x: float) -> str:
    """`x` rounded to FLOAT_DIGITS decimal places, trailing zeros dropped but one kept."""
    text = f"{x:.{FLOAT_DIGITS}f}"
    if "." in text:
        text = text.rstrip("0")
        if text.endswith("."):
            text += "0"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]
    return text


# ------------------------------------------------------------------ booleans
def _if(cond: Callable[[], bool], then: Callable[[], Any], other: Callable[[], Any]) -> Any:
    return then() if cond() else other()


# ------------------------------------------------------------------ characters
def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


def _char_upper(c: str) -> str:
    u = c.upper()
    return u if len(u) == 1 else c  # 'ß'.upper() is 'SS': a character stays one


def _char_lower(c: str) -> str:
    u = c.lower()
    return u if len(u) == 1 else c


def _chr(n: int) -> str:
    if not 0 <= n <= 0x10FFFF or 0xD800 <= n <= 0xDFFF:
        raise ValueError("chr of a number that is no Unicode scalar value")
    return chr(n)


# ------------------------------------------------------------------ strings
def _concat(a: str, b: str) -> str:
    if len(a) + len(b) > MAX_STR:
        raise ValueError(f"string longer than {MAX_STR}")
    return a + b


def _slice(i: int, j: int, s: str) -> str:
    return s[i:j]  # Python's: negative counts from the end, out of range clamps


def _take(n: int, xs: Any) -> Any:
    if n < 0:
        raise ValueError("take a negative count")
    return xs[:n]


def _drop(n: int, xs: Any) -> Any:
    if n < 0:
        raise ValueError("drop a negative count")
    return xs[n:]


def _nonempty(pattern: str, what: str) -> str:
    if not pattern:
        raise ValueError(f"{what} an empty string")
    return pattern


def _index_of(needle: str, s: str) -> int:
    return s.find(needle)


def _contains(needle: str, s: str) -> bool:
    return needle in s


def _replace(old: str, new: str, s: str) -> str:
    _nonempty(old, "replace")
    n = s.count(old)
    if len(s) + n * (len(new) - len(old)) > MAX_STR:
        raise ValueError(f"string longer than {MAX_STR}")
    return s.replace(old, new)


def _split(sep: str, s: str) -> list[str]:
    return s.split(_nonempty(sep, "split on"))


def _join(sep: str, xs: list[str]) -> str:
    if sum(map(len, xs)) + len(sep) * max(len(xs) - 1, 0) > MAX_STR:
        raise ValueError(f"string longer than {MAX_STR}")
    return sep.join(xs)


def _lines(xs: list[str]) -> str:
    return _join("\n", xs)


def _upper(s: str) -> str:
    return _s(s.upper())


def _lower(s: str) -> str:
    return _s(s.lower())


def _implode(cs: list[str]) -> str:
    return "".join(cs)  # a list is at most MAX_LIST = MAX_STR characters


_INT_TEXT = re.compile(r"[+-]?[0-9]{1,17}", re.ASCII)


def _read_int(s: str) -> int:
    t = s.strip()
    if not _INT_TEXT.fullmatch(t):
        raise ValueError("read-int of a string that is no integer")
    return _i(int(t))


def _occurrences(needle: str, s: str) -> int:
    return s.count(_nonempty(needle, "count occurrences of"))


def _char_at(i: int, s: str) -> str:
    if i < 0:
        raise IndexError("negative index")
    return s[i]


def _first(xs: Any) -> Any:
    return xs[0]


def _last(xs: Any) -> Any:
    return xs[-1]


# ------------------------------------------------------------------ lists
def _cons(x: Any, xs: list[Any]) -> list[Any]:
    if len(xs) >= MAX_LIST:
        raise ValueError(f"list longer than {MAX_LIST}")
    return [x, *xs]


def _tail(xs: list[Any]) -> list[Any]:
    if not xs:
        raise IndexError("tail of an empty list")
    return xs[1:]


def _index(i: int, xs: list[Any]) -> Any:
    if i < 0:
        raise IndexError("negative index")
    return xs[i]


def _append(xs: list[Any], ys: list[Any]) -> list[Any]:
    if len(xs) + len(ys) > MAX_LIST:
        raise ValueError(f"list longer than {MAX_LIST}")
    return xs + ys


def _map(f: Callable[[Any], Any], xs: list[Any]) -> list[Any]:
    return list(map(f, xs))


def _mapi(f: Callable[[int], Callable[[Any], Any]], xs: list[Any]) -> list[Any]:
    return [f(i)(x) for i, x in enumerate(xs)]


def _filter(p: Callable[[Any], bool], xs: list[Any]) -> list[Any]:
    return [x for x in xs if p(x)]


def _fold(f: Callable[[Any], Callable[[Any], Any]], z: Any, xs: list[Any]) -> Any:
    for x in xs:
        z = f(z)(x)
    return z


def _count(p: Callable[[Any], bool], xs: list[Any]) -> int:
    return len([x for x in xs if p(x)])


def _zip_with(f: Callable[[Any], Callable[[Any], Any]], xs: list[Any], ys: list[Any]) -> list[Any]:
    return [f(x)(y) for x, y in zip(xs, ys, strict=False)]  # up to the shorter


def _sum(xs: list[int]) -> int:
    return _i(sum(xs))


def _range(a: int, b: int) -> list[int]:
    if b - a > MAX_COUNT:
        raise ValueError(f"range of more than {MAX_COUNT}")
    return list(range(a, b))


def _range_step(a: int, b: int, step: int) -> list[int]:
    if step == 0:
        raise ValueError("range-step with step 0")
    r = range(a, b, step)
    if len(r) > MAX_COUNT:
        raise ValueError(f"range of more than {MAX_COUNT}")
    return list(r)


def _iterate(n: int, f: Callable[[Any], Any], x: Any) -> Any:
    if n > MAX_COUNT:
        raise ValueError(f"iterate more than {MAX_COUNT} times")
    for _ in range(n):
        x = f(x)
    return x


def _pair(a: Any, b: Any) -> tuple[Any, Any]:
    return (a, b)


# ------------------------------------------------------------------ the table
def _prim(name: str, type_text: str, impl: Any, doc: str, lazy: bool = False) -> Primitive:
    return Primitive(name, parse_type(type_text), impl, lazy=lazy, doc=doc)


PRIMITIVES: tuple[Primitive, ...] = (
    # integers
    _prim("0", "int", lambda: 0, "the integer 0"),
    _prim("1", "int", lambda: 1, "the integer 1"),
    _prim("2", "int", lambda: 2, "the integer 2"),
    _prim("+", "int -> int -> int", _add, "a + b"),
    _prim("-", "int -> int -> int", _sub, "a - b"),
    _prim("*", "int -> int -> int", _mul, "a * b"),
    _prim("div", "int -> int -> int", _div, "a div b, floored; b = 0 raises"),
    _prim("mod", "int -> int -> int", _mod, "a mod b, floored (the sign of b); b = 0 raises"),
    _prim("abs", "int -> int", abs, "|n|"),
    _prim("min2", "int -> int -> int", _min2, "the smaller of two integers"),
    _prim("max2", "int -> int -> int", _max2, "the larger of two integers"),
    _prim("<", "int -> int -> bool", operator.lt, "a < b"),
    _prim("<=", "int -> int -> bool", operator.le, "a <= b"),
    _prim("=", "int -> int -> bool", operator.eq, "a = b"),
    _prim("even?", "int -> bool", lambda n: n % 2 == 0, "n is even"),
    _prim("odd?", "int -> bool", lambda n: n % 2 == 1, "n is odd"),
    # floats
    _prim("0.0", "float", lambda: 0.0, "the float 0.0"),
    _prim("1.0", "float", lambda: 1.0, "the float 1.0"),
    _prim("+.", "float -> float -> float", _fadd, "a + b"),
    _prim("-.", "float -> float -> float", _fsub, "a - b"),
    _prim("*.", "float -> float -> float", _fmul, "a * b"),
    _prim("/.", "float -> float -> float", _fdiv, "a / b; b = 0 raises"),
    _prim("float", "int -> float", _float, "n as a float"),
    _prim("floor", "float -> int", _floor, "the largest integer <= x"),
    _prim("ceil", "float -> int", _ceil, "the smallest integer >= x"),
    _prim("round", "float -> int", _round, "the nearest integer, halves away from zero"),
    _prim("truncate", "float -> int", _truncate, "x without its fraction (toward zero)"),
    _prim("round-to", "int -> float -> float", _round_to, "x rounded to n decimal places"),
    _prim("abs.", "float -> float", abs, "|x|"),
    _prim("min.", "float -> float -> float", _min2, "the smaller of two floats"),
    _prim("max.", "float -> float -> float", _max2, "the larger of two floats"),
    _prim("<.", "float -> float -> bool", operator.lt, "a < b"),
    _prim("sqrt", "float -> float", _sqrt, "the square root; x < 0 raises"),
    _prim("sum.", "list(float) -> float", _fsum, "the sum of the floats (0.0 if empty)"),
    # booleans
    _prim("true", "bool", lambda: True, "true"),
    _prim("false", "bool", lambda: False, "false"),
    _prim("and", "bool -> bool -> bool", lambda a, b: a and b, "logical and"),
    _prim("or", "bool -> bool -> bool", lambda a, b: a or b, "logical or"),
    _prim("not", "bool -> bool", operator.not_, "logical not"),
    _prim("if", "bool -> a -> a -> a", _if, "if c then x else y; only one branch runs", lazy=True),
    # characters
    _prim("char=", "char -> char -> bool", operator.eq, "the same character"),
    _prim("letter?", "char -> bool", str.isalpha, "c is a letter (Unicode)"),
    _prim("digit?", "char -> bool", _is_digit, "c is one of 0-9"),
    _prim("space?", "char -> bool", str.isspace, "c is whitespace"),
    _prim("upper?", "char -> bool", str.isupper, "c is an upper-case letter"),
    _prim("lower?", "char -> bool", str.islower, "c is a lower-case letter"),
    _prim("char-upper", "char -> char", _char_upper, "c in upper case"),
    _prim("char-lower", "char -> char", _char_lower, "c in lower case"),
    _prim("ord", "char -> int", ord, "the code point of c"),
    _prim("chr", "int -> char", _chr, "the character of code point n; raises outside Unicode"),
    _prim("char->str", "char -> str", str, "the one-character string of c"),
    # strings
    _prim("''", "str", lambda: "", "the empty string"),
    _prim("'\\s'", "str", lambda: " ", "the string of one space"),
    _prim("++", "str -> str -> str", _concat, "a followed by b"),
    _prim("str-length", "str -> int", len, "number of characters"),
    _prim("slice", "int -> int -> str -> str", _slice,
          "s[i:j] as Python slices: negative counts from the end, out of range clamps"),
    _prim("str-take", "int -> str -> str", _take, "the first n characters; n < 0 raises"),
    _prim("str-drop", "int -> str -> str", _drop, "all but the first n characters; n < 0 raises"),
    _prim("char-at", "int -> str -> char", _char_at, "character i from 0; raises outside"),
    _prim("first-char", "str -> char", _first, "the first character; raises on ''"),
    _prim("last-char", "str -> char", _last, "the last character; raises on ''"),
    _prim("index-of", "str -> str -> int", _index_of, "where needle first occurs in s, else -1"),
    _prim("contains?", "str -> str -> bool", _contains, "needle occurs in s"),
    _prim("starts-with?", "str -> str -> bool", lambda p, s: s.startswith(p), "s starts with p"),
    _prim("ends-with?", "str -> str -> bool", lambda p, s: s.endswith(p), "s ends with p"),
    _prim("occurrences", "str -> str -> int", _occurrences,
          "non-overlapping occurrences of needle in s; an empty needle raises"),
    _prim("replace", "str -> str -> str -> str", _replace,
          "every occurrence of old in s replaced by new; an empty old raises"),
    _prim("words", "str -> list(str)", str.split, "s split on runs of whitespace, no empty words"),
    _prim("split", "str -> str -> list(str)", _split, "s split on sep (empty parts kept)"),
    _prim("join", "str -> list(str) -> str", _join, "the strings with sep between them"),
    _prim("upper", "str -> str", _upper, "s in upper case"),
    _prim("lower", "str -> str", _lower, "s in lower case"),
    _prim("strip", "str -> str", str.strip, "s without leading and trailing whitespace"),
    _prim("str-reverse", "str -> str", lambda s: s[::-1], "the characters in reverse order"),
    _prim("str=", "str -> str -> bool", operator.eq, "the same string"),
    _prim("chars", "str -> list(char)", list, "the characters of s"),
    _prim("implode", "list(char) -> str", _implode, "the characters as one string"),
    _prim("show-int", "int -> str", str, "n printed in decimal"),
    _prim("show-float", "float -> str", show_float,
          f"x printed rounded to {FLOAT_DIGITS} places, trailing zeros dropped (1.0, 2.5)"),
    _prim("read-int", "str -> int", _read_int, "the integer s shows (spaces around allowed)"),
    _prim("lines", "list(str) -> str", _lines, "printed output: one line per string"),
    # lists
    _prim("empty", "list(a)", lambda: [], "the empty list"),
    _prim("empty?", "list(a) -> bool", operator.not_, "the list is empty"),
    _prim("cons", "a -> list(a) -> list(a)", _cons, "x in front of xs"),
    _prim("head", "list(a) -> a", _first, "the first element; raises on an empty list"),
    _prim("tail", "list(a) -> list(a)", _tail, "all but the first; raises on an empty list"),
    _prim("last", "list(a) -> a", _last, "the last element; raises on an empty list"),
    _prim("length", "list(a) -> int", len, "number of elements"),
    _prim("index", "int -> list(a) -> a", _index, "element i from 0; raises outside"),
    _prim("append", "list(a) -> list(a) -> list(a)", _append, "xs followed by ys"),
    _prim("take", "int -> list(a) -> list(a)", _take, "the first n elements; n < 0 raises"),
    _prim("drop", "int -> list(a) -> list(a)", _drop, "all but the first n; n < 0 raises"),
    _prim("reverse", "list(a) -> list(a)", lambda xs: xs[::-1], "elements in reverse order"),
    _prim("map", "(a -> b) -> list(a) -> list(b)", _map, "f applied to each element"),
    _prim("mapi", "(int -> a -> b) -> list(a) -> list(b)", _mapi,
          "f applied to each element's index (from 0) and the element"),
    _prim("filter", "(a -> bool) -> list(a) -> list(a)", _filter, "the elements p keeps"),
    _prim("count", "(a -> bool) -> list(a) -> int", _count, "number of elements p keeps"),
    _prim("fold", "(b -> a -> b) -> b -> list(a) -> b", _fold,
          "left fold, a loop: fold f z [x1 .. xn] = f (.. (f z x1) ..) xn"),
    _prim("zip-with", "(a -> a -> b) -> list(a) -> list(a) -> list(b)", _zip_with,
          "f applied pairwise, up to the shorter list"),
    _prim("sum", "list(int) -> int", _sum, "the sum (0 if empty)"),
    _prim("maximum", "list(int) -> int", max, "the largest element; raises on an empty list"),
    _prim("minimum", "list(int) -> int", min, "the smallest element; raises on an empty list"),
    _prim("sort", "list(int) -> list(int)", sorted, "elements in ascending order"),
    _prim("list=", "list(int) -> list(int) -> bool", operator.eq, "the same integers in order"),
    _prim("range", "int -> int -> list(int)", _range,
          f"[a, a+1 .. b-1], empty if b <= a; at most {MAX_COUNT} elements"),
    _prim("range-step", "int -> int -> int -> list(int)", _range_step,
          f"a, a+s, .. up to b (excluded), as Python's range; s = 0 raises; <= {MAX_COUNT}"),
    _prim("iterate", "int -> (a -> a) -> a -> a", _iterate,
          f"f applied n times to x (a loop); n <= {MAX_COUNT}"),
    # products: printed output and a returned value together
    _prim("pair", "a -> b -> pair(a, b)", _pair, "the pair (a, b)"),
)


GENERAL_DSL: DSL = DSL(dict(DSL.from_table(PRIMITIVES).primitives), literal=literal)
