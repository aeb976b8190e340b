"""Abstraction sleep on a small hand-made corpus: Stitch finds the shared sub-programs, and every
rewritten program is derivable and behaves exactly like the original on its task's examples."""

from __future__ import annotations

import re

from learn_helpers import LISTS, corpus, task

from hylo.core.grammar import Grammar
from hylo.core.program import Invented, inline_inventions, show, walk
from hylo.learn import stitch
from hylo.learn.compress import CompressConfig, grammar_savings, next_index, sleep_abstraction
from hylo.learn.rewrite import from_stitch_body, same_behaviour


def _flat(inv) -> str:
    return show(inline_inventions(inv.body))


def test_finds_slice_and_add_k_abstractions():
    data = corpus()
    result = sleep_abstraction(data, Grammar.uniform(LISTS))
    assert not result.errors
    flats = [_flat(a.invention) for a in result.added]
    # take n (drop k xs), arguments in either order
    assert any(re.fullmatch(r"\(lam \(lam \(lam \(take \$[12] \(drop \$[12] \$0\)\)\)\)\)", f)
               for f in flats), flats
    # map (+ k) over a list
    assert any(re.fullmatch(r"\(lam \(lam \(map \(lam \(\+ \$0 \$2\)\) \$0\)\)\)", f)
               for f in flats), flats
    for a in result.added:
        assert len(a.tasks) >= 2 and a.uses >= len(a.tasks)
        assert grammar_savings(a.invention.body, a.invention.arity) > 0


def test_rewritten_programs_behave_like_the_originals():
    data = corpus()
    result = sleep_abstraction(data, Grammar.uniform(LISTS))
    grammar = Grammar.uniform(result.dsl)
    assert result.rewritten >= 6
    used = set()
    for (t, original), rewritten in zip(data, result.programs, strict=True):
        grammar.cost(rewritten, t.request)  # derivable (raises NotDerivable otherwise)
        assert same_behaviour(original, rewritten, result.dsl, t)
        used |= {q.name for q in walk(rewritten) if isinstance(q, Invented)}
        # and the same program once the library is inlined
        assert inline_inventions(rewritten) == original or rewritten == original
    assert used == {a.invention.name for a in result.added}


def test_library_grows_on_top_of_itself():
    data = corpus()
    first = sleep_abstraction(data, Grammar.uniform(LISTS))
    corpus2 = [(t, p) for (t, _), p in zip(data, first.programs, strict=True)]
    corpus2 += [task("add-4", "(lam (map (lam (+ $0 4)) $0))"),
                task("slice-2-2", "(lam (take 2 (drop 2 $0)))")]
    corpus2 = [(t, first.dsl.parse(show(p))) for t, p in corpus2]
    second = sleep_abstraction(corpus2, Grammar.uniform(first.dsl))
    assert not second.errors
    names = set(first.dsl.inventions)
    assert not names & {a.invention.name for a in second.added}  # names never reused
    assert next_index(list(second.dsl.names())) > next_index(list(first.dsl.names())) - 1
    # the two new tasks were refactored to use the library learned before
    for (t, original), p in zip(corpus2[-2:], second.programs[-2:], strict=True):
        assert any(isinstance(q, Invented) for q in walk(p)), show(p)
        assert same_behaviour(original, p, second.dsl, t)


def test_single_task_patterns_are_not_abstracted():
    one = [task("a", "(lam (map (lam (+ $0 1)) $0))"), task("a2", "(lam (sort $0))")]
    # the same task name twice: Stitch must not learn from one task alone
    dup = [(one[0][0], one[0][1]), (one[0][0], LISTS.parse("(lam (map (lam (+ $0 1)) (sort $0)))"))]
    result = sleep_abstraction(dup, Grammar.uniform(LISTS), CompressConfig(min_tasks=2))
    assert result.added == []
    assert result.programs == [p for _, p in dup]


def test_stitch_failures_are_reported_not_raised():
    out = stitch.compress(["(lam (map $0"], ["t"])
    assert not out.ok and "panicked" in out.error
    out = stitch.compress(["(lam $0)", "(lam (car $0))"], ["a", "b"], timeout=0.001)
    assert not out.ok and "longer than" in out.error


def test_stitch_body_conversion():
    body = from_stitch_body("(map (lam (+ $0 #0)) #1)", 2, {})
    assert show(body) == "(lam (lam (map (lam (+ $0 $2)) $0)))"
    from hylo.learn.rewrite import to_stitch_body

    assert to_stitch_body(body, 2) == ("(map (lam (+ $0 #0)) #1)", 2)
