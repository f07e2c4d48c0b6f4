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
from spillway.storage import SqliteStore

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


@pytest.mark.parametrize(
    ("language", "erased_again"),
    [("en", "erased 1 person again"), ("da", "slettede igen 1 person")],
)
def test_a_restore_does_not_bring_an_erased_customer_back(
    tmp_path: Path, language: str, erased_again: str
) -> None:
    env = _env(tmp_path, language)
    csv = tmp_path / "m.csv"
    csv.write_text(f"phone,name\n{NUMBER},Bo Berg\n{OTHER},Anna Holm\n", encoding="utf-8")
    _ok(["callbacks", "import", str(csv)], env)
    _ok(["db", "backup", str(tmp_path / "b.db")], env)
    _ok(["gdpr", "forget", NUMBER, "--yes"], env)
    said = _ok(["db", "restore", str(tmp_path / "b.db"), "--force"], env)
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
