"""A SQLite database migrated only up to a given migration: a later one is tested on the
rows an older release wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

import spillway.storage
from spillway.schema import MIGRATIONS
from spillway.storage import SqliteStore


def sqlite_before(path: Path, monkeypatch: pytest.MonkeyPatch, version: int) -> SqliteStore:
    """A new database at ``path`` with the migrations before ``version`` applied; its
    ``migrate()`` applies the rest (the full list is restored before it returns)."""
    monkeypatch.setattr(
        spillway.storage, "MIGRATIONS", tuple(m for m in MIGRATIONS if m.version < version)
    )
    store = SqliteStore(path)
    store.migrate()
    monkeypatch.setattr(spillway.storage, "MIGRATIONS", MIGRATIONS)
    return store
