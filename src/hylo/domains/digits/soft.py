"""The digits primitives' differentiable meaning (the domain's `soft_semantics`).

Imported only when a hybrid model is built (it imports torch through `hylo.neural`): the domain
object holds this table behind a lazy mapping, so the plug-in itself stays torch-free.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hylo.neural import dist
from hylo.neural.hybrid import (
    Bern,
    Cat,
    bool_constant,
    int_constant,
    list_probs,
    soft_count,
    soft_map,
)


def table() -> dict[str, tuple[int, Callable[..., Any]]]:
    out: dict[str, tuple[int, Callable[..., Any]]] = {
        "+": (2, lambda a, b: Cat(dist.add(a.p, b.p))),
        "eq": (2, lambda a, b: Bern(dist.eq(a.p, b.p))),
        "gt": (2, lambda a, b: Bern(dist.gt(a.p, b.p))),
        "map": (2, soft_map),
        "count": (2, soft_count),
        "sum": (1, lambda xs: Cat(dist.sum_list(list_probs(xs), xs.mask))),
        "maximum": (1, lambda xs: Cat(dist.maximum(list_probs(xs), xs.mask))),
        "minimum": (1, lambda xs: Cat(dist.minimum(list_probs(xs), xs.mask))),
        "sorted": (1, lambda xs: Bern(dist.sorted_prob(list_probs(xs), xs.mask))),
        "length": (1, lambda xs: Cat(dist.length(xs.mask))),
        "true": (0, lambda: bool_constant(True)),
        "false": (0, lambda: bool_constant(False)),
    }
    for k in range(10):
        out[str(k)] = (0, lambda k=k: int_constant(k))
    return out
