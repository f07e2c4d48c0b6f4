"""Over the real sandbox: when Spillway is down or dies mid-call, the caller ends in the queue."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agi.menu_bot import MenuBot
from tests.call_harness import routing_harness, wait_event
from tests.conftest import PbxHandle

pytestmark = [pytest.mark.asterisk, pytest.mark.asyncio(loop_scope="session")]


async def test_no_controller_means_the_queue(pbx: PbxHandle, tmp_path: Path) -> None:
    async with routing_harness(pbx, tmp_path / "calls.db", agents=0, max_wait_s=30) as h:
        await h.server.close()  # nothing listens on the FastAGI port any more
        with pbx.ami.subscribe("QueueCallerJoin") as events:
            call = await h.call("4566666666")
            await wait_event(events, 5, Event="QueueCallerJoin", Uniqueid=call.call_id)


@pytest.mark.parametrize("death", ["closed", "killed"])
@pytest.mark.parametrize("transport", ["audiosocket", "websocket"])
async def test_bot_dying_mid_call_sends_the_caller_to_the_queue(
    pbx: PbxHandle, tmp_path: Path, transport: str, death: str
) -> None:
    # closed: the bot process shuts its listeners and tasks. killed (kill -9):
    # the media connection is reset, not closed; AudioSocket() then fails
    # ("Connection reset by peer"), which used to hang the caller up.
    async with routing_harness(
        pbx,
        tmp_path / "calls.db",
        bot=MenuBot(choice_timeout_s=30),
        transport=transport,
        agents=0,
        overflow_min_waiting=0,
    ) as h:
        with pbx.ami.subscribe("QueueCallerJoin", "Hangup") as events:
            call = await h.call("4555555555")
            await h.bot_started(call.call_id)
            await asyncio.sleep(0.5)  # audio is flowing both ways
            if death == "killed":
                await h.kill_controller()
            else:
                await h.server.close()
                for task in asyncio.all_tasks():
                    if task.get_name().startswith(("media-handler-", "media-io-")):
                        task.cancel()
            join = await wait_event(events, 10, Event="QueueCallerJoin", Uniqueid=call.call_id)
            assert join["Queue"] == h.settings.queue.name
            # Still there a moment later: in the queue, not hung up.
            await asyncio.sleep(1.0)
            hangups = []
            while not events.empty():
                event = events.get_nowait()
                if event.get("Event") == "Hangup" and event.get("Uniqueid") == call.call_id:
                    hangups.append(event)
            assert hangups == []
