"""The voice bot: speech in, intent, dialogue, speech out, over one call's media.

:class:`SpeechBot` implements :class:`agi.call_session.Bot` as explicit stages
(in the manner of Home Assistant's assist pipeline), each reporting to the
call's one event sink:

1. **greet** - the dialogue's greeting, played from the prompt cache;
2. **listen** - a background listener runs Silero VAD (in a bounded thread
   pool) and the endpointer on every caller frame; only speech frames (plus a
   short pre-roll) reach the recogniser, and DTMF keys are collected beside it;
3. **understand** - the final transcript goes to the dialogue, whose NLU
   engine (Rasa or the fallback) names the intent;
4. **decide** - the :class:`~bot.dialogue.Dialogue` state machine answers;
5. **speak** - Piper renders the reply sentence by sentence; the first
   sentence plays while the next is rendered;

and loops until the dialogue ends.

A caller who waited past ``max_wait`` in the queue (``CallContext.offer``)
hears the **offer** instead of the greeting: every colleague is busy, what
the bot can help with, and "say or press 1 to talk to me, 2 to keep waiting,
3 to be called back". The answer goes through the same listen and NLU path
and :func:`agi.overflow.offer_answer` maps it; a request the bot can serve
("where is my order?") becomes the dialogue's first turn, so the caller need
not repeat it. Silence or nonsense twice means keep waiting (never dropped).

While the bot speaks, a caller voiced for
``bargein_min_voiced_ms`` (or pressing a key) stops the bot's audio at once
(``media.flush()``: FLUSH_MEDIA on chan_websocket, stop writing on
AudioSocket), and what they say is recognised as their next turn.

Never drop a caller: any exception, a stage that times out, or a model that
fails mid-call ends in a hand-over to the queue carrying the dialogue's
context; the bot never hangs up on a caller and never leaves them in silence.

Usage (models loaded once per process, see :mod:`bot.assembly`)::

    models = load_speech_models(settings)
    dialogues = DialogueFactory.from_settings(settings, build_nlu(settings), store)
    bot = SpeechBot(models, dialogues, VoiceBotConfig.from_settings(settings))
    # then: running_controller(settings, bot, ...)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from agi.call_log import EventSink
from agi.call_session import BotOutcome, CallContext
from agi.handoff import HandoffContext
from agi.overflow import RETURN_PRIORITY, OfferAnswer, Route, offer_answer
from bot.asr import AsrStream
from bot.assembly import SpeechModels
from bot.dialogue import (
    REPROMPT_NOT_UNDERSTOOD,
    REPROMPT_SILENCE,
    CallerInput,
    Dialogue,
    Dtmf,
    Outcome,
    Silence,
    TextTurn,
)
from bot.endpointing import (
    BargeIn,
    EndpointConfig,
    SpeechGate,
    SpeechStarted,
    UtteranceEnded,
    VadFrame,
)
from bot.resample import resample_pcm16
from bot.types import AudioChunk, AudioFormat, CallEvent, CallStage, Intent, Reply
from bot.vad import SileroVad
from spillway.settings import Settings

log = logging.getLogger(__name__)

# The overflow offer's fixed prompts (cached audio, like the greeting).
OFFER_PROMPT = (
    "Sorry, all our colleagues are busy right now. I'm the automated assistant, and I can "
    "help with your order status, returns, and our opening hours. Say or press 1 to talk "
    "to me, 2 to keep waiting in the queue, or 3 to be called back."
)
OFFER_REPROMPT = (
    "Sorry, I didn't catch that. Say or press 1 to talk to me, 2 to keep waiting, "
    "or 3 to be called back."
)
OFFER_WAIT = "All right, I'll put you back in the queue. You keep your place."
OFFER_CALLBACK = "Of course. We'll call you back on the number you're calling from."
OFFER_BOT = "Great. How can I help you?"
# Silence or not understood this many times at the offer: keep waiting.
OFFER_ATTEMPTS = 2


class NewDialogue(Protocol):
    """Makes the dialogue for one call (``bot.assembly.DialogueFactory`` is one)."""

    def __call__(self, *, caller_id: str | None, call_id: str) -> Dialogue: ...


@dataclass(frozen=True, slots=True)
class VoiceBotConfig:
    """Timing of the voice bot; every value in its unit."""

    endpoint: EndpointConfig = field(default_factory=EndpointConfig)
    vad_threshold: float = 0.5
    # How long the caller may stay quiet after a question before it counts as silence.
    no_input_timeout_s: float = 7.0
    # Between DTMF keys of one number; '#' ends a number at once.
    dtmf_interdigit_s: float = 2.0
    # One utterance's transcription, one sentence's synthesis, one reply's playback.
    asr_timeout_s: float = 10.0
    # Speech is fed to the recogniser in batches of at least this much audio.
    asr_feed_ms: float = 100.0
    tts_timeout_s: float = 10.0
    play_timeout_s: float = 120.0
    max_turns: int = 40

    @classmethod
    def from_settings(cls, settings: Settings) -> VoiceBotConfig:
        speech = settings.speech
        return cls(
            endpoint=EndpointConfig(
                end_silence_ms=float(speech.endpoint_silence_ms),
                bargein_min_voiced_ms=float(speech.bargein_min_voiced_ms),
            )
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


_Input = _Heard | Dtmf | SpeechStarted | None  # None: the caller's audio ended


class _CallAudio:
    """The listen stage for one call: VAD, endpointing, ASR feeding, DTMF, barge-in.

    It runs for the whole call in background tasks, also while the bot speaks
    (barge-in needs it), and queues what the caller said for :meth:`next_input`.
    """

    def __init__(
        self,
        media: Any,
        models: SpeechModels,
        config: VoiceBotConfig,
        call: CallContext,
        sink: EventSink,
    ) -> None:
        self.media = media
        self.call = call
        self.sink = sink
        self.config = config
        self.format: AudioFormat = media.format
        self.vad = SileroVad(self.format, threshold=config.vad_threshold, model=models.vad)
        self.gate = SpeechGate(config.endpoint)
        self.stream: AsrStream = models.asr.open_stream(self.format)
        self.inputs: asyncio.Queue[_Input] = asyncio.Queue()
        self.speaking = False
        self.barged = asyncio.Event()
        self.bargeins: list[BargeIn] = []
        self.error: BaseException | None = None
        self._asr_queue: asyncio.Queue[AudioChunk | UtteranceEnded | None] = asyncio.Queue()
        self._vad_queue: asyncio.Queue[AudioChunk | None] = asyncio.Queue()
        self._vad_pool = models.vad_pool
        self._tasks: list[asyncio.Task[None]] = []
        self._call_ms = 0.0
        # At the offer a single key is the whole answer: no wait for more keys.
        self.single_keys = False

    def start(self) -> None:
        for coro in (self._read(), self._frames(), self._recognise(), self._keys()):
            self._tasks.append(asyncio.create_task(coro))

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
        await self.media.flush()
        if event is not None:
            self.bargeins.append(event)
        data: dict[str, Any] = {"by": why}
        if event is not None:
            data.update(at_ms=round(event.at_ms), voiced_ms=round(event.voiced_ms))
        await self.sink.event(CallEvent(self.call.call_id, "barge_in", data))

    async def _read(self) -> None:
        """Caller audio off the transport, as fast as it comes, into the VAD queue."""
        try:
            async for pcm in self.media.frames():
                chunk = AudioChunk(pcm, self.format, self._call_ms)
                self._call_ms += self.format.duration_ms(len(pcm))
                self._vad_queue.put_nowait(chunk)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("call %s: reading the caller's audio failed", self.call.call_id)
            self.error = exc
        finally:
            self._vad_queue.put_nowait(None)

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
        try:
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
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("call %s: the listener failed", self.call.call_id)
            self.error = exc
        finally:
            self._asr_queue.put_nowait(None)

    async def _gate(self, chunk: AudioChunk, decisions: list[VadFrame]) -> None:
        speech, events = self.gate.push(chunk, decisions, bot_speaking=self.speaking)
        for event in events:
            if isinstance(event, BargeIn):
                await self._barge(event, "voice")
        for piece in speech:
            self._asr_queue.put_nowait(piece)
        for event in events:
            if isinstance(event, SpeechStarted):
                self.inputs.put_nowait(event)
            elif isinstance(event, UtteranceEnded):
                self._asr_queue.put_nowait(event)
                # Wall-clock marks for the latency breakdown (bench_latency --breakdown).
                await self.sink.event(
                    CallEvent(self.call.call_id, "endpoint", {"end_ms": round(event.end_ms)})
                )

    async def _recognise(self) -> None:
        """Feed speech to the ASR stream in order; a final result per utterance.

        Speech frames are fed in batches of at least ``asr_feed_ms`` (and
        everything queued behind a slow decode in one go): each
        ``AcceptWaveform`` call and thread-pool hop has a fixed cost that
        20 ms frames pay fifty times a second. What is still pending when the
        utterance ends is fed before the final result, so nothing is lost and
        the endpoint waits for at most one batch.
        """
        pending: list[AudioChunk] = []
        pending_ms = 0.0
        try:
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
                    urgent = item is not None and not isinstance(item, AudioChunk)
                    async with asyncio.timeout(self.config.asr_timeout_s):
                        await self.stream.accept(batch, urgent=urgent)
                if item is None:
                    break
                if isinstance(item, AudioChunk):
                    continue
                async with asyncio.timeout(self.config.asr_timeout_s):
                    final = await self.stream.end_utterance()
                self.inputs.put_nowait(
                    _Heard(
                        final.text.strip() if final else "",
                        final.confidence if final else None,
                        item.start_ms,
                        item.end_ms,
                    )
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # includes a recogniser that timed out
            log.exception("call %s: recognition failed", self.call.call_id)
            self.error = exc
        finally:
            self.inputs.put_nowait(None)

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
            if not item.text:
                # Noise with no words: keep listening for the rest of the window.
                deadline = time.monotonic() + cfg.no_input_timeout_s
                continue
            return TextTurn(item.text)


class SpeechBot:
    """The voice bot. One instance per process, shared by every call.

    ``models`` are the process's loaded speech models; ``dialogues`` makes the
    dialogue of each call (``bot.assembly.DialogueFactory``); ``config`` holds
    the timings (``VoiceBotConfig.from_settings(settings)``).
    """

    # It makes the overflow offer itself (the controller asks; see agi.overflow.route_offer).
    speaks_offer = True

    def __init__(
        self,
        models: SpeechModels,
        dialogues: NewDialogue,
        config: VoiceBotConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.models = models
        self.dialogues = dialogues
        self.config = config or VoiceBotConfig()
        self.clock = clock
        self.calls = 0

    async def fixed_prompts(self) -> list[str]:
        """The texts played from the prompt cache (greeting, offer): worth rendering early."""
        greeting = await self.dialogues(caller_id=None, call_id="prompt-warm-up").start()
        return [
            greeting.text,
            OFFER_PROMPT,
            OFFER_REPROMPT,
            OFFER_WAIT,
            OFFER_CALLBACK,
            OFFER_BOT,
            REPROMPT_NOT_UNDERSTOOD,
            REPROMPT_SILENCE,
        ]

    async def run(self, media: Any, call: CallContext, sink: EventSink) -> BotOutcome:
        self.calls += 1
        dialogue = self.dialogues(caller_id=call.caller or None, call_id=call.call_id)
        audio: _CallAudio | None = None
        try:
            audio = _CallAudio(media, self.models, self.config, call, sink)
            # Before the listener runs: a key pressed as the offer starts is one answer.
            audio.single_keys = call.offer
            audio.start()
            if call.offer:
                chosen = await self._offer(media, audio, call, sink, dialogue)
                if isinstance(chosen, BotOutcome):
                    return chosen
                # The caller chose the bot; ``chosen`` answers their first request.
                await self._speak(media, audio, call, sink, chosen, cached=chosen.action == "greet")
            else:
                greeting = await dialogue.start()
                await self._speak(media, audio, call, sink, greeting, cached=True)
            turns = 0
            while not dialogue.ended:
                turns += 1
                if turns > self.config.max_turns:
                    return _handoff(dialogue, "too many turns")
                await sink.stage(call.call_id, CallStage.LISTENING)
                event = await audio.next_input()
                reply = await self._understand_and_decide(dialogue, event, call, sink)
                await self._speak(media, audio, call, sink, reply, cached=False)
            return _outcome(dialogue)
        except CallerGone:
            dialogue.hang_up()
            await sink.event(CallEvent(call.call_id, "caller_gone", {}))
            return _outcome(dialogue, "caller hung up")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never drop: any failure hands the caller to a person
            log.exception("call %s: the voice bot failed; handing over", call.call_id)
            await sink.event(CallEvent(call.call_id, "bot_error", {"error": repr(exc)[:300]}))
            return _handoff(dialogue, f"bot error: {type(exc).__name__}")
        finally:
            if audio is not None:
                await audio.aclose()

    async def _offer(
        self,
        media: Any,
        audio: _CallAudio,
        call: CallContext,
        sink: EventSink,
        dialogue: Dialogue,
    ) -> BotOutcome | Reply:
        """The overflow offer: bot, keep waiting or callback, by voice or key.

        Returns the outcome that ends the bot call (wait, callback), or, when
        the caller chose the bot, the dialogue's first reply to speak.
        """
        await sink.event(CallEvent(call.call_id, "offer", {"transport": call.transport}))
        prompt = OFFER_PROMPT
        answer = OfferAnswer(None, "no answer")
        event: CallerInput = Silence()
        for _attempt in range(OFFER_ATTEMPTS):
            await self._speak(media, audio, call, sink, Reply(prompt, "offer"), cached=True)
            await sink.stage(call.call_id, CallStage.LISTENING, at="offer")
            event = await audio.next_input()
            intent: Intent | None = None
            if isinstance(event, Dtmf):
                answer = offer_answer(digits=event.digits)
            elif isinstance(event, TextTurn):
                await sink.stage(call.call_id, CallStage.RECOGNISED, text=event.text[:200])
                intent = await _offer_intent(dialogue, event.text)
                answer = offer_answer(intent=intent.name, text=event.text)
            else:
                answer = OfferAnswer(None, "silence")
            if not answer.carry:
                # A carried request is recorded as the dialogue's first turn instead.
                await _caller_turn(sink, call, event, intent)
            await sink.event(
                CallEvent(
                    call.call_id,
                    "offer_answer",
                    {"route": answer.route.value if answer.route else None, "why": answer.reason},
                )
            )
            if answer.route is not None:
                break
            prompt = OFFER_REPROMPT
        audio.single_keys = False
        if answer.route is Route.CALLBACK and not call.caller:
            # No number to call back: the dialogue asks for one (its menu key 9).
            await dialogue.start()
            return await self._understand_and_decide(dialogue, Dtmf("9"), call, sink)
        if answer.route is Route.CALLBACK:
            await self._speak(media, audio, call, sink, Reply(OFFER_CALLBACK, "offer_callback"),
                              cached=True)  # fmt: skip
            return BotOutcome(
                Route.CALLBACK,
                HandoffContext(
                    intent="callback_request",
                    summary=f"overflow offer: {answer.reason}; said: {_caller_text(event)}",
                ),
                reason=f"offer: {answer.reason}",
            )
        if answer.route is Route.BOT:
            greeting = await dialogue.start()
            if answer.carry:
                return await self._understand_and_decide(dialogue, event, call, sink)
            return Reply(OFFER_BOT, greeting.action)
        # Keep waiting: chosen, or no usable answer twice (never dropped).
        await self._speak(media, audio, call, sink, Reply(OFFER_WAIT, "offer_wait"), cached=True)
        return BotOutcome(
            Route.WAIT,
            HandoffContext(summary=f"overflow offer: {answer.reason}", priority=RETURN_PRIORITY),
            reason=f"offer: {answer.reason}",
        )

    async def _understand_and_decide(
        self, dialogue: Dialogue, event: CallerInput, call: CallContext, sink: EventSink
    ) -> Reply:
        if isinstance(event, TextTurn):
            await sink.stage(call.call_id, CallStage.RECOGNISED, text=event.text[:200])
        reply = await dialogue.handle(event)
        turn = dialogue.turns[-1]
        intent = turn.intent
        if intent is not None:
            await sink.stage(
                call.call_id,
                CallStage.UNDERSTOOD,
                intent=intent.name,
                confidence=round(intent.confidence, 3),
                engine=intent.engine,
                entities=intent.entities,
            )
        await _caller_turn(sink, call, event, intent)
        return reply

    def _reply_audio(self, reply: Reply) -> AsyncIterator[AudioChunk]:
        """Piper's pieces of the reply, after its fixed opener (prompt cache) if it has one."""
        prefix = reply.cached_prefix
        if not prefix or not reply.text.startswith(prefix):
            return self.models.tts.stream(reply.text)
        lead = functools.partial(self.models.prompts.get, prefix)
        return self.models.tts.stream(reply.text[len(prefix) :].strip(), lead=lead)

    async def _speak(
        self,
        media: Any,
        audio: _CallAudio,
        call: CallContext,
        sink: EventSink,
        reply: Reply,
        *,
        cached: bool,
    ) -> None:
        """Say ``reply``; stops at once on barge-in. Raises CallerGone if the call ended."""
        if media.closed.is_set():
            raise CallerGone
        await sink.turn(call.call_id, "bot", reply.text, intent=reply.action or None)
        if not reply.text:
            return
        await sink.stage(call.call_id, CallStage.SPEAKING, action=reply.action)
        tts = self.models.tts
        out_rate = media.format.sample_rate_hz
        audio.begin_speaking()
        started = self.clock()
        try:
            if cached:
                pcm = await asyncio.wait_for(
                    self.models.prompts.get(reply.text), self.config.tts_timeout_s
                )
                await media.play(resample_pcm16(pcm, tts.output_format.sample_rate_hz, out_rate))
            else:
                sentences = cast(AsyncGenerator[AudioChunk, None], self._reply_audio(reply))
                first = True
                try:
                    while not audio.barged.is_set():
                        try:
                            chunk = await asyncio.wait_for(
                                anext(sentences), self.config.tts_timeout_s
                            )
                        except StopAsyncIteration:
                            break
                        if audio.barged.is_set():
                            break
                        await media.play(
                            resample_pcm16(chunk.audio, chunk.format.sample_rate_hz, out_rate)
                        )
                        if first:
                            first = False
                            await sink.event(CallEvent(call.call_id, "first_audio", {}))
                finally:
                    await sentences.aclose()
            await _wait_any(
                (media.wait_played(), audio.barged.wait(), media.closed.wait()),
                self.config.play_timeout_s,
            )
        finally:
            audio.end_speaking()
        if media.closed.is_set():
            raise CallerGone
        await sink.event(
            CallEvent(
                call.call_id,
                "spoken",
                {
                    "action": reply.action,
                    "barged": audio.barged.is_set(),
                    "elapsed_ms": round((self.clock() - started) * 1000),
                },
            )
        )


def _caller_text(event: CallerInput) -> str:
    """A caller input as a transcript line."""
    if isinstance(event, TextTurn):
        return event.text
    if isinstance(event, Dtmf):
        return f"DTMF {event.digits}"
    return "(silence)"


async def _offer_intent(dialogue: Dialogue, text: str) -> Intent:
    """The utterance's intent from the dialogue's own NLU, with its confidence floor.

    A failing NLU is "not understood", never an error: the offer's default is
    keep waiting.
    """
    try:
        intent = await dialogue.nlu.parse(text)
    except Exception as exc:  # NluError, or a broken engine: the caller still gets an answer
        log.warning("call %s: NLU failed at the offer: %s", dialogue.call_id, exc)
        return Intent("out_of_scope", 0.0, {}, "error", text)
    if intent.confidence < dialogue.config.min_confidence and intent.name != "out_of_scope":
        return Intent("out_of_scope", intent.confidence, intent.entities, intent.engine, text)
    return intent


async def _caller_turn(
    sink: EventSink, call: CallContext, event: CallerInput, intent: Intent | None
) -> None:
    """The caller's turn in the transcript, with what it was understood as."""
    await sink.turn(
        call.call_id,
        "caller",
        _caller_text(event),
        intent=intent.name if intent else None,
        confidence=round(intent.confidence, 3) if intent else None,
    )


async def _wait_any(awaitables: tuple[Any, ...], timeout_s: float) -> None:
    """Return when the first of ``awaitables`` finishes (TimeoutError after timeout_s)."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        done, _pending = await asyncio.wait(
            tasks, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
        )
        if not done:
            raise TimeoutError(f"playback did not finish within {timeout_s} s")
    finally:
        for task in tasks:
            task.cancel()


def _handover(dialogue: Dialogue, reason: str) -> HandoffContext:
    ctx = dialogue.handover_context()
    intents = [i for i in ctx["intents"] if i not in ("affirm", "deny", "out_of_scope")]
    parts = [f"bot: {reason}"]
    if ctx.get("order_number"):
        parts.append(f"order {ctx['order_number']}")
    if ctx["intents"]:
        parts.append("intents " + ",".join(ctx["intents"][-5:]))
    if ctx.get("last_caller_text"):
        parts.append(f"said: {ctx['last_caller_text']}")
    return HandoffContext(
        intent=intents[-1] if intents else (ctx["intents"][-1] if ctx["intents"] else ""),
        case_id=ctx.get("case_id") or "",
        summary="; ".join(parts),
    )


def _handoff(dialogue: Dialogue, reason: str) -> BotOutcome:
    return BotOutcome(Route.HANDOFF, _handover(dialogue, reason), reason=reason)


def _outcome(dialogue: Dialogue, reason: str = "") -> BotOutcome:
    """How the call continues after the dialogue ended."""
    result = dialogue.hang_up()
    reason = reason or result.reason
    if result.outcome is Outcome.TRANSFERRED:
        return BotOutcome(Route.HANDOFF, _handover(dialogue, result.reason), reason=reason)
    if result.outcome is Outcome.CALLBACK:
        # The dialogue already recorded the request (callback_requests, source
        # 'bot'); the dialplan's callback step would record it a second time.
        return BotOutcome(
            Route.DONE,
            HandoffContext(
                intent="callback_request",
                summary=f"callback request {result.callback_id} recorded by the bot",
            ),
            reason=f"callback {result.callback_id} recorded",
        )
    return BotOutcome(
        Route.DONE,
        HandoffContext(intent=result.intents[-1] if result.intents else ""),
        reason=reason,
    )
