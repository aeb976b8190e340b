"""A task: a name, a requested type, input/output examples, and optionally held-out examples.

`held_out` examples are never shown to a search: a benchmark checks a found program on them to
tell a program that generalizes from one that only fits the examples (synthetic tasks, suites
that keep unseen inputs).

`queries` are inputs whose outputs the task asks for but does not give (ARC's test inputs). A
search may run its candidates on them, never learning their outputs: bottom-up search keeps
apart programs that fit the examples alike but predict differently, so it can offer several
distinct predictions (`BottomUpSearcher.attempts`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hylo.core.types import Type, arguments


@dataclass(frozen=True)
class Example:
    inputs: tuple[Any, ...]
    output: Any


@dataclass(frozen=True)
class Task:
    name: str
    request: Type
    examples: tuple[Example, ...]
    held_out: tuple[Example, ...] = ()
    queries: tuple[tuple[Any, ...], ...] = ()

    @property
    def arity(self) -> int:
        return len(arguments(self.request))
