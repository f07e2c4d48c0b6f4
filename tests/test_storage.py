"""Storage on a real SQLite file: migrations, WAL, transactions, the async wrapper."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from spillway.errors import StorageError
from spillway.schema import MIGRATIONS, latest_version
from spillway.storage import AsyncStore, SqliteStore


def test_migrations_are_applied_once_in_order_and_recorded(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "a.db")
    applied = store.migrate()
    assert [m.version for m in applied] == [m.version for m in MIGRATIONS]
    assert store.migrate() == []
    rows = store.applied_migrations()
    # Every migration, in order; a number may be missing (each helper of a session has
    # its own, and they are merged in any order).
    versions = [m.version for m in MIGRATIONS]
    assert versions == sorted(set(versions)) and versions[-1] == latest_version()
    assert [r["version"] for r in rows] == versions
    assert all(r["applied_at"] > 0 and r["name"] for r in rows)
    store.close()


def test_database_is_in_wal_mode_and_writable(store: SqliteStore) -> None:
    assert store.db.journal_mode == "wal"
    store.check_writable()


def test_transaction_rolls_back_as_a_whole(store: SqliteStore) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.insert("calls", {"call_id": "c1", "started_at": 1.0})
        raise RuntimeError("crash between two writes")
    assert store.query("SELECT * FROM calls") == []
    with store.transaction() as tx:
        tx.insert("calls", {"call_id": "c1", "started_at": 1.0})
        tx.insert("call_events", {"call_id": "c1", "at": 1.0, "kind": "started"})
    assert store.query("SELECT kind FROM call_events WHERE call_id = :c", {"c": "c1"}) == [
        {"kind": "started"}
    ]


def test_constraint_violations_surface(store: SqliteStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store.insert("call_events", {"call_id": "nope", "at": 1.0, "kind": "x"})


def test_bad_identifier_is_refused(store: SqliteStore) -> None:
    with pytest.raises(StorageError, match="invalid SQL identifier"):
        store.insert("calls; DROP TABLE calls", {"call_id": "x", "started_at": 1})


def test_unopenable_path_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="cannot open database"):
        SqliteStore(blocker / "sub" / "x.db")


def test_concurrent_writers_from_threads_do_not_lose_rows(store: SqliteStore) -> None:
    def write(prefix: str) -> None:
        for i in range(50):
            store.insert("calls", {"call_id": f"{prefix}{i}", "started_at": float(i)})

    threads = [threading.Thread(target=write, args=(p,)) for p in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.query("SELECT COUNT(*) AS n FROM calls") == [{"n": 200}]


async def test_async_store_runs_off_the_event_loop(store: SqliteStore) -> None:
    seen: list[str] = []
    async_store = AsyncStore(store)

    def record() -> int:
        seen.append(threading.current_thread().name)
        return store.insert("calls", {"call_id": "async", "started_at": 2.0})

    await async_store.run(record)
    assert seen and seen[0].startswith("spillway-db")
    assert await async_store.query("SELECT call_id FROM calls") == [{"call_id": "async"}]
    async_store.close()
