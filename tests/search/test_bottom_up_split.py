"""Bottom-up search splitting outputs into kept programs joined by a concatenation
(`hylo.search.bottom_up_split`, `Domain.concatenations`)."""

from __future__ import annotations

from hylo.core.domain import Concatenation
from hylo.core.task import Example, Task
from hylo.core.types import parse_type
from hylo.domains import get_domain
from hylo.search.base import Budget
from hylo.search.bottom_up import BottomUpSearcher
from hylo.search.bottom_up_split import Splitter

GENERAL = get_domain("general")

# "First L." from a first and a last name: four parts joined (a plain bottom-up search needs
# over a million programs to reach it in the general DSL)
NAMES = Task("first-and-initial", parse_type("str -> str -> str"), tuple(
    Example(i, o) for i, o in [(("Ada", "Lovelace"), "Ada L."), (("Alan", "Turing"), "Alan T."),
                               (("Grace", "Hopper"), "Grace H."),
                               (("Edsger", "Dijkstra"), "Edsger D.")]))


def _search(task: Task, candidates: int, **params: object) -> tuple[bool, str | None, str]:
    s = BottomUpSearcher(GENERAL.prior(), GENERAL, max_points=8, constant_bodies=False,
                         **params)  # type: ignore[arg-type]
    r = s.search(task, Budget(seconds=60, max_candidates=candidates))
    return r.solved, r.program, r.stopped


def test_concatenation_inverse_on_strings_and_lists() -> None:
    c = Concatenation()
    assert c.prefix("ab", 1) == "a" and c.prefix("ab", 0) == "" and c.prefix("ab", 3) is None
    assert c.rest("abc", "ab") == "c"
    assert c.rest("abc", "b") is None
    assert c.rest("abc", "abcd") is None
    assert c.rest("abc", ["a"]) is None  # types differ
    assert c.rest([1, 2, 3], [1]) == [2, 3]
    assert c.join("ab", "c") == "abc"
    assert c.size("abc") == 3 and c.size(5) == 0
    assert c.prefix(5, 0) is None


def test_split_finds_what_plain_bottom_up_does_not_reach() -> None:
    solved, program, _ = _search(NAMES, 60_000)
    assert solved, program
    assert program is not None and program.count("(++") >= 2
    plain, _, stopped = _search(NAMES, 60_000, split=False)
    assert not plain and stopped == "candidates"


def test_split_result_is_checked_on_every_example() -> None:
    # the last example breaks the pattern: no split of kept parts fits all four
    odd = Task("odd-one", NAMES.request, (*NAMES.examples[:3],
                                           Example(("Edsger", "Dijkstra"), "E. Dijkstra!")))
    solved, program, _ = _search(odd, 30_000)
    assert not solved, program


def test_no_split_without_a_concatenation_of_the_return_type() -> None:
    task = Task("length", parse_type("str -> int"),
                (Example(("ab",), 2), Example(("abc",), 3)))
    s = BottomUpSearcher(GENERAL.prior(), GENERAL)
    s.search(task, Budget(seconds=5))
    assert s.run_ is not None
    assert Splitter(s.run_, dict(GENERAL.concatenations), 8.0).joins == []
    lists = get_domain("lists")
    assert not lists.concatenations  # the list domain's figures stay as measured


def test_split_params_are_validated() -> None:
    import pytest

    with pytest.raises(ValueError):
        BottomUpSearcher(GENERAL.prior(), GENERAL, split_slack=-1.0)
    with pytest.raises((ValueError, TypeError)):
        BottomUpSearcher(GENERAL.prior(), GENERAL, split="yes")  # type: ignore[arg-type]


def test_long_outputs_keep_the_budget() -> None:
    # 4,000-character outputs: splitting tries only the sizes kept programs have, and looks at
    # the clock, so the search ends near its deadline (a limit, with a wide margin)
    import random
    import time

    rng = random.Random(0)
    words = ["".join(rng.choice("abcdef ") for _ in range(4000)) for _ in range(4)]
    task = Task("long", parse_type("str -> str"),
                tuple(Example((w,), w.upper() + "!" + w[::-1]) for w in words))
    s = BottomUpSearcher(GENERAL.prior(), GENERAL, max_points=8, constant_bodies=False)
    t0 = time.perf_counter()
    s.search(task, Budget(seconds=1.0))
    assert time.perf_counter() - t0 < 10.0
