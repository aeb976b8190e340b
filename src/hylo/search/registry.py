"""Search strategies register by name under the entry-point group `hylo.searchers`.

A searcher spec is plain JSON that travels to workers: `{"name": "enumerative", "params": {...}}`.
On the command line a spec is a name (`enumerative`) or that JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from hylo.core.domain import Domain
from hylo.core.grammar import Grammar
from hylo.search.base import Searcher

GROUP = "hylo.searchers"


class SpecError(ValueError):
    """A searcher spec that names no registered searcher or has bad parameters."""


def available() -> list[str]:
    return sorted({ep.name for ep in entry_points(group=GROUP)})


@cache
def searcher_class(name: str) -> type[Searcher]:
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, Searcher)):
                raise SpecError(f"entry point {ep.value} is not a Searcher class")
            return cls
    raise SpecError(f"unknown searcher {name!r}; installed: {', '.join(available()) or 'none'}")


def parse_spec(spec: str | Mapping[str, Any]) -> dict[str, Any]:
    """A name, a JSON text or a mapping -> `{"name": str, "params": dict}` (checked)."""
    if isinstance(spec, str):
        text = spec.strip()
        if text.startswith("{"):
            try:
                spec = json.loads(text)
            except json.JSONDecodeError as e:
                raise SpecError(f"searcher spec is not valid JSON: {e}") from None
        else:
            spec = {"name": text, "params": {}}
    if not isinstance(spec, Mapping):
        raise SpecError("a searcher spec is a name or an object {name, params}")
    name = spec.get("name")
    params = spec.get("params", {})
    if not isinstance(name, str) or not name:
        raise SpecError("a searcher spec needs a 'name' (string)")
    if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
        raise SpecError("a searcher spec's 'params' must be an object")
    extra = set(spec) - {"name", "params"}
    if extra:
        raise SpecError(f"unknown fields in searcher spec: {', '.join(sorted(extra))}")
    return {"name": name, "params": dict(params)}


def build_searcher(
    spec: str | Mapping[str, Any], grammar: Grammar, domain: Domain | None = None
) -> Searcher:
    """The searcher `spec` describes, over `grammar` for `domain`."""
    s = parse_spec(spec)
    cls = searcher_class(s["name"])
    unknown = set(s["params"]) - set(cls.params)
    if unknown:
        raise SpecError(
            f"searcher {s['name']!r} has no parameter {', '.join(sorted(unknown))}; "
            f"it takes: {', '.join(cls.params) or 'none'}"
        )
    try:
        return cls(grammar, domain, **s["params"])
    except (TypeError, ValueError) as e:
        raise SpecError(f"searcher {s['name']!r}: {e}") from None
