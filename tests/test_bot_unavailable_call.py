"""Over the real sandbox: a caller who chose the assistant when it cannot be reached hears
so, and keeps their place, instead of hold music without a word.

Two ways there: the controller is gone after the DTMF menu offered key 1; and an
older controller answers "bot" without naming its media address. The prompt is
installed as a tenth of a second of silence where the sandbox has none rendered;
the rendered walk of the same steps is tests/test_bot_unavailable.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from agi.fastagi import AgiSession, FastAgiServer
from agi.menu_bot import MenuBot
from spillway.call import RETURN_PRIORITY
from tests.call_harness import routing_harness, silent_prompts, wait_event
from tests.conftest import PbxHandle

pytestmark = [pytest.mark.asterisk, pytest.mark.asyncio(loop_scope="session")]

UNAVAILABLE = "bot_unavailable"


async def _told_and_back_in_the_queue(
    events: asyncio.Queue[Any], call_id: str
) -> tuple[dict[str, str], dict[str, str]]:
    """What spillway-say played to the caller next, and their return to the queue."""
    told = await wait_event(
        events, 15, Context="spillway-say", Application="Playback", Uniqueid=call_id
    )
    return told, await wait_event(events, 15, UserEvent="SpillwayRequeue", CallId=call_id)


async def test_key_1_with_the_controller_gone_is_told_the_assistant_is_not_available(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    # The controller was up at the offer, so the menu offered key 1 (the assistant); it
    # is gone when the caller presses it: nobody can start the assistant.
    with silent_prompts(pbx, UNAVAILABLE) as [prompt]:
        async with routing_harness(
            pbx, tmp_path / "calls.db", bot=MenuBot(), agents=0, overflow_min_waiting=100,
            max_wait_s=1,
        ) as h:  # fmt: skip
            with pbx.ami.subscribe("UserEvent", "Newexten") as events:
                call = await h.call("4544444466")
                offer = await wait_event(events, 5, UserEvent="SpillwayOffer", CallId=call.call_id)
                assert offer["By"] == "menu"
                menu = await wait_event(
                    events, 5, Extension="offer", Application="Set", Uniqueid=call.call_id
                )
                await wait_event(events, 5, Application="Read", Uniqueid=call.call_id)
                await h.kill_controller()
                await h.press(call, "1")
                told, requeue = await _told_and_back_in_the_queue(events, call.call_id)
    assert menu["AppData"] == "SPILLWAY_MENU=menu_offer"  # key 1 was offered
    assert told["AppData"] == prompt
    assert requeue["QueuePriority"] == str(RETURN_PRIORITY)  # their place, not a new wait


def _older_controller() -> FastAgiServer:
    """A controller from before pbx.workers: "bot" with a media id and no media address."""
    server = FastAgiServer()

    async def queue(session: AgiSession) -> None:
        await session.set_variable("SPILLWAY_ROUTE", "queue")

    async def bot(session: AgiSession) -> None:
        await session.set_variable("SPILLWAY_MEDIA_ID", f"old-{session.request.unique_id}")
        await session.set_variable("SPILLWAY_ROUTE", "bot")

    async def nothing(session: AgiSession) -> None:
        return None

    server.route("inbound", queue)
    server.route("offer", bot)  # the bot makes the offer
    server.route("choice", bot)  # and takes key 1, offered or not
    server.route("hangup", nothing)
    return server


async def test_an_older_controller_without_a_media_address_leaves_no_caller_in_silence(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    with silent_prompts(pbx, UNAVAILABLE) as [prompt]:
        async with routing_harness(
            pbx, tmp_path / "calls.db", agents=0, max_wait_s=1, bot_ready=False
        ) as h:
            await h.server.close()
            older = _older_controller()
            await older.start("127.0.0.1", h.settings.controller.fastagi_port)
            try:
                with pbx.ami.subscribe("UserEvent", "Newexten") as events:
                    call = await h.call("4544444477")
                    await wait_event(events, 10, UserEvent="SpillwayBot", CallId=call.call_id)
                    # The bot was to make the offer: the caller has chosen nothing, and
                    # hears the choices from the DTMF menu, without the assistant's key.
                    gone = await wait_event(
                        events, 5, UserEvent="SpillwayBotUnavailable", CallId=call.call_id
                    )
                    menu = await wait_event(
                        events, 5, Extension="offer", Application="Set", Uniqueid=call.call_id
                    )
                    await wait_event(events, 5, Application="Read", Uniqueid=call.call_id)
                    await h.press(call, "1")  # not offered; the older controller takes it
                    again = await wait_event(
                        events, 10, UserEvent="SpillwayBotUnavailable", CallId=call.call_id
                    )
                    told, requeue = await _told_and_back_in_the_queue(events, call.call_id)
            finally:
                await older.close()
    assert gone["From"] == "offer"
    assert menu["AppData"] == "SPILLWAY_MENU=menu_offer_no_bot"
    assert again["From"] == "offer"
    assert told["AppData"] == prompt
    assert requeue["QueuePriority"] == str(RETURN_PRIORITY)
