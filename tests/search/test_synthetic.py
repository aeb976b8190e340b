"""The synthetic task generator: seeded, non-degenerate, held-out examples, deduplicated, and
its ground truth fits its own examples."""

from __future__ import annotations

import pytest

from hylo.core.infer import is_well_typed
from hylo.core.sampling import application_depth
from hylo.core.types import parse_type
from hylo.domains import get_domain
from hylo.search.check import Checker
from hylo.search.synthetic import domain_requests, synthetic_tasks

DOMAIN = get_domain("lists")


@pytest.fixture(scope="module")
def suite():  # type: ignore[no-untyped-def]
    return synthetic_tasks(DOMAIN, count=12, depths=(3, 5), seed=11, examples=(3, 4),
                           held_out=4)


def test_suite_is_seeded(suite) -> None:  # type: ignore[no-untyped-def]
    again = synthetic_tasks(DOMAIN, count=12, depths=(3, 5), seed=11, examples=(3, 4),
                            held_out=4)
    assert [(t.task, t.program) for t in again.tasks] == [(t.task, t.program)
                                                           for t in suite.tasks]
    other = synthetic_tasks(DOMAIN, count=12, depths=(3, 5), seed=12, examples=(3, 4),
                            held_out=4)
    assert [t.program for t in other.tasks] != [t.program for t in suite.tasks]


def test_tasks_are_what_the_docs_promise(suite) -> None:  # type: ignore[no-untyped-def]
    assert len(suite.tasks) == 12
    assert suite.stats["draws"] >= 12 and suite.stats["kept"] == 12
    requests = set(domain_requests(DOMAIN))
    checker = Checker(DOMAIN.dsl, DOMAIN.equal)
    names = set()
    for st in suite.tasks:
        t = st.task
        names.add(t.name)
        assert t.name.startswith("synth-11-") and st.program not in t.name
        assert t.request in requests
        assert 3 <= len(t.examples) <= 4 and len(t.held_out) == 4
        p = DOMAIN.dsl.parse(st.program)
        assert is_well_typed(p, DOMAIN.dsl, t.request)
        assert 3 <= application_depth(p) == st.depth <= 5
        # the ground truth fits the visible and the held-out examples
        assert checker.fits(p, t)
        assert checker.fits(p, type(t)(t.name, t.request, t.held_out))
        outs = [e.output for e in t.examples]
        assert any(not DOMAIN.equal(o, outs[0]) for o in outs)  # not a constant
        for j in range(t.arity):  # no input passed through unchanged
            assert not all(DOMAIN.equal(e.output, e.inputs[j]) for e in t.examples)
        inputs = [DOMAIN.value_key(e.inputs) for e in (*t.examples, *t.held_out)]
        assert len(set(inputs)) == len(inputs)  # distinct inputs
    assert len(names) == 12


def test_one_function_gives_one_task() -> None:
    """Deduplication by outputs on probe inputs: a single request of one input and shallow
    depth has few functions, so the suite ends short of `count` with duplicates rejected."""
    s = synthetic_tasks(DOMAIN, count=50, depths=(1, 1), seed=0, held_out=2,
                        requests=[parse_type("list(int) -> int")], max_draws=3000)
    assert s.stats["rejected"]["duplicate"] > 0
    assert len(s.tasks) < 50
    programs = [t.program for t in s.tasks]
    assert len(set(programs)) == len(programs)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        synthetic_tasks(DOMAIN, count=1, depths=(5, 4))
    with pytest.raises(ValueError):
        synthetic_tasks(DOMAIN, count=1, examples=(0, 2))
