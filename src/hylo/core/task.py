"""A task: a name, a requested type and input/output examples."""

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

    @property
    def arity(self) -> int:
        return len(arguments(self.request))
