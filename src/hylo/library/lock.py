"""An exclusive lock on a library file, held by one process at a time (`hylo learn`).

`fcntl.flock` on `<library>.lock`: the kernel drops the lock when its holder dies however it
dies, so a crashed learner never leaves a stale lock behind. The lock file holds the holder's
pid and host, only to name it in the refusal. Where `fcntl` does not exist (Windows) the lock
is a no-op and says so in `LibraryLock.enforced`.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hylo.library.store import StoreError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]


class LibraryBusy(StoreError):
    """Another live process holds the library's lock."""


def lock_path(library: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(library)}.lock")


@contextmanager
def exclusive(library: str | os.PathLike[str], purpose: str = "learn") -> Iterator[Path]:
    """Hold `<library>.lock` for the block, or raise `LibraryBusy` at once (never waits)."""
    path = lock_path(library)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole block
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        reason = getattr(error, "strerror", None) or error
        raise StoreError(f"cannot create the lock file {str(path)!r}: {reason}") from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read(200).strip() or "another process"
                raise LibraryBusy(
                    f"another hylo {purpose} ({holder}) is using the library "
                    f"{os.fspath(library)!r}; wait for it to end or stop it"
                ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        yield path
    finally:
        handle.close()  # closing the descriptor releases the flock
