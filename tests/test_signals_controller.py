"""The controller records an ``inbound_call`` signal for every caller who reaches it: the
time and the caller's number, through the call log; an anonymous caller records none."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.fastagi_peer import agi_request, controller_serving


@pytest.mark.asyncio(loop_scope="session")
async def test_an_inbound_call_is_a_signal_of_the_callers_hours(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "calls.db")
    store.migrate()
    try:
        before = time.time()
        async with controller_serving(Settings(), store) as serving:
            # Asterisk's caller ID without its "+"; the same call asking twice; no caller ID.
            for uniqueid, caller in (
                ("1700.1", "4520123456"),
                ("1700.1", "4520123456"),
                ("1700.2", "anonymous"),
            ):
                await agi_request(
                    serving.port, "inbound", uniqueid, caller_id=caller, channel="PJSIP/trunk-1"
                )
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
        store.close()
