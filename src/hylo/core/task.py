"""A task: a name, a requested type, input/output examples, and optionally held-out examples.

`held_out` examples are never shown to a search: a benchmark checks a found program on them to
tell a program that generalizes from one that only fits the examples (synthetic tasks, suites
that keep unseen inputs)."""

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

    @property
    def arity(self) -> int:
        return len(arguments(self.request))
