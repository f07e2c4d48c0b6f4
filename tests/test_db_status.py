"""`spillway db status`: pending migrations are named, with the command that applies them;
with no database yet it says so and creates none."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from spillway.console_text import load_console_text
from spillway.schema import MIGRATIONS, UNUSED_VERSIONS, latest_version
from spillway.storage import SqliteStore


def _status(tmp_path: Path, database: Path) -> str:
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {database}\n")
    result = CliRunner().invoke(
        app, ["--config", str(config), "db", "status"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_a_database_behind_the_code_names_the_migrate_command(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    store = SqliteStore(database)
    store.migrate()  # to the latest version ...
    store.execute("DELETE FROM _migrations WHERE version = ?", (latest_version(),))
    store.close()  # ... then set one back, as a database from the last release is
    shown = _status(tmp_path, database)
    assert f"1 migration pending ({latest_version()} " in shown
    assert "spillway db migrate" in shown


def test_an_up_to_date_database_says_so(tmp_path: Path, store: SqliteStore) -> None:
    shown = _status(tmp_path, store.path)
    assert f"schema is up to date (v{latest_version()})" in shown
    assert "spillway db migrate" not in shown


def test_the_database_path_is_never_wrapped(tmp_path: Path) -> None:
    """On an empty database the table is narrow: its title wrapped the path mid-name."""
    database = tmp_path / "a" / "rather" / "long" / "folder" / "spillway.db"
    database.parent.mkdir(parents=True)
    SqliteStore(database).close()  # a database with no schema yet
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {database}\n")
    result = CliRunner().invoke(
        app, ["--config", str(config), "db", "status"], env={"COLUMNS": "40"}
    )
    assert result.exit_code == 0, result.output
    assert f"sqlite: {database}" in result.output.splitlines()


def test_a_new_database_is_one_line_not_every_migrations_name(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "new.db").close()  # created, not migrated
    shown = _status(tmp_path, tmp_path / "new.db")
    count = sum(1 for line in shown.splitlines() if line.startswith("no schema yet"))
    assert count == 1 and f"`spillway db migrate` creates it (v{latest_version()}," in shown
    assert "pending" not in shown


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "no database at {path} yet (nothing was created): `spillway db migrate` creates it"),
        (
            "da",
            "der er endnu ingen database i {path} (intet er oprettet): `spillway db migrate` "
            "opretter den",
        ),
    ],
)
def test_status_without_a_database_says_so_and_creates_none(
    tmp_path: Path, language: str, said: str
) -> None:
    database = tmp_path / "data" / "spillway.db"
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {database}\nweb:\n  language: {language}\n")
    result = CliRunner().invoke(
        app, ["--config", str(config), "db", "status"], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(said.format(path=database)), result.output
    assert f"(v{latest_version()}, " in result.output
    assert not database.exists() and not database.parent.exists()


def test_the_migration_numbers_have_no_gap_but_the_declared_unused_ones() -> None:
    versions = [m.version for m in MIGRATIONS]
    assert versions == sorted(versions)
    assert set(range(1, latest_version() + 1)) - set(versions) == UNUSED_VERSIONS


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "there is no migration 21: the number was never used, so nothing is missing"),
        (
            "da",
            "der findes ingen migrering 21: nummeret er aldrig blevet brugt, så der mangler intet",
        ),
    ],
)
def test_status_says_why_a_number_is_missing_from_the_list(
    tmp_path: Path, store: SqliteStore, language: str, said: str
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {store.path}\nweb:\n  language: {language}\n")
    result = CliRunner().invoke(
        app, ["--config", str(config), "db", "status"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert said in result.output.splitlines()


def test_every_migration_is_described_in_the_danish_admins_words(
    tmp_path: Path, store: SqliteStore
) -> None:
    """`db status` listed the English names the database records to a Danish admin:
    each migration has its words in every pack, and the Danish ones are shown."""
    for language in ("en", "da"):
        words = load_console_text(language).strings
        assert all(f"cli.db.described.v{m.version}" in words for m in MIGRATIONS), language
    config = tmp_path / "da.yaml"
    config.write_text(f"storage:\n  sqlite_path: {store.path}\nshop:\n  language: da\n")
    result = CliRunner().invoke(
        app, ["--config", str(config), "db", "status"], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 0, result.output
    danish = load_console_text("da")
    for migration in MIGRATIONS:
        assert migration.name not in result.output
        assert danish(f"cli.db.described.v{migration.version}") in result.output


def test_the_file_in_force_is_announced_in_the_admins_language(tmp_path: Path) -> None:
    """`web serve` and every service printed "configuration: ... (from $SPILLWAY_CONFIG)"
    in English to a Danish admin."""
    config = tmp_path / "da.yaml"
    config.write_text(f"storage:\n  sqlite_path: {tmp_path / 'x.db'}\nshop:\n  language: da\n")
    result = CliRunner().invoke(app, ["config", "show"], env={"SPILLWAY_CONFIG": str(config)})
    assert result.exit_code == 0, result.output
    assert f"konfiguration: {config} (angivet i $SPILLWAY_CONFIG)" in result.stderr
    assert "configuration:" not in result.stderr
