"""The map of personal data covers the migrated schema, and only columns that exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from spillway.personal_data import NOT_PERSONAL, PERSONAL_DATA, Erasure, Period, unmapped
from spillway.schema import MIGRATIONS, Migration
from spillway.storage import SqliteStore


def columns_of(db: SqliteStore) -> list[tuple[str, str, str]]:
    """(table, column, declared type) of the migrated SQLite schema."""
    return [
        (t, r["name"], r["type"])
        for t in db.db.table_names()
        for r in db.query(f"PRAGMA table_info({t})")
    ]


def unmapped_columns(db: SqliteStore) -> list[str]:
    return unmapped(columns_of(db))


def test_every_text_blob_or_phone_like_column_is_in_the_map(store: SqliteStore) -> None:
    assert unmapped_columns(store) == []


def test_the_map_names_only_columns_that_exist(store: SqliteStore) -> None:
    columns = {(t, c) for t, c, _kind in columns_of(store)}
    named = {(t.name, c.name) for t in PERSONAL_DATA for c in t.columns}
    named |= {(t.name, link.column) for t in PERSONAL_DATA for link in t.links}
    named |= {(t, c) for t, cols in NOT_PERSONAL.items() for c in cols}
    assert named - columns == set()


@pytest.mark.parametrize(
    ("statement", "column"),
    [
        ("ALTER TABLE calls ADD COLUMN caller_name TEXT", "calls.caller_name"),
        ("ALTER TABLE cases ADD COLUMN voicemail BLOB", "cases.voicemail"),
        ("ALTER TABLE orders ADD COLUMN alt_phone INTEGER", "orders.alt_phone"),
        ("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", "notes.body"),
    ],
)
def test_a_migration_adding_an_unmapped_column_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, statement: str, column: str
) -> None:
    extra = Migration(MIGRATIONS[-1].version + 1, "a new column", (statement,))
    monkeypatch.setattr("spillway.storage.MIGRATIONS", (*MIGRATIONS, extra))
    db = SqliteStore(tmp_path / "new.db")
    db.migrate()
    try:
        assert unmapped_columns(db) == [column]
    finally:
        db.close()


def test_what_retention_does_needs_no_key() -> None:
    # Retention runs without the keyed-hash secret: a table that expires either
    # deletes its rows or blanks columns, and a keyed hash is kept until erased.
    for table in PERSONAL_DATA:
        if table.period is not Period.UNTIL_ERASED:
            assert table.clock is not None, table.name
            assert all(c.erasure is not Erasure.KEYED_HASH for c in table.columns), table.name
