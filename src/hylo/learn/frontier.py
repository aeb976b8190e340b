"""Frontiers: the best few programs known for each training task, as plain data.

A frontier entry is program text (s-expression, library names as they are) with its description
length under the grammar it was last scored with. The frontiers are what the abstraction sleep
compresses; they are kept in the store (as JSON metadata) with every finished iteration, so a
resumed run starts from exactly the frontiers the last checkpoint had.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hylo.core.grammar import Grammar, NotDerivable
from hylo.core.program import Program
from hylo.core.task import Task


@dataclass
class Frontiers:
    """task name -> [(program text, description length)], cheapest first, at most `keep`."""

    keep: int = 3
    entries: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    def add(self, task: str, program: str, dl: float) -> bool:
        """Add a solution; True if it is new and among the `keep` cheapest."""
        cur = self.entries.setdefault(task, [])
        if any(p == program for p, _ in cur):
            return False
        cur.append((program, dl))
        cur.sort(key=lambda e: (e[1], e[0]))
        del cur[self.keep :]
        return any(p == program for p, _ in cur)

    def solved(self) -> set[str]:
        return {t for t, e in self.entries.items() if e}

    def replace(self, task: str, programs: Iterable[tuple[str, float]]) -> None:
        """Set a task's entries (deduplicated, cheapest first, at most `keep`)."""
        self.entries[task] = []
        for p, dl in programs:
            self.add(task, p, dl)

    def rescore(self, grammar: Grammar, tasks: Mapping[str, Task]) -> None:
        """Recompute every description length under `grammar` (entries it cannot derive or parse
        are dropped) and re-sort."""
        for name, cur in list(self.entries.items()):
            task = tasks.get(name)
            if task is None:
                continue
            scored = []
            for text, _ in cur:
                try:
                    p = grammar.dsl.parse(text)
                    # a task's constants (literals) are scored as that task's grammar has them
                    scored.append((text, grammar.with_literals(p).description_length(
                        p, task.request)))
                except (NotDerivable, ValueError, RecursionError):
                    continue
            self.replace(name, scored)

    def corpus(self, grammar: Grammar, tasks: Mapping[str, Task]) -> list[tuple[Task, Program]]:
        """(task, parsed program) for every entry, in task-name order."""
        out = []
        for name in sorted(self.entries):
            task = tasks.get(name)
            if task is None:
                continue
            for text, _ in self.entries[name]:
                try:
                    out.append((task, grammar.dsl.parse(text)))
                except ValueError:
                    continue
        return out

    def to_json(self) -> dict:
        return {"keep": self.keep,
                "entries": {t: [[p, dl] for p, dl in e] for t, e in self.entries.items()}}

    @classmethod
    def from_json(cls, data: Mapping | None, keep: int = 3) -> Frontiers:
        if not data:
            return cls(keep)
        out = cls(int(data.get("keep", keep)))
        for t, e in data.get("entries", {}).items():
            out.entries[t] = [(str(p), float(dl)) for p, dl in e]
        return out
