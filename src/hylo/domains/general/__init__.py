"""The `general` domain: integers, floats, booleans, characters, strings, lists of these,
pairs, and printed output, for general program synthesis benchmarks (PSB1, SyGuS strings).

Registered under the entry-point group `hylo.domains` as `general`; the engine reaches it only
through `load_domain()`. The DSL and its printing convention: `primitives`; value equality
(floats to 5 decimal places), keys and per-case errors: `values`; readers of hylo's task
files, SyGuS and PSB1: `tasks`; docs/general.md.

Suites: `general` (a small hand-written suite shipped in the package), `psb1` (the 29 PSB1
problems) and `sygus-strings` (the SyGuS-Comp 2017 PBE strings track), the last two read from
the shared data folder (`$HYLO_SHARED/data`, else `../shared/data` beside the project), never
shipped.
"""

from __future__ import annotations

from hylo.core.domain import Concatenation, Domain
from hylo.core.dsl import Primitive
from hylo.core.task import Task
from hylo.domains.general.literals import literal
from hylo.domains.general.primitives import GENERAL_DSL
from hylo.domains.general.psb1 import load_psb1, load_psb1_problem
from hylo.domains.general.sample import sample_inputs
from hylo.domains.general.tasks import (
    SPLIT_RULE,
    GeneralTask,
    TaskFileError,
    builtin_tasks,
    dump_tasks,
    load_sygus,
    load_sygus_suite,
    load_tasks,
    split,
    task_constants_of,
)
from hylo.domains.general.values import case_error, equal, value_key
from hylo.domains.general.witnesses import WITNESSES

__all__ = [
    "GENERAL_DSL",
    "SPLIT_RULE",
    "GeneralTask",
    "TaskFileError",
    "builtin_tasks",
    "case_error",
    "equal",
    "load_domain",
    "load_psb1",
    "load_psb1_problem",
    "load_sygus",
    "load_tasks",
    "sample_inputs",
    "split",
    "task_constants",
    "value_key",
]

#: What `hylo solve/bench/learn` use unless told otherwise.
SEARCH_DEFAULTS = {
    # The lists domain's portfolio (bottom-up on a quarter of the budget, then top-down). Without
    # deduced lambdas: on the built-in suite plus the 27 base SyGuS problems at 2 s per task,
    # 28 of 45 solved without them, 26 with them (`WITNESSES`: map, mapi, filter; slack 8,
    # wait 4). A `genetic` member (population 500, min_cases 10, graded: only tasks with 10 or
    # more examples) was measured and left out. PSB1, one run at 20 s, problems solved: shares
    # 1:3 (this) 8, 1:3:2 9, 1:3:4 9, 2:3:3 8. SyGuS's 54 problems with 10 or more examples at
    # 60 s: this 43, 1:3:4 41 (phone-9-long and -long-repeat lost: splitting needs bottom-up's
    # quarter), GP solving none of the rest. So GP's share here is 0; `hylo bench psb1` runs it.
    "searcher": {"name": "portfolio", "params": {
        "mode": "split", "shares": [1, 3],
        "members": [{"name": "bottom-up", "params": {"max_points": 8,
                                                      "constant_bodies": False}},
                    {"name": "enumerative", "params": {}}]}},
    "timeout": 20.0,
    # programs use their inputs (the lists domain's measured prior)
    "prior": {"log_variable": 3.0},
    # a task's own constants (the file's, or PSB1's instruction-set constants) at this weight
    # each: as likely as a primitive. On the 27 base SyGuS problems at 2 s: 13 solved at 0.0,
    # 10 at -2.0 (the engine's default), 12 at +1.0.
    "constants": {"log_weight": 0.0},
    "benchmark": {
        "request": "str -> int",
        "suite": "general",
        "task": "count-vowels",
    },
}


def task_constants(task: Task) -> list[Primitive]:
    """The task's own constants (`GeneralTask.constants`: literal names), as primitives."""
    out = []
    for name in task_constants_of(task):
        p = literal(name)
        if p is not None and name not in GENERAL_DSL.primitives:
            out.append(p)
    return out


def load_domain() -> Domain:
    return Domain(
        name="general",
        dsl=GENERAL_DSL,
        suites={"general": builtin_tasks, "psb1": load_psb1, "sygus-strings": load_sygus_suite},
        split=split,
        load_file=load_tasks,
        equal=equal,
        value_key=value_key,
        sample_inputs=sample_inputs,
        search_defaults=SEARCH_DEFAULTS,
        dump_tasks=dump_tasks,
        task_constants=task_constants,
        case_error=case_error,
        witnesses=WITNESSES,
        concatenations={"++": Concatenation()},
        commands={"bench psb1": _bench_psb1()},
    )


def _bench_psb1() -> object:
    from hylo.cli_general import bench_psb1  # typer; the command's imports wait until it runs

    return bench_psb1
