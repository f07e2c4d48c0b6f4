"""Which database an admin command uses, said in the admin's words, and the refusal to
create an empty one where the command's purpose needs data already there.

Run with another user's environment (root without ``SPILLWAY_DATA``), a command would
otherwise open, and create, an empty SQLite file under that user's home: an import
that never reaches the dialler, a backup of nothing, an erasure that finds no one.
So every command that reads or writes the store for the admin names it (a path for
SQLite; host and database name for PostgreSQL, never a password), and one that needs
existing data refuses a database that does not exist yet instead of creating it
(as `spillway db status` does).
"""

from __future__ import annotations

import shlex
from urllib.parse import urlsplit

from spillway.console_text import ConsoleText
from spillway.errors import InputError
from spillway.settings import StorageSettings
from spillway.storage import Store, open_store


def postgres_label(dsn: str) -> str:
    """``host/dbname`` of a PostgreSQL DSN (a URL or ``key=value`` words): no user,
    no password, so the line can be pasted into a ticket."""
    if "://" in dsn:
        parts = urlsplit(dsn)
        host = parts.hostname or "localhost"
        name = parts.path.lstrip("/") or (parts.username or "")
    else:
        try:
            words = dict(w.split("=", 1) for w in shlex.split(dsn) if "=" in w)
        except ValueError:  # an unbalanced quote: name nothing rather than leak it
            words = {}
        host = words.get("host", "localhost")
        name = words.get("dbname", words.get("user", ""))
    return f"{host}/{name}"


def database_label(storage: StorageSettings) -> str:
    """The database as the admin finds it again: the SQLite file's absolute path, or the
    PostgreSQL server and database."""
    if storage.backend == "sqlite":
        return str(storage.sqlite_path.resolve())
    dsn = storage.postgres_dsn.get_secret_value() if storage.postgres_dsn else ""
    return f"PostgreSQL {postgres_label(dsn)}"


def is_missing(storage: StorageSettings) -> bool:
    """Whether opening the store would create a new, empty SQLite file."""
    return storage.backend == "sqlite" and not storage.sqlite_path.exists()


def open_existing(storage: StorageSettings) -> Store:
    """The configured store, refused with ``input.no_database_here`` when it would be a
    new empty SQLite file: the admin is pointed at the wrong place, not at a new shop."""
    if is_missing(storage):
        path = storage.sqlite_path.resolve()
        raise InputError.worded("no_database_here", path=path, folder=path.parent)
    return open_store(storage)


def open_announced(storage: StorageSettings, *, may_create: bool) -> tuple[Store, str]:
    """Open the store for an admin command, and the line that says which one it is in the
    packs' key: ``cli.database.using``, or ``cli.database.created`` when ``may_create``
    (an import on a fresh install) made a new SQLite file."""
    if not may_create:
        return open_existing(storage), "cli.database.using"
    created = is_missing(storage)
    store = open_store(storage)
    return store, "cli.database.created" if created else "cli.database.using"


def said(t: ConsoleText, key: str, storage: StorageSettings) -> str:
    """The line :func:`open_announced` chose, in the admin's words."""
    return t(key, database=database_label(storage))
