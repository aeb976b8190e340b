"""Domain plug-ins register under the entry-point group `hylo.domains`; the engine names none.

A plug-in is an entry point whose object is a zero-argument function returning a
`hylo.core.domain.Domain`. A third-party package registers one in its own metadata
(`[project.entry-points."hylo.domains"] mine = "my_pkg:load_domain"`), nothing else.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from hylo.core.domain import Domain

GROUP = "hylo.domains"


class DomainError(KeyError):
    """A domain that is not installed or whose plug-in fails to load (`args[0]`: the message)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def available() -> list[str]:
    return sorted({ep.name for ep in entry_points(group=GROUP)})


@cache
def get_domain(name: str) -> Domain:
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            try:
                domain = ep.load()()
            except Exception as e:  # a broken plug-in is that plug-in's error, not ours
                raise DomainError(
                    f"domain {name!r} ({ep.value}) failed to load: {type(e).__name__}: {e}"
                ) from None
            if not isinstance(domain, Domain):
                raise DomainError(f"entry point {ep.value} did not return a Domain")
            return domain
    raise DomainError(f"unknown domain {name!r}; installed: {', '.join(available()) or 'none'}")


def suite_owners(suite: str) -> list[str]:
    """The installed domains that have a suite named `suite` (plug-ins that fail to load are
    skipped: they own nothing until they load)."""
    out = []
    for name in available():
        try:
            domain = get_domain(name)
        except DomainError:
            continue
        if suite in domain.suites:
            out.append(name)
    return out
