"""The scheduler under storage faults (issue 20): a read-only database and a full disk
are logged once, the dialer keeps going with back-off and dials everything exactly
once when the fault clears; a failed COMMIT keeps its own error."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler import intake
from scheduler.dialer import Dialer, DialerConfig
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from spillway.errors import StorageError
from spillway.storage import AsyncStore, SqliteStore
from tests.test_dialer_logic import ALWAYS, FakePbx

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _add(store: SqliteStore, phone: str) -> int:
    with store.transaction() as tx:
        return intake.record(
            tx, NewRequest(phone, RequestSource.API, "t"), region="DK", now=time.time()
        ).id


def _read_only(store: SqliteStore, on: bool) -> None:
    with store._lock:
        store._conn.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")


async def _until(predicate: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def _run_through_fault(
    store: SqliteStore,
    fault: contextlib.AbstractContextManager[None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Start the dialer inside ``fault``, see it wait, clear the fault, see it dial once."""
    request = _add(store, "+4520123481")
    pbx = FakePbx()
    db = AsyncStore(store)
    dialer = Dialer(
        db, pbx, ALWAYS, DialerConfig(status_poll_s=0.01, poll_interval_s=0.05, node="f")
    )
    stop = asyncio.Event()
    caplog.set_level(logging.ERROR, logger="scheduler.dialer")
    with fault:
        task = asyncio.create_task(dialer.run(stop))
        await asyncio.sleep(2.5)
        assert not task.done(), task.exception() if task.done() else None
        assert pbx.dialled == []
        faults = [r for r in caplog.records if "storage fault" in r.getMessage()]
        assert len(faults) == 1, [r.getMessage() for r in faults]  # one line, not one per try
    await _until(lambda: pbx.dialled, 10)
    await dialer.wait_idle(5)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert pbx.dialled == ["+4520123481"]
    [row] = store.query("SELECT status, attempts FROM callback_requests WHERE id = ?", (request,))
    assert row == {"status": "done", "attempts": 1}
    db.close()


async def test_a_read_only_database_is_waited_out(
    store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    @contextlib.contextmanager
    def read_only() -> Iterator[None]:
        _read_only(store, True)
        try:
            yield
        finally:
            _read_only(store, False)

    await _run_through_fault(store, read_only(), caplog)
    assert "readonly" in caplog.text


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs of our own (root only), unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@contextlib.contextmanager
def _full(disk: Path) -> Iterator[None]:
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 4096)
    try:
        yield
    finally:
        filler.unlink()


async def test_a_full_disk_is_waited_out(
    small_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SqliteStore(small_disk / "full.db")
    store.migrate()
    try:
        # Grow the WAL's need for pages: a few hundred rows, then fill the disk.
        with store.transaction() as tx:
            for i in range(300):
                tx.execute(
                    "INSERT INTO do_not_call (phone, source, added_at) VALUES (?, 'x', 0)",
                    (f"+45{i:08d}",),
                )
        await _run_through_fault(store, _full(small_disk), caplog)
        assert "full" in caplog.text
    finally:
        store.close()


async def test_a_failed_commit_keeps_its_own_error(small_disk: Path) -> None:
    store = SqliteStore(small_disk / "commit.db")
    store.migrate()
    try:
        with _full(small_disk), pytest.raises(StorageError) as raised:
            with store.transaction() as tx:
                for i in range(2000):
                    tx.execute(
                        "INSERT INTO do_not_call (phone, source, added_at) "
                        "VALUES (?, 'a long source text to fill pages', 0)",
                        (f"+45{i:08d}",),
                    )
        assert "full" in str(raised.value) and "no transaction" not in str(raised.value)
        # The store is usable again once there is room.
        assert store.query("SELECT count(*) AS n FROM do_not_call") == [{"n": 0}]
    finally:
        store.close()
