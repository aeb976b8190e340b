"""A domain's own wake phase in the one learning loop (`hylo.learn.loop`).

Most domains learn with the loop's default wake (search the training split with the domain's
searcher, sleep, test). A domain whose tasks are solved differently (the digits sequence:
hybrid programs trained in curriculum order, modules consolidated after each task) gives its
`Domain.learner` a `WakeHooks`: the loop keeps the run, the iteration numbering, resume and the
checkpoint, and calls `wake` for the iteration's work.

Unlike the default wake, a learner may write as it goes (the digits one saves each task's
modules at once, since the next task must find them): an iteration killed half-way is redone on
resume from the library as it then is, so its first tasks may find modules the killed attempt
saved. The iteration's metrics are written only at its checkpoint.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class WakeHooks(ABC):
    """What the loop asks of a domain learner."""

    #: parameters a run uses unless `LearnConfig.params` says otherwise
    defaults: dict[str, Any] = {}

    def units(self, params: dict[str, Any]) -> int:
        """How many units of work (progress steps) one wake reports as done."""
        return 1

    @abstractmethod
    def wake(self, store: Any, run_id: int, iteration: int, params: dict[str, Any],
             progress: Any = None) -> dict[str, Any]:
        """Do iteration `iteration`'s work on `store` (the coordinator's: writing to it is
        allowed) and return its metrics; `test` (with `total` and `solved`) and `tasks` are
        read by the loop's summary. `progress(message, done)` reports progress."""
