"""Value equality and canonical keys: the default semantics a domain's values have.

`strict_equal` is the one definition of "this output is the expected one" unless a domain
brings its own: equal values of equal types (`True` is not `1`), sequences element by element.
`canonical_key` maps a value to a hashable key with the same notion of identity, so that two
values are `strict_equal` exactly when their keys are equal (observational equivalence and the
grids domain's numpy arrays rely on it; a domain with other values supplies its own pair).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any


def strict_equal(a: Any, b: Any) -> bool:
    """Equal values of equal types (`True` is not `1`), lists and tuples element by element."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strict_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def canonical_key(v: Any) -> Hashable:
    """A hashable key of `v`: `canonical_key(a) == canonical_key(b)` iff `strict_equal(a, b)`.

    Iterative (no recursion), so a deeply nested value cannot overflow the stack.
    """
    out: list[Any] = []
    stack: list[Any] = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, _Close):
            out.append(x)
            continue
        t = type(x)
        if t is list or t is tuple:
            out.append((t.__name__, len(x)))
            stack.append(_CLOSE)
            stack.extend(reversed(x))
        elif t is dict:
            out.append(("dict", len(x)))
            stack.append(_CLOSE)
            for k in reversed(sorted(x, key=repr)):
                stack.append(x[k])
                stack.append(k)
        else:
            out.append((t.__name__, x))
    return tuple(out)


class _Close:
    __slots__ = ()

    def __repr__(self) -> str:
        return ")"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Close)

    def __hash__(self) -> int:
        return 0


_CLOSE = _Close()
