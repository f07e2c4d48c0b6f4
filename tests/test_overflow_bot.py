"""Over the real sandbox: with every agent busy, the next caller reaches the bot at once,
on each media transport, and the bot's choices are carried out.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from agi.menu_bot import MenuBot
from tests.call_harness import Harness, routing_harness, wait_event
from tests.conftest import PbxHandle

pytestmark = [pytest.mark.asterisk, pytest.mark.asyncio(loop_scope="session")]

TRANSPORTS = ["audiosocket", "websocket"]


async def _busy_agents(h: Harness, events: asyncio.Queue, n: int) -> None:
    for i in range(n):
        await h.call(f"45000000{i:02d}")
    for _ in range(n):
        await wait_event(events, 10, UserEvent="SpillwayAgentAnswered")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_call_after_n_busy_agents_reaches_the_bot_within_a_second(
    pbx: PbxHandle, tmp_path: Path, transport: str
) -> None:
    async with routing_harness(
        pbx, tmp_path / "calls.db", bot=MenuBot(), transport=transport, agents=2, max_wait_s=30
    ) as h:
        with pbx.ami.subscribe("UserEvent") as events:
            await _busy_agents(h, events, 2)
            call = await h.call("4577777777")
            started = time.monotonic()
            reached = await h.bot_started(call.call_id, 5)
            assert reached - started < 1.0
            # The bot hears the caller's key: 2 = keep waiting -> back in the queue.
            await h.press(call, "2")
            requeue = await wait_event(events, 10, UserEvent="SpillwayRequeue")
            assert requeue["CallId"] == call.call_id
        rows = h.rows("SELECT transport, outcome FROM calls WHERE call_id = ?", (call.call_id,))
        assert rows == [{"transport": transport, "outcome": "handoff"}]
        turns = h.rows(
            "SELECT speaker, text FROM transcript_turns WHERE call_id = ? ORDER BY id",
            (call.call_id,),
        )
        assert {"speaker": "caller", "text": "DTMF 2"} in turns


async def test_beyond_the_bots_call_limit_callers_stay_with_the_queue(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    """Admission control: at ``controller.max_bot_calls`` the next caller waits for a human
    (and the bot takes callers again as soon as one of its calls is back in the queue)."""
    async with routing_harness(
        pbx, tmp_path / "calls.db", bot=MenuBot(), transport="audiosocket", agents=0, max_wait_s=60
    ) as h:
        h.controller.max_bot_calls = 1
        with pbx.ami.subscribe("UserEvent") as events:
            first = await h.call("4577770001")
            await h.bot_started(first.call_id, 5)
            second = await h.call("4577770002")
            deadline = time.monotonic() + 5
            while not any(e.get("Uniqueid") == second.call_id for e in await h.queue_entries()):
                assert time.monotonic() < deadline, "the second caller never reached the queue"
                await asyncio.sleep(0.1)
            assert h.controller.calls[second.call_id].bot_started_at is None
            assert h.controller.bot_calls == {first.call_id}
            # The first caller goes back to the queue: the bot has room again.
            await h.press(first, "2")
            await wait_event(events, 10, UserEvent="SpillwayRequeue")
            assert h.controller.bot_calls == set()
            third = await h.call("4577770003")
            await h.bot_started(third.call_id, 5)
