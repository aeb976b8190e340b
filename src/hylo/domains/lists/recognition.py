"""The lists domain's task encoder for the recognition model: examples as token sequences.

One sequence per example: the inputs, separated, then an arrow, then the output. Integers in
`[LOW, HIGH]` are one token each; larger ones are "big" or "big negative"; booleans, list
brackets and anything else have their own token. Nested values are walked with an explicit
stack and cut at the sequence's length limit, so a hostile value cannot recurse or blow up.
Torch is imported only when the encoder is built.
"""

from __future__ import annotations

from typing import Any

from hylo.core.task import Task

PAD, EMPTY, OPEN, CLOSE, SEP, ARROW, TRUE, FALSE, BIG, BIG_NEG, OTHER = range(11)
LOW, HIGH = -16, 32
FIRST_INT = 11
VOCAB = FIRST_INT + HIGH - LOW + 1

DEFAULT_SPEC: dict[str, Any] = {"vocab": VOCAB, "embed": 32, "hidden": 64, "max_tokens": 48,
                                "max_examples": 10}


def value_tokens(v: Any, out: list[int], limit: int) -> None:
    """Append `v`'s tokens to `out`, stopping at `limit` tokens."""
    stack: list[Any] = [v]
    while stack and len(out) < limit:
        x = stack.pop()
        if x is CLOSE:
            out.append(CLOSE)
        elif isinstance(x, bool):
            out.append(TRUE if x else FALSE)
        elif isinstance(x, int):
            out.append(FIRST_INT + x - LOW if LOW <= x <= HIGH else (BIG if x > 0 else BIG_NEG))
        elif isinstance(x, list | tuple):
            out.append(OPEN)
            stack.append(CLOSE)
            stack.extend(reversed(x[:limit]))
        else:
            out.append(OTHER)


def tokenize(task: Task, limit: int) -> list[list[int]]:
    seqs = []
    for ex in task.examples:
        s: list[int] = []
        for k, x in enumerate(ex.inputs):
            if k:
                s.append(SEP)
            value_tokens(x, s, limit)
        s.append(ARROW)
        value_tokens(ex.output, s, limit)
        seqs.append(s[:limit] or [EMPTY])
    return seqs


def task_encoder(spec: dict[str, Any] | None = None) -> Any:
    from hylo.neural.encoders import SequenceEncoder

    return SequenceEncoder({**DEFAULT_SPEC, **(spec or {})}, tokenize)
