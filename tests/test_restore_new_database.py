"""A restore into a new, empty database cannot know the erasures made after its backup:
it refuses, naming the backup's time, until the admin gives the old database's erasure
log (`--erasures-from`) or says there is none (`--ignore-later-erasures`). And a backup into
a folder that does not exist is refused, unless `--make-folder`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.admin_words import error_line
from cli.commands.db import written_at
from cli.main import app
from spillway.erasure_replay import ErasureLog, merged
from spillway.errors import InputError
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.test_restore_erasure import _env as restore_env
from tests.test_restore_erasure import _ok

ERASED = "+4531223344"
KEPT = "+4520987654"


def _env(tmp_path: Path, data: str, language: str) -> dict[str, str]:
    """test_restore_erasure's environment, its database in the data folder ``data``."""
    folder = tmp_path / data
    return {
        **restore_env(tmp_path, language),
        "SPILLWAY_DATA": str(folder),
        "SPILLWAY_STORAGE__SQLITE_PATH": str(folder / "spillway.db"),
    }


def _backup_then_forget(tmp_path: Path, language: str) -> Path:
    """The admin's sequence: two customers, a backup, one of them erased."""
    env = _env(tmp_path, "data", language)
    csv = tmp_path / "m.csv"
    csv.write_text(f"phone,name\n{ERASED},Bo Berg\n{KEPT},Anna Holm\n", encoding="utf-8")
    _ok(["callbacks", "import", str(csv)], env)
    (tmp_path / "bk").mkdir()
    backup = tmp_path / "bk" / "before.db"
    _ok(["db", "backup", str(backup)], env)
    _ok(["gdpr", "forget", ERASED, "--yes"], env)
    return backup


def _statuses(path: Path) -> dict[str, str]:
    db = SqliteStore(path)
    try:
        return {r["phone"]: r["status"] for r in db.query("SELECT * FROM callback_requests")}
    finally:
        db.close()


@pytest.mark.parametrize(
    ("language", "refused", "step"),
    [
        ("en", "is a new, empty database: it has no record of the erasures", "--erasures-from"),
        ("da", "er en ny, tom database: den kender ikke de sletninger", "--erasures-from"),
    ],
)
def test_a_restore_into_a_new_folder_is_refused_naming_the_backups_time(
    tmp_path: Path, language: str, refused: str, step: str
) -> None:
    backup = _backup_then_forget(tmp_path, language)
    env = _env(tmp_path, "data2", language)
    done = CliRunner().invoke(app, ["db", "restore", str(backup)], env=env)
    assert isinstance(done.exception, InputError) and done.exception.exit_code == 2
    assert done.exception.code == "input.restore_erasures_unknown"
    said = " ".join(error_line(done.exception, Settings(web={"language": language})).split())
    assert refused in said and written_at(backup) in said
    assert step in said and "--ignore-later-erasures" in said
    assert not (tmp_path / "data2" / "spillway.db").exists()  # nothing made, nothing restored


def test_an_empty_database_that_exists_is_refused_too(tmp_path: Path) -> None:
    backup = _backup_then_forget(tmp_path, "en")
    env = _env(tmp_path, "data2", "en")
    _ok(["db", "migrate"], env)  # a schema, no rows
    done = CliRunner().invoke(app, ["db", "restore", str(backup), "--force"], env=env)
    assert isinstance(done.exception, InputError)
    assert done.exception.code == "input.restore_erasures_unknown"


@pytest.mark.parametrize(
    ("language", "read", "again"),
    [
        ("en", "read the erasure log of", "erased 1 person again"),
        ("da", "læste sletteloggen i", "slettede igen 1 person"),
    ],
)
def test_the_old_databases_erasure_log_is_redone_on_a_new_one(
    tmp_path: Path, language: str, read: str, again: str
) -> None:
    backup = _backup_then_forget(tmp_path, language)
    old = tmp_path / "data" / "spillway.db"
    beside = sorted(p.name for p in old.parent.iterdir())
    env = _env(tmp_path, "data2", language)
    said = _ok(["db", "restore", str(backup), "--erasures-from", str(old)], env)
    assert read in said and again in said
    assert _statuses(tmp_path / "data2" / "spillway.db") == {KEPT: "pending"}
    assert sorted(p.name for p in old.parent.iterdir()) == beside  # read without a trace


def test_a_later_backup_serves_as_the_erasure_log(tmp_path: Path) -> None:
    backup = _backup_then_forget(tmp_path, "en")
    later = tmp_path / "bk" / "after.db"
    _ok(["db", "backup", str(later)], _env(tmp_path, "data", "en"))
    env = _env(tmp_path, "data2", "en")
    said = _ok(["db", "restore", str(backup), "--erasures-from", str(later)], env)
    assert "erased 1 person again" in said
    assert ERASED not in _statuses(tmp_path / "data2" / "spillway.db")


@pytest.mark.parametrize(
    ("language", "warned"),
    [
        ("en", "restored without an erasure log (--ignore-later-erasures): erasures made after"),
        ("da", "gendannet uden slettelog (--ignore-later-erasures): sletninger foretaget"),
    ],
)
def test_without_a_log_the_admin_says_so_and_is_told_what_is_not_redone(
    tmp_path: Path, language: str, warned: str
) -> None:
    backup = _backup_then_forget(tmp_path, language)
    env = _env(tmp_path, "data2", language)
    said = _ok(["db", "restore", str(backup), "--ignore-later-erasures"], env)
    assert warned in said and written_at(backup) in said
    assert "gdpr forget" in said
    # What the admin took on: the backup as it was, the erased person's request with it.
    assert _statuses(tmp_path / "data2" / "spillway.db") == {ERASED: "pending", KEPT: "pending"}


def test_an_erasure_log_that_is_no_database_is_refused(tmp_path: Path) -> None:
    backup = _backup_then_forget(tmp_path, "en")
    env = _env(tmp_path, "data2", "en")
    args = ["db", "restore", str(backup), "--erasures-from", str(tmp_path / "m.csv")]
    done = CliRunner().invoke(app, args, env=env)
    assert isinstance(done.exception, InputError)
    assert done.exception.code == "input.not_an_erasure_log"
    assert not (tmp_path / "data2").exists()


def test_logs_merged_keep_each_record_once_oldest_first() -> None:
    one = {"at": 2.0, "actor": "a", "action": "forget", "erased_hash": "h"}
    two = {"at": 1.0, "actor": "a", "action": "export", "erased_hash": None}
    mark = {"phone": "h", "source": "robinson", "added_at": 1.0}
    both = merged(ErasureLog([one], [mark]), ErasureLog([two, dict(one)], []))
    assert both.entries == [two, one] and both.marks == [mark]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "the folder {folder} does not exist: nothing was written"),
        ("da", "mappen {folder} findes ikke: intet er skrevet"),
    ],
)
def test_a_backup_into_a_missing_folder_is_refused_naming_it(
    tmp_path: Path, language: str, said: str
) -> None:
    env = _env(tmp_path, "data", language)
    _ok(["db", "migrate"], env)
    target = tmp_path / "nonexistent" / "x.db"
    done = CliRunner().invoke(app, ["db", "backup", str(target)], env=env)
    assert isinstance(done.exception, InputError) and done.exception.exit_code == 2
    assert done.exception.code == "input.backup_folder_missing"
    line = error_line(done.exception, Settings(web={"language": language}))
    assert said.format(folder=target.parent) in line and "--make-folder" in line
    assert not target.parent.exists()
    _ok(["db", "backup", str(target), "--make-folder"], env)
    assert target.is_file()
