"""Over the real sandbox: a caller who waits past max_wait is offered the bot,
and their choice (keep waiting, call me back) is carried out.

These need no media transport: the offer is a dialplan DTMF menu and the
decisions come from our FastAGI controller.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agi.overflow import RETURN_PRIORITY
from tests.call_harness import routing_harness, wait_event
from tests.conftest import PbxHandle

pytestmark = [pytest.mark.asterisk, pytest.mark.asyncio(loop_scope="session")]


async def test_wait_choice_returns_caller_ahead_of_later_callers(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    async with routing_harness(
        pbx, tmp_path / "calls.db", agents=0, max_wait_s=2, bot_ready=False
    ) as h:
        with pbx.ami.subscribe("UserEvent", "QueueCallerJoin") as events:
            first = await h.call("4511111111")
            await wait_event(events, 5, Event="QueueCallerJoin", Uniqueid=first.call_id)
            # Far enough behind that the first is offered and back before
            # the second's own max_wait runs out.
            await asyncio.sleep(1.0)
            second = await h.call("4522222222")
            await wait_event(events, 5, Event="QueueCallerJoin", Uniqueid=second.call_id)
            # The first caller passes max_wait first and hears the offer.
            offer = await wait_event(events, 5, UserEvent="SpillwayOffer")
            assert offer["CallId"] == first.call_id
            await h.press(first, "2")
            requeue = await wait_event(events, 5, UserEvent="SpillwayRequeue")
            assert requeue["CallId"] == first.call_id
            assert requeue["QueuePriority"] == str(RETURN_PRIORITY)
            rejoin = await wait_event(events, 5, Event="QueueCallerJoin", Uniqueid=first.call_id)
            # Back in front of the caller who arrived after them.
            assert rejoin["Position"] == "1"
            assert rejoin["Count"] == "2"
            entries = await h.queue_entries()
        by_id = {e["Uniqueid"]: e for e in entries}
        assert by_id[first.call_id]["Position"] == "1"
        assert by_id[first.call_id].get("Priority", str(RETURN_PRIORITY)) == str(RETURN_PRIORITY)

        routes = h.rows(
            "SELECT data FROM call_events WHERE call_id = ? AND kind = 'route' ORDER BY id",
            (first.call_id,),
        )
        assert routes[0]["data"].startswith('{"route": "queue"')
        assert '"route": "wait"' in routes[-1]["data"]
        calls = h.rows("SELECT caller, transport FROM calls WHERE call_id = ?", (first.call_id,))
        assert calls == [{"caller": "4511111111", "transport": pbx.settings.controller.transport}]


async def test_callback_choice_records_a_callback_request(pbx: PbxHandle, tmp_path: Path) -> None:
    async with routing_harness(
        pbx, tmp_path / "calls.db", agents=0, max_wait_s=1, bot_ready=False
    ) as h:
        with pbx.ami.subscribe("UserEvent", "Hangup") as events:
            call = await h.call("4533333333")
            await wait_event(events, 5, UserEvent="SpillwayOffer", CallId=call.call_id)
            await h.press(call, "3")
            done = await wait_event(events, 5, UserEvent="SpillwayCallback")
            assert done["CallId"] == call.call_id
            # The caller hears the goodbye and the call ends by itself.
            await wait_event(events, 10, Event="Hangup", Uniqueid=call.call_id)
        rows = h.rows("SELECT * FROM callback_requests")
        assert len(rows) == 1
        assert rows[0]["phone"] == "4533333333"
        assert rows[0]["call_id"] == call.call_id
        assert rows[0]["status"] == "pending"
        assert str(rows[0]["id"]) == done["CallbackId"]
        call_row = h.rows("SELECT outcome, ended_at FROM calls WHERE call_id = ?", (call.call_id,))
        assert call_row[0]["outcome"] == "callback"
