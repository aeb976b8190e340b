"""The `lists` domain: DreamCoder's list functions over integers, booleans and lists.

Registered under the entry-point group `hylo.domains` as `lists`; the engine reaches it only
through `load_domain()`.
"""

from __future__ import annotations

from hylo.core.domain import Domain
from hylo.domains.lists.primitives import LISTS_DSL
from hylo.domains.lists.tasks import SPLIT_RULE, TaskFileError, builtin_tasks, load_tasks, split

__all__ = [
    "LISTS_DSL",
    "SPLIT_RULE",
    "TaskFileError",
    "builtin_tasks",
    "load_domain",
    "load_tasks",
    "split",
]


def load_domain() -> Domain:
    return Domain(
        name="lists",
        dsl=LISTS_DSL,
        suites={"lists": builtin_tasks},
        split=split,
        load_file=load_tasks,
    )
