"""The bot answers a complete short answer at the caller's first pause, and stops
and takes the turn again as one utterance when the caller was not finished.

The real :class:`SpeechBot` (Silero VAD, Whisper tiny.en, Piper, the fallback
NLU, the dialogue on the demo shop) over an in-memory media leg that the test
feeds in real time, 20 ms a frame, silence between the caller's sentences.
The endpoint silence is stretched to 2 s so "answered at the pause" is told
from "answered at the endpoint" whatever the machine's load.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.assembly import DialogueFactory, SpeechModels, build_nlu
from bot.backends.demo_data import DEMO_CALLER, seed_demo
from bot.listener import ListenerConfig
from bot.speech.endpointing import EndpointConfig
from bot.turn_taking import EarlyAnswerRules
from bot.voice_bot import SpeechBot, VoiceBotConfig
from spillway.call import CallContext, CallEventKind, CallStage
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.fakes import MemoryMedia, RecordingSink
from tests.voice_caller import speech_models

__all__ = ["speech_models"]  # the fixture

pytestmark = [pytest.mark.speech]
pytest.importorskip("piper")
pytest.importorskip("faster_whisper")

ENDPOINT_MS = 2000.0


class Line:
    """The caller's side of the leg: a 20 ms frame every 20 ms, silence unless speaking."""

    def __init__(self, media: MemoryMedia) -> None:
        self.media = media
        self.step = media.format.frame_bytes(20)
        self.queued: list[bytes] = []
        self.task = asyncio.create_task(self._run())

    def say(self, pcm: bytes) -> None:
        self.queued.extend(
            pcm[i : i + self.step].ljust(self.step, b"\0") for i in range(0, len(pcm), self.step)
        )

    async def finish(self) -> None:
        while self.queued:  # noqa: ASYNC110 (the line task drains it)
            await asyncio.sleep(0.02)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not self.media.closed.is_set():
            frame = self.queued.pop(0) if self.queued else b"\0" * self.step
            self.media._push_audio(frame)
            next_at += 0.02
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    async def aclose(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@pytest.fixture
async def early_bot(tmp_path: Path, speech_models: SpeechModels) -> AsyncIterator[SpeechBot]:
    store = SqliteStore(tmp_path / "calls.db")
    store.migrate()
    seed_demo(store)
    astore = AsyncStore(store)
    nlu = build_nlu(Settings(), use_rasa=False)
    listen = ListenerConfig(
        endpoint=EndpointConfig(end_silence_ms=ENDPOINT_MS, pause_ms=150.0),
        no_input_timeout_s=20.0,
        tentatives=True,
    )
    bot = SpeechBot(
        speech_models,
        DialogueFactory.from_settings(Settings(), nlu, store),
        VoiceBotConfig(listen=listen, early=EarlyAnswerRules()),
    )
    try:
        yield bot
    finally:
        await nlu.aclose()
        astore.close()
        store.close()


def _kinds(sink: RecordingSink) -> list[tuple[str, dict[str, object]]]:
    """The call's events in order, stages by their name."""
    out: list[tuple[str, dict[str, object]]] = []
    for e in sink.events:
        kind = str(e.data["stage"]) if e.kind is CallEventKind.STAGE else e.kind.value
        out.append((kind, e.data))
    return out


async def _bot_said(sink: RecordingSink, count: int, timeout_s: float = 30.0) -> None:
    async with asyncio.timeout(timeout_s):
        while sum(t.speaker == "bot" for t in sink.turns) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def _quiet(media: MemoryMedia, sink: RecordingSink) -> None:
    """Until every reply the bot began was spoken (as many SPOKEN events as bot turns)."""
    async with asyncio.timeout(30):
        while sum(e.kind is CallEventKind.SPOKEN for e in sink.events) < sum(  # noqa: ASYNC110
            t.speaker == "bot" for t in sink.turns
        ):
            await asyncio.sleep(0.02)


async def _spoken(sink: RecordingSink, count: int) -> None:
    """Until ``count`` replies were spoken to their end or cut off (SPOKEN events)."""
    async with asyncio.timeout(30):
        while sum(e.kind is CallEventKind.SPOKEN for e in sink.events) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def _call(bot: SpeechBot, media: MemoryMedia, sink: RecordingSink) -> asyncio.Task[object]:
    call = CallContext(call_id=media.call_id, caller=DEMO_CALLER, transport="memory")
    return asyncio.create_task(bot.run(media, call, sink))


async def test_a_yes_is_answered_at_the_pause_not_the_endpoint(early_bot: SpeechBot) -> None:
    tts = early_bot.models.tts
    media, sink = MemoryMedia("early-yes"), RecordingSink()
    line = Line(media)
    run = await _call(early_bot, media, sink)
    try:
        await _bot_said(sink, 1)
        await _quiet(media, sink)
        line.say(await tts.synthesize("Where is my package?"))
        await _bot_said(sink, 2)  # "is it order ...?": a finished question, at the pause too
        await _quiet(media, sink)
        # The question's utterance ends first: its endpoint is stretched to 2 s
        # here, longer than the reply (in service 300 ms, shorter than any reply).
        await asyncio.sleep(ENDPOINT_MS / 1000)
        mark = len(sink.events)
        line.say(await tts.synthesize("Yes."))
        await _bot_said(sink, 3)
        await _quiet(media, sink)
        await asyncio.sleep(ENDPOINT_MS / 1000 + 0.5)
    finally:
        media.caller_hangs_up()
        await line.aclose()
        await asyncio.wait_for(run, 30)
    events = _kinds(sink)
    offered = [d for k, d in events[:mark] if k == "spoken"]
    assert offered[-1]["action"] == "offer_order" and offered[-1]["early"] == "question"
    after = events[mark:]
    spoken = [d for k, d in after if k == "spoken"]
    assert spoken[0]["action"] == "order_status" and spoken[0]["early"] == "yes_no"
    # The reply's first audio went out before the utterance's endpoint.
    first_audio = next(i for i, (k, _) in enumerate(after) if k == "first_audio")
    endpoint = next(i for i, (k, _) in enumerate(after) if k == "endpoint")
    assert first_audio < endpoint
    # One turn: the final transcript of the answered utterance is not a second one.
    callers = [t for t in sink.turns if t.speaker == "caller"]
    assert [t.intent for t in callers] == ["order_status", "affirm"]
    assert not any(k == "barge_in" for k, _ in after)


async def test_a_caller_who_goes_on_stops_the_early_answer_and_is_heard_whole(
    early_bot: SpeechBot,
) -> None:
    tts = early_bot.models.tts
    media, sink = MemoryMedia("early-more"), RecordingSink()
    line = Line(media)
    run = await _call(early_bot, media, sink)
    try:
        await _bot_said(sink, 1)
        await _quiet(media, sink)
        # "No." then, before the endpoint, the rest of what they meant.
        # Rendered before "No.", so that the rest follows the bot's first audio at once.
        rest = await tts.synthesize("Where is my package?")
        mark = len(sink.events)
        line.say(await tts.synthesize("No."))
        await line.finish()
        # Any first audio since "No." (not only among the newest events: under load
        # several can arrive between two looks).
        async with asyncio.timeout(15):
            while not any(k == "first_audio" for k, _ in _kinds(sink)[mark:]):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        line.say(rest)
        await line.finish()
        # Three replies spoken (greeting, the cut-off early one, the whole answer),
        # but the cut-off one never enters the transcript.
        await _spoken(sink, 3)
    finally:
        media.caller_hangs_up()
        await line.aclose()
        await asyncio.wait_for(run, 30)
    events = _kinds(sink)
    barges = [d for k, d in events if k == "barge_in"]
    assert barges and barges[0]["by"] == "resumed"
    assert media.flushes >= 1
    spoken = [d for k, d in events if k == "spoken"]
    assert spoken[1].get("early") == "yes_no" and spoken[1]["barged"] is True
    # The turn went on as one utterance and was answered as a whole: the
    # transcript holds that utterance once, not the "No." the bot began to answer.
    callers = [t for t in sink.turns if t.speaker == "caller"]
    assert len(callers) == 1, callers
    assert "package" in callers[0].text.lower() and callers[0].text.lower().startswith("no")
    bots = [t for t in sink.turns if t.speaker == "bot"]
    assert len(bots) == 2 and bots[-1].intent == "offer_order", bots
    assert spoken[-1]["action"] == "offer_order"
    recognised = [d["text"] for k, d in events if k == str(CallStage.RECOGNISED)]
    assert len(recognised) == 2
