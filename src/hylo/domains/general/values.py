"""Equality, canonical keys and per-case errors of the general domain's values.

Floats. PSB1 counts a float output right when its error, rounded to 4 decimal places, is 0, and
publishes some expected floats already rounded (wallis-pi's to 5 places). A tolerance is not
transitive, so no hashable key could agree with it, and bottom-up search finds a fit by
comparing keys. So floats are equal when they round to the same multiple of `FLOAT_QUANTUM`
(1e-5): `value_key` is that multiple, and `equal(a, b)` holds exactly when the keys are equal.
Measured on wallis-pi's 215 cases, the true product and the published 5-place value share a
1e-5 key in all 215 (a 1e-4 key in 210, a 1e-3 key in 214): a coarser grid is not a looser
test, since values near a grid line fall on both sides. Float noise (1e-15) only matters for a
value within that distance of a grid line.

Per-case errors (`case_error`, which genetic programming selects on, lexicase):
- numbers: the absolute difference, capped at `ERROR_CAP`; floats that are not `equal` score at
  least `FLOAT_QUANTUM`, so 0.0 means exactly `equal`;
- strings: Levenshtein edit distance (`levenshtein`, bit-parallel), the common prefix and suffix
  stripped first and at most `EDIT_CHARS` characters compared exactly (beyond them, the longer
  remainder counts in full: an upper bound, 0 only for equal strings);
- booleans and characters: 0 or 1;
- lists: element-wise errors over the common length plus `LENGTH_PENALTY` per missing or extra
  element, capped;
- pairs (printed output and a returned value): the sum of the parts' errors;
- anything else (a failure, `None`, a value of the wrong type): `FAILURE_ERROR`, larger than
  any error a value of the right type gets.
`case_error(a, b) == case_error(b, a)` for two values of the same type.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

FLOAT_QUANTUM = 1e-5
_SCALE = 1.0 / FLOAT_QUANTUM
ERROR_CAP = 1e6
FAILURE_ERROR = 1e7
LENGTH_PENALTY = 1000.0
EDIT_CHARS = 5000


def float_key(x: float) -> Any:
    """The multiple of FLOAT_QUANTUM `x` rounds to (an int), or `x` itself when that is not
    finite (NaN keys as the string "nan", so that it equals itself)."""
    if x != x:
        return "nan"
    scaled = x * _SCALE
    if math.isinf(scaled):
        return x
    return round(scaled)


def equal(a: Any, b: Any) -> bool:
    """Same type (`True` is not `1`, `1` is not `1.0`), floats by `float_key`, lists and tuples
    element by element."""
    ta = type(a)
    if ta is not type(b):
        return False
    if ta is float:
        return bool(float_key(a) == float_key(b))
    if ta is list or ta is tuple:
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class _Close:
    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Close)

    def __hash__(self) -> int:
        return 1

    def __repr__(self) -> str:
        return ")"


_CLOSE = _Close()


def value_key(v: Any) -> Hashable:
    """A hashable key with `value_key(a) == value_key(b)` iff `equal(a, b)`. Iterative, so a
    deeply nested value cannot overflow the stack."""
    out: list[Any] = []
    stack: list[Any] = [v]
    while stack:
        x = stack.pop()
        if x is _CLOSE:
            out.append(x)
            continue
        t = type(x)
        if t is list or t is tuple:
            out.append((t.__name__, len(x)))
            stack.append(_CLOSE)
            stack.extend(reversed(x))
        elif t is float:
            out.append(("float", float_key(x)))
        elif t is dict:
            out.append(("dict", repr(sorted(x.items(), key=repr))))
        else:
            out.append((t.__name__, x))
    return tuple(out)


# ------------------------------------------------------------------ edit distance
def levenshtein(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute a character: 1 each), exactly.

    Myers' bit-vector algorithm as Hyyrö gives it for edit distance: one pass over the longer
    string with Python ints as bit vectors as long as the shorter, so O(len(a)) big-int
    operations instead of len(a) * len(b) steps.
    """
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    m = len(b)
    if m == 0:
        return len(a)
    peq: dict[str, int] = {}
    for i, c in enumerate(b):
        peq[c] = peq.get(c, 0) | (1 << i)
    full = (1 << m) - 1
    top = 1 << (m - 1)
    pv, mv, score = full, 0, m
    for c in a:
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & full)
        mh = pv & xh
        if ph & top:
            score += 1
        elif mh & top:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = mh | (~(xv | ph) & full)
        mv = ph & xv
    return score


def string_error(a: str, b: str) -> float:
    """The edit distance of `a` and `b`, exact for remainders (after the common prefix and
    suffix) up to EDIT_CHARS characters, else an upper bound; 0.0 only when a == b."""
    if a == b:
        return 0.0
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    j = 0
    while j < n - i and a[-1 - j] == b[-1 - j]:
        j += 1
    ra, rb = a[i:len(a) - j], b[i:len(b) - j]
    if len(ra) > EDIT_CHARS or len(rb) > EDIT_CHARS:
        rest = max(len(ra), len(rb)) - EDIT_CHARS
        return float(min(levenshtein(ra[:EDIT_CHARS], rb[:EDIT_CHARS]) + rest, ERROR_CAP))
    return float(min(levenshtein(ra, rb), ERROR_CAP))


# ------------------------------------------------------------------ per-case error
def case_error(output: Any, expected: Any) -> float:
    """How far `output` is from `expected`: >= 0, exactly 0.0 iff `equal(output, expected)`
    (see the module docstring)."""
    t = type(expected)
    if type(output) is not t:
        return FAILURE_ERROR
    if t is int:
        return float(min(abs(output - expected), ERROR_CAP))
    if t is float:
        if equal(output, expected):
            return 0.0
        d = abs(output - expected)
        if d != d:  # NaN
            return ERROR_CAP
        return min(max(d, FLOAT_QUANTUM), ERROR_CAP)
    if t is str:
        return string_error(output, expected)
    if t is bool:
        return 0.0 if output is expected else 1.0
    if t is list:
        total = LENGTH_PENALTY * abs(len(output) - len(expected))
        for x, y in zip(output, expected, strict=False):
            if total >= ERROR_CAP:
                break
            e = case_error(x, y)
            total += e if e < FAILURE_ERROR else LENGTH_PENALTY
        return min(total, ERROR_CAP)
    if t is tuple:
        if len(output) != len(expected):
            return FAILURE_ERROR
        parts = [case_error(x, y) for x, y in zip(output, expected, strict=True)]
        if any(p >= FAILURE_ERROR for p in parts):
            return FAILURE_ERROR
        return min(sum(parts), ERROR_CAP)
    return 0.0 if equal(output, expected) else 1.0
