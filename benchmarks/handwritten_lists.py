"""A DeepCoder-style list suite written for this project: a second opinion beside the synthetic
suite, with tasks a person would write (not random programs) and held-out examples.

    python benchmarks/handwritten_lists.py --out hw.json [--seed 0] [--examples 5] [--held-out 10]
    hylo bench hw.json --timeout 10 --workers 2 --json hw-results.json

Each task is a Python reference function and input kinds; inputs are drawn from a seeded
generator, outputs computed by the reference. A found program counts as solving a task only if
it is also right on the held-out examples (`hylo bench` checks them). The tasks cover the kinds
the search issue names: running accumulations, two-argument lambdas over two lists, integer
division, absolute value, negation, min/max of two integers, compositions four to six
primitives deep, and several inputs of different types. This suite was written by the same
people who build the search, so it is tuning data, not a held-out measure.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
from collections.abc import Callable
from typing import Any

LIST, INT, POS, SMALL = "list", "int", "pos", "small"  # input kinds
_TYPE = {LIST: "list-of-int", INT: "int", POS: "int", SMALL: "int"}


def _draw(kind: str, rng: random.Random) -> Any:
    if kind == LIST:
        return [rng.randint(-10, 10) for _ in range(rng.randint(0, 8))]
    if kind == INT:
        return rng.randint(-6, 6)
    if kind == POS:
        return rng.randint(1, 5)
    return rng.randint(0, 4)  # SMALL: a count or an index


def _scan(f: Callable[[int, int], int], xs: list[int]) -> list[int]:
    return list(itertools.accumulate(xs, f))


def _pairs(a: list[int], b: list[int]) -> Any:
    return zip(a, b, strict=False)  # up to the shorter list, as the DSL's zip-with


def _mean(xs: list[int]) -> int:
    return sum(xs) // len(xs)


# name -> (input kinds, reference); a reference may raise to reject an input
TASKS: dict[str, tuple[tuple[str, ...], Callable[..., Any]]] = {
    "prefix-sums": ((LIST,), lambda xs: _scan(lambda a, b: a + b, xs)),
    "running-max": ((LIST,), lambda xs: _scan(max, xs)),
    "running-min": ((LIST,), lambda xs: _scan(min, xs)),
    "sum-of-positives": ((LIST,), lambda xs: sum(x for x in xs if x > 0)),
    "count-evens": ((LIST,), lambda xs: sum(1 for x in xs if x % 2 == 0)),
    "count-greater-than-k": ((INT, LIST), lambda k, xs: sum(1 for x in xs if x > k)),
    "keep-greater-than-k-sorted": ((INT, LIST), lambda k, xs: sorted(x for x in xs if x > k)),
    "pairwise-max": ((LIST, LIST), lambda a, b: [max(x, y) for x, y in _pairs(a, b)]),
    "pairwise-difference": ((LIST, LIST), lambda a, b: [x - y for x, y in _pairs(a, b)]),
    "dot-product": ((LIST, LIST), lambda a, b: sum(x * y for x, y in _pairs(a, b))),
    "absolute-values": ((LIST,), lambda xs: [abs(x) for x in xs]),
    "negate-all": ((LIST,), lambda xs: [-x for x in xs]),
    "sort-descending": ((LIST,), lambda xs: sorted(xs, reverse=True)),
    "take-k-reversed": ((SMALL, LIST), lambda k, xs: list(reversed(xs[:k]))),
    "sum-after-dropping-k": ((SMALL, LIST), lambda k, xs: sum(xs[k:])),
    "range-of-values": ((LIST,), lambda xs: max(xs) - min(xs)),
    "halve-all": ((LIST,), lambda xs: [x // 2 for x in xs]),
    "all-mod-3": ((LIST,), lambda xs: [x % 3 for x in xs]),
    "keep-evens-and-double": ((LIST,), lambda xs: [2 * x for x in xs if x % 2 == 0]),
    "square-the-odds": ((LIST,), lambda xs: [x * x for x in xs if x % 2]),
    "count-negatives": ((LIST,), lambda xs: sum(1 for x in xs if x < 0)),
    "element-at-k": ((SMALL, LIST), lambda k, xs: xs[k]),
    "last-times-k": ((INT, LIST), lambda k, xs: xs[-1] * k),
    "scale-by-k": ((INT, LIST), lambda k, xs: [x * k for x in xs]),
    "shift-by-k": ((INT, LIST), lambda k, xs: [x + k for x in xs]),
    "prefix-sums-reversed": ((LIST,), lambda xs: list(reversed(_scan(lambda a, b: a + b, xs)))),
    "consecutive-differences": ((LIST,), lambda xs: [b - a for a, b in _pairs(xs, xs[1:])]),
    "sum-of-squares": ((LIST,), lambda xs: sum(x * x for x in xs)),
    "twice-the-minimum": ((LIST,), lambda xs: 2 * min(xs)),
    "triple-positives-sum": ((LIST,), lambda xs: sum(3 * x for x in xs if x > 0)),
    "running-max-first-k": ((SMALL, LIST), lambda k, xs: _scan(max, xs)[:k]),
    "clamp-above-k": ((INT, LIST), lambda k, xs: [min(x, k) for x in xs]),
    "even-pairwise-sums": ((LIST, LIST),
                           lambda a, b: [x + y for x, y in _pairs(a, b) if (x + y) % 2 == 0]),
    "sum-of-first-k": ((SMALL, LIST), lambda k, xs: sum(xs[:k])),
    "above-the-mean": ((LIST,), lambda xs: [x for x in xs if x > _mean(xs)]),
    "count-equal-to-k": ((INT, LIST), lambda k, xs: xs.count(k)),
    "negatives-to-zero": ((LIST,), lambda xs: [max(x, 0) for x in xs]),
    "k-smallest": ((SMALL, LIST), lambda k, xs: sorted(xs)[:k]),
    "drop-k-smallest": ((SMALL, LIST), lambda k, xs: sorted(xs)[k:]),
    "max-of-pairwise-min": ((LIST, LIST), lambda a, b: max(min(x, y) for x, y in _pairs(a, b))),
    "difference-of-sums": ((LIST, LIST), lambda a, b: sum(a) - sum(b)),
    "running-sum-of-squares": ((LIST,), lambda xs: _scan(lambda a, b: a + b, [x * x for x in xs])),
    "concatenate-and-sort": ((LIST, LIST), lambda a, b: sorted(a + b)),
    "multiples-of-k": ((POS, LIST), lambda k, xs: [x for x in xs if x % k == 0]),
    "divide-by-k": ((POS, LIST), lambda k, xs: [x // k for x in xs]),
    "positives-count-difference": ((LIST, LIST),
                                   lambda a, b: sum(x > 0 for x in a) - sum(x > 0 for x in b)),
    "absolute-pairwise-difference": ((LIST, LIST),
                                     lambda a, b: [abs(x - y) for x, y in _pairs(a, b)]),
    "maximum-absolute-value": ((LIST,), lambda xs: max(abs(x) for x in xs)),
    "sum-of-negated-sorted-first-k": ((SMALL, LIST), lambda k, xs: -sum(sorted(xs)[:k])),
    "running-max-of-absolutes": ((LIST,), lambda xs: _scan(max, [abs(x) for x in xs])),
    "pairwise-sum-then-prefix": ((LIST, LIST),
                                 lambda a, b: _scan(lambda s, t: s + t,
                                                    [x + y for x, y in _pairs(a, b)])),
    "count-in-range-k": ((POS, LIST), lambda k, xs: sum(1 for x in xs if -k <= x <= k)),
    "reverse-of-doubled": ((LIST,), lambda xs: [2 * x for x in reversed(xs)]),
    "max-minus-first": ((LIST,), lambda xs: max(xs) - xs[0]),
    "append-k-then-sort": ((INT, LIST), lambda k, xs: sorted([*xs, k])),
    "odd-positions-removed": ((LIST,), lambda xs: xs[::2]),
}


def _degenerate(outputs: list[Any]) -> bool:
    """All outputs equal, or every list output empty: the examples would not pin the task."""
    if all(o == outputs[0] for o in outputs):
        return True
    return all(isinstance(o, list) and not o for o in outputs)


def build(seed: int = 0, examples: int = 5, held_out: int = 10) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for name, (kinds, ref) in TASKS.items():
        pairs: list[tuple[Any, Any]] = []
        seen: set[str] = set()
        for _ in range(10_000):
            if len(pairs) == examples + held_out:
                break
            args = [_draw(k, rng) for k in kinds]
            key = json.dumps(args)
            if key in seen:
                continue
            try:
                value = ref(*args)
            except (ValueError, IndexError, ZeroDivisionError):
                continue  # an input the function is not defined on
            seen.add(key)
            pairs.append((args, value))
            if len(pairs) == examples and _degenerate([o for _, o in pairs]):
                pairs.pop()  # redraw the last visible example
        if len(pairs) < examples + held_out:
            raise SystemExit(f"{name}: could not draw enough inputs")
        output_type = "list-of-int" if isinstance(pairs[0][1], list) else "int"
        inputs = [_TYPE[k] for k in kinds]

        def example(args: list[Any], value: Any) -> dict[str, Any]:
            return {"i": args if len(args) > 1 else args[0], "o": value}

        out.append({
            "name": name,
            "type": {"input": inputs if len(inputs) > 1 else inputs[0], "output": output_type},
            "examples": [example(a, v) for a, v in pairs[:examples]],
            "held_out": [example(a, v) for a, v in pairs[examples:]],
        })
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--examples", type=int, default=5)
    ap.add_argument("--held-out", type=int, default=10)
    a = ap.parse_args()
    tasks = build(a.seed, a.examples, a.held_out)
    with open(a.out, "w") as f:
        json.dump(tasks, f, indent=1)
    print(f"wrote {len(tasks)} tasks to {a.out}")


if __name__ == "__main__":
    main()
