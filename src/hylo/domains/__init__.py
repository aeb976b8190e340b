"""Domain plug-ins register under the entry-point group `hylo.domains`; the engine names none."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from hylo.core.domain import Domain

GROUP = "hylo.domains"


def available() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=GROUP))


@cache
def get_domain(name: str) -> Domain:
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            domain = ep.load()()
            if not isinstance(domain, Domain):
                raise TypeError(f"entry point {ep.value} did not return a Domain")
            return domain
    raise KeyError(f"unknown domain {name!r}; installed: {', '.join(available()) or 'none'}")
