"""Hostile callback spools: anyone in Asterisk's group can write the spool folder.

Each test plants what a hostile or broken writer could leave there (links,
FIFOs, folders, huge sparse files, NaN and absurd numbers, deep nesting) and
checks the promise: a bad entry is set aside in bad/ with its reason, nothing
outside the spool is read, written or moved, and every other file still goes in.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import pytest

from scheduler import daemon
from scheduler.spool import SpoolFileError, SpoolReport, import_spool, parse_spool_file
from spillway.errors import SpillwayError
from spillway.storage import SqliteStore
from tests.hostile_files import finishes
from tests.test_callback_spool import run_daemon_until_recorded

NOW = 1_780_000_000.0


def _body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "version": 1,
        "phone": "4533333333",
        "call_id": "1780000.42",
        "requested_at": NOW - 60,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def _file(**overrides: object) -> bytes:
    return json.dumps(_body(**overrides)).encode()


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    folder = tmp_path / "spool"
    (folder / "new").mkdir(parents=True)
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


def _import(store: SqliteStore, spool: Path) -> SpoolReport:
    return import_spool(store, spool, region="DK", default_timezone="UTC", now=NOW)


def _phones(store: SqliteStore) -> list[str]:
    return sorted(r["phone"] for r in store.query("SELECT phone FROM callback_requests"))


def _good(spool: Path, name: str = "z-good.json", phone: str = "4544444444") -> None:
    # Sorted after the hostile entries: it is imported only if they do not stop the loop.
    (spool / "new" / name).write_bytes(_file(call_id=name, phone=phone))


# --- item 1: links are never followed ---------------------------------------------------


def test_a_link_in_new_is_set_aside_not_imported(
    store: SqliteStore, spool: Path, outside: Path
) -> None:
    target = outside / "elsewhere.json"
    target.write_bytes(_file(call_id="elsewhere", phone="4555555555"))
    (spool / "new" / "a.json").symlink_to(target)
    _good(spool)
    report = _import(store, spool)
    assert _phones(store) == ["+4544444444"]
    assert [name for name, _ in report.bad] == ["a.json"]
    assert "symbolic link" in (spool / "bad" / "a.json.error").read_text()
    assert (spool / "bad" / "a.json").is_symlink()  # the link itself moved, not its target
    assert target.read_bytes() == _file(call_id="elsewhere", phone="4555555555")


def test_new_itself_a_link_imports_nothing_from_elsewhere(
    store: SqliteStore, tmp_path: Path, outside: Path
) -> None:
    spool = tmp_path / "linked-spool"
    spool.mkdir()
    (outside / "a.json").write_bytes(_file())
    (spool / "new").symlink_to(outside)
    with pytest.raises(SpillwayError, match="symbolic link"):
        _import(store, spool)
    assert _phones(store) == []
    assert (outside / "a.json").exists()


def test_a_planted_error_file_link_is_replaced_not_written_through(
    store: SqliteStore, spool: Path, outside: Path
) -> None:
    victim = outside / "victim.txt"
    victim.write_text("precious\n")
    (spool / "bad").mkdir()
    (spool / "bad" / "x.json.error").symlink_to(victim)
    (spool / "new" / "x.json").write_bytes(b"garbage")
    _good(spool)
    _import(store, spool)
    assert victim.read_text() == "precious\n"
    # Nothing in bad/ is replaced: the file and its reason go beside the planted link.
    assert (spool / "bad" / "x.json.error").is_symlink()
    assert (spool / "bad" / "x.json.1").read_bytes() == b"garbage"
    assert "not JSON" in (spool / "bad" / "x.json.1.error").read_text()
    assert _phones(store) == ["+4544444444"]


def test_bad_itself_a_link_moves_nothing_out_of_the_spool(
    store: SqliteStore, spool: Path, outside: Path
) -> None:
    (spool / "bad").symlink_to(outside)
    (spool / "new" / "x.json").write_bytes(b"garbage")
    _good(spool)
    report = _import(store, spool)
    assert list(outside.iterdir()) == []
    assert [name for name, _ in report.bad] == ["x.json"]
    bad = spool / "bad"
    assert bad.is_dir() and not bad.is_symlink()
    assert (bad / "x.json").read_bytes() == b"garbage"
    # The planted link is kept (renamed inside the spool) for the admin to look at.
    [kept] = [p for p in spool.iterdir() if p.name.startswith("bad.") and p.is_symlink()]
    assert kept.resolve() == outside.resolve()
    assert _phones(store) == ["+4544444444"]


def test_a_hard_link_is_set_aside(store: SqliteStore, spool: Path, outside: Path) -> None:
    original = outside / "h.json"
    original.write_bytes(_file(call_id="h", phone="4555555555"))
    os.link(original, spool / "new" / "h.json")
    _good(spool)
    report = _import(store, spool)
    assert [name for name, _ in report.bad] == ["h.json"]
    assert _phones(store) == ["+4544444444"]
    assert original.read_bytes() == _file(call_id="h", phone="4555555555")


def test_the_pbx_script_never_writes_through_a_planted_link(tmp_path: Path, outside: Path) -> None:
    from dialplan.agi_scripts.callback_spool import spool_request

    victim = outside / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "tmp").mkdir()
    (tmp_path / "tmp" / "c1.json").symlink_to(victim)
    written = spool_request(str(tmp_path), _body(call_id="c1"))
    assert victim.read_text() == "precious\n"
    assert json.loads(Path(written).read_text())["call_id"] == "c1"


# --- item 6: one bad file never stops the spool --------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"version": 1, "phone": "4533333333", "call_id": "n", "requested_at": NaN}', "NaN"),
        (b'{"version": 1, "phone": "4533333333", "call_id": "n", "requested_at": Infinity}', "Inf"),
        (_file(requested_at=-1e20), "requested_at"),
        (_file().replace(b"1779999940.0", b"1e400"), "requested_at"),
        (_file(requested_at=10**400), "requested_at"),
        (_file(requested_at=0), "requested_at"),
        (b"[" * 5000 + b"]" * 5000, "not JSON"),
        (b'{"version": 1, "n": ' + b"9" * 5000 + b"}", "not JSON"),
        (_file(version=True), "version"),
        (_file(phone="45\x1b[5m33"), "phone"),
        (_file(call_id="a\nb"), "call_id"),
        (_file(channel=["x"]), "channel"),
        (_file(extra="x"), "unknown field"),
    ],
    ids=[
        "nan",
        "infinity",
        "minus-1e20",
        "1e400",
        "huge-int",
        "epoch-zero",
        "deep-nesting",
        "5000-digits",
        "version-true",
        "escape-in-phone",
        "newline-in-call-id",
        "channel-list",
        "unknown-field",
    ],
)
def test_every_field_is_checked_finite_numbers_included(data: bytes, reason: str) -> None:
    with pytest.raises(SpoolFileError, match=reason):
        parse_spool_file(data, now=NOW)


def test_a_nan_file_is_set_aside_and_the_files_after_it_go_in(
    store: SqliteStore, spool: Path
) -> None:
    (spool / "new" / "a-nan.json").write_bytes(
        b'{"version": 1, "phone": "4533333333", "call_id": "n", "requested_at": NaN}'
    )
    (spool / "new" / "b-old.json").write_bytes(_file(call_id="old", requested_at=-1e20))
    _good(spool)
    report = _import(store, spool)
    assert sorted(name for name, _ in report.bad) == ["a-nan.json", "b-old.json"]
    assert _phones(store) == ["+4544444444"]
    assert sorted(p.name for p in (spool / "new").iterdir()) == []


def test_a_folder_named_like_a_file_is_set_aside(store: SqliteStore, spool: Path) -> None:
    (spool / "new" / "0-dir.json").mkdir()
    (spool / "new" / "0-dir.json" / "inner.json").write_bytes(_file())
    _good(spool)
    report = _import(store, spool)
    assert [name for name, _ in report.bad] == ["0-dir.json"]
    assert "folder" in str(dict(report.bad)["0-dir.json"])
    assert (spool / "bad" / "0-dir.json" / "inner.json").exists()
    assert _phones(store) == ["+4544444444"]


def test_a_fifo_neither_hangs_nor_stops_the_import(store: SqliteStore, spool: Path) -> None:
    fifo = spool / "new" / "x.json"
    os.mkfifo(fifo)
    _good(spool)
    report = finishes(lambda: _import(store, spool), 5, fifo=fifo)
    assert report is not None, "import-spool hung on a FIFO"
    assert isinstance(report, SpoolReport)
    assert [name for name, _ in report.bad] == ["x.json"]
    assert "FIFO" in str(dict(report.bad)["x.json"])
    assert _phones(store) == ["+4544444444"]


def test_a_huge_file_is_refused_before_it_is_read(
    store: SqliteStore, spool: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = spool / "new" / "huge.json"
    with huge.open("wb") as f:
        f.truncate(800 * 1024 * 1024)  # sparse: 800 MB that take no disk
    _good(spool)
    reads: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        reads.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", counting_read)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"read whole: {self}"))
    report = _import(store, spool)
    assert [name for name, _ in report.bad] == ["huge.json"]
    assert "larger than" in str(dict(report.bad)["huge.json"])
    assert max(reads, default=0) <= 16_385
    assert _phones(store) == ["+4544444444"]


def test_upper_case_json_files_are_imported(store: SqliteStore, spool: Path) -> None:
    (spool / "new" / "A.JSON").write_bytes(_file(call_id="upper"))
    report = _import(store, spool)
    assert len(report.imported) == 1
    assert list((spool / "new").iterdir()) == []


def test_a_far_past_request_never_reaches_status_or_show(store: SqliteStore, spool: Path) -> None:
    # -1e20 used to go in: `callbacks show` crashed and `scheduler status` reported a 1e20 s lag.
    from scheduler.dialer import status_report

    (spool / "new" / "old.json").write_bytes(_file(requested_at=-1e20))
    _import(store, spool)
    assert status_report(store, NOW)["lag_s"] == 0.0


def test_a_record_failure_costs_only_its_own_file(
    store: SqliteStore, spool: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scheduler import spool as spool_module

    real_record = spool_module.record

    def record(tx, request, **kw):  # type: ignore[no-untyped-def]
        if request.call_id == "a-poison.json":
            raise RuntimeError("something no check foresaw")
        return real_record(tx, request, **kw)

    monkeypatch.setattr(spool_module, "record", record)
    _good(spool, "a-poison.json", "4533333333")
    _good(spool)
    report = _import(store, spool)
    assert _phones(store) == ["+4544444444"]
    assert [name for name, _ in report.failed] == ["a-poison.json"]
    assert (spool / "new" / "a-poison.json").exists()  # not its fault, perhaps: tried again


async def test_a_dead_import_task_is_restarted_and_logged(
    tmp_path: Path,
    spool: Path,
    store: SqliteStore,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (spool / "new" / "a.json").write_bytes(_file(call_id="a", requested_at=time.time()))
    real_import = daemon.import_spool
    calls = []

    def dying_once(*args: object, **kwargs: object) -> SpoolReport:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("an import bug")
        return real_import(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(daemon, "import_spool", dying_once)
    monkeypatch.setattr(daemon, "RESTART_AFTER_S", 0.05, raising=False)
    caplog.set_level(logging.ERROR, logger="scheduler.daemon")
    await run_daemon_until_recorded(tmp_path, spool, store)
    assert _phones(store) == ["+4533333333"]
    assert any("an import bug" in r.getMessage() for r in caplog.records), caplog.text


def test_import_spool_names_each_bad_file_in_one_line_and_imports_the_rest(
    tmp_path: Path, spool: Path, store: SqliteStore
) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    (spool / "new" / "0-dir.json").mkdir()
    (spool / "new" / "a-nan.json").write_bytes(
        b'{"version": 1, "phone": "4533333333", "call_id": "n", "requested_at": NaN}'
    )
    (spool / "new" / "b.json").write_bytes(_file(call_id="b", requested_at=time.time()))
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {store.path}\ncallbacks:\n  spool_dir: {spool}\n")
    result = CliRunner().invoke(app, ["--config", str(config), "callbacks", "import-spool"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    # The terminal may fold a long temporary path over two lines: compare without
    # the whitespace (log lines may repeat the name).
    bare = "".join(result.output.split())
    assert f"{spool}/new/0-dir.json:setasideinbad/:afolder,notafile" in bare
    assert "a-nan.json:setasideinbad/:notJSON:NaN" in bare
    said = " ".join(result.output.split())
    assert "1 request imported" in said and "2 files set aside" in said
    assert _phones(store) == ["+4533333333"]
