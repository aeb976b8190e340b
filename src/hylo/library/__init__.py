"""The persistent library. `open_store` picks a backend; the contract is `hylo.library.store`.

`open_store` lives here, not in `store.py`, so that the contract module never imports its
backends (they import it): the same split as Optuna's `storages/__init__.py:get_storage`.
"""

from __future__ import annotations

import os

from hylo.library.memory_store import MemoryStore
from hylo.library.sqlite_store import SQLiteStore
from hylo.library.store import Store, StoreError

__all__ = ["MemoryStore", "SQLiteStore", "Store", "StoreError", "open_store"]


def open_store(target: None | str | os.PathLike[str] | Store) -> Store:
    """None: a fresh MemoryStore; a path: the SQLite library there (created if missing);
    a Store: itself."""
    if target is None:
        return MemoryStore()
    if isinstance(target, Store):
        return target
    if isinstance(target, str | os.PathLike):
        return SQLiteStore(target)
    raise TypeError(f"open_store takes None, a path or a Store, not {type(target).__name__}")
