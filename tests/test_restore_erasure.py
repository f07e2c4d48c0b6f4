"""A restore redoes the erasures made after its backup (spillway.erasure_replay): the
admin's own sequence, import, backup, `gdpr forget`, restore, ends with the customer
neither dialable nor exported, said in the admin's language."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from spillway.erasure import forget
from spillway.erasure_replay import replay_erasures
from spillway.personal_data import keyed_hash
from spillway.settings import StorageSettings
from spillway.storage import SqliteStore, open_store

KEY = "restore-test-key-0123456789abcdef"
NUMBER = "+4520123456"
OTHER = "+4520987654"


def _env(tmp_path: Path, language: str) -> dict[str, str]:
    return {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(tmp_path / "live.db"),
        "SPILLWAY_GDPR__HASH_KEY": KEY,
        "SPILLWAY_CALLBACKS__SPOOL_DIR": str(tmp_path / "spool"),
        "SPILLWAY_SHOP__LANGUAGE": language,
        "SPILLWAY_WEB__LANGUAGE": language,
    }


def _ok(args: list[str], env: dict[str, str]) -> str:
    done = CliRunner().invoke(app, args, env=env)
    assert done.exit_code == 0, done.output
    return " ".join(done.output.split())


def _erase_between_backup_and_restore(tmp_path: Path, env: dict[str, str], backup: Path) -> str:
    """The admin's sequence: import two customers, back up, erase one, restore; what the
    restore said."""
    csv = tmp_path / "m.csv"
    csv.write_text(f"phone,name\n{NUMBER},Bo Berg\n{OTHER},Anna Holm\n", encoding="utf-8")
    _ok(["callbacks", "import", str(csv)], env)
    _ok(["db", "backup", str(backup)], env)
    _ok(["gdpr", "forget", NUMBER, "--yes"], env)
    return _ok(["db", "restore", str(backup), "--force"], env)


@pytest.mark.parametrize(
    ("language", "erased_again"),
    [("en", "erased 1 person again"), ("da", "slettede igen 1 person")],
)
def test_a_restore_does_not_bring_an_erased_customer_back(
    tmp_path: Path, language: str, erased_again: str
) -> None:
    env = _env(tmp_path, language)
    said = _erase_between_backup_and_restore(tmp_path, env, tmp_path / "b.db")
    assert erased_again in said
    db = SqliteStore(tmp_path / "live.db")
    try:
        phones = {r["phone"] for r in db.query("SELECT phone FROM callback_requests")}
        actions = [r["action"] for r in db.query("SELECT action FROM gdpr_audit ORDER BY at")]
    finally:
        db.close()
    assert NUMBER not in phones and OTHER in phones  # only the erased customer went
    assert actions.count("forget") == 2  # the erasure, and its redoing by the restore
    # The right of access finds nothing of them: the restored rows are gone, not hidden.
    exported = CliRunner().invoke(app, ["gdpr", "export", NUMBER], env=env)
    assert exported.exit_code == 0, exported.output
    assert "Bo Berg" not in exported.stdout and "Anna" not in exported.stdout
    assert exported.stdout.count(NUMBER) == 1  # the number asked about, in the header only


@pytest.mark.postgres
def test_a_restore_on_postgres_does_not_bring_an_erased_customer_back(
    tmp_path: Path, pg_dsn: str
) -> None:
    """The same sequence on PostgreSQL: pg_dump's backup, pg_restore, then v25's
    ``erased_hash`` finds the customer among the restored rows."""
    env = {
        **_env(tmp_path, "en"),
        "SPILLWAY_STORAGE__BACKEND": "postgres",
        "SPILLWAY_STORAGE__POSTGRES_DSN": pg_dsn,
    }
    _ok(["db", "migrate"], env)
    said = _erase_between_backup_and_restore(tmp_path, env, tmp_path / "b.dump")
    assert "erased 1 person again" in said
    assert not (tmp_path / "live.db").exists()  # it ran on PostgreSQL, not on a file
    db = open_store(StorageSettings(backend="postgres", postgres_dsn=pg_dsn), migrate=False)
    try:
        phones = {r["phone"] for r in db.query("SELECT phone FROM callback_requests")}
        audit = db.query("SELECT action, erased_hash FROM gdpr_audit ORDER BY at")
    finally:
        db.close()
    assert NUMBER not in phones and OTHER in phones
    hashed = keyed_hash(NUMBER, KEY.encode())
    assert [(r["action"], r["erased_hash"]) for r in audit] == [("forget", hashed)] * 2


def _request(db: SqliteStore, phone: str) -> None:
    now = time.time()
    db.insert(
        "callback_requests",
        {"phone": phone, "status": "pending", "source": "csv", "created_at": now},
    )


def test_an_erasure_that_cannot_be_matched_still_leaves_nobody_to_dial(tmp_path: Path) -> None:
    """A record without a hash (from before v25): the do-not-call hash the erasure left is
    put back, and the restored request it refuses is cancelled."""
    key = KEY.encode()
    db = SqliteStore(tmp_path / "a.db")
    db.migrate()
    _request(db, NUMBER)
    kept: list[dict[str, object]] = [{"action": "forget", "erased_hash": None}]
    marks = [{"phone": keyed_hash(NUMBER, key), "source": "robinson", "added_at": 1.0}]
    done = replay_erasures(db, kept, marks, key=key, actor="dpo", now=time.time())
    statuses = [r["status"] for r in db.query("SELECT status FROM callback_requests")]
    db.close()
    assert (done.unidentified, done.blocked, done.cancelled) == (1, 1, 1)
    assert statuses == ["cancelled"]


def test_an_erasure_of_someone_the_backup_does_not_hold_is_nothing_to_redo(
    tmp_path: Path,
) -> None:
    key = KEY.encode()
    db = SqliteStore(tmp_path / "a.db")
    db.migrate()
    _request(db, OTHER)
    forget(db, NUMBER, key=key, actor="dpo", now=time.time())
    [kept] = [dict(r) for r in db.query("SELECT * FROM gdpr_audit")]
    done = replay_erasures(db, [kept], [], key=key, actor="dpo", now=time.time())
    statuses = [r["status"] for r in db.query("SELECT status FROM callback_requests")]
    db.close()
    assert (done.erased_again, done.absent, done.cancelled) == (0, 1, 0)
    assert statuses == ["pending"]  # someone else's request is left alone
