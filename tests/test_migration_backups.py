"""The copies `db migrate` takes hold personal data: only the newest
``gdpr.migration_backups_kept`` are kept, `db status` lists them with their age, and the
record of processing says where they are and how long they are kept."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from spillway.migration_backups import file_name, migration_backups, prune
from spillway.processing_record import processing_record
from spillway.schema import MIGRATIONS
from spillway.settings import Settings
from spillway.storage import SqliteStore

runner = CliRunner()


def _copies(folder: Path, *stamps: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stamp in stamps:
        (folder / file_name(stamp, 20, "sqlite")).write_bytes(b"SQLite format 3\x00")


def test_only_the_newest_automatic_copies_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    _copies(folder, "20260101-120000", "20260301-120000", "20260201-120000")
    (folder / "spillway-mine.db").write_bytes(b"the admin's own copy")
    gone = prune(folder, 2)
    assert [p.name for p in gone] == ["spillway-20260101-120000-before-v20.db"]
    left = sorted(p.name for p in folder.iterdir())
    assert left == [
        "spillway-20260201-120000-before-v20.db",
        "spillway-20260301-120000-before-v20.db",
        "spillway-mine.db",  # not one `db migrate` made: never touched
    ]
    assert prune(tmp_path / "none", 1) == []


def _env(path: Path, tmp_path: Path, language: str, kept: int) -> dict[str, str]:
    return {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(path),
        "SPILLWAY_DATA": str(tmp_path / "data"),
        "SPILLWAY_GDPR__MIGRATION_BACKUPS_KEPT": str(kept),
        "SPILLWAY_SHOP__LANGUAGE": language,
        "SPILLWAY_WEB__LANGUAGE": language,
    }


@pytest.mark.parametrize(
    ("language", "pruned", "listed"),
    [
        ("en", "deleted 2 older copies from before migrations", "1 copy from before a migration"),
        ("da", "slettede 2 ældre kopier fra før migreringer", "1 kopi fra før en migrering"),
    ],
)
def test_migrate_prunes_its_older_copies_and_status_lists_what_is_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str, pruned: str, listed: str
) -> None:
    path = tmp_path / "old.db"
    with monkeypatch.context() as m:
        m.setattr("spillway.storage.MIGRATIONS", MIGRATIONS[:-1])
        db = SqliteStore(path)
        db.migrate()
        db.insert("calls", {"call_id": "c1", "caller": "+4520123456", "started_at": 1.0})
        db.close()
    folder = tmp_path / "data" / "backups"
    _copies(folder, "20250101-000000", "20250201-000000")
    env = _env(path, tmp_path, language, kept=1)
    done = runner.invoke(app, ["db", "migrate"], env=env)
    assert done.exit_code == 0, done.output
    assert pruned in " ".join(done.output.split())
    [left] = migration_backups(folder)
    assert left.stamp > "20250201-000000"  # the copy just taken
    status = runner.invoke(app, ["db", "status"], env=env)
    assert status.exit_code == 0, status.output
    shown = " ".join(status.output.split())
    assert listed in shown and "gdpr.migration_backups_kept: 1" in shown
    age = "0 days old" if language == "en" else "0 dage gammel"
    assert f"{left.path.name} ({age})" in shown


def test_status_says_each_copys_age(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() - 3 * 86400 - 12 * 3600))
    _copies(folder, stamp)
    [copy] = migration_backups(folder)
    assert copy.age_days(time.time()) == 3


@pytest.mark.parametrize(
    ("language", "line"),
    [
        (
            "en",
            "copies the database into {folder} before each schema change and keeps the newest 2",
        ),
        ("da", "kopierer databasen til {folder} før hver ændring af skemaet og gemmer de 2 nyeste"),
    ],
)
def test_the_record_of_processing_says_where_backups_are_and_how_long_kept(
    tmp_path: Path, language: str, line: str
) -> None:
    settings = Settings(paths={"data_dir": tmp_path}, gdpr={"migration_backups_kept": 2})
    text = processing_record(settings, language)
    assert line.format(folder=tmp_path / "backups") in text
    assert "spillway db backup" in text.split(str(tmp_path / "backups"))[1]


def test_a_kept_count_below_one_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    env = _env(tmp_path / "x.db", tmp_path, "en", kept=0)
    done = runner.invoke(app, ["db", "status"], env=env)
    assert done.exception is not None and getattr(done.exception, "code", "").startswith("config")
    assert "gdpr.migration_backups_kept" in str(done.exception)
