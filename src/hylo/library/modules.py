"""Neural modules of the library as one domain's search sees them: usable, built once, saved.

A module is usable by a search when its provenance matches the search's `scope` (a dict such
as `{"domain": ..., "split_seed": ...}`: every key equal), so that a module trained on another
domain, or on a data split whose test part a task here would be measured on, is never offered.
Only the latest version of each name is offered. Modules are built from their stored bytes once
per `ModuleLibrary` (frozen candidates share them); saving adds the scope to the provenance.

Torch stays behind `hylo.neural.kinds`, imported only when a module is built or saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hylo.core.types import Type
from hylo.library.store import ModuleRecord, Store
from hylo.neural.names import KIND_TYPES, library_name, parse_name


class ModuleLibrary:
    """The modules of `store` within `scope`; records and built modules cached."""

    def __init__(self, store: Store, scope: Mapping[str, Any]) -> None:
        self.store = store
        self.scope = dict(scope)
        self._built: dict[str, Any] = {}
        self._records: dict[tuple[str, int], ModuleRecord] = {}

    def in_scope(self, rec: ModuleRecord) -> bool:
        prov = rec.provenance or {}
        return all(prov.get(k) == v for k, v in self.scope.items()) and rec.kind in KIND_TYPES

    def latest(self) -> dict[str, ModuleRecord]:
        """Module name -> its latest usable version."""
        out: dict[str, ModuleRecord] = {}
        for rec in self.store.modules():
            if self.in_scope(rec) and (rec.name not in out or rec.version > out[rec.name].version):
                out[rec.name] = rec
        return out

    def usable(self) -> dict[str, Type]:
        """`nn:<name>@v<k>` -> type, for the latest usable version of each module name."""
        return {library_name(r.name, r.version): KIND_TYPES[r.kind]
                for r in self.latest().values()}

    def by_parent(self) -> tuple[dict[str, Type], dict[str, Type]]:
        """The usable modules split by provenance: (general modules, specialisations of one)."""
        general: dict[str, Type] = {}
        special: dict[str, Type] = {}
        for r in self.latest().values():
            (special if (r.provenance or {}).get("parent") else general)[
                library_name(r.name, r.version)] = KIND_TYPES[r.kind]
        return general, special

    def record(self, name: str, version: int) -> ModuleRecord:
        key = (name, version)
        if key not in self._records:
            self._records[key] = self.store.get_module(name, version)
        return self._records[key]

    def resolve(self, name: str, version: int) -> tuple[str, dict, bytes]:
        rec = self.record(name, version)
        return rec.kind, rec.spec, rec.weights

    def module(self, text: str) -> Any:
        """The module `nn:<name>@v<k>`, built from its bytes on first use."""
        if text not in self._built:
            from hylo.neural import kinds

            ref = parse_name(text)
            if ref.fresh or ref.name is None or ref.version is None:
                raise ValueError(f"{text} is not a library module")
            kind, spec, weights = self.resolve(ref.name, ref.version)
            self._built[text] = kinds.from_bytes(kind, spec, weights)
        return self._built[text]

    def modules(self) -> dict[str, Any]:
        """Every usable module, built."""
        return {text: self.module(text) for text in self.usable()}

    def save(self, name: str, kind: str, spec: dict, module: Any, metrics: dict,
             provenance: Mapping[str, Any]) -> str:
        """A new version of `name`; returns its program name (`nn:<name>@v<k>`)."""
        from hylo.neural import kinds

        prov = {**self.scope, **provenance}
        if prov.get("procedure") is not None:  # how it was trained: checked before it is kept
            from hylo.library.procedures import check_procedure

            prov["procedure"] = check_procedure(prov["procedure"])
        version = self.store.put_module(name, kind, spec, kinds.to_bytes(module), metrics, prov)
        return library_name(name, version)


def specialisation_name(text: str, task: str) -> str:
    """The name a library module fine-tuned on `task` is saved under: `<name>-<task>`, so
    tuning on one task never overwrites the general module other tasks rely on."""
    ref = parse_name(text)
    if ref.fresh or ref.name is None:
        raise ValueError(f"{text} is not a library module")
    return f"{ref.name.split('-')[0]}-{task}"
