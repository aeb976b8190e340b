"""Synthetic tasks: random well-typed programs of a domain's DSL, run on sampled inputs, with
held-out examples that tell a program that generalizes from one that only fits.

`synthetic_tasks(domain, count=200, depths=(4, 6), seed=0)` draws programs from a grammar (by
default the domain's DSL with every primitive weighted alike and variables `SYNTH_LOG_VARIABLE`
higher, so draws use their inputs: the suite then does not depend on a library) with
`hylo.core.sampling`, for requests drawn uniformly from the domain's list
`search_defaults["synthetic"]["requests"]` (type texts), and keeps a program only when

1. its `application_depth` (nesting of primitive applications, lambdas transparent) is within
   `depths`, its size at most `max_size`;
2. it uses every input; no closed subexpression of it (one that mentions no variable) has
   application depth above 1 (`(+ 1 (* 2 3))`) or the value of a nullary primitive
   (`(length empty)`); every function argument uses its own variables (not `(lam 3)`);
3. on every input drawn for it (the examples and the held-out ones, distinct inputs) it runs
   without failure under `limits`;
4. on its visible examples its outputs are not all equal, not all empty, and not equal to the
   same input on every example (else a constant or the identity would fit);
5. no application outside a function argument gives, on all its inputs, the value of one of its
   own arguments (`(last (singleton x))`, `(sort (sort x))`: reducible to a shallower program);
6. its function is new: its outputs on a fixed probe set of inputs per request (drawn once from
   the seed) differ from every kept task's (tasks are deduplicated by outputs, so two programs
   that compute one function give one task).

The number of examples per task is drawn from `examples` (inclusive range); `held_out` more go
to `Task.held_out`. Everything is drawn from one `random.Random(seed)`: a seed gives the same
suite every time. Task names are `synth-<seed>-<index>` (never the program); the program, its
depth and its request are kept beside the task (`SyntheticTask`) for reports.
"""

from __future__ import annotations

import random
import time
from collections.abc import Hashable, Sized
from dataclasses import dataclass, field
from typing import Any

from hylo.core.domain import Domain
from hylo.core.evaluate import run_program
from hylo.core.grammar import Grammar
from hylo.core.limits import EvalFailure, Limits
from hylo.core.program import App, Lam, Prim, Program, free_indices, spine
from hylo.core.sampling import application_depth
from hylo.core.task import Example, Task
from hylo.core.types import Type, arguments, parse_type

#: log-weight of variables in the default sampling grammar (primitives weigh 0): with the
#: uniform grammar most draws ignore their inputs or grow past the bounds
SYNTH_LOG_VARIABLE = 2.0
#: evaluation limits of a candidate on one input: synthetic programs are small and cheap
SYNTH_LIMITS = Limits(max_steps=20_000, max_seconds=0.2)
PROBES = 8  # inputs per request on which two programs must differ to be two tasks
_FAILED = ("<failed>",)  # a probe's key when the program fails on it


@dataclass(frozen=True)
class SyntheticTask:
    """A generated task with the program that generated it (never shown to a search)."""

    task: Task
    program: str
    depth: int


@dataclass
class SyntheticSuite:
    """The kept tasks and how many draws it took (`stats["rejected"]`: draws per reason)."""

    tasks: list[SyntheticTask]
    config: dict[str, Any]
    stats: dict[str, Any] = field(default_factory=dict)


def domain_requests(domain: Domain) -> list[Type]:
    """The request types the domain proposes for synthetic tasks; ValueError if none."""
    texts = domain.search_defaults.get("synthetic", {}).get("requests")
    if not texts:
        raise ValueError(f"domain {domain.name} lists no synthetic requests "
                         "(search_defaults['synthetic']['requests'])")
    return [parse_type(t) for t in texts]


def _reducible(p: Program, leaves: dict[Hashable, None], gen: _Generator) -> str | None:
    """Why `p` visibly reduces to a shallower program, None if it does not: a closed
    application (no variable in it) of depth > 1, or one whose value a nullary primitive has
    (`(length empty)`); a function argument that ignores its own variables (`(lam 3)`)."""
    if isinstance(p, Lam):
        body: Program = p
        n = 0
        while isinstance(body, Lam):
            body, n = body.body, n + 1
        if not free_indices(body) & set(range(n)):
            return "constant function"
        return _reducible(body, leaves, gen)
    if isinstance(p, App):
        if not free_indices(p):
            if application_depth(p) > 1:
                return "constant subexpression"
            value = gen.run(p, [()])
            if value is not None and gen.domain.value_key(value[0]) in leaves:
                return "constant subexpression"
        _, args = spine(p)
        for a in args:
            why = _reducible(a, leaves, gen)
            if why:
                return why
    return None


def _empty(v: Any) -> bool:
    return isinstance(v, Sized) and not isinstance(v, str | bytes) and len(v) == 0


class _Generator:
    def __init__(self, domain: Domain, grammar: Grammar, limits: Limits) -> None:
        if domain.sample_inputs is None:
            raise ValueError(f"domain {domain.name} cannot sample inputs")
        self.domain = domain
        self.sample_inputs = domain.sample_inputs
        self.grammar = grammar
        self.limits = limits

    def run(self, p: Program, inputs: list[tuple[Any, ...]]) -> list[Any] | None:
        out = []
        for x in inputs:
            try:
                out.append(run_program(p, self.grammar.dsl, x, self.limits))
            except EvalFailure:
                return None
        return out

    def distinct_inputs(self, request: Type, rng: random.Random, n: int) -> list[tuple]:
        """`n` inputs with distinct values where the type has that many (a few rounds)."""
        seen: dict[Hashable, tuple] = {}
        for _ in range(4):
            for x in self.sample_inputs(request, rng, n - len(seen)):
                seen.setdefault(self.domain.value_key(x), x)
            if len(seen) >= n:
                break
        return list(seen.values())

    def leaf_values(self) -> list[Hashable]:
        """Keys of the values of the DSL's nullary primitives (its constants)."""
        out = []
        for prim in self.grammar.dsl.primitives.values():
            value = self.run(Prim(prim.name), [()]) if prim.arity == 0 else None
            if value is not None:
                out.append(self.domain.value_key(value[0]))
        return out

    def probe_key(self, p: Program, probes: list[tuple]) -> Hashable:
        keys: list[Hashable] = []
        for x in probes:
            try:
                keys.append(self.domain.value_key(run_program(p, self.grammar.dsl, x,
                                                              self.limits)))
            except EvalFailure:
                keys.append(_FAILED)
        return tuple(keys)


def synthetic_tasks(
    domain: Domain,
    grammar: Grammar | None = None,
    count: int = 200,
    depths: tuple[int, int] = (4, 6),
    seed: int = 0,
    examples: tuple[int, int] = (3, 5),
    held_out: int = 5,
    requests: list[Type] | None = None,
    max_size: int = 30,
    max_draws: int | None = None,
    limits: Limits = SYNTH_LIMITS,
) -> SyntheticSuite:
    """A suite of `count` tasks (fewer if `max_draws`, default 2,000 per task, runs out);
    see the module docstring for what is kept."""
    lo, hi = depths
    if not 0 <= lo <= hi:
        raise ValueError(f"depths must be 0 <= low <= high, got {depths}")
    if not 1 <= examples[0] <= examples[1]:
        raise ValueError(f"examples must be 1 <= low <= high, got {examples}")
    if count < 0 or held_out < 0:
        raise ValueError("count and held_out must be >= 0")
    if grammar is None:
        grammar = Grammar(domain.dsl, log_variable=SYNTH_LOG_VARIABLE)
    types = requests if requests is not None else domain_requests(domain)
    gen = _Generator(domain, grammar, limits)
    rng = random.Random(seed)
    probes = {t: gen.distinct_inputs(t, random.Random(f"{seed}:probe:{t}"), PROBES)
              for t in types}
    budget = max_draws if max_draws is not None else 2_000 * max(1, count)
    rejected = dict.fromkeys(("bounds", "depth", "unused input", "constant subexpression",
                              "constant function", "fails", "degenerate",
                              "passes an argument through", "duplicate"), 0)
    leaves = dict.fromkeys(gen.leaf_values())
    seen: set[tuple[Type, Hashable]] = set()
    kept: list[SyntheticTask] = []
    draws = 0
    t0 = time.perf_counter()
    while len(kept) < count and draws < budget:
        draws += 1
        request = types[rng.randrange(len(types))]
        p = grammar.sample(request, rng, max_size=max_size, max_depth=hi, tries=1)
        if p is None:
            rejected["bounds"] += 1
            continue
        depth = application_depth(p)
        if depth < lo:
            rejected["depth"] += 1
            continue
        arity = len(arguments(request))
        body = p
        for _ in range(arity):
            assert isinstance(body, Lam)  # requests are eta-long arrows: one lambda per input
            body = body.body
        if free_indices(body) != set(range(arity)):
            rejected["unused input"] += 1
            continue
        why = _reducible(body, leaves, gen)
        if why:
            rejected[why] += 1
            continue
        n_examples = rng.randint(*examples)
        inputs = gen.distinct_inputs(request, rng, n_examples + held_out)
        outputs = gen.run(p, inputs)
        if outputs is None:
            rejected["fails"] += 1
            continue
        if len(inputs) < n_examples + held_out or _degenerate(domain, inputs[:n_examples],
                                                               outputs[:n_examples]):
            rejected["degenerate"] += 1
            continue
        if _passes_through(gen, body, arity, inputs, outputs):
            rejected["passes an argument through"] += 1
            continue
        key = (request, gen.probe_key(p, probes[request]))
        if key in seen:
            rejected["duplicate"] += 1
            continue
        seen.add(key)
        pairs = [Example(x, y) for x, y in zip(inputs, outputs, strict=True)]
        task = Task(f"synth-{seed}-{len(kept):04d}", request, tuple(pairs[:n_examples]),
                    tuple(pairs[n_examples:]))
        kept.append(SyntheticTask(task, str(p), depth))
    config = {"count": count, "depths": [lo, hi], "seed": seed, "examples": list(examples),
              "held_out": held_out, "max_size": max_size,
              "requests": [str(t) for t in types]}
    stats = {"kept": len(kept), "draws": draws, "seconds": round(time.perf_counter() - t0, 3),
             "draws_per_task": round(draws / max(1, len(kept)), 1), "rejected": rejected}
    return SyntheticSuite(kept, config, stats)


def _passes_through(gen: _Generator, body: Program, arity: int, inputs: list[tuple],
                    outputs: list[Any]) -> bool:
    """Whether an application outside any function argument gives, on every input, the value of
    a subexpression below it that is also outside function arguments (`(last (singleton x))`,
    `(sort (sort x))`): the program then reduces to a shallower one on these inputs."""
    keys: dict[int, tuple | None] = {}

    def value_keys(q: Program) -> tuple | None:
        if id(q) not in keys:
            closed = q
            for _ in range(arity):
                closed = Lam(closed)
            got = outputs if q is body else gen.run(closed, inputs)
            keys[id(q)] = None if got is None else tuple(gen.domain.value_key(v) for v in got)
        return keys[id(q)]

    def below(q: Program) -> list[Program]:
        _, args = spine(q)
        out = []
        for a in args:
            if not isinstance(a, Lam):
                out.append(a)
                if isinstance(a, App):
                    out += below(a)
        return out

    stack = [body]
    while stack:
        q = stack.pop()
        if not isinstance(q, App):
            continue
        mine = value_keys(q)
        subs = below(q)
        if mine is not None and any(value_keys(a) == mine for a in subs):
            return True
        stack.extend(a for a in spine(q)[1] if not isinstance(a, Lam))
    return False


def _degenerate(domain: Domain, inputs: list[tuple], outputs: list[Any]) -> bool:
    """Outputs all equal (a constant fits), all empty, or equal to one input throughout."""
    if all(domain.equal(y, outputs[0]) for y in outputs[1:]):
        return True
    if all(_empty(y) for y in outputs):
        return True
    arity = len(inputs[0]) if inputs else 0
    return any(all(domain.equal(y, x[j]) for x, y in zip(inputs, outputs, strict=True))
               for j in range(arity))
