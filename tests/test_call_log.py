"""The call log writes behind the call: in order, batched, never blocking a stage change."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agi.call_log import CallLog
from agi.controller import running_controller
from agi.menu_bot import MenuBot
from dialplan.sandbox import free_port
from spillway.call import CallEvent, CallEventKind, CallOutcome, CallStage
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore


@pytest.fixture
async def logged(tmp_path: Path) -> AsyncIterator[tuple[CallLog, SqliteStore, AsyncStore]]:
    store = SqliteStore(tmp_path / "calls.db")
    store.migrate()
    astore = AsyncStore(store)
    try:
        yield CallLog(astore), store, astore
    finally:
        astore.close()
        store.close()


async def test_writes_land_in_order_and_outcome_waits_for_them(
    logged: tuple[CallLog, SqliteStore, AsyncStore],
) -> None:
    log, store, _ = logged
    await log.start("c1", caller="+4520123456", channel="Local/x", transport="websocket")
    for stage in (CallStage.LISTENING, CallStage.RECOGNISED, CallStage.UNDERSTOOD):
        await log.stage("c1", stage)
    await log.turn("c1", "caller", "where is my order", intent="order_status", confidence=0.9)
    await log.turn("c1", "bot", "order 10042 is on its way")
    await log.outcome("c1", CallOutcome.RESOLVED, intent="order_status")
    # outcome() returned: everything before it is on disk, in the order it was reported.
    stages = [
        e["data"]
        for e in store.query("SELECT data FROM call_events WHERE call_id = 'c1' ORDER BY id")
    ]
    assert [s for s in stages if '"stage"' in s][:4] == [
        '{"stage": "started"}',
        '{"stage": "listening"}',
        '{"stage": "recognised"}',
        '{"stage": "understood"}',
    ]
    turns = store.query("SELECT speaker, text FROM transcript_turns ORDER BY id")
    assert [t["speaker"] for t in turns] == ["caller", "bot"]
    [call] = store.query("SELECT * FROM calls")
    assert (call["caller"], call["outcome"], call["stage"]) == (
        "+4520123456", "resolved", "understood"
    )  # fmt: skip


async def test_a_stage_change_does_not_wait_for_the_database(
    logged: tuple[CallLog, SqliteStore, AsyncStore],
) -> None:
    log, store, astore = logged
    gate = threading.Event()
    # Hold the database worker thread, as a slow disk or a busy writer would.
    blocker = astore.run(gate.wait, 10)
    held = asyncio.ensure_future(blocker)
    await asyncio.sleep(0.05)
    async with asyncio.timeout(1):  # would hang for 10 s if each write were awaited
        await log.stage("c2", CallStage.LISTENING)
        await log.turn("c2", "caller", "hello")
        await log.event(CallEvent("c2", CallEventKind.BARGE_IN, {"voiced_ms": 200}))
    assert store.query("SELECT * FROM transcript_turns") == []  # still queued
    gate.set()
    await held
    await log.flush()
    assert [t["text"] for t in store.query("SELECT text FROM transcript_turns")] == ["hello"]


async def test_a_failing_write_skips_only_itself(
    logged: tuple[CallLog, SqliteStore, AsyncStore], caplog: pytest.LogCaptureFixture
) -> None:
    log, store, _ = logged
    await log.stage("c3", CallStage.LISTENING)
    # A speaker the schema refuses (CHECK constraint): that row is dropped and logged.
    await log.turn("c3", "robot", "not a speaker")
    await log.turn("c3", "caller", "still recorded")
    await log.end("c3")
    assert [t["text"] for t in store.query("SELECT text FROM transcript_turns")] == [
        "still recorded"
    ]
    assert store.query("SELECT ended_at FROM calls WHERE call_id = 'c3'")[0]["ended_at"]
    assert any("turn failed" in r.getMessage() for r in caplog.records)


async def test_calls_left_open_by_a_dead_controller_are_closed_at_start_up(
    tmp_path: Path,
) -> None:
    # A controller killed mid-call leaves its call at "listening" forever.
    store = SqliteStore(tmp_path / "calls.db")
    store.migrate()
    db = AsyncStore(store)
    log = CallLog(db)
    await log.start("dead-1", caller="4520123456", channel="x", transport="websocket")
    await log.stage("dead-1", CallStage.LISTENING)
    await log.start("done-1", caller="4520123456", channel="y", transport="websocket")
    await log.end("done-1")
    await log.flush()
    settings = Settings(
        storage={"sqlite_path": str(tmp_path / "calls.db")},
        controller={"fastagi_port": free_port(), "audiosocket_port": free_port(),
                    "websocket_port": free_port()},
    )  # fmt: skip
    async with running_controller(settings, MenuBot(), store=store):
        rows = {r["call_id"]: r for r in store.query("SELECT * FROM calls")}
        assert rows["dead-1"]["stage"] == "ended" and rows["dead-1"]["ended_at"] is not None
        assert rows["dead-1"]["outcome"] == "failed"  # the event says why
        assert rows["done-1"]["outcome"] is None  # a finished call is left as it was
        events = store.query(
            "SELECT call_id, data FROM call_events WHERE kind = 'controller_restarted'"
        )
        assert [(e["call_id"], json.loads(e["data"])) for e in events] == [
            ("dead-1", {"stage_was": "listening"})
        ]
    db.close()
    store.close()
