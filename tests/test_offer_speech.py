"""The overflow offer made by the speech bot, answered by voice or key, over the sandbox.

Every caller here first waits in the queue (no agent, ``max_wait_s`` 1); the
dialplan's ``offer`` step asks the controller, which hands the call to the
speech bot (Silero VAD, faster-whisper tiny.en, the fallback NLU, Piper) on
chan_websocket or AudioSocket. The caller (a Piper voice on the caller's side
of Asterisk, see ``tests/voice_caller.py``) hears the offer and answers:

* "Please call me back." -> a callback request with the caller's number;
* "I will keep waiting." -> back in the queue at the return priority, ahead
  of a caller who arrived later;
* key 2 -> back in the queue (keys still work while the bot listens);
* "What are your opening hours?" (after the whole offer) -> the bot answers
  that at once: the request is the dialogue's first turn, not asked for again.

The other callers talk (or press) over the offer, as callers who know what
they want do; barge-in stops the offer and their answer is acted on.

The DTMF ``Read()`` menu for a bot that is not ready is tested in
``tests/test_overflow_menu.py``.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from bot.assembly import SpeechModels
from bot.dialogue.prompts import OFFER_BOT, OFFER_PROMPT
from spillway.call import RETURN_PRIORITY
from tests.call_harness import Harness, SimCall, wait_event
from tests.conftest import PbxHandle
from tests.voice_caller import VoiceCall, speech_models, voice_call

__all__ = ["speech_models"]  # the fixture

pytestmark = [
    pytest.mark.asterisk,
    pytest.mark.speech,
    pytest.mark.asyncio(loop_scope="session"),
]
pytest.importorskip("piper")
pytest.importorskip("faster_whisper")

TRANSPORTS = ["websocket", "audiosocket"]
# No colleague, and the bot never takes a new call at once: every caller waits
# in the queue first and is offered the bot after one second.
OFFERED: dict[str, Any] = {"agents": 0, "overflow_min_waiting": 100, "max_wait_s": 1}
# Calls allowed at every hour of every day: a caller's "tomorrow afternoon" is then open
# whenever the test runs (on a Saturday evening the shop's own hours are closed until
# Monday, and the bot rightly asks for another time).
ALWAYS_OPEN: dict[str, Any] = {
    "weekdays": (0.0, 24.0), "saturday": (0.0, 24.0), "sunday": (0.0, 24.0), "holidays": None,
}  # fmt: skip


async def _offer_starts(vc: VoiceCall, events: asyncio.Queue[Any]) -> None:
    """The dialplan hands the offer to the bot, and the caller hears it begin."""
    offer = await wait_event(events, 15, UserEvent="SpillwayOffer", CallId=vc.call_id)
    assert offer["By"] == "bot", offer
    await vc.caller.wait_for_sound(15)


def _offer_turns(vc: VoiceCall) -> list[dict[str, Any]]:
    turns = vc.turns()
    assert turns[0] == {"speaker": "bot", "text": OFFER_PROMPT, "intent": "offer",
                        "confidence": None}, turns  # fmt: skip
    return turns


async def _later_caller(h: Harness) -> str:
    """A first-time caller (priority 0, no time limit) who joins the queue directly."""
    tag = f"later{int(time.time() * 1000) % 100000}"
    await h.pbx.ami.action(
        {
            "Action": "Originate",
            "Channel": "Local/s@spillway-sim-caller/n",
            "Application": "Queue",
            "Data": h.settings.queue.name,
            "CallerID": "Later Caller <4599999999>",
            "ChannelId": f"{tag}-q",
            "OtherChannelId": f"{tag}-audio",
            "Async": "true",
        }
    )
    return f"{tag}-q"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_saying_call_me_back_records_a_callback_request(
    pbx: PbxHandle, tmp_path: Path, speech_models: SpeechModels, transport: str
) -> None:
    # The callback steps of the dialogue: the number read back and confirmed (words
    # are a guess: nothing is recorded before the yes), when suits the caller
    # ("tomorrow afternoon", open whatever day the test runs), the request recorded by
    # the bot with that window.
    please = await speech_models.tts.synthesize("Please call me back.")
    yes = await speech_models.tts.synthesize("Yes.")
    afternoon = await speech_models.tts.synthesize("Tomorrow afternoon, please.")
    number = "4544556677"
    with pbx.ami.subscribe("UserEvent", "Hangup") as events:
        async with voice_call(
            pbx, tmp_path / "calls.db", speech_models, transport=transport, number=number,
            callbacks=ALWAYS_OPEN, **OFFERED,
        ) as vc:  # fmt: skip
            await _offer_starts(vc, events)
            await asyncio.sleep(1.5)  # talks over the offer (barge-in)
            vc.caller.say(please)
            await vc.caller.finish_saying()
            # "... call you back on 44 55 66 77, is that right? ..."
            await vc.caller.wait_for_sound(15)
            await vc.caller.wait_for_quiet(1.0, 30)
            vc.caller.say(yes)
            await vc.caller.finish_saying()
            # "Thank you. When suits you best? ..."
            await vc.caller.wait_for_sound(15)
            await vc.caller.wait_for_quiet(1.0, 30)
            vc.caller.say(afternoon)
            await vc.caller.finish_saying()
            # "... tomorrow afternoon ... Goodbye!", then the dialplan's goodbye and hang-up.
            await wait_event(events, 40, Event="Hangup", Uniqueid=vc.call_id)
            rows = vc.harness.rows("SELECT * FROM callback_requests")
            call = await vc.outcome(5)
            turns = _offer_turns(vc)

    assert len(rows) == 1, rows
    # Normalised to E.164 at intake (the caller ID carries no "+").
    assert rows[0]["phone"] == "+" + number
    assert rows[0]["call_id"] == vc.call_id
    assert rows[0]["source"] == "bot" and rows[0]["reason"] == "callback_request"
    assert rows[0]["not_after"] is not None  # the caller's afternoon
    # What happened, with the request it ended in (words of spillway.call.CallOutcome).
    assert call["outcome"] == "callback" and call["transport"] == transport, call
    assert call["callback_id"] == rows[0]["id"], call
    bot_lines = [t["text"] for t in turns if t["speaker"] == "bot"]
    assert any("44 55 66 77" in line and "is that right?" in line for line in bot_lines), turns
    assert any("When suits you" in line for line in bot_lines), turns
    assert any("afternoon" in line and "Goodbye" in line for line in bot_lines), turns
    caller = [t for t in turns if t["speaker"] == "caller"]
    assert caller[0]["intent"] == "callback_request" and "call me back" in caller[0]["text"].lower()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_saying_i_will_keep_waiting_puts_the_caller_back_ahead(
    pbx: PbxHandle, tmp_path: Path, speech_models: SpeechModels, transport: str
) -> None:
    wait = await speech_models.tts.synthesize("I will keep waiting.")
    with (
        pbx.ami.subscribe("UserEvent") as events,
        pbx.ami.subscribe("QueueCallerJoin") as joins,
    ):
        async with voice_call(
            pbx, tmp_path / "calls.db", speech_models, transport=transport, **OFFERED
        ) as vc:
            await wait_event(joins, 15, Uniqueid=vc.call_id)
            later = await _later_caller(vc.harness)
            await wait_event(joins, 10, Uniqueid=later)
            await _offer_starts(vc, events)
            # A caller who knows the answer talks over the offer (barge-in).
            await asyncio.sleep(1.5)
            vc.caller.say(wait)
            await vc.caller.finish_saying()
            requeue = await wait_event(events, 30, UserEvent="SpillwayRequeue", CallId=vc.call_id)
            rejoin = await wait_event(joins, 15, Uniqueid=vc.call_id)
            entries = await vc.harness.queue_entries()
            call = await vc.outcome(5)
            turns = _offer_turns(vc)

    assert requeue["QueuePriority"] == str(RETURN_PRIORITY)
    # Back in front of the caller who arrived after them.
    assert (rejoin["Position"], rejoin["Count"]) == ("1", "2"), rejoin
    by_id = {e["Uniqueid"]: e for e in entries}
    assert by_id[vc.call_id]["Position"] == "1" and by_id[later]["Position"] == "2"
    assert call["outcome"] == "handoff", call
    callers = [t for t in turns if t["speaker"] == "caller"]
    assert len(callers) == 1 and "keep waiting" in callers[0]["text"].lower(), turns


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_pressing_2_at_the_offer_goes_back_to_the_queue(
    pbx: PbxHandle, tmp_path: Path, speech_models: SpeechModels, transport: str
) -> None:
    number = "4533221100"
    with pbx.ami.subscribe("UserEvent", "QueueCallerJoin") as events:
        async with voice_call(
            pbx, tmp_path / "calls.db", speech_models, transport=transport, number=number,
            **OFFERED,
        ) as vc:  # fmt: skip
            await _offer_starts(vc, events)
            await asyncio.sleep(1.0)
            tag = vc.call_id.removesuffix("-in")
            await vc.harness.press(SimCall(tag, vc.call_id, f"{tag}-caller", number), "2")
            requeue = await wait_event(events, 20, UserEvent="SpillwayRequeue", CallId=vc.call_id)
            await wait_event(events, 10, Event="QueueCallerJoin", Uniqueid=vc.call_id)
            call = await vc.outcome(5)
            turns = _offer_turns(vc)
            barged = vc.events("barge_in")

    assert requeue["QueuePriority"] == str(RETURN_PRIORITY)
    assert call["outcome"] == "handoff", call
    assert [t["text"] for t in turns if t["speaker"] == "caller"] == ["DTMF 2"], turns
    assert [b["by"] for b in barged] == ["dtmf"], barged  # the key cut the offer short


async def test_a_request_at_the_offer_is_the_dialogues_first_turn(
    pbx: PbxHandle, tmp_path: Path, speech_models: SpeechModels
) -> None:
    hours = await speech_models.tts.synthesize("What are your opening hours?")
    with pbx.ami.subscribe("UserEvent") as events:
        async with voice_call(
            pbx, tmp_path / "calls.db", speech_models, transport="websocket", **OFFERED
        ) as vc:
            await _offer_starts(vc, events)
            await vc.caller.wait_for_quiet(1.2, 30)
            vc.caller.say(hours)
            await vc.caller.finish_saying()
            answered_at = await vc.caller.wait_for_sound(20)
            deadline = time.monotonic() + 20
            while not any(t["intent"] == "opening_hours" for t in vc.turns()[2:]):
                assert time.monotonic() < deadline, vc.turns()
                await asyncio.sleep(0.1)
            turns = _offer_turns(vc)

    caller, answer = turns[1], turns[2]
    assert caller["speaker"] == "caller" and caller["intent"] == "opening_hours", turns
    assert answer["speaker"] == "bot" and answer["intent"] == "opening_hours", turns
    assert pbx.settings.shop.opening_hours is None  # unset: the pack's words
    assert "Monday to Friday from nine to five" in answer["text"], turns
    # Straight to the answer: no greeting, no "how can I help you" in between.
    assert OFFER_BOT not in [t["text"] for t in turns], turns
    assert answered_at > vc.caller.last_said()[1]
