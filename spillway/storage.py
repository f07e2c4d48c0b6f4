"""Storage behind one small interface, with SQLite (sqlite-utils) as the default.

The rest of Spillway talks to :class:`Store`: insert a row, run a query with
named parameters (``:name``), or group statements in a short transaction. That
subset maps onto PostgreSQL too (:mod:`spillway.postgres`: named parameters
translate to ``%(name)s``), which several scheduler nodes share; SQLite, one
file for one PBX, stays the default. SQLite runs in WAL mode with a busy
timeout, so readers never block the single writer. :class:`AsyncStore`
moves every call onto one worker thread so the event loop never waits on disk.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

import sqlite_utils

from spillway.errors import ConfigError, StorageError
from spillway.private_files import create_private, private_folder
from spillway.schema import MIGRATIONS, Migration
from spillway.settings import StorageSettings

Row = dict[str, Any]
Params = Mapping[str, Any] | Sequence[Any]
T = TypeVar("T")


class Transaction(ABC):
    """Statements that commit together or not at all."""

    # "sqlite" or "postgres": for the few statements that differ (row locks).
    dialect = "sqlite"

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""

    @abstractmethod
    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """Rows as dicts."""

    def values(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Rows as tuples in the SELECT's column order: for reads of many rows, where a
        dict per row costs as much as the database's own work."""
        return [tuple(row.values()) for row in self.query(sql, params)]

    @abstractmethod
    def insert(self, table: str, row: Mapping[str, Any]) -> int:
        """Insert one row; return its integer row id (0 when the key is not an integer)."""

    def execute_many(self, sql: str, rows: Sequence[Params]) -> int:
        """Run one statement once per row of parameters; the rows it changed, summed.
        The backends send it in one go (a bulk import's statements, not one each)."""
        return sum(self.execute(sql, row) for row in rows)


class Reader(Protocol):
    """Reads that belong together (a report's figures): what :meth:`Store.reading` yields."""

    backend: str

    def query(self, sql: str, params: Params = ()) -> list[Row]: ...

    def values(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]: ...


class Store(ABC):
    """The storage interface the rest of Spillway uses."""

    backend: str

    @abstractmethod
    def migrate(self) -> list[Migration]:
        """Apply pending migrations in order; return those applied now."""

    @abstractmethod
    def applied_migrations(self) -> list[Row]:
        """The ``_migrations`` table: version, name, applied_at."""

    @abstractmethod
    def transaction(self) -> Any:
        """A context manager yielding a :class:`Transaction`."""

    @abstractmethod
    def check_writable(self) -> None:
        """Raise StorageError unless a write can be committed now."""

    @abstractmethod
    def table_counts(self) -> dict[str, int]:
        """Rows per table (for status pages)."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def scrub(self, tables: tuple[str, ...] = ()) -> None:
        """Make rows deleted from ``tables`` (empty: all) unreadable from the files on
        disk, after an erasure."""

    @abstractmethod
    def backup(self, target: Path) -> None:
        """A consistent copy of the whole database in ``target``, taken while others write."""

    @abstractmethod
    def restore(self, source: Path) -> None:
        """Replace the whole database with the backup in ``source``."""

    def has_data(self) -> bool:
        """Whether any table holds a row (a live database, not a fresh one)."""
        return any(self.table_counts().values())

    def execute(self, sql: str, params: Params = ()) -> int:
        with self.transaction() as tx:
            return int(tx.execute(sql, params))

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with self.transaction() as tx:
            return list(tx.query(sql, params))

    def values(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        with self.transaction() as tx:
            return list(tx.values(sql, params))

    def insert(self, table: str, row: Mapping[str, Any]) -> int:
        with self.transaction() as tx:
            return int(tx.insert(table, row))

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """Several reads for one report (the console's KPIs). Here each runs as
        :meth:`query` runs it; PostgreSQL reads them from one read-only snapshot, each
        statement planned for its own parameters (spillway.postgres)."""
        yield self


def is_storage_fault(exc: BaseException) -> bool:
    """A fault of the database itself (a full disk, a read-only file, the server gone),
    as opposed to a fault of one row or statement: wait it out, do not blame the row."""
    if isinstance(exc, StorageError | sqlite3.OperationalError):
        return True
    # psycopg's OperationalError, without importing psycopg where it is not used.
    return any(
        c.__name__ == "OperationalError" and c.__module__.startswith("psycopg")
        for c in type(exc).__mro__
    )


def check_identifier(name: str) -> str:
    # Table and column names are interpolated into SQL; only allow plain names.
    if not name.replace("_", "").isalnum():
        raise StorageError(f"invalid SQL identifier {name!r}")
    return name


class _SqliteTransaction(Transaction):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    def execute_many(self, sql: str, rows: Sequence[Params]) -> int:
        return self._conn.executemany(sql, rows).rowcount

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        cursor = self._conn.execute(sql, params)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]

    def values(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    def insert(self, table: str, row: Mapping[str, Any]) -> int:
        cols = [check_identifier(c) for c in row]
        sql = (
            f"INSERT INTO {check_identifier(table)} ({', '.join(cols)}) "
            f"VALUES ({', '.join(':' + c for c in cols)})"
        )
        return self._conn.execute(sql, dict(row)).lastrowid or 0


class SqliteStore(Store):
    """SQLite in WAL mode. One connection, guarded by a lock, short transactions."""

    backend = "sqlite"

    def __init__(self, path: Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = path
        try:
            if str(path) != ":memory:":
                # Personal data: owner-only from the first byte (SQLite gives the
                # -wal and -shm files the same mode).
                private_folder(path.parent)
                create_private(path)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so nothing
            # commits behind our back in the middle of a transaction.
            conn = sqlite3.connect(
                str(path),
                timeout=busy_timeout_ms / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            self.db = sqlite_utils.Database(conn)
            if str(path) != ":memory:":
                self.db.enable_wal()
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            # Deleted rows are overwritten with zeros, so an erased number cannot
            # be read from the file's free pages (spillway.erasure).
            conn.execute("PRAGMA secure_delete = ON")
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open database {path}: {exc}") from exc
        self._conn = conn
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StorageError(f"cannot start a transaction on {self.path}: {exc}") from exc
            try:
                yield _SqliteTransaction(self._conn)
            except sqlite3.OperationalError as exc:
                # A full disk, a read-only file, a lock held too long, an I/O error:
                # a storage fault the caller may wait out, not a bug in a statement.
                self._rollback()
                raise StorageError(f"database {self.path}: {exc}") from exc
            except BaseException:
                self._rollback()
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise StorageError(f"commit failed on {self.path}: {exc}") from exc

    def _rollback(self) -> None:
        """Roll back what is left of a transaction, keeping the error that ended it.

        A failed COMMIT (a full disk) may have ended the transaction already; a
        ROLLBACK then raises "no transaction is active", which would hide the
        real error.
        """
        if not self._conn.in_transaction:
            return
        try:
            self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the connection is in trouble; the original error says why

    def migrate(self) -> list[Migration]:
        with self._lock:
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS _migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
            )
            done = {r["version"] for r in self.applied_migrations()}
            applied: list[Migration] = []
            for migration in MIGRATIONS:
                if migration.version in done:
                    continue
                try:
                    with self.transaction() as tx:
                        for statement in migration.statements:
                            tx.execute(statement)
                        tx.insert(
                            "_migrations",
                            {
                                "version": migration.version,
                                "name": migration.name,
                                "applied_at": time.time(),
                            },
                        )
                except sqlite3.Error as exc:
                    raise StorageError(
                        f"migration {migration.version} ({migration.name}) failed: {exc}"
                    ) from exc
                applied.append(migration)
            return applied

    def applied_migrations(self) -> list[Row]:
        if "_migrations" not in self.db.table_names():
            return []
        return list(self.db.query("SELECT * FROM _migrations ORDER BY version"))

    def check_writable(self) -> None:
        try:
            with self.transaction() as tx:
                tx.execute("CREATE TABLE IF NOT EXISTS _write_check (at REAL)")
                tx.execute("INSERT INTO _write_check (at) VALUES (?)", (time.time(),))
                tx.execute("DELETE FROM _write_check")
        except (sqlite3.Error, StorageError) as exc:
            raise StorageError(f"database {self.path} is not writable: {exc}") from exc

    def table_counts(self) -> dict[str, int]:
        with self._lock:
            return {
                name: self.db[name].count
                for name in self.db.table_names()
                if not name.startswith("_")
            }

    def scrub(self, tables: tuple[str, ...] = ()) -> None:
        # secure_delete zeroed the deleted rows in every table, but the write-ahead
        # log still holds pages as they were before the erasure; a checkpoint
        # copies the new ones in and empties it.
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def backup(self, target: Path) -> None:
        # SQLite's online backup API: a consistent copy, page by page, that
        # starts over when another connection writes in between.
        try:
            create_private(target)  # owner-only before a page is copied
            dest = sqlite3.connect(str(target))
            try:
                with self._lock:
                    self._conn.backup(dest)
            finally:
                dest.close()
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot back up {self.path} to {target}: {exc}") from exc

    def restore(self, source: Path) -> None:
        try:
            src = sqlite3.connect(backup_uri(source), uri=True)
            try:
                [(check,)] = src.execute("PRAGMA integrity_check").fetchall()
                if check != "ok":
                    raise StorageError(f"{source} is damaged: {check}")
                with self._lock:
                    src.backup(self._conn)
            finally:
                src.close()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot restore {self.path} from {source}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def backup_uri(source: Path) -> str:
    """How a restore opens the backup ``source``: read-only and, unless a ``-wal`` file
    is beside it, immutable.

    Why: a backup keeps its database's WAL flag, and even a read-only reader of a WAL
    database makes ``-shm`` and ``-wal`` files beside it, left in the admin's backup
    folder. Immutable reads it without them. A ``-wal`` already there holds committed
    pages (a copy of a live file), so that one is read as it is; the files were there.
    """
    uri = f"{source.resolve().as_uri()}?mode=ro"  # as_uri: '?' or '#' in a name escaped
    if not source.with_name(f"{source.name}-wal").exists():
        uri += "&immutable=1"
    return uri


def open_store(settings: StorageSettings, *, migrate: bool = True) -> Store:
    """Open the configured store and bring its schema up to date."""
    store: Store
    if settings.backend == "postgres":
        if settings.postgres_dsn is None:
            raise ConfigError(
                "config error: storage.postgres_dsn is missing: expected a DSN such as "
                "postgresql://spillway@db.example/spillway from SPILLWAY_STORAGE__POSTGRES_DSN "
                "or the secrets file"
            )
        from spillway.postgres import PostgresStore  # psycopg only where it is used

        store = PostgresStore(settings.postgres_dsn.get_secret_value())
    else:
        store = SqliteStore(settings.sqlite_path, busy_timeout_ms=settings.busy_timeout_ms)
    if migrate:
        store.migrate()
    return store


class AsyncStore:
    """Runs store calls on one bounded worker thread, off the event loop."""

    def __init__(self, store: Store, *, max_workers: int = 1) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="spillway-db")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, fn, *args)

    async def insert(self, table: str, row: Mapping[str, Any]) -> int:
        return await self.run(self.store.insert, table, row)

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self.run(self.store.execute, sql, params)

    async def query(self, sql: str, params: Params = ()) -> list[Row]:
        return await self.run(self.store.query, sql, params)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
