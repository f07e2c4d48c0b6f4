"""The controller records an ``inbound_call`` signal for every caller who reaches it: the
time and the caller's number, through the call log; an anonymous caller records none."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from agi.call_log import CallLog
from agi.controller import CallController
from agi.fastagi import FastAgiServer
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore


async def _inbound(port: int, uniqueid: str, caller_id: str) -> None:
    """A peer speaking FastAGI: the inbound route's header, then an answer to each command."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"agi_network_script: inbound\nagi_uniqueid: {uniqueid}\n"
        f"agi_callerid: {caller_id}\nagi_channel: PJSIP/trunk-1\n\n".encode()
    )
    while await asyncio.wait_for(reader.readline(), 5):
        writer.write(b"200 result=1\n")
        await writer.drain()
    writer.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_an_inbound_call_is_a_signal_of_the_callers_hours(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "calls.db")
    store.migrate()
    astore = AsyncStore(store)
    log = CallLog(astore)
    controller = CallController(Settings(), astore, log, None)
    server = FastAgiServer()
    controller.install(server)
    await server.start("127.0.0.1", 0)
    try:
        before = time.time()
        # Asterisk's caller ID without its "+"; the same call asking twice; no caller ID.
        await _inbound(server.port, "1700.1", "4520123456")
        await _inbound(server.port, "1700.1", "4520123456")
        await _inbound(server.port, "1700.2", "anonymous")
        await log.flush()
        rows = store.query("SELECT * FROM customer_signals")
        assert [(r["event_id"], r["phone"], r["kind"], r["source"]) for r in rows] == [
            ("call:1700.1", "+4520123456", "inbound_call", "controller")
        ]
        assert before <= rows[0]["at"] <= time.time()
        # Beside the call's own record, as the caller reached us.
        assert [r["call_id"] for r in store.query("SELECT call_id FROM calls")] == [
            "1700.1",
            "1700.2",
        ]
    finally:
        await server.close()
        await log.flush()
        astore.close()
        store.close()
