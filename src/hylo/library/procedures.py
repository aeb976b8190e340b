"""Procedures in the library: how a module was trained, stored with it.

A module's library entry records its architecture (`spec`), its weights and metrics; its
*procedure* is the training that produced it: method, optimizer, hyperparameters (learning rate,
steps, batch size, weight decay, augmentation), schedule (successive halving's `min_steps`,
`eta`, `final_steps`), the tuning study it came from (name and storage), and the metrics it
reached. It is plain JSON kept under the key `"procedure"` of the module's provenance, so library
files written before procedures existed load unchanged (`procedure_of` gives None for them).

A procedure is checked both when it is saved and when it is read (`check_procedure`): a dict of
known keys only, at most `MAX_PROCEDURE_BYTES` of JSON, numbers finite and within bounds, strings
short. Anything else raises `ProcedureError` (a `ValueError`) naming what is wrong.

Reuse: `train_config(procedure, base)` is `base` with the procedure's hyperparameters
(`base`'s seed kept); `latest_procedure(library, kind)` is the procedure of the newest module of
that kind in a `ModuleLibrary`'s scope that has one. Reusing a procedure fully also reuses the
module's architecture: `choose_reuse(library, kind, base_spec)` picks the newest module of the
kind with a procedure (one from a tuning study first) and gives its procedure and its spec over
the hole's inputs and outputs (`reused_spec`), checked by `hylo.neural.kinds.full_spec`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

MAX_PROCEDURE_BYTES = 8192
MAX_TEXT = 500

#: hyperparameter -> (type, low, high): the fields of `TrainConfig` a procedure may set
TRAIN_FIELDS: dict[str, tuple[type, float, float]] = {
    "steps": (int, 0, 10_000_000),
    "batch_size": (int, 1, 1_000_000),
    "lr": (float, 0.0, 100.0),
    "weight_decay": (float, 0.0, 100.0),
    "augment": (bool, 0, 1),
    "baseline_decay": (float, 0.0, 1.0),
    "popsize": (int, 0, 1_000_000),
    "sigma": (float, 0.0, 100.0),
    "es_batch": (int, 1, 1_000_000),
}
SCHEDULE_FIELDS: dict[str, tuple[type, float, float]] = {
    "min_steps": (int, 0, 10_000_000),
    "eta": (int, 1, 1000),
    "final_steps": (int, 0, 10_000_000),
}
TOP_KEYS = {"method", "optimizer", "train", "schedule", "tuning", "metrics"}
TUNING_KEYS = {"study", "storage", "searcher", "trials"}
MAX_METRICS = 32
#: spec keys set by where a hole stands (its inputs and outputs), not by its architecture
IO_KEYS: dict[str, tuple[str, ...]] = {"classify": ("classes", "shape"), "regress": ("shape",),
                                       "mlp": ("in", "out")}


class ProcedureError(ValueError):
    """A procedure that is not one hylo can store or reuse."""


def _number(value: Any, kind: type, low: float, high: float, where: str) -> Any:
    if kind is bool:
        if not isinstance(value, bool):
            raise ProcedureError(f"procedure {where} must be true or false, not {value!r:.60}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProcedureError(f"procedure {where} must be a number, not {value!r:.60}")
    if kind is int and not (isinstance(value, int) or float(value).is_integer()):
        raise ProcedureError(f"procedure {where} must be an integer, not {value!r}")
    if not math.isfinite(value) or not low <= value <= high:
        raise ProcedureError(f"procedure {where} must be within [{low:g}, {high:g}], "
                             f"not {value!r}")
    return int(value) if kind is int else float(value)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ProcedureError(f"procedure {where} must be a string of at most {MAX_TEXT} "
                             f"characters, not {value!r:.60}")
    return value


def _fields(value: Any, fields: Mapping[str, tuple[type, float, float]], where: str) -> dict:
    if not isinstance(value, Mapping):
        raise ProcedureError(f"procedure {where} must be an object, not {type(value).__name__}")
    unknown = sorted(str(k)[:40] for k in value if k not in fields)
    if unknown:
        raise ProcedureError(f"procedure {where} has unknown keys {unknown[:5]}")
    return {k: _number(v, *fields[k], f"{where}.{k}") for k, v in value.items()}


def check_procedure(procedure: Any) -> dict[str, Any]:
    """`procedure`, checked and normalised; `ProcedureError` if it is not a valid one."""
    if not isinstance(procedure, Mapping):
        raise ProcedureError(f"a procedure must be an object, not {type(procedure).__name__}")
    try:
        size = len(json.dumps(procedure, allow_nan=False))
    except (TypeError, ValueError, RecursionError) as error:
        raise ProcedureError(f"a procedure must be plain JSON: {error}") from None
    if size > MAX_PROCEDURE_BYTES:
        raise ProcedureError(f"a procedure is at most {MAX_PROCEDURE_BYTES} bytes of JSON, "
                             f"not {size}")
    unknown = sorted(str(k)[:40] for k in procedure if k not in TOP_KEYS)
    if unknown:
        raise ProcedureError(f"procedure has unknown keys {unknown[:5]}")
    out: dict[str, Any] = {}
    for key in ("method", "optimizer"):
        if key in procedure:
            out[key] = _text(procedure[key], key)
    if "train" in procedure:
        out["train"] = _fields(procedure["train"], TRAIN_FIELDS, "train")
    if "schedule" in procedure and procedure["schedule"] is not None:
        out["schedule"] = _fields(procedure["schedule"], SCHEDULE_FIELDS, "schedule")
    tuning = procedure.get("tuning")
    if tuning is not None:
        if not isinstance(tuning, Mapping) or set(tuning) - TUNING_KEYS:
            raise ProcedureError(f"procedure tuning must be an object with keys among "
                                 f"{sorted(TUNING_KEYS)}")
        out["tuning"] = {k: (_number(v, int, 0, 10_000_000, f"tuning.{k}") if k == "trials"
                             else _text(v, f"tuning.{k}")) for k, v in tuning.items()}
    if "metrics" in procedure:
        metrics = procedure["metrics"]
        if not isinstance(metrics, Mapping) or len(metrics) > MAX_METRICS:
            raise ProcedureError(f"procedure metrics must be an object of at most "
                                 f"{MAX_METRICS} numbers")
        out["metrics"] = {_text(k, "metrics key"):
                          None if v is None else _number(v, float, -1e12, 1e12, f"metrics.{k}")
                          for k, v in metrics.items()}
    return out


def make_procedure(train: Any, method: str = "gradient", optimizer: str = "adam",
                   schedule: Mapping[str, Any] | None = None,
                   tuning: Mapping[str, Any] | None = None,
                   metrics: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The procedure of a module trained with `train` (a `TrainConfig`), checked."""
    raw = {"method": method, "optimizer": optimizer,
           "train": {k: getattr(train, k) for k in TRAIN_FIELDS},
           "schedule": dict(schedule) if schedule else None,
           "tuning": dict(tuning) if tuning else None,
           "metrics": {k: v for k, v in (metrics or {}).items()
                       if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))}}
    return check_procedure(raw)


def procedure_of(record: Any) -> dict[str, Any] | None:
    """The procedure of a `ModuleRecord`; None for a module stored without one."""
    prov = record.provenance or {}
    if prov.get("procedure") is None:
        return None
    return check_procedure(prov["procedure"])


def train_config(procedure: Mapping[str, Any], base: Any) -> Any:
    """`base` (a `TrainConfig`) with the procedure's hyperparameters; `base`'s seed kept."""
    return replace(base, **check_procedure(procedure).get("train", {}))


def latest_procedure(library: Any, kind: str) -> tuple[str, dict[str, Any]] | None:
    """(`nn:<name>@v<k>`, procedure) of the newest in-scope module of `kind` with a procedure."""
    from hylo.neural.names import library_name

    best = None
    for rec in library.store.modules():
        if rec.kind != kind or not library.in_scope(rec):
            continue
        procedure = procedure_of(rec)
        if procedure is not None and (best is None or rec.created_at >= best[0].created_at):
            best = (rec, procedure)
    return None if best is None else (library_name(best[0].name, best[0].version), best[1])


def procedures(library: Any, kind: str) -> list[tuple[Any, dict[str, Any]]]:
    """(record, procedure) of every in-scope module of `kind` that has one, newest first; a
    malformed procedure raises `ProcedureError` naming its module."""
    from hylo.neural.names import library_name

    found = []
    for i, rec in enumerate(library.store.modules()):
        if rec.kind != kind or not library.in_scope(rec):
            continue
        try:
            procedure = procedure_of(rec)
        except ProcedureError as error:
            raise ProcedureError(f"{library_name(rec.name, rec.version)}: {error}") from None
        if procedure is not None:
            created = rec.created_at if isinstance(rec.created_at, (int, float)) else 0.0
            found.append((float(created), i, rec, procedure))
    found.sort(key=lambda x: (x[0], x[1]), reverse=True)  # later in the store wins a tie
    return [(rec, procedure) for _, _, rec, procedure in found]


def reused_spec(kind: str, spec: Any, base: Mapping[str, Any] | None = None,
                module: str = "a module") -> dict[str, Any]:
    """The architecture of a stored `spec` with the inputs and outputs (`IO_KEYS`, and the
    input selection `inputs`) of `base` (the hole's own fresh spec), checked: a
    `ProcedureError` when either is not a spec of the kind within its caps, or the
    architecture does not fit the hole (pools that leave nothing)."""
    from hylo.neural import kinds

    try:
        stored = kinds.full_spec(kind, spec)  # the module as it was built (old keys defaulted)
        hole = kinds.full_spec(kind, dict(base) if base is not None else None)
        io = {k: hole[k] for k in IO_KEYS.get(kind, ())}
        # a selection of inputs belongs to the data the module was trained on, not to its
        # architecture: the hole's own (or none) replaces it
        stored.pop("inputs", None)
        if "inputs" in hole:
            io["inputs"] = hole["inputs"]
        return kinds.full_spec(kind, {**stored, **io})
    except (ValueError, TypeError) as error:
        raise ProcedureError(f"the architecture of {module} cannot be reused for a {kind} "
                             f"hole: {str(error)[:300]}") from None


@dataclass(frozen=True)
class Reuse:
    """A procedure to train fresh holes of `kind` with: its hyperparameters and its module's
    architecture (`spec`, over the hole's inputs and outputs)."""

    module: str  # `nn:<name>@v<k>`, the library module it comes from
    kind: str
    procedure: dict[str, Any]
    spec: dict[str, Any]

    @property
    def tuned(self) -> bool:
        return bool(self.procedure.get("tuning"))


def reuse_of(record: Any, procedure: Mapping[str, Any],
             base_spec: Mapping[str, Any] | None = None) -> Reuse:
    """The `Reuse` of a module record and its procedure (both checked)."""
    from hylo.neural.names import library_name

    name = library_name(record.name, record.version)
    return Reuse(name, record.kind, check_procedure(procedure),
                 reused_spec(record.kind, record.spec, base_spec, name))


def choose_reuse(library: Any, kind: str,
                 base_spec: Mapping[str, Any] | None = None) -> Reuse | None:
    """The procedure to reuse for fresh holes of `kind`: the newest in-scope module with a
    procedure from a tuning study, else the newest with any procedure; None without one.
    A tuned procedure comes first so that a later default one (the library's own classify
    module, trained after the study) does not hide it."""
    found = procedures(library, kind)
    tuned = [(rec, p) for rec, p in found if p.get("tuning")]
    pick = (tuned or found or [None])[0]
    return None if pick is None else reuse_of(pick[0], pick[1], base_spec)


def describe_procedure(record: Any) -> str:
    """One line for listings: the hyperparameters, tuning study and validation accuracy; ""
    without a procedure; never raises (a malformed one is shown as such)."""
    try:
        procedure = procedure_of(record)
    except ProcedureError as error:
        return f"invalid: {error}"
    if procedure is None:
        return ""
    train = procedure.get("train", {})
    parts = [procedure.get("method", "?"), procedure.get("optimizer", "")]
    parts += [f"{k}={train[k]:g}" for k in ("lr", "steps", "batch_size", "weight_decay")
              if k in train]
    schedule = procedure.get("schedule") or {}
    if "final_steps" in schedule:
        parts.append(f"final={schedule['final_steps']}")
    tuning = procedure.get("tuning") or {}
    if "study" in tuning:
        parts.append(f"study={tuning['study']}")
    val = (procedure.get("metrics") or {}).get("val_accuracy")
    if val is not None:
        parts.append(f"val={val:.3f}")
    return " ".join(p for p in parts if p)
