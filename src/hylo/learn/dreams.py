"""Dreams: programs sampled from the current library, run on sampled inputs.

A dream is a task whose examples a sampled program made: the recognition model learns from
them what the library's programs look like from the outside, beyond the few tasks solved so
far (DreamCoder's fantasies). `dream(grammar, domain, requests, count, rng)`:

1. draws a request from `requests` (the training tasks' types, so dreams look like them) and a
   program from `grammar` (`Grammar.sample`, bounded in size and depth);
2. runs it on `examples` inputs from `domain.sample_inputs`, each run under `limits`;
3. keeps it when every run succeeds and the outputs are not all equal (a constant program
   teaches nothing about the inputs), and when the program was not dreamt already.

Each dream keeps its program and its description length under `grammar`. The whole call stays
within `seconds`; what was kept by then is returned.
"""

from __future__ import annotations

import random
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from hylo.core.domain import Domain
from hylo.core.evaluate import run_program
from hylo.core.grammar import Grammar, NotDerivable
from hylo.core.limits import EvalFailure, Limits
from hylo.core.program import Program
from hylo.core.task import Example, Task
from hylo.core.types import Type

#: limits of one run of a dream program on one input: dreams are many and must be cheap
DREAM_LIMITS = Limits(max_steps=20_000, max_seconds=0.1)


@dataclass(frozen=True)
class Dream:
    task: Task
    program: Program
    description_length: float


def dream(grammar: Grammar, domain: Domain, requests: Sequence[Type], count: int,
          rng: random.Random, examples: int = 5, seconds: float = 30.0,
          max_size: int = 20, max_depth: int = 5, limits: Limits = DREAM_LIMITS,
          ) -> tuple[list[Dream], dict[str, int]]:
    """Up to `count` dreams and the draws per outcome (module docstring)."""
    if domain.sample_inputs is None:
        raise ValueError(f"domain {domain.name} cannot sample inputs, so it cannot dream")
    stats = {"drawn": 0, "no program": 0, "failed": 0, "constant": 0, "duplicate": 0,
             "no inputs": 0}
    out: list[Dream] = []
    seen: set[Hashable] = set()
    t0 = time.perf_counter()
    requests = list(dict.fromkeys(requests))
    while len(out) < count and time.perf_counter() - t0 < seconds and requests:
        stats["drawn"] += 1
        request = requests[rng.randrange(len(requests))]
        program = grammar.sample(request, rng, max_size=max_size, max_depth=max_depth, tries=20)
        if program is None:
            stats["no program"] += 1
            continue
        try:
            inputs = domain.sample_inputs(request, rng, examples)
        except ValueError:
            stats["no inputs"] += 1
            continue
        outputs = []
        for x in inputs:
            try:
                outputs.append(run_program(program, grammar.dsl, x, limits))
            except (EvalFailure, RecursionError):
                break
        if len(outputs) < len(inputs) or not inputs:
            stats["failed"] += 1
            continue
        keys = [domain.value_key(y) for y in outputs]
        if len(set(keys)) <= 1:
            stats["constant"] += 1
            continue
        if program in seen:
            stats["duplicate"] += 1
            continue
        seen.add(program)
        try:
            dl = grammar.description_length(program, request)
        except NotDerivable:  # drawn from this grammar: cannot happen, but never crash
            stats["no program"] += 1
            continue
        task = Task(f"dream-{len(out)}", request,
                    tuple(Example(x, y) for x, y in zip(inputs, outputs, strict=True)))
        out.append(Dream(task, program, dl))
    return out, stats
