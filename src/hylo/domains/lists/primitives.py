"""The list DSL: DreamCoder's list primitives plus general-purpose list and integer operations.

The domain is data (see STYLE.md): `PRIMITIVES` is a table of typed primitives and their Python
meaning, and `LISTS_DSL` is built from it.

Conventions every implementation follows (the evaluator relies on them):

- `impl` is uncurried: it takes one positional argument per top-level arrow of its type, so a
  constant such as `0` or `empty` is a zero-argument function. Function-typed arguments arrive
  as one-argument Python callables, curried: an `a -> b -> c` argument is called `f(x)(y)`.
- `if` is lazy: it receives three zero-argument thunks and forces only the branch it takes.
- Values are `int`, `bool` and Python lists. No primitive mutates an input; lists returned are
  new (their elements may be shared, as values are never mutated).
- Failure is an ordinary exception: `IndexError` (`car`, `cdr`, `last`, `index` out of range),
  `ZeroDivisionError` (`mod` and `div` by 0), `ValueError` (limits below, negative counts,
  `max`/`min` of an empty list). A program that raises has no value on that input.
- Limits keep values small so that enumeration stays cheap: `*` and `product` raise if the
  result's magnitude exceeds `MAX_INT`; `range` and `repeat` raise if asked for more than
  `MAX_COUNT` elements; no primitive builds a list longer than `MAX_LIST`.
- `fold` follows DreamCoder's argument order and is a right fold:
  `fold : list(a) -> b -> (a -> b -> b) -> b`, `fold [x1 .. xn] z f = f x1 (f x2 (... (f xn z)))`.

Implementations are plain builtins and comprehensions: they run millions of times during search.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from functools import lru_cache
from math import isqrt
from typing import Any

from hylo.core.dsl import DSL, Primitive
from hylo.core.types import parse_type

MAX_INT = 10**9
MAX_LIST = 10_000
MAX_COUNT = 1000


# ------------------------------------------------------------------ integers
def _mul(a: int, b: int) -> int:
    r = a * b
    if r > MAX_INT or r < -MAX_INT:
        raise ValueError(f"* result exceeds {MAX_INT} in magnitude")
    return r


_SMALL = 1024
_SMALL_PRIMES = frozenset(
    n for n in range(2, _SMALL) if all(n % d for d in range(2, int(n**0.5) + 1))
)
_WITNESSES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)


def _is_prime(n: int) -> bool:
    if n < _SMALL:
        return n in _SMALL_PRIMES
    if n >= 2**64:
        raise ValueError("is-prime is defined below 2**64")
    for p in _WITNESSES:
        if n % p == 0:
            return False
    # Miller-Rabin with the first 12 primes as witnesses is exact below 3.3e24 > 2**64.
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in _WITNESSES:
        x = pow(a, d, n)
        if x == 1 or x == n - 1:
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _is_square(n: int) -> bool:
    if n < 0:
        return False
    r = isqrt(n)
    return r * r == n


def _div(a: int, b: int) -> int:
    return a // b  # floored, as Haskell's `div`; b = 0 raises ZeroDivisionError


def _min2(a: int, b: int) -> int:
    return a if a <= b else b


def _max2(a: int, b: int) -> int:
    return a if a >= b else b


# ------------------------------------------------------------------ booleans
def _if(cond: Callable[[], bool], then: Callable[[], Any], other: Callable[[], Any]) -> Any:
    return then() if cond() else other()


# ------------------------------------------------------------------ lists
def _cons(x: Any, xs: list[Any]) -> list[Any]:
    if len(xs) >= MAX_LIST:
        raise ValueError(f"list longer than {MAX_LIST}")
    return [x, *xs]


def _car(xs: list[Any]) -> Any:
    return xs[0]


def _cdr(xs: list[Any]) -> list[Any]:
    if not xs:
        raise IndexError("cdr of an empty list")
    return xs[1:]


def _index(i: int, xs: list[Any]) -> Any:
    if i < 0:
        raise IndexError("negative index")
    return xs[i]


def _range(n: int) -> list[int]:
    if n > MAX_COUNT:
        raise ValueError(f"range beyond {MAX_COUNT}")
    return list(range(n))


def _map(f: Callable[[Any], Any], xs: list[Any]) -> list[Any]:
    return list(map(f, xs))


def _mapi(f: Callable[[int], Callable[[Any], Any]], xs: list[Any]) -> list[Any]:
    return [f(i)(x) for i, x in enumerate(xs)]


def _filter(p: Callable[[Any], bool], xs: list[Any]) -> list[Any]:
    return [x for x in xs if p(x)]


def _fold(xs: list[Any], z: Any, f: Callable[[Any], Callable[[Any], Any]]) -> Any:
    for x in reversed(xs):
        z = f(x)(z)
    return z


def _append(xs: list[Any], ys: list[Any]) -> list[Any]:
    if len(xs) + len(ys) > MAX_LIST:
        raise ValueError(f"list longer than {MAX_LIST}")
    return xs + ys


def _singleton(x: Any) -> list[Any]:
    return [x]


def _reverse(xs: list[Any]) -> list[Any]:
    return xs[::-1]


def _product(xs: list[int]) -> int:
    if 0 in xs:
        return 0
    r = 1
    for x in xs:
        r *= x
        # Every factor is non-zero, so the magnitude never shrinks: stop as soon as it is too big.
        if r > MAX_INT or r < -MAX_INT:
            raise ValueError(f"product exceeds {MAX_INT} in magnitude")
    return r


def _max(xs: list[int]) -> int:
    return max(xs)


def _min(xs: list[int]) -> int:
    return min(xs)


def _take(n: int, xs: list[Any]) -> list[Any]:
    if n < 0:
        raise ValueError("take a negative count")
    return xs[:n]


def _drop(n: int, xs: list[Any]) -> list[Any]:
    if n < 0:
        raise ValueError("drop a negative count")
    return xs[n:]


def _last(xs: list[Any]) -> Any:
    return xs[-1]


def _count(p: Callable[[Any], bool], xs: list[Any]) -> int:
    return len([x for x in xs if p(x)])


def _unique(xs: list[int]) -> list[int]:
    return list(dict.fromkeys(xs))


def _zip_with(f: Callable[[Any], Callable[[Any], Any]], xs: list[Any], ys: list[Any]) -> list[Any]:
    return [f(x)(y) for x, y in zip(xs, ys, strict=False)]  # stops at the shorter


def _repeat(n: int, x: Any) -> list[Any]:
    if n > MAX_COUNT:
        raise ValueError(f"repeat beyond {MAX_COUNT}")
    return [x] * n


def _concat(xss: list[list[Any]]) -> list[Any]:
    if sum(map(len, xss)) > MAX_LIST:
        raise ValueError(f"list longer than {MAX_LIST}")
    return [x for xs in xss for x in xs]


def _scanl1(f: Callable[[Any], Callable[[Any], Any]], xs: list[Any]) -> list[Any]:
    if not xs:
        return []
    acc = xs[0]
    out = [acc]
    for x in xs[1:]:
        acc = f(acc)(x)
        out.append(acc)
    return out


def _scanl(f: Callable[[Any], Callable[[Any], Any]], z: Any, xs: list[Any]) -> list[Any]:
    if len(xs) >= MAX_LIST:
        raise ValueError(f"list longer than {MAX_LIST}")
    out = [z]
    for x in xs:
        z = f(z)(x)
        out.append(z)
    return out


# ------------------------------------------------------------------ the table
def _prim(name: str, type_text: str, impl: Any, doc: str, lazy: bool = False) -> Primitive:
    return Primitive(name, parse_type(type_text), impl, lazy=lazy, doc=doc)


PRIMITIVES: tuple[Primitive, ...] = (
    # constants
    _prim("0", "int", lambda: 0, "the integer 0"),
    _prim("1", "int", lambda: 1, "the integer 1"),
    _prim("2", "int", lambda: 2, "the integer 2"),
    _prim("3", "int", lambda: 3, "the integer 3"),
    _prim("4", "int", lambda: 4, "the integer 4"),
    _prim("5", "int", lambda: 5, "the integer 5"),
    # integers
    _prim("+", "int -> int -> int", operator.add, "a + b"),
    _prim("-", "int -> int -> int", operator.sub, "a - b"),
    _prim("*", "int -> int -> int", _mul, f"a * b; raises if |a * b| > {MAX_INT}"),
    _prim("mod", "int -> int -> int", operator.mod, "a mod b, floored like Python; b = 0 raises"),
    _prim("gt?", "int -> int -> bool", operator.gt, "a > b"),
    _prim("eq?", "int -> int -> bool", operator.eq, "a = b"),
    _prim("is-prime", "int -> bool", _is_prime, "n is a prime number (false below 2)"),
    _prim("is-square", "int -> bool", _is_square, "n is the square of an integer"),
    _prim("div", "int -> int -> int", _div, "a div b, floored like Haskell's div; b = 0 raises"),
    _prim("negate", "int -> int", operator.neg, "-n"),
    _prim("abs", "int -> int", abs, "|n|"),
    _prim("min2", "int -> int -> int", _min2, "the smaller of two integers (Haskell's min)"),
    _prim("max2", "int -> int -> int", _max2, "the larger of two integers (Haskell's max)"),
    _prim("even?", "int -> bool", lambda n: n % 2 == 0, "n is even"),
    _prim("odd?", "int -> bool", lambda n: n % 2 == 1, "n is odd"),
    # booleans
    _prim("and", "bool -> bool -> bool", lambda a, b: a and b, "logical and"),
    _prim("or", "bool -> bool -> bool", lambda a, b: a or b, "logical or"),
    _prim("not", "bool -> bool", operator.not_, "logical not"),
    _prim("if", "bool -> a -> a -> a", _if, "if c then x else y; only one branch runs", lazy=True),
    # lists
    _prim("empty", "list(a)", lambda: [], "the empty list"),
    _prim("empty?", "list(a) -> bool", operator.not_, "the list is empty"),
    _prim("cons", "a -> list(a) -> list(a)", _cons, "x in front of xs"),
    _prim("car", "list(a) -> a", _car, "first element; raises on an empty list"),
    _prim("cdr", "list(a) -> list(a)", _cdr, "all but the first element; raises on an empty list"),
    _prim("length", "list(a) -> int", len, "number of elements"),
    _prim("index", "int -> list(a) -> a", _index, "element i, counting from 0; raises outside"),
    _prim("range", "int -> list(int)", _range, f"[0 .. n-1], empty if n <= 0; n <= {MAX_COUNT}"),
    _prim("map", "(a -> b) -> list(a) -> list(b)", _map, "f applied to each element"),
    _prim(
        "mapi",
        "(int -> a -> b) -> list(a) -> list(b)",
        _mapi,
        "f applied to each element's index (from 0) and the element",
    ),
    _prim("filter", "(a -> bool) -> list(a) -> list(a)", _filter, "elements satisfying p"),
    _prim(
        "fold",
        "list(a) -> b -> (a -> b -> b) -> b",
        _fold,
        "right fold: fold [x1 .. xn] z f = f x1 (f x2 (... (f xn z)))",
    ),
    _prim("append", "list(a) -> list(a) -> list(a)", _append, "xs followed by ys"),
    _prim("singleton", "a -> list(a)", _singleton, "the one-element list [x]"),
    _prim("reverse", "list(a) -> list(a)", _reverse, "elements in reverse order"),
    _prim("sort", "list(int) -> list(int)", sorted, "elements in ascending order"),
    _prim("sum", "list(int) -> int", sum, "sum of the elements (0 if empty)"),
    _prim("product", "list(int) -> int", _product, f"product (1 if empty); raises past {MAX_INT}"),
    _prim("max", "list(int) -> int", _max, "largest element; raises on an empty list"),
    _prim("min", "list(int) -> int", _min, "smallest element; raises on an empty list"),
    _prim("take", "int -> list(a) -> list(a)", _take, "the first n elements; n < 0 raises"),
    _prim("drop", "int -> list(a) -> list(a)", _drop, "all but the first n elements; n < 0 raises"),
    _prim("last", "list(a) -> a", _last, "last element; raises on an empty list"),
    _prim("count", "(a -> bool) -> list(a) -> int", _count, "number of elements satisfying p"),
    _prim("unique", "list(int) -> list(int)", _unique, "each element once, at its first place"),
    _prim(
        "zip-with",
        "(a -> b -> c) -> list(a) -> list(b) -> list(c)",
        _zip_with,
        "f applied pairwise, up to the shorter list",
    ),
    _prim(
        "repeat", "int -> a -> list(a)", _repeat, f"n copies of x, none if n <= 0; n <= {MAX_COUNT}"
    ),
    _prim("concat", "list(list(a)) -> list(a)", _concat, "the lists joined in order"),
    _prim(
        "scanl1",
        "(a -> a -> a) -> list(a) -> list(a)",
        _scanl1,
        "running accumulation: [x1, f x1 x2, f (f x1 x2) x3, ..]; [] on []",
    ),
    _prim(
        "scanl",
        "(b -> a -> b) -> b -> list(a) -> list(b)",
        _scanl,
        "[z, f z x1, f (f z x1) x2, ..]: Haskell's scanl, one element longer than xs",
    ),
)

# ------------------------------------------------------------------ integer literals
#: A literal's magnitude bound: the task files' bound on integers (README), so that every
#: integer a task can show is a literal, and a hostile name is refused before `int()` reads it.
MAX_LITERAL = 2**62
_MAX_LITERAL_CHARS = len(str(-MAX_LITERAL))
_INT = parse_type("int")


@lru_cache(maxsize=4096)
def int_literal(name: str) -> Primitive | None:
    """The constant an integer literal `name` stands for (`"49"`, `"-1"`), None if `name` is
    no literal in canonical decimal form (no sign but `-`, no leading zero, not `-0`) or
    beyond +/-MAX_LITERAL. The list DSL's literal hook (`DSL.literal`): a program using a
    task's constant parses, typechecks and runs under any list DSL."""
    if not 0 < len(name) <= _MAX_LITERAL_CHARS or not _LITERAL.fullmatch(name):
        return None
    value = int(name)
    if abs(value) > MAX_LITERAL:
        return None
    return Primitive(name, _INT, lambda: value, doc=f"the integer {name}")


_LITERAL = re.compile(r"0|-?[1-9][0-9]*", re.ASCII)

LISTS_DSL: DSL = DSL(dict(DSL.from_table(PRIMITIVES).primitives), literal=int_literal)
