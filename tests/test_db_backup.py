"""Backups: a copy taken while a writer writes is whole; restore does not overwrite a live
database unless forced, nor from a file that is not a backup (a CSV given by mistake:
an input error with its code, exit 2); `db migrate` backs a database with data up first."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.admin_words import error_line
from cli.commands.db import is_backup
from cli.main import app
from spillway.errors import InputError
from spillway.schema import MIGRATIONS
from spillway.settings import Settings
from spillway.storage import SqliteStore

runner = CliRunner()


def _env(path: Path, tmp_path: Path) -> dict[str, str]:
    return {"SPILLWAY_STORAGE__SQLITE_PATH": str(path), "SPILLWAY_DATA": str(tmp_path / "data")}


def _call(store: SqliteStore, n: int) -> None:
    store.insert(
        "calls",
        {
            "call_id": f"c{n}",
            "caller": "+4520123456",
            "started_at": time.time(),
            "summary": "x" * 500,
        },
    )


def test_a_backup_taken_while_a_writer_writes_is_whole(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    SqliteStore(path).migrate()
    stop = threading.Event()
    written = [0]

    def writer() -> None:  # the scheduler's own connection, writing all along
        db = SqliteStore(path)
        while not stop.is_set():
            _call(db, written[0])
            written[0] += 1
        db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 200:
            time.sleep(0.01)
        target = tmp_path / "copy.db"
        done = runner.invoke(app, ["db", "backup", str(target)], env=_env(path, tmp_path))
        during = written[0]
    finally:
        stop.set()
        thread.join()
    assert done.exit_code == 0, done.output
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    [(rows,)] = copy.execute("SELECT count(*) FROM calls").fetchall()
    copy.close()
    assert 200 <= rows <= max(during, written[0])


def test_a_backup_into_a_folder_names_a_file_instead_and_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    SqliteStore(path).migrate()
    folder = tmp_path / "backups"
    folder.mkdir()
    for args in (["db", "backup", str(folder)], ["db", "backup", str(folder), "--force"]):
        done = runner.invoke(app, args, env=_env(path, tmp_path))
        assert isinstance(done.exception, InputError), done.output
        assert done.exception.message == f"{folder} is a folder: expected the backup's file name"
        assert f"spillway db backup {folder}/spillway-" in (done.exception.hint or "")
    assert folder.is_dir() and list(tmp_path.glob("*.partial")) == []


def test_a_backup_that_fails_midway_leaves_no_partial_file(tmp_path: Path) -> None:
    from cli.commands.db import _backup

    class Failing:
        def backup(self, target: Path) -> None:
            target.write_bytes(b"half a database")
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        _backup(Failing(), tmp_path / "copy.db")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_restore_refuses_a_live_database_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    db = SqliteStore(path)
    db.migrate()
    _call(db, 1)
    env = _env(path, tmp_path)
    assert runner.invoke(app, ["db", "backup", str(tmp_path / "b.db")], env=env).exit_code == 0
    _call(db, 2)
    refused = runner.invoke(app, ["db", "restore", str(tmp_path / "b.db")], env=env)
    assert isinstance(refused.exception, InputError)
    assert len(db.query("SELECT * FROM calls")) == 2
    done = runner.invoke(app, ["db", "restore", str(tmp_path / "b.db"), "--force"], env=env)
    assert done.exit_code == 0, done.output
    assert [r["call_id"] for r in db.query("SELECT call_id FROM calls")] == ["c1"]
    db.close()


def test_a_restore_leaves_the_backup_folder_as_it_was(tmp_path: Path) -> None:
    """A backup keeps its database's WAL flag; reading it must not leave -shm and -wal
    files beside it in the admin's folder."""
    path = tmp_path / "live.db"
    db = SqliteStore(path)
    db.migrate()
    _call(db, 1)
    env = _env(path, tmp_path)
    folder = tmp_path / "backups"
    folder.mkdir()
    backup = folder / "b.db"
    assert runner.invoke(app, ["db", "backup", str(backup)], env=env).exit_code == 0
    assert backup.read_bytes()[18:20] == b"\x02\x02"  # the WAL flag the copy keeps
    before = {f.name: f.read_bytes() for f in folder.iterdir()}
    done = runner.invoke(app, ["db", "restore", str(backup), "--force"], env=env)
    assert done.exit_code == 0, done.output
    assert {f.name: f.read_bytes() for f in folder.iterdir()} == before
    assert [r["call_id"] for r in db.query("SELECT call_id FROM calls")] == ["c1"]
    db.close()


def test_a_copy_of_a_live_database_is_restored_with_its_write_ahead_log(tmp_path: Path) -> None:
    """Copied with its -wal (rows not yet checkpointed into the file): those rows come back
    too, so the copy is not read as immutable."""
    live = tmp_path / "other.db"
    writer = SqliteStore(live)
    writer.migrate()
    writer._conn.execute("PRAGMA wal_autocheckpoint = 0")  # keep the row in the -wal
    _call(writer, 7)
    folder = tmp_path / "copies"
    folder.mkdir()
    for suffix in ("", "-wal"):
        (folder / f"c.db{suffix}").write_bytes(Path(f"{live}{suffix}").read_bytes())
    writer.close()
    path = tmp_path / "live.db"
    env = _env(path, tmp_path)
    args = ["db", "restore", str(folder / "c.db"), "--ignore-later-erasures"]  # a new database
    done = runner.invoke(app, args, env=env)
    assert done.exit_code == 0, done.output
    db = SqliteStore(path)
    assert [r["call_id"] for r in db.query("SELECT call_id FROM calls")] == ["c7"]
    db.close()


def test_migrate_backs_up_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.db"
    with monkeypatch.context() as m:
        m.setattr("spillway.storage.MIGRATIONS", MIGRATIONS[:-1])
        db = SqliteStore(path)
        db.migrate()
        _call(db, 1)
        db.close()
    old_mask = os.umask(0o022)  # the usual one, under which files came out 0644
    try:
        done = runner.invoke(app, ["db", "migrate"], env=_env(path, tmp_path))
    finally:
        os.umask(old_mask)
    assert done.exit_code == 0, done.output
    [backup] = (tmp_path / "data" / "backups").iterdir()
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT max(version) FROM _migrations").fetchall() == [
        (MIGRATIONS[-2].version,)
    ]
    assert copy.execute("SELECT call_id FROM calls").fetchall() == [("c1",)]
    copy.close()
    assert f"applied migration {MIGRATIONS[-1].version}" in done.output
    # Personal data: the copy and the folder made for it are their owner's only.
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup.parent.stat().st_mode) == 0o700


def test_a_restore_keeps_the_record_of_erasures_made_after_the_backup(tmp_path: Path) -> None:
    from spillway.erasure import forget

    path = tmp_path / "live.db"
    db = SqliteStore(path)
    db.migrate()
    _call(db, 1)
    env = _env(path, tmp_path)
    assert runner.invoke(app, ["db", "backup", str(tmp_path / "b.db")], env=env).exit_code == 0
    forget(db, "+4520123456", key=b"k", actor="dpo", now=time.time())
    done = runner.invoke(app, ["db", "restore", str(tmp_path / "b.db"), "--force"], env=env)
    assert done.exit_code == 0, done.output
    # No gdpr.hash_key here: the erasure cannot be matched, and the restore says so.
    said = " ".join(done.output.split())
    assert "kept 1 audit record made after this backup" in said
    assert "1 erasure made after this backup cannot be redone" in said
    assert [r["action"] for r in db.query("SELECT action FROM gdpr_audit")] == ["forget"]
    db.close()


def test_the_database_and_its_backups_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    """They hold personal data: 0600 whatever the umask (the folders made for them 0700)."""
    old = os.umask(0o022)
    try:
        path = tmp_path / "data" / "spillway.db"
        db = SqliteStore(path)
        db.migrate()
        _call(db, 1)
        for made in (path, path.with_name("spillway.db-wal"), path.with_name("spillway.db-shm")):
            assert stat.S_IMODE(made.stat().st_mode) == 0o600, made
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        target = tmp_path / "backups" / "b.db"
        args = ["db", "backup", str(target), "--make-folder"]
        done = runner.invoke(app, args, env=_env(path, tmp_path))
        assert done.exit_code == 0, done.output
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
        db.close()
    finally:
        os.umask(old)


def test_a_postgres_dump_is_readable_by_its_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pg_dump writes where it is told with the umask's mode: the file is made 0600 first."""
    import subprocess

    from spillway import postgres

    def fake_pg_dump(argv: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        target = Path(argv[argv.index("--file") + 1])
        with target.open("w") as out:  # as pg_dump does: truncate, keep the mode
            out.write("dump")
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(postgres.subprocess, "run", fake_pg_dump)
    store = object.__new__(postgres.PostgresStore)  # no server: only backup() is used
    store.dsn = "postgresql://spillway@localhost/spillway"
    old = os.umask(0o022)
    try:
        store.backup(tmp_path / "dump.pg")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "dump.pg").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "en",
            "{file} is not a backup of a SQLite database: expected a file `spillway db backup` "
            "wrote [input.not_a_backup]",
        ),
        (
            "da",
            "{file} er ikke en sikkerhedskopi af en SQLite-database: det skal være en fil, som "
            "`spillway db backup` har skrevet [input.not_a_backup]",
        ),
    ],
)
def test_restore_refuses_a_file_that_is_not_a_backup_with_a_code(
    tmp_path: Path, language: str, said: str
) -> None:
    path = tmp_path / "live.db"
    db = SqliteStore(path)
    db.migrate()
    _call(db, 1)
    csv = tmp_path / "cb.csv"
    csv.write_text("phone,window\n+4520123456,9-17\n")
    env = {**_env(path, tmp_path), "SPILLWAY_WEB__LANGUAGE": language}
    refused = runner.invoke(app, ["db", "restore", str(csv), "--force"], env=env)
    assert isinstance(refused.exception, InputError) and refused.exception.exit_code == 2
    settings = Settings(web={"language": language})
    assert error_line(refused.exception, settings) == said.format(file=csv)
    assert [r["call_id"] for r in db.query("SELECT call_id FROM calls")] == ["c1"]  # untouched
    db.close()


def test_a_backup_is_known_by_how_it_begins() -> None:
    assert is_backup(b"SQLite format 3\x00\x10\x00", "sqlite")
    assert not is_backup(b"phone,window\n", "sqlite") and not is_backup(b"", "sqlite")
    assert is_backup(b"PGDMP\x01\x0e", "postgres") and not is_backup(
        b"SQLite format 3\x00", "postgres"
    )
