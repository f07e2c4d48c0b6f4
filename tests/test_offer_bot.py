"""The speech bot's offer stage in-process: the cases the spoken sandbox tests leave out.

The bot is the real :class:`SpeechBot` (Silero VAD, Whisper tiny.en, Piper,
the fallback NLU, the dialogue on the demo shop) writing to the real call
log; only the transport is an in-memory media session, so the slow paths
(a caller who says nothing at all) take a second, not the bot's production
seven-second silence timeout.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.assembly import DialogueFactory, SpeechModels, build_nlu
from bot.backends.demo_data import seed_demo
from bot.dialogue.prompts import OFFER_BOT, OFFER_PROMPT, OFFER_REPROMPT, OFFER_WAIT
from bot.listener import ListenerConfig
from bot.voice_bot import SpeechBot, VoiceBotConfig
from spillway.call import RETURN_PRIORITY, CallContext, CallEventKind, CallOutcome, Route
from spillway.media import MediaEnd
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.fakes import MemoryMedia, RecordingSink
from tests.voice_caller import speech_models

__all__ = ["speech_models"]  # the fixture

pytestmark = [pytest.mark.speech]
pytest.importorskip("piper")
pytest.importorskip("faster_whisper")


class HangUpAfter(RecordingSink):
    """Records the call; the leg ends (``end``) once the bot has said ``bot_turns`` things."""

    def __init__(self, media: MemoryMedia, bot_turns: int, end: MediaEnd = MediaEnd.HANGUP) -> None:
        super().__init__()
        self.media = media
        self.left = bot_turns
        self.leg_end = end

    async def turn(self, call_id: str, speaker: str, text: str, **kw: Any) -> None:
        await super().turn(call_id, speaker, text, **kw)
        if speaker == "bot":
            self.left -= 1
            if self.left == 0:
                self.media.breaks(self.leg_end)


@pytest.fixture
async def offer_bot(
    tmp_path: Path, speech_models: SpeechModels
) -> AsyncIterator[tuple[SpeechBot, SqliteStore]]:
    store = SqliteStore(tmp_path / "calls.db")
    store.migrate()
    seed_demo(store)
    astore = AsyncStore(store)
    nlu = build_nlu(Settings(), use_rasa=False)
    bot = SpeechBot(
        speech_models,
        DialogueFactory.from_settings(Settings(), nlu, store),
        VoiceBotConfig(listen=ListenerConfig(no_input_timeout_s=1.0)),
    )
    try:
        yield bot, store
    finally:
        await nlu.aclose()
        astore.close()
        store.close()


async def test_silence_twice_keeps_the_caller_waiting(
    offer_bot: tuple[SpeechBot, SqliteStore],
) -> None:
    bot, _store = offer_bot
    media = MemoryMedia()
    log = RecordingSink()
    call = CallContext(call_id="quiet", caller="4511223344", transport="memory", offer=True)
    outcome = await bot.run(media, call, log)
    assert outcome.route is Route.WAIT
    assert outcome.handoff.priority == RETURN_PRIORITY
    assert "silence" in outcome.reason
    # Offered, asked once more, then told they keep their place: never dropped.
    assert log.bot_lines(call.call_id) == [OFFER_PROMPT, OFFER_REPROMPT, OFFER_WAIT]
    assert media.played_bytes > 0 and not media.closed.is_set()
    # The events say the same: one offer, two answers that were no answer.
    answers = [e.data for e in log.events if e.kind is CallEventKind.OFFER_ANSWER]
    assert log.kinds(call.call_id).count(CallEventKind.OFFER) == 1
    assert answers == [{"route": None, "why": "silence"}] * 2


async def test_key_1_goes_on_to_the_conversation(
    offer_bot: tuple[SpeechBot, SqliteStore],
) -> None:
    bot, _store = offer_bot
    media = MemoryMedia()
    log = HangUpAfter(media, 3)
    call = CallContext(call_id="one", caller="4511223344", transport="memory", offer=True)
    media.press("1")
    # Then, in the conversation, the dialogue's own menu: 4 = opening hours.
    media.press("4")
    outcome = await bot.run(media, call, log)
    lines = log.bot_lines(call.call_id)
    assert lines[:2] == [OFFER_PROMPT, OFFER_BOT], lines
    assert "Monday to Friday from nine to five" in lines[2], lines  # the pack's default
    assert len(lines) == 3, lines
    # The caller hangs up, served: the call is done, and resolved.
    assert outcome.route is Route.DONE, outcome
    assert outcome.call_outcome is CallOutcome.RESOLVED


async def test_a_caller_without_a_number_is_asked_for_one_on_callback(
    offer_bot: tuple[SpeechBot, SqliteStore],
) -> None:
    bot, store = offer_bot
    media = MemoryMedia()
    log = HangUpAfter(media, 2)
    call = CallContext(call_id="anon", caller="", transport="memory", offer=True)
    media.press("3")
    outcome = await bot.run(media, call, log)
    lines = log.bot_lines(call.call_id)
    assert lines[0] == OFFER_PROMPT
    # Not sent to the dialplan's callback step with no number to call.
    assert outcome.route is not Route.CALLBACK
    assert len(lines) == 2 and "number" in lines[1].lower(), lines
    assert store.query("SELECT * FROM callback_requests") == []
    # Gone while asked for their number: hung up, not done.
    assert outcome.call_outcome is CallOutcome.HANGUP, outcome


@pytest.mark.parametrize("end", [MediaEnd.ERROR, MediaEnd.IDLE, MediaEnd.FLOOD])
async def test_a_media_failure_mid_call_hands_the_caller_over(
    offer_bot: tuple[SpeechBot, SqliteStore], end: MediaEnd
) -> None:
    # Not a hang-up: the caller may still be there, so no goodbye but the queue.
    bot, _store = offer_bot
    media = MemoryMedia()
    log = HangUpAfter(media, 3, end)
    call = CallContext(call_id="broken", caller="4511223344", transport="memory", offer=True)
    media.press("1")
    media.press("4")
    outcome = await bot.run(media, call, log)
    assert outcome.route is Route.HANDOFF, outcome
    assert outcome.reason == f"media {end.value}"
    assert outcome.call_outcome is CallOutcome.FAILED  # a person takes over a failed call
    errors = [e.data for e in log.events if e.kind is CallEventKind.BOT_ERROR]
    assert errors == [{"error": f"media {end.value}"}]
    assert CallEventKind.CALLER_GONE not in log.kinds(call.call_id)
