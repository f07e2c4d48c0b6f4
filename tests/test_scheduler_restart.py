"""Over a sandbox Asterisk of its own: Asterisk restarts while callbacks are being dialled.

The scheduler loses AMI, reconnects with back-off, and settles the attempts
that were in flight from Asterisk's own record (AstDB survives the restart;
the channels do not). Every request keeps exactly one attempt, settled once,
and none is dialled again before its back-off: nothing lost, nothing doubled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

import pytest

from dialplan.sandbox import Sandbox, throwaway_settings
from scheduler import intake
from scheduler.daemon import run_scheduler
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from spillway.ami import AmiClient
from spillway.storage import AsyncStore, SqliteStore

pytestmark = [pytest.mark.asterisk, pytest.mark.asyncio(loop_scope="session")]

# Two customers answer at once (their attempts are settled before the restart
# and must not be dialled again after it); two are still ringing when Asterisk goes.
ANSWER, RING = ("+4520300001", "+4520300002"), ("+4520300003", "+4520300004")
CUSTOMERS = {**dict.fromkeys(ANSWER, "answer"), **dict.fromkeys(RING, "noanswer")}
BACKOFF_MIN = 60


async def _until(what: str, check: object, timeout_s: float, store: SqliteStore) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        rows = store.query("SELECT id, outcome, ended_at FROM callback_attempts")
        assert time.monotonic() < deadline, f"{what} within {timeout_s} s: {rows}"
        await asyncio.sleep(0.2)


async def test_asterisk_restarting_mid_dial_loses_no_callback_and_doubles_none(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "cb.db"
    settings = throwaway_settings(
        f"restart-{os.getpid()}",
        queue={"agents": 5},
        storage={"sqlite_path": str(db_path)},
        callbacks={
            "policy": "traditional",
            "weekdays": [0, 24],
            "saturday": [0, 24],
            "sunday": [0, 24],
            "holidays": None,
            "min_gap_minutes": 0,
            "ring_s": 30,
            "agent_wait_s": 20,
            "retry_backoff_minutes": BACKOFF_MIN,
            "poll_interval_s": 0.2,
        },
    )
    sandbox = Sandbox(settings, ami_secret=settings.require_ami_secret())
    await asyncio.to_thread(sandbox.build, lambda _line: None)
    await asyncio.to_thread(sandbox.start)
    store = SqliteStore(db_path)
    store.migrate()
    db = AsyncStore(store)
    stop = asyncio.Event()
    daemon: asyncio.Task[None] | None = None
    try:
        await sandbox.wait_ready(timeout_s=60)
        ami = await AmiClient.connect(sandbox.ami_endpoint())
        try:
            for phone, mode in CUSTOMERS.items():
                for family, value in (("spillway-sim", mode), ("spillway-sim-hold", "60")):
                    await ami.action(
                        {"Action": "DBPut", "Family": family, "Key": phone[1:], "Val": value}
                    )
        finally:
            await ami.close()
        ids = []
        for phone in CUSTOMERS:
            with store.transaction() as tx:
                new = NewRequest(phone, RequestSource.API, "restart test")
                ids.append(intake.record(tx, new, region="DK", now=time.time()).id)

        daemon = asyncio.create_task(run_scheduler(settings, db, stop, node="restart"))

        def all_dialled() -> bool:
            return len(store.query("SELECT id FROM callback_attempts")) == len(CUSTOMERS)

        await _until("every customer dialled", all_dialled, 30, store)

        def open_phones() -> list[str]:
            rows = store.query("SELECT phone FROM callback_attempts WHERE ended_at IS NULL")
            return sorted(r["phone"] for r in rows)

        # The answering ones hear who is calling and are through to an agent; the rest ring.
        await _until(
            "the answering customers reached", lambda: open_phones() == sorted(RING), 20, store
        )

        restarted_at = time.time()
        await asyncio.to_thread(sandbox.stop)
        await asyncio.to_thread(sandbox.start)
        await sandbox.wait_ready(timeout_s=60)

        def all_settled() -> bool:
            return not store.query("SELECT id FROM callback_attempts WHERE ended_at IS NULL")

        # Reconnect back-off (1, 2, 4 ... s) plus the reconcile.
        await _until("every attempt settled after the restart", all_settled, 60, store)
        await asyncio.sleep(2.0)  # a few more polls: room for a wrong second dial

        attempts = store.query("SELECT request_id, phone, outcome, ended_at FROM callback_attempts")
        # One attempt per request: none dialled twice, the answered ones not again.
        assert sorted(a["request_id"] for a in attempts) == sorted(ids), attempts
        for attempt in attempts:
            if attempt["phone"] in RING:
                # Settled after the restart from Asterisk's record: the call was
                # lost with its channel, and that is what is recorded.
                assert attempt["ended_at"] >= restarted_at - 1, attempt
                assert attempt["outcome"] == "lost", attempt
        for row in store.query("SELECT phone, status, not_before FROM callback_requests"):
            if row["phone"] in ANSWER:
                assert row["status"] == "done", row
            else:
                # Not lost: to be called again after the back-off.
                assert row["status"] == "pending", row
                assert row["not_before"] >= restarted_at + (BACKOFF_MIN - 5) * 60, row
    finally:
        stop.set()
        if daemon is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(daemon, 15)
        db.close()
        store.close()
        await asyncio.to_thread(sandbox.remove)
