"""What a domain plug-in provides. The engine reaches domains only through this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hylo.core.dsl import DSL
from hylo.core.task import Task


@dataclass
class Domain:
    """A plug-in: its DSL, and its benchmark suites by name (each a loader of tasks).

    `split(tasks)` returns (train, test) deterministically; `suites` maps a suite name to a
    zero-argument loader of that suite's tasks; `load_file(path)` reads a task file.
    """

    name: str
    dsl: DSL
    suites: dict[str, Callable[[], list[Task]]] = field(default_factory=dict)
    split: Callable[[list[Task]], tuple[list[Task], list[Task]]] | None = None
    load_file: Callable[[str], list[Task]] | None = None
