"""The voice bot: speech in, intent, dialogue, speech out, over one call's media.

:class:`SpeechBot` implements :class:`spillway.call.Bot` as explicit stages
(in the manner of Home Assistant's assist pipeline), each reporting to the
call's one event sink:

1. **greet** - the dialogue's greeting, played from the prompt cache;
2. **listen** - :class:`bot.listener.CallListener` runs Silero VAD (in a
   bounded thread pool) and the endpointer on every caller frame; only speech
   frames (plus a short pre-roll) reach the recogniser, and DTMF keys are
   collected beside it;
3. **understand** - the final transcript goes to the dialogue, whose NLU
   engine (Rasa or the fallback) names the intent;
4. **decide** - the :class:`~bot.dialogue.machine.Dialogue` state machine answers;
5. **speak** - Piper renders the reply sentence by sentence; the first
   sentence plays while the next is rendered; fixed wording plays from the
   prompt cache. A reply not decided within ``filler_after_s`` (a slow shop
   look-up) is preceded by "One moment, please..." once in the turn
   (:mod:`bot.filler`), so the caller is not left in silence;

and loops until the dialogue ends. Everything one call needs travels in one
:class:`_BotCall`.

A caller who waited past ``max_wait`` in the queue (``CallContext.offer``)
hears the **offer** instead of the greeting: every colleague is busy, what
the bot can help with, and "say or press 1 to talk to me, 2 to keep waiting,
3 to be called back". The answer goes through the same listen and NLU path
and :func:`bot.dialogue.offer.offer_answer` maps it; a request the bot can
serve ("where is my order?") becomes the dialogue's first turn, so the caller
need not repeat it. Silence or nonsense twice means keep waiting (never dropped).

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
import functools
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from bot.assembly import SpeechModels
from bot.bot_outcome import handoff, keeps_waiting, outcome
from bot.dialogue.inputs import CallerInput, Dtmf, Silence, TextTurn
from bot.dialogue.machine import Dialogue
from bot.dialogue.offer import OFFER_ATTEMPTS, OfferAnswer, offer_answer
from bot.dialogue.prompts import fixed_prompts, say
from bot.dialogue.rewind import WouldAct
from bot.filler import FILLER_AFTER_MS, with_filler
from bot.listener import CallerGone, CallListener, ListenerConfig, TentativeTurn
from bot.nlu.intents import Intent
from bot.speech.ahead import RenderedAhead
from bot.speech.playout_clock import PlayoutClock
from bot.speech.resample import resample_pcm16
from bot.turn_taking import EarlyAnswerRules, TurnSoFar, answer_early
from bot.types import ParsedIntent, Reply
from spillway.audio import AudioChunk
from spillway.call import (
    BotOutcome,
    CallContext,
    CallEvent,
    CallEventKind,
    CallOutcome,
    CallStage,
    EventSink,
    Route,
)
from spillway.media import MediaEnd, MediaSession
from spillway.offer_reason import OfferReason, OfferWhy
from spillway.settings import Settings

log = logging.getLogger(__name__)


class NewDialogue(Protocol):
    """Makes the dialogue for one call (``bot.assembly.DialogueFactory`` is one)."""

    def __call__(self, *, caller_id: str | None, call_id: str) -> Dialogue: ...


@dataclass(frozen=True, slots=True)
class VoiceBotConfig:
    """Timing of the voice bot; every value in its unit."""

    listen: ListenerConfig = field(default_factory=ListenerConfig)
    # One sentence's synthesis, one reply's playback.
    tts_timeout_s: float = 10.0
    play_timeout_s: float = 120.0
    max_turns: int = 40
    # When a reply prepared at the caller's pause may be spoken there.
    early: EarlyAnswerRules = field(default_factory=EarlyAnswerRules)
    # A reply not decided by then is preceded by the filler (bot/filler.py).
    filler_after_s: float = FILLER_AFTER_MS / 1000

    @classmethod
    def from_settings(cls, settings: Settings) -> VoiceBotConfig:
        return cls(
            listen=ListenerConfig.from_settings(settings),
            early=EarlyAnswerRules.from_settings(settings),
        )


@dataclass(slots=True)
class _BotCall:
    """One call as the bot handles it: its media, listener, dialogue and sink."""

    media: MediaSession
    listener: CallListener
    call: CallContext
    sink: EventSink
    dialogue: Dialogue
    # This turn's filler was played (once a turn); the reply whose filler the
    # caller cut with a key: the key acts at once, so the reply is not played.
    filled: bool = False
    cut: Reply | None = None

    @property
    def call_id(self) -> str:
        return self.call.call_id

    async def event(self, kind: CallEventKind, **data: Any) -> None:
        await self.sink.event(CallEvent(self.call_id, kind, data))

    async def caller_turn(self, event: CallerInput, intent: ParsedIntent | None) -> None:
        """The caller's turn in the transcript, with what it was understood as."""
        await self.sink.turn(
            self.call_id,
            "caller",
            _caller_text(event),
            intent=intent.name if intent else None,
            confidence=round(intent.confidence, 3) if intent else None,
        )


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
        """The texts played from the prompt cache (greeting, offer, hand-overs, goodbye):
        worth rendering early."""
        dialogue = self.dialogues(caller_id=None, call_id="prompt-warm-up")
        greeting = await dialogue.start()
        return [greeting.text, *fixed_prompts(dialogue.config.shop_name, dialogue.config.notice())]

    async def run(self, media: MediaSession, call: CallContext, sink: EventSink) -> BotOutcome:
        self.calls += 1
        dialogue = self.dialogues(caller_id=call.caller or None, call_id=call.call_id)
        listener: CallListener | None = None
        try:
            listener = CallListener(
                media,
                call.call_id,
                sink,
                asr=self.models.asr,
                vad=self.models.vad,
                vad_pool=self.models.vad_pool,
                config=self.config.listen,
            )
            # Before the listener runs: a key pressed as the offer starts is one answer.
            listener.single_keys = call.offer
            listener.start()
            bc = _BotCall(media, listener, call, sink, dialogue)
            if call.offer:
                chosen = await self._offer(bc)
                if isinstance(chosen, BotOutcome):
                    return chosen
                # The caller chose the bot; ``chosen`` answers their first request.
                await self._speak(bc, chosen)
            else:
                await self._speak(bc, await dialogue.start())
            turns = 0
            while not dialogue.ended:
                turns += 1
                bc.filled = False
                if turns > self.config.max_turns:
                    return handoff(dialogue, "too many turns")
                await sink.stage(call.call_id, CallStage.LISTENING)
                event = await listener.next_turn()
                if isinstance(event, TentativeTurn):
                    await self._tentative(bc, event)
                    continue
                await self._speak(bc, await self._understand_and_decide(bc, event))
            return outcome(dialogue)
        except CallerGone:
            if media.end is not MediaEnd.HANGUP:
                # The media leg failed (protocol error, silence, reset), not the
                # caller: they may still be on the line, so a person takes over.
                why = f"media {media.end.value if media.end else 'ended'}"
                log.warning("call %s: %s mid-call; handing over", call.call_id, why)
                await sink.event(CallEvent(call.call_id, CallEventKind.BOT_ERROR, {"error": why}))
                return handoff(dialogue, why, CallOutcome.FAILED)
            dialogue.hang_up()
            await sink.event(CallEvent(call.call_id, CallEventKind.CALLER_GONE, {}))
            return outcome(dialogue, "caller hung up")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never drop: any failure hands the caller to a person
            log.exception("call %s: the voice bot failed; handing over", call.call_id)
            await sink.event(
                CallEvent(call.call_id, CallEventKind.BOT_ERROR, {"error": repr(exc)[:300]})
            )
            return handoff(dialogue, f"bot error: {type(exc).__name__}", CallOutcome.FAILED)
        finally:
            if listener is not None:
                await listener.aclose()

    async def _offer(self, bc: _BotCall) -> BotOutcome | Reply:
        """The overflow offer: bot, keep waiting or callback, by voice or key.

        Returns the outcome that ends the bot call (wait, callback), or, when
        the caller chose the bot, the dialogue's first reply to speak.
        """
        await bc.event(CallEventKind.OFFER, transport=bc.call.transport)
        # The caller's answer is kept in the transcript: the offer says so (Art. 13).
        prompt = say("offer", notice=bc.dialogue.config.notice())
        answer = OfferAnswer(None, OfferReason(OfferWhy.NO_ANSWER))
        event: CallerInput = Silence()
        for _attempt in range(OFFER_ATTEMPTS):
            await self._speak(bc, _fixed(prompt, "offer"))
            await bc.sink.stage(bc.call_id, CallStage.LISTENING, at="offer")
            event = await bc.listener.next_input()
            intent: ParsedIntent | None = None
            if isinstance(event, Dtmf):
                answer = offer_answer(digits=event.digits)
            elif isinstance(event, TextTurn):
                await bc.sink.stage(bc.call_id, CallStage.RECOGNISED, text=event.text[:200])
                intent = await _offer_intent(bc.dialogue, event.text)
                answer = offer_answer(
                    intent=intent.name, text=event.text, language=bc.dialogue.config.language
                )
            else:
                answer = OfferAnswer(None, OfferReason(OfferWhy.SILENCE))
            if not answer.carry:
                # A carried request is recorded as the dialogue's first turn instead.
                await bc.caller_turn(event, intent)
            await bc.event(
                CallEventKind.OFFER_ANSWER,
                route=answer.route.value if answer.route else None,
                why=answer.reason,
            )
            if answer.route is not None:
                break
            prompt = say("offer_reprompt")
        bc.listener.single_keys = False
        dialogue = bc.dialogue
        if answer.route is Route.CALLBACK:
            # The dialogue's own callback steps (its menu key 9): the number read
            # back, or asked for; when suits them; the request recorded by the bot.
            await dialogue.start()
            if isinstance(event, TextTurn):
                dialogue.hint_callback_time(event.text)  # "call me back after five"
            if answer.guessed:
                # Words, not a key: "a colleague will call you back on ..., is that right?"
                return await dialogue.propose_callback()
            return await self._understand_and_decide(bc, Dtmf("9"), synthetic=True)
        if answer.route is Route.BOT:
            greeting = await dialogue.start()
            if answer.carry:
                return await self._understand_and_decide(bc, event)
            return _fixed(say("offer_bot"), greeting.action)
        # Keep waiting: chosen, or no usable answer twice (never dropped).
        await self._speak(bc, _fixed(say("offer_wait"), "offer_wait"))
        return keeps_waiting(dialogue, answer.why)

    async def _understand_and_decide(
        self, bc: _BotCall, event: CallerInput, *, synthetic: bool = False
    ) -> Reply:
        """``synthetic``: an input the bot made up (a menu key): not in the transcript."""
        reply = await self._decided(bc, bc.dialogue.handle(event))
        await self._report_turn(bc, event, bc.dialogue.turns[-1].intent, synthetic=synthetic)
        return reply

    async def _decided(
        self, bc: _BotCall, work: Awaitable[Reply], went_on: Callable[[], bool] | None = None
    ) -> Reply:
        """The turn's reply from ``work``, with the filler first if it is slow to come."""
        started = self.clock()
        played: list[str] = []  # the filler played for this reply: what stopped it, if any

        async def filler() -> None:
            if bc.filled or (went_on is not None and went_on()):
                return
            bc.filled = True
            waited_ms = round((self.clock() - started) * 1000)
            await bc.event(CallEventKind.FILLER, waited_ms=waited_ms)
            await self._speak(bc, _fixed(say("filler_lookup"), "filler"), filler=True)
            played.append(bc.listener.barged_by if bc.listener.barged.is_set() else "")

        reply = await with_filler(work, self.config.filler_after_s, filler)
        if "dtmf" in played:
            bc.cut = reply  # a key over the filler: as if over the reply itself
        elif played and went_on is None:
            # Words over it ("okay") stop the filler, not the answer: it comes at their pause.
            await bc.listener.caller_pause()
        return reply

    async def _report_turn(
        self,
        bc: _BotCall,
        event: CallerInput,
        intent: ParsedIntent | None,
        *,
        synthetic: bool = False,
    ) -> None:
        """The caller's turn as recognised and understood, to the sink."""
        if isinstance(event, TextTurn):
            await bc.sink.stage(bc.call_id, CallStage.RECOGNISED, text=event.text[:200])
        if intent is not None:
            await bc.sink.stage(
                bc.call_id,
                CallStage.UNDERSTOOD,
                intent=intent.name,
                confidence=round(intent.confidence, 3),
                engine=intent.engine,
                entities=intent.entities,
            )
        if not synthetic:
            await bc.caller_turn(event, intent)

    async def _tentative(self, bc: _BotCall, turn: TentativeTurn) -> None:
        """A turn taken at the caller's first pause, on the speculative transcript.

        The dialogue answers on trust (:meth:`Dialogue.mark`; a turn that would
        act on a real person waits for the endpoint instead). A complete answer
        on its own (:func:`bot.turn_taking.answer_early`) is spoken at once; if
        the caller goes on speaking, the bot stops, the dialogue is rewound and
        the turn continues as one utterance. Anything else has its first piece
        rendered while the endpoint comes, and is spoken then if the caller
        said nothing more; otherwise it is dropped and the final transcript
        answered as usual.
        """
        dialogue, listener = bc.dialogue, bc.listener
        said = TextTurn(turn.text, asr_confidence=turn.confidence)
        mark = dialogue.mark()
        try:
            # A filler only while the caller has not gone on (they may not be finished).
            went_on = functools.partial(listener.went_on, turn)
            reply = await self._decided(bc, dialogue.handle(said), went_on)
        except WouldAct:
            dialogue.rewind(mark)
            return
        except BaseException:
            dialogue.rewind(mark)
            raise
        intent = dialogue.turns[-1].intent
        so_far = TurnSoFar(
            turn.text,
            intent.name if intent else None,
            intent.confidence if intent else 0.0,
            intent.entities.get("order_number") if intent else None,
        )
        early = answer_early(so_far, self.config.early)
        if early is not None and not listener.went_on(turn):
            listener.early_pause = turn.pause
            # The transcript gets this turn only once it stands: a caller who
            # goes on speaking never said it, and the bot's cut-off reply is
            # answered again on the whole utterance.
            try:
                # The live stages now; the transcript line once the turn stands.
                await self._report_turn(bc, said, intent, synthetic=True)
                await self._speak(bc, reply, early=early.value, record=False)
            except CallerGone:
                if not listener.went_on(turn):
                    dialogue.commit(mark)  # heard, then hung up: their last turn stands
                    await self._record_early(bc, said, intent, reply)
                raise
            except BaseException:
                dialogue.rewind(mark)
                raise
            finally:
                listener.early_pause = None
            if listener.went_on(turn):
                dialogue.rewind(mark)  # not their whole turn: it goes on as one utterance
                return
            dialogue.commit(mark)
            await self._record_early(bc, said, intent, reply)
            listener.answered_end_ms = turn.end_ms
            return
        ahead = RenderedAhead(self._reply_audio(reply)) if _synthesised(reply) else None
        try:
            final = await listener.next_input()
            while isinstance(final, Silence) and listener.gate.endpointer.in_utterance:
                # Still talking after the pause (the no-input window is not for this).
                final = await listener.next_input()
        except BaseException:
            dialogue.rewind(mark)
            if ahead is not None:
                await ahead.aclose()
            raise
        if (
            isinstance(final, TextTurn)
            and final.text == turn.text
            and listener.heard_end_ms == turn.end_ms
        ):
            dialogue.commit(mark)
            await self._report_turn(bc, final, intent)
            await self._speak(bc, reply, ahead=ahead)
            return
        if ahead is not None:
            await ahead.aclose()
        dialogue.rewind(mark)
        assert not isinstance(final, TentativeTurn)
        await self._speak(bc, await self._understand_and_decide(bc, final))

    async def _record_early(
        self, bc: _BotCall, said: TextTurn, intent: ParsedIntent | None, reply: Reply
    ) -> None:
        """An early answer that stood: the caller's turn, then the bot's, in the transcript."""
        await bc.caller_turn(said, intent)
        await bc.sink.turn(bc.call_id, "bot", reply.text, intent=reply.action or None)

    def _reply_audio(self, reply: Reply) -> AsyncIterator[AudioChunk]:
        """Piper's pieces of the reply, after its fixed opener (prompt cache) if it has one."""
        prefix = reply.cached_prefix
        if not prefix or not reply.text.startswith(prefix):
            return self.models.tts.stream(reply.text)
        lead = functools.partial(self.models.prompts.get, prefix)
        return self.models.tts.stream(reply.text[len(prefix) :].strip(), lead=lead)

    async def _speak(
        self,
        bc: _BotCall,
        reply: Reply,
        *,
        ahead: RenderedAhead | None = None,
        early: str = "",
        record: bool = True,
        filler: bool = False,
    ) -> None:
        """Say ``reply``; stops at once on barge-in. Raises CallerGone if the call ended.

        Fixed wording (``cached_prefix`` is the whole text) plays from the
        prompt cache in one piece; anything else is synthesised sentence by
        sentence, after its fixed opener if it has one (``ahead``: already
        rendering). ``early``: why it is spoken at the caller's pause.
        ``record``: False when the caller's turn may yet be taken back (an
        early answer): the caller decides whether it enters the transcript.
        ``filler``: the "one moment" before a slow reply: not the turn's reply, so
        neither a transcript line nor its first audio (the turn's latency is the reply's).
        """
        media, listener = bc.media, bc.listener
        if media.closed.is_set():
            raise CallerGone
        if record and not filler:
            await bc.sink.turn(bc.call_id, "bot", reply.text, intent=reply.action or None)
        if bc.cut is reply:
            # The caller keyed over this reply's filler: it stops there, like any reply.
            bc.cut = None
            await bc.event(
                CallEventKind.SPOKEN, action=reply.action, barged=True, elapsed_ms=0, stalled_ms=0
            )
            return
        if not reply.text:
            return
        await bc.sink.stage(bc.call_id, CallStage.SPEAKING, action=reply.action)
        tts = self.models.tts
        out_rate = media.format.sample_rate_hz
        listener.begin_speaking()
        started = self.clock()
        # Silence the caller heard inside the reply: a sentence that was not
        # rendered by the time the one before it had played out.
        playout = PlayoutClock()
        try:
            if reply.cached_prefix == reply.text:
                pcm = await asyncio.wait_for(
                    self.models.prompts.get(reply.text), self.config.tts_timeout_s
                )
                await media.play(resample_pcm16(pcm, tts.output_format.sample_rate_hz, out_rate))
                if not filler:
                    await bc.event(CallEventKind.FIRST_AUDIO)
            else:
                sentences = (
                    ahead.stream()
                    if ahead is not None
                    else cast(AsyncGenerator[AudioChunk, None], self._reply_audio(reply))
                )
                first = True
                try:
                    while not listener.barged.is_set():
                        try:
                            chunk = await asyncio.wait_for(
                                anext(sentences), self.config.tts_timeout_s
                            )
                        except StopAsyncIteration:
                            break
                        if listener.barged.is_set():
                            break
                        audio = resample_pcm16(chunk.audio, chunk.format.sample_rate_hz, out_rate)
                        playout.queued(self.clock(), len(audio) / (2 * out_rate))
                        await media.play(audio)
                        if first:
                            first = False
                            await bc.event(CallEventKind.FIRST_AUDIO)
                finally:
                    await sentences.aclose()
                    if ahead is not None:
                        await ahead.aclose()
            await _wait_any(
                (media.wait_played(), listener.barged.wait(), media.closed.wait()),
                self.config.play_timeout_s,
            )
        finally:
            listener.end_speaking()
        if media.closed.is_set():
            raise CallerGone
        await bc.event(
            CallEventKind.SPOKEN,
            action=reply.action,
            barged=listener.barged.is_set(),
            elapsed_ms=round((self.clock() - started) * 1000),
            stalled_ms=round(playout.stalled_s * 1000),
            **({"early": early} if early else {}),
        )


def _synthesised(reply: Reply) -> bool:
    """Whether ``reply`` is rendered by the voice (not played whole from the prompt cache)."""
    return bool(reply.text) and reply.cached_prefix != reply.text


def _fixed(text: str, action: str) -> Reply:
    """A reply of fixed wording, played from the prompt cache."""
    return Reply(text, action, cached_prefix=text)


def _caller_text(event: CallerInput) -> str:
    """A caller input as a transcript line."""
    if isinstance(event, TextTurn):
        return event.text
    if isinstance(event, Dtmf):
        return f"DTMF {event.digits}"
    return "(silence)"


async def _offer_intent(dialogue: Dialogue, text: str) -> ParsedIntent:
    """The utterance's intent from the dialogue's own NLU (its floor applied there).

    A failing NLU is "not understood", never an error: the offer's default is
    keep waiting.
    """
    try:
        return await dialogue.understand(text)
    except Exception as exc:  # a broken engine: the caller still gets an answer
        log.warning("call %s: NLU failed at the offer: %s", dialogue.call_id, exc)
        return ParsedIntent(Intent.OUT_OF_SCOPE, 0.0, {}, "error", text)


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
