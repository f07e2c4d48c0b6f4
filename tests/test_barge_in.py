"""Barge-in over the real sandbox Asterisk, measured on the caller's side.

The caller starts talking 1.5 s into the bot's greeting (about ten seconds of
speech). Barge-in is due once the caller has been voiced for
``speech.bargein_min_voiced_ms``; the test measures, on the caller's end of
Asterisk, the time from that moment to the last bot audio the caller hears.
It must be at most 200 ms on chan_websocket (FLUSH_MEDIA) and on AudioSocket
(the bot stops writing). What the caller said is then recognised and acted on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.assembly import SpeechModels
from bot.speech.vad import SileroVad
from spillway.audio import SLIN8, AudioChunk
from tests.conftest import PbxHandle
from tests.voice_caller import speech_models, voice_call

__all__ = ["speech_models"]  # the fixture

pytestmark = [
    pytest.mark.asterisk,
    pytest.mark.speech,
    pytest.mark.asyncio(loop_scope="session"),
]

STOP_BOUND_MS = 200.0


def voice_onset_ms(pcm: bytes) -> float:
    """Where speech starts in a clip, by the same VAD the bot uses."""
    vad = SileroVad(SLIN8)
    frames = vad.process(AudioChunk(pcm, SLIN8, 0.0))
    return next(f.start_ms for f in frames if f.is_speech)


@pytest.mark.parametrize("transport", ["websocket", "audiosocket"])
async def test_caller_talking_over_the_greeting_stops_the_bot_within_200_ms(
    pbx: PbxHandle,
    tmp_path: Path,
    speech_models: SpeechModels,
    transport: str,
    record_property: Callable[[str, object], None],
) -> None:
    interrupt = await speech_models.tts.synthesize("Can I talk to a person please?")
    onset_ms = voice_onset_ms(interrupt)
    min_voiced_ms = pbx.settings.speech.bargein_min_voiced_ms

    async with voice_call(pbx, tmp_path / "calls.db", speech_models, transport=transport) as vc:
        caller = vc.caller
        await caller.wait_for_sound(15)  # the greeting starts
        await asyncio.sleep(1.5)
        caller.say(interrupt)
        await caller.finish_saying()
        sent_at, _ = caller.last_said()
        row = await vc.outcome(30)
        turns = vc.turns()
        bargeins = vc.events("barge_in")

    due_at = sent_at + (onset_ms + min_voiced_ms) / 1000
    # The greeting was playing when the caller started talking ...
    assert caller.heard_sound_between(sent_at - 0.5, sent_at), "the bot was not speaking"
    # ... and the last of it the caller hears (the bot's answer comes only after
    # the caller's sentence, seconds later) is within the bound of barge-in.
    window = caller.heard_sound_between(sent_at, due_at + 1.0)
    last_heard = max((h.at for h in window), default=sent_at)
    stop_ms = (last_heard - due_at) * 1000
    record_property(f"bargein_stop_ms_{transport}", round(stop_ms, 1))
    print(f"\n{transport}: bot audio stopped {stop_ms:.0f} ms after barge-in was due")
    assert stop_ms <= STOP_BOUND_MS, f"{transport}: bot audio went on {stop_ms:.0f} ms"

    # The bot says why it stopped, and acts on what the caller said.
    assert [b["by"] for b in bargeins] == ["voice"], bargeins
    assert bargeins[0]["voiced_ms"] >= min_voiced_ms
    callers = [t for t in turns if t["speaker"] == "caller"]
    assert callers and callers[0]["intent"] == "human_agent", turns
    assert row["outcome"] == "handoff" and row["intent"] == "human_agent", row
