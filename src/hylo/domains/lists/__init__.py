"""The `lists` domain: DreamCoder's list functions over integers, booleans and lists.

Registered under the entry-point group `hylo.domains` as `lists`; the engine reaches it only
through `load_domain()`. Values are plain ints, bools and lists, so equality and keys are the
defaults (`hylo.core.values.strict_equal`, `canonical_key`: `True` is not `1`).
"""

from __future__ import annotations

from functools import partial

from hylo.core.domain import Domain
from hylo.core.values import canonical_key, strict_equal
from hylo.domains.lists.constants import MAX_CONSTANTS, task_constants
from hylo.domains.lists.primitives import LISTS_DSL
from hylo.domains.lists.sample import SYNTHETIC_REQUESTS, sample_inputs
from hylo.domains.lists.tasks import (
    SPLIT_RULE,
    TaskFileError,
    builtin_tasks,
    dump_tasks,
    load_tasks,
    split,
)

__all__ = [
    "LISTS_DSL",
    "SPLIT_RULE",
    "TaskFileError",
    "builtin_tasks",
    "load_domain",
    "load_tasks",
    "sample_inputs",
    "split",
    "task_constants",
]


#: What `hylo solve/bench/learn` use unless told otherwise. `benchmark` is what the engine
#: benchmark `hylo bench enumerate` measures: enumeration of `request`, and checking against a
#: task of `suite` that enumeration does not solve within the measure (so every second counts).
SEARCH_DEFAULTS = {
    "searcher": {"name": "enumerative", "params": {}},
    "timeout": 20.0,
    # constants from the task (hylo.domains.lists.constants): at most `count` per task, each
    # weighted `log_weight` in the task's grammar
    "constants": {"log_weight": -2.5, "count": MAX_CONSTANTS},
    "benchmark": {
        "request": "list(int) -> list(int)",
        "suite": "lists",
        "task": "caesar-cipher-k-modulo-n with k=3 and n=4",
    },
    # request types of synthetic tasks (hylo.search.synthetic, `hylo bench synth`)
    "synthetic": {"requests": list(SYNTHETIC_REQUESTS)},
}


def load_domain() -> Domain:
    return Domain(
        name="lists",
        dsl=LISTS_DSL,
        suites={"lists": builtin_tasks},
        split=split,
        load_file=load_tasks,
        equal=strict_equal,
        value_key=canonical_key,
        sample_inputs=sample_inputs,
        search_defaults=SEARCH_DEFAULTS,
        dump_tasks=dump_tasks,
        task_constants=partial(task_constants, limit=int(SEARCH_DEFAULTS["constants"]["count"])),
    )
