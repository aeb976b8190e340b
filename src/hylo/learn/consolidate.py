"""Consolidation: the neural modules a solution trained become library modules.

After a task is solved, every module of the winning hybrid program that training changed goes
into the library (`hylo.library.modules.ModuleLibrary.save`), and the program is rewritten to
refer to the saved versions, so that later tasks find them as primitives:

- a fresh hole (`nn:new:<kind>`) becomes a new version of the name `<kind>`;
- a fine-tuned library module becomes a specialisation `<name>-<task>` with its parent recorded
  in the provenance (the general module other tasks rely on is never overwritten);
- frozen library modules are left as they are.

Nothing here knows a domain: the caller passes the metrics and provenance to record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hylo.core.program import App, Lam, Prim, Program, show
from hylo.library.modules import ModuleLibrary, specialisation_name
from hylo.neural.names import neural_names, parse_name


@dataclass
class Consolidated:
    program: str  # the solution, referring to the saved modules
    saved: list[str] = field(default_factory=list)  # `nn:<name>@v<k>` written, in order


def rename(program: Program, mapping: Mapping[str, str]) -> Program:
    """`program` with the primitives named in `mapping` renamed."""
    if isinstance(program, Prim) and program.name in mapping:
        return Prim(mapping[program.name])
    if isinstance(program, App):
        return App(rename(program.f, mapping), rename(program.x, mapping))
    if isinstance(program, Lam):
        return Lam(rename(program.body, mapping))
    return program


def consolidate(library: ModuleLibrary, program: Program, model: Any, task: str,
                metrics: Mapping[str, Any], provenance: Mapping[str, Any]) -> Consolidated:
    """Save the modules of `model` (a `hylo.neural.hybrid.HybridModel` of `program`) that
    training changed; `provenance` is recorded with each (plus its parent, if any)."""
    mapping: dict[str, str] = {}
    out = Consolidated(show(program))
    for text in neural_names(program):
        slot = model.slots[text]
        if slot.frozen:
            continue
        ref = parse_name(text)
        name = slot.kind if ref.fresh else specialisation_name(text, task)
        prov = {**provenance, "task": task, "parent": None if ref.fresh else text}
        saved = library.save(name, slot.kind, slot.spec, model.net(text), dict(metrics), prov)
        mapping[text] = saved
        out.saved.append(saved)
    out.program = show(rename(program, mapping))
    return out
