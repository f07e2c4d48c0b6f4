"""The callback spool: the DTMF menu's own script, and the scheduler's import of what it wrote.

With `spillway serve` down, "3 = call me back" runs a classic AGI script
(pyst2) inside Asterisk that leaves a JSON file in the spool; the scheduler
imports it through the one owner of callback requests. Tests: the pure
parser's refusals, the import (bad files set aside with their reason, the
rest in, nothing recorded twice after a crash between record and unlink),
the script itself over a scripted AGI conversation, the scheduler daemon
importing while AMI is unreachable, and the whole path over the sandbox.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dialplan.agi_scripts import callback_spool as script
from dialplan.spool import callback_spool, install_script
from scheduler.daemon import run_scheduler
from scheduler.spool import SpoolFileError, import_spool, parse_spool_file
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.conftest import host_settings, unreachable_ami_settings

NOW = 1_780_000_000.0


def _file(**overrides: object) -> bytes:
    body = {"version": 1, "phone": "4533333333", "call_id": "1780000.42", "requested_at": NOW - 60}
    body.update(overrides)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (_file(version=2), "version 2"),
        (_file(phone=None), "phone:"),
        (_file(phone=""), "phone:"),
        (_file(call_id=7), "call_id:"),
        (_file(requested_at="yesterday"), "requested_at"),
        (_file(requested_at=True), "requested_at"),
        (b"{" + b" " * 20_000 + b"}", "larger than"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_a_bad_spool_file_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(SpoolFileError, match=reason):
        parse_spool_file(data, now=NOW)


def test_a_spool_file_is_a_request_from_the_menu_with_its_own_key() -> None:
    request, asked = parse_spool_file(_file(), now=NOW)
    assert (request.phone, request.source.value, request.call_id) == (
        "4533333333",
        "spool",
        "1780000.42",
    )
    assert request.idempotency_key == "1780000.42"  # stored as spool:1780000.42
    assert asked == NOW - 60
    # A PBX clock far ahead is not believed; the import time stands in.
    _, asked = parse_spool_file(_file(requested_at=NOW + 86_400), now=NOW)
    assert asked == NOW


def _spool(folder: Path, files: dict[str, bytes]) -> None:
    (folder / "new").mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / "new" / name).write_bytes(data)


def _store(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(tmp_path / "spool.db")
    store.migrate()
    return store


def test_import_records_the_good_files_and_sets_the_bad_ones_aside(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    _spool(
        spool,
        {
            "a.json": _file(call_id="a"),
            "b.json": b"garbage",
            "c.json": _file(call_id="c", phone="4544444444"),
            "ignored.tmp": b"not a spool file",
        },
    )
    store = _store(tmp_path)
    report = import_spool(store, spool, region="DK", default_timezone="Europe/Copenhagen", now=NOW)
    assert len(report.imported) == 2
    assert [name for name, _ in report.bad] == ["b.json"]
    rows = store.query("SELECT phone, source, call_id, created_at FROM callback_requests")
    assert sorted((r["phone"], r["call_id"]) for r in rows) == [
        ("+4533333333", "a"),
        ("+4544444444", "c"),
    ]
    assert {r["source"] for r in rows} == {"spool"}
    # The deadline counts from when the caller asked, not from the import.
    assert {r["created_at"] for r in rows} == {NOW - 60}
    assert sorted(p.name for p in (spool / "new").iterdir()) == ["ignored.tmp"]
    assert (spool / "bad" / "b.json").read_bytes() == b"garbage"
    assert "not JSON" in (spool / "bad" / "b.json.error").read_text()


def test_a_file_imported_but_not_yet_removed_is_not_recorded_twice(tmp_path: Path) -> None:
    # The importer died after the commit and before the unlink: the file is still there.
    spool = tmp_path / "spool"
    store = _store(tmp_path)
    _spool(spool, {"a.json": _file(call_id="a")})
    first = import_spool(store, spool, region="DK", default_timezone="UTC", now=NOW)
    _spool(spool, {"a.json": _file(call_id="a")})
    again = import_spool(store, spool, region="DK", default_timezone="UTC", now=NOW)
    assert again.imported == first.imported
    assert store.query("SELECT idempotency_key FROM callback_requests") == [
        {"idempotency_key": "spool:a"}
    ]


def _agi_conversation(
    bin_dir: Path, spool_dir: str | None, *, caller: str, call_id: str
) -> tuple[int, str]:
    """Run the script as Asterisk does: the AGI environment, then one reply per command."""
    env = (
        "agi_request: spillway-callback-spool.py\n"
        f"agi_channel: Local/s@spillway-inbound-0001;2\n"
        f"agi_uniqueid: {call_id}\n"
        f"agi_callerid: {caller}\n\n"
    )
    replies = [f"200 result=1 ({caller})", f"200 result=1 ({call_id})", "200 result=1"]
    args = [sys.executable, str(install_script(bin_dir))]
    if spool_dir is not None:
        args.append(spool_dir)
    done = subprocess.run(
        args,
        input=env + "\n".join(replies + ["200 result=1"] * 3) + "\n",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0 or "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout  # stdout: the commands it sent Asterisk


def test_the_script_leaves_one_whole_file_and_names_it(tmp_path: Path) -> None:
    rc, said = _agi_conversation(
        tmp_path / "bin", str(tmp_path), caller="4533333333", call_id="1780000.42"
    )
    assert rc == 0, said
    assert 'SET VARIABLE "SPILLWAY_CALLBACK_ID" "spool:1780000.42"' in said
    assert (tmp_path / "bin" / "spillway-callback-spool.py").stat().st_mode & 0o111
    [written] = (tmp_path / "new").iterdir()
    body = json.loads(written.read_text())
    assert (body["phone"], body["call_id"], body["version"]) == ("4533333333", "1780000.42", 1)
    assert list((tmp_path / "tmp").iterdir()) == []  # renamed into new/, nothing left behind
    # What it wrote is what the importer reads.
    request, _ = parse_spool_file(written.read_bytes(), now=time.time() + 1)
    assert request.phone == "4533333333"


def test_the_script_without_a_spool_folder_says_why_and_names_no_callback(tmp_path: Path) -> None:
    rc, said = _agi_conversation(tmp_path / "bin", None, caller="4533333333", call_id="x")
    assert rc == 1
    assert "SPILLWAY_CALLBACK_ERROR" in said and "no spool folder" in said
    assert "SPILLWAY_CALLBACK_ID" not in said


def test_a_uniqueid_cannot_lead_the_file_out_of_the_spool() -> None:
    assert script.safe_name("../../etc/passwd") == "_.._etc_passwd"
    with pytest.raises(ValueError):
        script.safe_name("")


async def run_daemon_until_recorded(tmp_path: Path, spool: Path, store: SqliteStore) -> None:
    """`scheduler run` with AMI unreachable, until a request is recorded (10 s at most)."""
    settings = unreachable_ami_settings(tmp_path, spool)
    astore = AsyncStore(store)
    stop = asyncio.Event()
    daemon = asyncio.create_task(run_scheduler(settings, astore, stop, node="t"))
    try:
        for _ in range(200):  # 10 s
            if store.query("SELECT id FROM callback_requests"):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(daemon, 10)
        astore.close()


async def test_the_daemon_imports_the_spool_while_ami_is_unreachable(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    _spool(spool, {"a.json": _file(call_id="a", requested_at=time.time())})
    store = _store(tmp_path)
    await run_daemon_until_recorded(tmp_path, spool, store)
    [row] = store.query("SELECT phone, source FROM callback_requests")
    assert (row["phone"], row["source"]) == ("+4533333333", "spool")


def test_the_spool_folder_has_two_names_in_the_sandbox(tmp_path: Path) -> None:
    settings = Settings(paths={"cache_dir": str(tmp_path)}, pbx={"sandbox_instance": "t1"})
    dirs = callback_spool(settings)
    assert dirs.pbx == "/spillway/t1/spool/callbacks"
    assert dirs.local == tmp_path / "pbx/root/spillway/t1/spool/callbacks"
    assert dirs.script == "/spillway/t1/agi-bin/spillway-callback-spool.py"
    host = callback_spool(host_settings(callbacks={"spool_dir": "/srv/spool"}))
    assert (str(host.local), host.pbx, host.script) == (
        "/srv/spool",
        "/srv/spool",
        "spillway-callback-spool.py",
    )
