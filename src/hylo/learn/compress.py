"""Sleep, abstraction: grow the library from the solutions found so far.

1. *Refactor* the corpus with the abstractions the library already has (first-order matching
   of their bodies, `hylo.learn.rewrite.refactor_with`), so that a solution found before an
   abstraction existed uses it too. (Stitch's own `rewrite` panics on argument orders it did not
   produce itself, so it is not used.)
2. *Compress* the corpus with Stitch: up to `max_new` abstractions, each useful in two tasks or
   more, later ones may use earlier ones.
3. *Type and filter* each abstraction: its body is converted to a closed library body, its type
   inferred; one that is ill-typed, not closed, or saves nothing in the grammar (its body, below
   its arguments, is a single choice: an eta-wrapper or a bare primitive with its arguments
   reordered) is dropped, and its uses are inlined back.
4. *Check* each rewritten program: it must be ill-typed nowhere, derivable by the grammar over
   the new library once put in eta-long form, and evaluate exactly like the original on every
   example of its task; otherwise the task keeps its original program.
5. Abstractions that, after the checks, are used in fewer than `min_tasks` tasks are dropped
   (inlined) too, and step 4 repeats until nothing changes.

Nothing here raises on a Stitch failure: errors are collected in `SleepResult.errors`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hylo.core.dsl import DSL, Invention
from hylo.core.grammar import Grammar, NotDerivable
from hylo.core.infer import ProgramTypeError, infer_type
from hylo.core.program import Invented, Lam, Prim, Program, Var, parse, show, spine, walk
from hylo.core.task import Task
from hylo.core.types import arguments
from hylo.learn import stitch
from hylo.learn.rewrite import (
    RewriteError,
    from_stitch_body,
    grammar_form,
    inline,
    refactor_with,
    same_behaviour,
)

PREFIX = "fn_"
_NUMBERED = re.compile(rf"{PREFIX}(\d+)$")


@dataclass(frozen=True)
class CompressConfig:
    """How the abstraction sleep runs. `max_new` bounds Stitch's iterations (abstractions tried
    per sleep); `max_arity` its arguments per abstraction; `timeout` one Stitch call."""

    max_new: int = 8
    max_arity: int = 3
    min_tasks: int = 2
    timeout: float = 180.0
    refactor: bool = True
    options: dict = field(default_factory=dict)  # extra Stitch options


@dataclass
class NewAbstraction:
    invention: Invention
    stitch_body: str
    stitch_arity: int
    tasks: list[str]
    uses: int
    utility: float

    def provenance(self, iteration: int) -> dict:
        return {
            "learned_in": iteration,
            "tasks": sorted(self.tasks),
            "uses": self.uses,
            "stitch_body": self.stitch_body,
            "stitch_arity": self.stitch_arity,
            "stitch_utility": self.utility,
        }


@dataclass
class SleepResult:
    dsl: DSL  # the input DSL plus the abstractions kept
    added: list[NewAbstraction]
    programs: list[Program]  # per corpus entry: rewritten when that was checked, else original
    rewritten: int  # entries whose program changed
    refactored: int  # entries changed by step 1
    dropped: list[tuple[str, str]]  # (abstraction name, why)
    errors: list[str]
    seconds: float

    def summary(self) -> dict:
        return {
            "added": [a.invention.name for a in self.added],
            "rewritten": self.rewritten,
            "refactored": self.refactored,
            "dropped": [list(d) for d in self.dropped],
            "errors": list(self.errors),
            "seconds": round(self.seconds, 3),
        }


def next_index(names: Sequence[str]) -> int:
    """First free `fn_<k>` index after every numbered name already in use."""
    found = [int(m.group(1)) for n in names if (m := _NUMBERED.match(n))]
    return max(found, default=-1) + 1


def grammar_savings(body: Program, arity: int) -> int:
    """Choices one use of an abstraction saves in the grammar, compared with its body inlined:
    the choices (primitives, inventions, bound variables) below its `arity` argument lambdas,
    minus the one choice of the abstraction itself."""
    inner = body
    for _ in range(arity):
        if not isinstance(inner, Lam):
            break
        inner = inner.body

    def choices(q: Program, depth: int) -> int:
        if isinstance(q, Var):
            return 1 if q.index < depth else 0  # a bound variable is a choice; an argument not
        if isinstance(q, (Prim, Invented)):
            return 1
        if isinstance(q, Lam):
            return choices(q.body, depth + 1)
        head, args = spine(q)
        return choices(head, depth) + sum(choices(a, depth) for a in args)

    return choices(inner, 0) - 1


def check_program(
    candidate: Program, original: Program, task: Task, dsl: DSL, grammar: Grammar
) -> Program | None:
    """`candidate` in the grammar's form if it is derivable and behaves like `original`."""
    try:
        p = grammar_form(candidate, task.request, dsl)
        grammar.with_literals(p).cost(p, task.request)  # literals: a task's constants
    except (RewriteError, NotDerivable, RecursionError):
        return None
    if not same_behaviour(original, p, dsl, task):
        return None
    return p


def _parse_all(texts: Sequence[str], bodies: Mapping[str, Program]) -> list[Program | None]:
    out: list[Program | None] = []
    for text in texts:
        try:
            out.append(parse(text, bodies))
        except ValueError:
            out.append(None)
    return out


def refactor(
    corpus: Sequence[tuple[Task, Program]], grammar: Grammar
) -> list[Program]:
    """Rewrite the corpus with the library's abstractions, in the order they were learned
    (later bodies use earlier names), each program checked; unchanged where a check fails."""
    dsl = grammar.dsl
    result = []
    for task, original in corpus:
        p = original
        for name, inv in dsl.inventions.items():
            if grammar_savings(inv.body, inv.arity) > 0:
                p = refactor_with(p, dsl.invented(name), inv.arity)
        if p == original:
            result.append(original)
            continue
        checked = check_program(p, original, task, dsl, grammar)
        result.append(checked if checked is not None else original)
    return result


def sleep_abstraction(
    corpus: Sequence[tuple[Task, Program]],
    grammar: Grammar,
    config: CompressConfig = CompressConfig(),
) -> SleepResult:
    """Learn new abstractions from `corpus` (task, program) under `grammar`'s library."""
    t0 = time.perf_counter()
    dsl = grammar.dsl
    errors: list[str] = []
    dropped: list[tuple[str, str]] = []
    originals = [p for _, p in corpus]
    programs = list(originals)
    refactored = 0
    if config.refactor and dsl.inventions:
        programs = refactor(corpus, grammar)
        refactored = sum(1 for a, b in zip(originals, programs, strict=True) if a != b)

    def done(new_dsl: DSL, added: list[NewAbstraction], progs: list[Program]) -> SleepResult:
        changed = sum(1 for a, b in zip(originals, progs, strict=True) if a != b)
        return SleepResult(new_dsl, added, progs, changed, refactored, dropped, errors,
                           time.perf_counter() - t0)

    if not corpus:
        return done(dsl, [], programs)
    first = next_index([*dsl.names()])
    out = stitch.compress(
        [show(p) for p in programs],
        [t.name for t, _ in corpus],
        iterations=config.max_new,
        max_arity=config.max_arity,
        previous_abstractions=first,
        timeout=config.timeout,
        options=config.options,
    )
    if not out.ok:
        errors.append(f"compress: {out.error}")
        return done(dsl, [], programs)
    if not out.abstractions:
        return done(dsl, [], programs)

    # 3. type every abstraction; keep the Stitch text for provenance and later refactoring
    known: dict[str, Program] = dict(dsl.invention_bodies())
    work = dsl
    candidates: dict[str, NewAbstraction] = {}
    removed: set[str] = set()
    for a in out.abstractions:
        if a.name in known or a.name in dsl.primitives:
            errors.append(f"compress: Stitch reused the name {a.name}")
            removed.add(a.name)
            continue
        body: Program | None = None
        try:
            body = inline(from_stitch_body(a.body, a.arity, known), removed)
            typ = infer_type(body, work)
        except (RewriteError, ProgramTypeError, ValueError, RecursionError) as e:
            dropped.append((a.name, f"{a.body}: {e}"))
            removed.add(a.name)
            if body is not None:  # ill-typed alone, but its uses can still be inlined
                known[a.name] = body
            continue
        known[a.name] = body
        inv = Invention(a.name, body, typ)
        if grammar_savings(body, len(arguments(typ))) <= 0:
            dropped.append((a.name, f"{a.body}: saves no grammar choice"))
            removed.add(a.name)
            continue
        work = work.with_inventions([inv])
        candidates[a.name] = NewAbstraction(inv, a.body, a.arity, [], 0, a.utility)

    # A use of an abstraction that could not even be converted parses as an unknown primitive,
    # which fails the checks below: that task keeps its original program.
    parsed = _parse_all(out.rewritten, known)

    # 4./5. check rewrites; drop abstractions used in too few tasks; repeat until stable
    while True:
        kept = [n for n in candidates if n not in removed]
        new_dsl = dsl.with_inventions(
            [_reinlined(candidates[n].invention, removed) for n in kept]
        )
        new_grammar = grammar.with_dsl(new_dsl)
        result: list[Program] = []
        for (task, _), base, cand in zip(corpus, programs, parsed, strict=True):
            if cand is None:
                result.append(base)
                continue
            try:
                cand2 = _rebind(inline(cand, removed), new_dsl)
            except (RewriteError, ValueError, RecursionError):
                result.append(base)
                continue
            checked = check_program(cand2, base, task, new_dsl, new_grammar)
            result.append(checked if checked is not None else base)
        uses: dict[str, int] = {n: 0 for n in kept}
        tasks: dict[str, set[str]] = {n: set() for n in kept}
        for (task, _), p in zip(corpus, result, strict=True):
            for q in walk(p):
                if isinstance(q, Invented) and q.name in uses:
                    uses[q.name] += 1
                    tasks[q.name].add(task.name)
        needed = _referenced(new_dsl, kept)
        weak = [n for n in kept if len(tasks[n]) < config.min_tasks and n not in needed]
        if not weak:
            break
        for n in weak:
            dropped.append((n, f"used in {len(tasks[n])} task(s) after checks"))
            removed.add(n)
    added = []
    for n in kept:
        c = candidates[n]
        inv = new_dsl.inventions[n]
        added.append(NewAbstraction(inv, c.stitch_body, c.stitch_arity, sorted(tasks[n]),
                                    uses[n], c.utility))
    return done(new_dsl, added, result)


def _reinlined(inv: Invention, removed: set[str]) -> Invention:
    body = inline(inv.body, removed)
    return inv if body is inv.body else Invention(inv.name, body, inv.type)


def _rebind(p: Program, dsl: DSL) -> Program:
    """Re-attach invention nodes to `dsl`'s bodies (after some were inlined away)."""
    return parse(show(p), dsl.invention_bodies())


def _referenced(dsl: DSL, names: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for n in names:
        for q in walk(dsl.inventions[n].body):
            if isinstance(q, Invented) and q.name != n:
                out.add(q.name)
    return out
