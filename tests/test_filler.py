"""A slow shop look-up: the caller hears "one moment" and then the answer, never silence.

The real :class:`SpeechBot` and dialogue on the demo shop, keyed in by DTMF over
an in-memory media leg; the speech models are stand-ins whose "audio" is the
text's own bytes, so the test reads what the caller heard, in order. The order
back-end sleeps before it answers; the filler threshold is a parameter, small
here, so nothing waits the production 700 ms or a shop's 5 s time-out. A caller
who talks over the filler speaks loud samples (a loudness stand-in for the VAD)
and a stand-in recogniser hears their words.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pytest

from bot.assembly import DialogueFactory, SpeechModels
from bot.backends import Backends, Order, OrderBackend
from bot.dialogue.config import DialogueConfig
from bot.dialogue.prompts import say
from bot.filler import with_filler
from bot.listener import ListenerConfig
from bot.types import Transcript
from bot.voice_bot import SpeechBot, VoiceBotConfig
from spillway.audio import SLIN8, AudioChunk, AudioFormat
from spillway.call import CallContext, CallEvent, CallEventKind, CallOutcome, Route
from tests.dialogue_fixtures import fallback_nlu
from tests.fakes import MemoryMedia, RecordingSink

# Small, so the tests are fast; the slow look-up is well past it, the quick one well inside.
AFTER_S = 0.2
SLOW_S = 0.8


def _pcm(text: str) -> bytes:
    """A text as 'audio': its UTF-8 bytes, padded to whole 16-bit samples."""
    raw = text.encode()
    return raw + b"\0" * (len(raw) % 2)


def _text(pcm: bytes) -> str:
    return pcm.rstrip(b"\0").decode()


class TextVoice:
    """A voice that 'renders' a text as its bytes, one chunk per reply (after its opener)."""

    output_format: AudioFormat = SLIN8
    voice_id = "text"

    async def stream(self, text: str, **how: Any) -> AsyncIterator[AudioChunk]:
        """``how``: the real voice's ``lead`` (a cached opener, played first)."""
        lead: Callable[[], Awaitable[bytes]] | None = how.get("lead")
        if lead is not None:
            yield AudioChunk(await lead(), SLIN8)
        if text:
            yield AudioChunk(_pcm(text), SLIN8)

    def close(self) -> None:
        return None


class TextPrompts:
    """The prompt cache: fixed wording, as its bytes."""

    async def get(self, text: str) -> bytes:
        return _pcm(text)


class NoAsr:
    """No caller speaks in these calls: a recogniser that is never fed."""

    name = "none"

    def open_stream(self, fmt: AudioFormat) -> Any:
        return NoStream()

    def close(self) -> None:
        return None


class NoStream:
    async def aclose(self) -> None:
        return None


class NoVad:
    runtime = "none"

    def detector(self) -> object:
        return object()


class LoudVad:
    """A VAD stand-in: a window is speech when it is loud, silence when it is quiet."""

    runtime = "stand-in"
    path = Path()

    def detector(self) -> LoudDetector:
        return LoudDetector()


class LoudDetector:
    def probability(self, window: npt.NDArray[np.float32]) -> float:
        return 1.0 if float(np.abs(window).mean()) > 0.05 else 0.0

    def reset(self) -> None:
        return None


class HearsAsr:
    """A recogniser stand-in that hears ``text`` in every utterance."""

    name = "hears"

    def __init__(self, text: str) -> None:
        self.text = text

    def open_stream(self, fmt: AudioFormat) -> HearsStream:
        return HearsStream(self.text)

    def close(self) -> None:
        return None


class HearsStream:
    def __init__(self, text: str) -> None:
        self.text = text

    async def accept(self, chunk: AudioChunk, *, urgent: bool = False) -> list[Transcript]:
        return []

    async def speculate(self, speech_end_ms: float) -> None:
        return None

    async def end_utterance(self, *, speech_end_ms: float | None = None) -> Transcript:
        return Transcript(self.text, True, end_ms=speech_end_ms or 0.0, confidence=0.95)

    async def aclose(self) -> None:
        return None


def _loud(ms: int) -> bytes:
    """``ms`` of loud caller audio (SLIN8): speech to the stand-in VAD."""
    return np.full(8 * ms, 8000, np.int16).tobytes()


class SlowOrders:
    """The shop's order API, ``delay_s`` slow on a look-up by number."""

    def __init__(self, orders: OrderBackend, delay_s: float) -> None:
        self.orders = orders
        self.delay_s = delay_s
        self.done_at: float | None = None
        self.done = asyncio.Event()

    async def find_order(self, number: str) -> Order | None:
        await asyncio.sleep(self.delay_s)
        self.done_at = time.monotonic()
        self.done.set()
        return await self.orders.find_order(number)

    async def orders_for_phone(self, phone: str) -> list[Order]:
        return await self.orders.orders_for_phone(phone)


class TimedMedia(MemoryMedia):
    """The in-memory leg, with when each piece was queued and a playout of ``play_s``
    per reply (so a caller can talk over one)."""

    def __init__(self, call_id: str, play_s: float = 0.0) -> None:
        super().__init__(call_id)
        self.play_s = play_s
        self.at: list[float] = []

    async def play(self, audio: bytes) -> None:
        await super().play(audio)
        self.at.append(time.monotonic())

    async def wait_played(self) -> None:
        await asyncio.sleep(self.play_s)

    def heard(self) -> list[str]:
        return [_text(a) for a in self.played]


class KeyingCaller(RecordingSink):
    """The call log, and a caller who keys an answer after each of the bot's lines
    (``keys[i]`` after line i; None: nothing) and ``on_filler`` while the filler plays."""

    def __init__(self, media: MemoryMedia, keys: list[str | None], on_filler: str = "") -> None:
        super().__init__()
        self.media = media
        self.keys = keys
        self.on_filler = on_filler
        self._pressing: set[asyncio.Task[None]] = set()

    async def event(self, event: CallEvent) -> None:
        await super().event(event)
        if event.kind is CallEventKind.FILLER and self.on_filler:
            task = asyncio.create_task(self._press_soon(self.on_filler))
            self._pressing.add(task)  # kept until pressed
            task.add_done_callback(self._pressing.discard)
        if event.kind is not CallEventKind.SPOKEN or event.data["action"] == "filler":
            return
        said = sum(
            e.kind is CallEventKind.SPOKEN and e.data["action"] != "filler" for e in self.events
        )
        if said > len(self.keys):
            self.media.caller_hangs_up()  # heard the last reply
            return
        for key in self.keys[said - 1] or "":
            self.media.press(key)

    async def _press_soon(self, keys: str) -> None:
        await asyncio.sleep(0.05)  # the filler has started playing
        for key in keys:
            self.media.press(key)


class TalkingCaller(KeyingCaller):
    """A caller who keys like :class:`KeyingCaller` and, while the filler plays, starts
    talking ("okay") and goes on until after the look-up is done, then pauses."""

    def __init__(self, media: MemoryMedia, keys: list[str | None], orders: SlowOrders) -> None:
        super().__init__(media, keys)
        self.orders = orders
        self.paused_at: float | None = None
        self._talking: set[asyncio.Task[None]] = set()

    async def event(self, event: CallEvent) -> None:
        await super().event(event)
        if event.kind is CallEventKind.FILLER:
            task = asyncio.create_task(self._talk())
            self._talking.add(task)  # kept until done
            task.add_done_callback(self._talking.discard)

    async def _talk(self) -> None:
        await asyncio.sleep(0.05)  # the filler has started playing
        self.media.speak(_loud(400))
        await self.orders.done.wait()  # still talking when the answer is ready
        await asyncio.sleep(0.2)
        self.paused_at = time.monotonic()
        self.media.speak(b"\0" * 2 * 8 * 600)  # their pause: past the endpoint's silence


@pytest.fixture
def models() -> Iterator[SpeechModels]:
    fake = SpeechModels(
        asr=cast(Any, NoAsr()),
        tts=cast(Any, TextVoice()),
        prompts=cast(Any, TextPrompts()),
        vad=cast(Any, NoVad()),
    )
    yield fake
    fake.close()


def _bot(models: SpeechModels, demo: Backends, language: str, orders: SlowOrders) -> SpeechBot:
    backends = dataclasses.replace(demo, orders=orders)
    dialogues = DialogueFactory(fallback_nlu(language), backends, DialogueConfig(language=language))
    listen = ListenerConfig(dtmf_interdigit_s=0.1, no_input_timeout_s=5.0)
    return SpeechBot(models, dialogues, VoiceBotConfig(listen=listen, filler_after_s=AFTER_S))


def _spoken(sink: RecordingSink) -> list[dict[str, Any]]:
    return [e.data for e in sink.events if e.kind is CallEventKind.SPOKEN]


# Order 10044 is packing: keyed in, confirmed with 1, looked up.
ORDER_KEYS: list[str | None] = ["10044#", "1#"]


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_slow_lookup_says_one_moment_then_the_answer(
    models: SpeechModels, demo: Backends, language: str
) -> None:
    orders = SlowOrders(demo.orders, SLOW_S)
    bot = _bot(models, demo, language, orders)
    media = TimedMedia(f"slow-{language}")
    sink = KeyingCaller(media, ORDER_KEYS)
    call = CallContext(call_id=media.call_id, caller="", transport="memory")
    outcome = await asyncio.wait_for(bot.run(media, call, sink), 10)
    # Served (told where the order is), then hung up.
    assert outcome.call_outcome is CallOutcome.RESOLVED, outcome
    heard = media.heard()
    filler = say("filler_lookup")
    assert heard.count(filler) == 1, heard
    at = heard.index(filler)
    # Greeting, "order 1 0 0 4 4, right?", the filler, then the answer: not silence.
    assert at == 2, heard
    answer = sink.bot_lines(call.call_id)[-1]
    assert "4" in answer and answer != filler
    assert heard[at + 1 :] and answer.endswith(heard[-1]), heard
    # The filler came while the shop was still looking; the answer once it was done.
    assert orders.done_at is not None
    assert media.at[at] < orders.done_at <= media.at[at + 1]
    # The log says a filler was played, and it is no line of the transcript.
    fillers = [e.data for e in sink.events if e.kind is CallEventKind.FILLER]
    assert len(fillers) == 1 and fillers[0]["waited_ms"] >= AFTER_S * 1000
    assert filler not in sink.bot_lines(call.call_id)
    actions = [d["action"] for d in _spoken(sink)]
    assert actions[2:] == ["filler", actions[-1]] and actions[-1] != "filler", actions
    assert not any(d["barged"] for d in _spoken(sink))
    # The turn's latency is the answer's: the filler is not its first audio.
    assert sum(e.kind is CallEventKind.FIRST_AUDIO for e in sink.events) == 3


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_quick_lookup_gets_no_filler(
    models: SpeechModels, demo: Backends, language: str
) -> None:
    orders = SlowOrders(demo.orders, 0.0)
    bot = _bot(models, demo, language, orders)
    media = TimedMedia(f"quick-{language}")
    sink = KeyingCaller(media, ORDER_KEYS)
    call = CallContext(call_id=media.call_id, caller="", transport="memory")
    await asyncio.wait_for(bot.run(media, call, sink), 10)
    assert orders.done_at is not None  # it was looked up
    heard = media.heard()
    assert say("filler_lookup") not in heard
    assert len(heard) == 3 and sink.bot_lines(call.call_id)[-1].endswith(heard[-1]), heard
    assert not any(e.kind is CallEventKind.FILLER for e in sink.events)


@pytest.mark.parametrize("language", ["en", "da"])
async def test_talking_over_the_filler_stops_it_but_the_answer_still_comes(
    demo: Backends, language: str
) -> None:
    models = SpeechModels(
        asr=cast(Any, HearsAsr("okay")),
        tts=cast(Any, TextVoice()),
        prompts=cast(Any, TextPrompts()),
        vad=cast(Any, LoudVad()),
    )
    try:
        orders = SlowOrders(demo.orders, SLOW_S)
        bot = _bot(models, demo, language, orders)
        media = TimedMedia(f"talk-{language}", play_s=0.5)
        sink = TalkingCaller(media, [*ORDER_KEYS, None], orders)
        call = CallContext(call_id=media.call_id, caller="", transport="memory")
        await asyncio.wait_for(bot.run(media, call, sink), 10)
    finally:
        models.close()
    # The caller's words stopped the filler.
    barge = [e.data for e in sink.events if e.kind is CallEventKind.BARGE_IN]
    assert barge and barge[0]["by"] == "voice", barge
    spoken = _spoken(sink)
    filler = next(d for d in spoken if d["action"] == "filler")
    assert filler["barged"]
    # The answer they waited for is played after it, whole, at their pause.
    heard = media.heard()
    assert heard[2] == say("filler_lookup"), heard
    lines = sink.bot_lines(call.call_id)
    answer = lines[2]
    assert "4" in answer and answer.endswith(heard[3]), (answer, heard)
    told = spoken[spoken.index(filler) + 1]
    assert told["action"] != "filler" and not told["barged"] and told["elapsed_ms"] > 0
    assert orders.done_at is not None and sink.paused_at is not None
    assert media.at[3] >= sink.paused_at > orders.done_at
    # What they said over the filler is their next turn, after the answer.
    turns = [(t.speaker, t.text) for t in sink.turns]
    assert turns.index(("caller", "okay")) > turns.index(("bot", answer)), turns
    assert len(lines) == 4, lines  # and the bot answered it


async def test_a_key_over_the_filler_acts_at_once(models: SpeechModels, demo: Backends) -> None:
    orders = SlowOrders(demo.orders, SLOW_S)
    bot = _bot(models, demo, "en", orders)
    media = TimedMedia("barge", play_s=0.5)
    # Key 0 over "one moment": a colleague, at once.
    sink = KeyingCaller(media, [*ORDER_KEYS, None], on_filler="0#")
    call = CallContext(call_id=media.call_id, caller="", transport="memory")
    outcome = await asyncio.wait_for(bot.run(media, call, sink), 10)
    assert outcome.route is Route.HANDOFF, outcome
    assert media.flushes >= 1
    assert any(e.kind is CallEventKind.BARGE_IN for e in sink.events)
    spoken = _spoken(sink)
    filler = next(d for d in spoken if d["action"] == "filler")
    assert filler["barged"]
    # The answer the caller talked over is not played after it; the key is their turn.
    answer = spoken[spoken.index(filler) + 1]
    assert answer["barged"] and answer["elapsed_ms"] == 0
    heard = media.heard()
    assert heard[:3] == [*heard[:2], say("filler_lookup")]
    assert heard[3:] == [say("transfer")], heard


async def test_with_filler_plays_nothing_for_quick_work() -> None:
    played: list[str] = []

    async def filler() -> None:
        played.append("filler")

    async def quick() -> str:
        return "reply"

    assert await with_filler(quick(), AFTER_S, filler) == "reply"
    assert played == []


async def test_with_filler_waits_for_the_filler_before_the_reply() -> None:
    order: list[str] = []

    async def filler() -> None:
        order.append("filler starts")
        await asyncio.sleep(0.3)  # longer than the work left
        order.append("filler ends")

    async def slow() -> str:
        await asyncio.sleep(0.1)
        order.append("work done")
        return "reply"

    assert await with_filler(slow(), 0.02, filler) == "reply"
    order.append("reply")
    assert order == ["filler starts", "work done", "filler ends", "reply"]


async def test_a_failing_filler_lets_the_turn_finish_first() -> None:
    finished: list[str] = []

    async def filler() -> None:
        raise ConnectionError("caller gone")

    async def writes() -> str:
        await asyncio.sleep(0.1)
        finished.append("case recorded")
        return "reply"

    with pytest.raises(ConnectionError):
        await with_filler(writes(), 0.01, filler)
    assert finished == ["case recorded"]
