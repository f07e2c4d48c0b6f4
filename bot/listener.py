"""The listen stage of a bot call: VAD, endpointing, recogniser feeding, DTMF, barge-in.

:class:`CallListener` runs for the whole call in background tasks, also
while the bot speaks (barge-in needs it), and queues what the caller said for
:meth:`CallListener.next_input`: words (a final transcript), keys, or
:class:`~bot.dialogue.machine.Silence` after the no-input timeout. Only
speech frames (plus a short pre-roll) reach the recogniser.

Where to change an endpointing setting: :class:`ListenerConfig` (its
``endpoint`` is :class:`bot.speech.endpointing.EndpointConfig`), built from
``speech.*`` in the settings by :meth:`ListenerConfig.from_settings`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from bot.dialogue.inputs import CallerInput, Dtmf, Silence, TextTurn
from bot.speech.asr import AsrEngine
from bot.speech.endpointing import (
    BargeIn,
    EndpointConfig,
    Paused,
    Resumed,
    SpeechGate,
    SpeechStarted,
    UtteranceEnded,
    VadFrame,
)
from bot.speech.vad import SileroVad, VadModel
from spillway.audio import AudioChunk, AudioFormat
from spillway.call import CallEvent, CallEventKind, EventSink
from spillway.media import MediaSession
from spillway.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ListenerConfig:
    """Timing of the listen stage; every value in its unit."""

    endpoint: EndpointConfig = field(default_factory=EndpointConfig)
    vad_threshold: float = 0.5
    # How long the caller may stay quiet after a question before it counts as silence.
    no_input_timeout_s: float = 7.0
    # Between DTMF keys of one number; '#' ends a number at once.
    dtmf_interdigit_s: float = 2.0
    # One utterance's transcription.
    asr_timeout_s: float = 10.0
    # Speech is fed to the recogniser in batches of at least this much audio.
    asr_feed_ms: float = 100.0
    # Hand the speculative transcript at a pause to the bot (speech.early_answer),
    # so it can prepare its reply before the endpoint (bot/turn_taking.py).
    tentatives: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ListenerConfig:
        speech = settings.speech
        return cls(
            endpoint=EndpointConfig(
                end_silence_ms=float(speech.endpoint_silence_ms),
                bargein_min_voiced_ms=float(speech.bargein_min_voiced_ms),
                pause_ms=float(speech.speculate_pause_ms) if speech.speculate_pause_ms else None,
            ),
            tentatives=speech.early_answer and speech.speculate_pause_ms > 0,
        )


class CallerGone(Exception):
    """The media leg ended (the caller hung up) while the bot waited or spoke."""


@dataclass(frozen=True, slots=True)
class _Heard:
    """A final transcript from the recogniser (text may be empty: noise)."""

    text: str
    confidence: float | None
    start_ms: float
    end_ms: float


@dataclass(frozen=True, slots=True)
class TentativeTurn:
    """What the caller said up to a pause (the speculative transcript).

    The utterance may go on: the bot prepares its reply on it, and speaks it
    before the endpoint only when it is complete on its own (bot/turn_taking.py).
    ``pause`` numbers the pause, for :meth:`CallListener.went_on`.
    """

    text: str
    confidence: float | None
    end_ms: float
    pause: int


_Input = _Heard | Dtmf | SpeechStarted | TentativeTurn | None  # None: the audio ended


class CallListener:
    """The listen stage for one call: VAD, endpointing, ASR feeding, DTMF, barge-in.

    It runs for the whole call in background tasks, also while the bot speaks
    (barge-in needs it), and queues what the caller said for :meth:`next_input`.
    """

    def __init__(
        self,
        media: MediaSession,
        call_id: str,
        sink: EventSink,
        *,
        asr: AsrEngine,
        vad: VadModel,
        vad_pool: Executor,
        config: ListenerConfig,
    ) -> None:
        self.media = media
        self.call_id = call_id
        self.sink = sink
        self.config = config
        self.format: AudioFormat = media.format
        self.vad = SileroVad(self.format, threshold=config.vad_threshold, model=vad)
        self.gate = SpeechGate(config.endpoint)
        self.stream = asr.open_stream(self.format)
        self.inputs: asyncio.Queue[_Input] = asyncio.Queue()
        self.speaking = False
        self.barged = asyncio.Event()
        # What stopped the bot's audio last: "voice", "dtmf" or "resumed".
        self.barged_by = ""
        # Set while the caller is not in an utterance (between their turns).
        self.quiet = asyncio.Event()
        self.quiet.set()
        self.bargeins: list[BargeIn] = []
        self.error: BaseException | None = None
        self._asr_queue: asyncio.Queue[AudioChunk | Paused | UtteranceEnded | None] = (
            asyncio.Queue()
        )
        self._vad_queue: asyncio.Queue[AudioChunk | None] = asyncio.Queue()
        self._vad_pool = vad_pool
        self._tasks: list[asyncio.Task[None]] = []
        self._call_ms = 0.0
        # At the offer a single key is the whole answer: no wait for more keys.
        self.single_keys = False
        # Pauses and resumptions so far: a tentative turn is current while no
        # speech followed its pause (see went_on).
        self._pauses = 0
        self._pauses_fed = 0
        self._resumed_after = 0
        self._ended_after = 0
        # An answer started at this pause is being spoken: speech stops it.
        self.early_pause: int | None = None
        # The speech end of an utterance already answered at its pause; its
        # final transcript is not a new turn.
        self.answered_end_ms: float | None = None
        self.heard_end_ms: float | None = None

    def start(self) -> None:
        guarded = (
            ("reading the caller's audio", self._read, self._vad_queue),
            ("the listener", self._frames, self._asr_queue),
            ("recognition", self._recognise, self.inputs),
        )
        for what, stage, downstream in guarded:
            self._tasks.append(asyncio.create_task(self._guard(what, stage, downstream)))
        self._tasks.append(asyncio.create_task(self._keys()))

    async def _guard(
        self,
        what: str,
        stage: Callable[[], Coroutine[Any, Any, None]],
        downstream: asyncio.Queue[Any],
    ) -> None:
        """Run one stage; a failure is kept for :meth:`next_input`, and the next stage
        always hears the end (``None``), so nothing waits for audio that will not come."""
        try:
            await stage()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # includes a recogniser that timed out
            log.exception("call %s: %s failed", self.call_id, what)
            self.error = exc
        finally:
            downstream.put_nowait(None)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.stream.aclose()

    def begin_speaking(self) -> None:
        self.speaking = True
        self.barged.clear()

    def end_speaking(self) -> None:
        self.speaking = False

    async def _barge(self, event: BargeIn | None, why: str) -> None:
        """Stop the bot's audio now; the caller has the floor."""
        if not self.speaking or self.barged.is_set():
            return
        self.barged.set()
        self.barged_by = why
        await self.media.flush()
        if event is not None:
            self.bargeins.append(event)
        data: dict[str, Any] = {"by": why}
        if event is not None:
            data.update(at_ms=round(event.at_ms), voiced_ms=round(event.voiced_ms))
        await self.sink.event(CallEvent(self.call_id, CallEventKind.BARGE_IN, data))

    async def _read(self) -> None:
        """Caller audio off the transport, as fast as it comes, into the VAD queue."""
        async for pcm in self.media.frames():
            chunk = AudioChunk(pcm, self.format, self._call_ms)
            self._call_ms += self.format.duration_ms(len(pcm))
            self._vad_queue.put_nowait(chunk)

    async def _frames(self) -> None:
        """Caller audio -> VAD (thread pool) -> endpointer; speech frames to the recogniser.

        Silero takes about 1.2 ms per 32 ms window and holds the GIL, so it
        runs in the models' VAD pool, never in an event-loop callback; all the
        frames that arrived while the previous batch was being analysed go in
        one hop (usually one or two frames, more when the machine is busy).
        The endpointer then sees the frames one by one, in order, exactly as
        when VAD ran inline.
        """
        loop = asyncio.get_running_loop()
        ended = False
        while not ended:
            batch: list[AudioChunk] = []
            item = await self._vad_queue.get()
            while item is not None:
                batch.append(item)
                if self._vad_queue.empty():
                    break
                item = self._vad_queue.get_nowait()
            ended = item is None
            if not batch:
                continue
            decisions = await loop.run_in_executor(self._vad_pool, self.vad.process_many, batch)
            for chunk, frame_decisions in zip(batch, decisions, strict=True):
                await self._gate(chunk, frame_decisions)

    async def caller_pause(self) -> None:
        """Until the caller is not in an utterance (or the call ended): a reply
        started while they talk would be cut off by their own speech at once."""
        longest = self.config.endpoint.max_utterance_ms / 1000 + 1.0  # an utterance is capped
        quiet = asyncio.ensure_future(self.quiet.wait())
        closed = asyncio.ensure_future(self.media.closed.wait())
        try:
            await asyncio.wait(
                {quiet, closed}, timeout=longest, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            quiet.cancel()
            closed.cancel()

    def went_on(self, turn: TentativeTurn) -> bool:
        """The caller spoke again after ``turn``'s pause (it was not their whole turn)."""
        return self._resumed_after >= turn.pause

    async def _gate(self, chunk: AudioChunk, decisions: list[VadFrame]) -> None:
        speech, events = self.gate.push(chunk, decisions, bot_speaking=self.speaking)
        for event in events:
            if isinstance(event, BargeIn):
                await self._barge(event, "voice")
            elif isinstance(event, Paused):
                self._pauses += 1
            elif isinstance(event, UtteranceEnded):
                self._ended_after = self._pauses
                self.quiet.set()
            elif isinstance(event, Resumed):
                self._resumed_after = self._pauses
                if self.early_pause is not None and self.early_pause <= self._pauses:
                    # The bot answered at the pause, but the caller had not finished.
                    await self._barge(None, "resumed")
        for piece in speech:
            self._asr_queue.put_nowait(piece)
        for event in events:
            if isinstance(event, SpeechStarted):
                self.quiet.clear()
                self.inputs.put_nowait(event)
            elif isinstance(event, Paused):
                self._asr_queue.put_nowait(event)
            elif isinstance(event, UtteranceEnded):
                self._asr_queue.put_nowait(event)
                # Wall-clock marks for the latency breakdown (bench_latency --breakdown).
                await self.sink.event(
                    CallEvent(self.call_id, CallEventKind.ENDPOINT, {"end_ms": round(event.end_ms)})
                )

    async def _recognise(self) -> None:
        """Feed speech to the ASR stream in order; a final result per utterance.

        Speech frames are fed in batches of at least ``asr_feed_ms`` (and
        everything queued behind a slow decode in one go): each
        ``AcceptWaveform`` call and thread-pool hop has a fixed cost that
        20 ms frames pay fifty times a second. What is still pending when the
        utterance ends is fed before the final result, so nothing is lost and
        the endpoint waits for at most one batch. At a pause the same happens
        before the stream may start a speculative decode; the end then tells
        the stream where the speech ended, so it knows whether that decode
        heard everything.
        """
        pending: list[AudioChunk] = []
        pending_ms = 0.0
        while True:
            item = await self._asr_queue.get()
            while isinstance(item, AudioChunk):
                pending.append(item)
                pending_ms += self.format.duration_ms(len(item.audio))
                if self._asr_queue.empty():
                    break
                item = self._asr_queue.get_nowait()
            if isinstance(item, AudioChunk) and pending_ms < self.config.asr_feed_ms:
                continue
            if pending:
                batch = AudioChunk(
                    b"".join(c.audio for c in pending), self.format, pending[0].start_ms
                )
                pending, pending_ms = [], 0.0
                # The utterance just ended: its reply waits on this batch.
                urgent = isinstance(item, UtteranceEnded)
                async with asyncio.timeout(self.config.asr_timeout_s):
                    await self.stream.accept(batch, urgent=urgent)
            if item is None:
                break
            if isinstance(item, AudioChunk):
                continue
            if isinstance(item, Paused):
                await self.stream.speculate(item.end_ms)
                # The n-th pause here is the n-th the gate counted (one queue, in order).
                self._pauses_fed += 1
                tentative = getattr(self.stream, "tentative", None)
                if self.config.tentatives and tentative is not None:
                    self._tasks.append(
                        asyncio.create_task(self._tentative(tentative, item, self._pauses_fed))
                    )
                continue
            async with asyncio.timeout(self.config.asr_timeout_s):
                final = await self.stream.end_utterance(speech_end_ms=item.end_ms)
            self.inputs.put_nowait(
                _Heard(
                    final.text.strip() if final else "",
                    final.confidence if final else None,
                    item.start_ms,
                    item.end_ms,
                )
            )

    async def _tentative(
        self, tentative: Callable[[], Coroutine[Any, Any, Any]], pause: Paused, number: int
    ) -> None:
        """The speculative transcript of the pause, queued for the bot when it is done."""
        try:
            result = await tentative()
        except Exception:  # a failed speculation only means no early reply
            log.debug("call %s: no tentative transcript", self.call_id, exc_info=True)
            return
        if result is not None and result.text.strip():
            self.inputs.put_nowait(
                TentativeTurn(result.text.strip(), result.confidence, pause.end_ms, number)
            )

    async def _keys(self) -> None:
        """DTMF: a number ends with '#' or a pause between keys; '*' and A-D at once."""
        digits = ""
        while True:
            try:
                if digits:
                    key = await asyncio.wait_for(
                        self.media.next_dtmf(), self.config.dtmf_interdigit_s
                    )
                else:
                    key = await self.media.next_dtmf()
            except TimeoutError:
                self.inputs.put_nowait(Dtmf(digits))
                digits = ""
                continue
            if key is None:
                if digits:
                    self.inputs.put_nowait(Dtmf(digits))
                return
            await self._barge(None, "dtmf")
            digits += key
            if key == "#" or not key.isdigit() or self.single_keys:
                self.inputs.put_nowait(Dtmf(digits))
                digits = ""

    async def next_input(self) -> CallerInput:
        """The caller's next turn: words, keys, or Silence after the no-input timeout."""
        item = await self.next_turn(tentative=False)
        assert not isinstance(item, TentativeTurn)
        return item

    async def next_turn(self, *, tentative: bool = True) -> CallerInput | TentativeTurn:
        """:meth:`next_input`, or a :class:`TentativeTurn` at a pause while it is
        current (the caller has not spoken again and the utterance not ended)."""
        cfg = self.config
        deadline = time.monotonic() + cfg.no_input_timeout_s
        while True:
            if self.error is not None:
                raise RuntimeError(f"the listen stage failed: {self.error!r}") from self.error
            remaining = deadline - time.monotonic()
            try:
                item = await asyncio.wait_for(self.inputs.get(), max(remaining, 0.0))
            except TimeoutError:
                return Silence()
            if item is None:
                if self.error is not None:
                    continue
                raise CallerGone
            if isinstance(item, SpeechStarted):
                # Someone is talking: wait for the utterance and its transcript.
                deadline = (
                    time.monotonic()
                    + cfg.endpoint.max_utterance_ms / 1000
                    + cfg.asr_timeout_s
                    + cfg.no_input_timeout_s
                )
                continue
            if isinstance(item, Dtmf):
                return item
            if isinstance(item, TentativeTurn):
                current = item.pause > self._resumed_after and item.pause > self._ended_after
                if tentative and current:
                    return item
                continue
            if self.answered_end_ms is not None and item.end_ms == self.answered_end_ms:
                # Answered at its pause already (the bot did not wait for the endpoint).
                self.answered_end_ms = None
                continue
            self.heard_end_ms = item.end_ms
            if not item.text:
                # Noise with no words: keep listening for the rest of the window.
                deadline = time.monotonic() + cfg.no_input_timeout_s
                continue
            return TextTurn(item.text, asr_confidence=item.confidence)
