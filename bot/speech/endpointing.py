"""Endpointing and barge-in as a pure state machine over VAD decisions.

No model and no audio here: :class:`Endpointer` consumes :class:`VadFrame`
decisions (from :mod:`bot.speech.vad` in production, synthetic ones in tests) and
emits events:

* :class:`SpeechStarted` once the caller has been voiced for
  ``start_min_voiced_ms`` (so a click does not open an utterance);
* :class:`Paused` once per silence inside an utterance, after ``pause_ms``
  (default 150 ms): an engine that decodes at the endpoint can start then,
  and keep the result if the caller stays quiet until the endpoint;
* :class:`Resumed` when the caller speaks again after a :class:`Paused` in
  the same utterance (an answer started at the pause must stop);
* :class:`UtteranceEnded` after ``end_silence_ms`` of trailing silence
  (default 300 ms) or when the utterance reaches ``max_utterance_ms``;
* :class:`BargeIn` while the bot is speaking, once the caller has been voiced
  for ``bargein_min_voiced_ms`` (default 150 ms) so line noise and short
  acknowledgements ("mm") do not cut the bot off.

Voiced runs tolerate gaps shorter than ``voiced_gap_ms`` (VAD flicker inside a
word); a longer silence resets the run.

:class:`SpeechGate` is the audio side, still model-free: given each frame's
audio and decision it returns the audio the recogniser should see (speech plus
a short pre-roll, so the first phoneme is not clipped).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from spillway.audio import AudioChunk


@dataclass(frozen=True, slots=True)
class VadFrame:
    """One VAD decision covering ``[start_ms, start_ms + duration_ms)``."""

    start_ms: float
    duration_ms: float
    is_speech: bool
    probability: float | None = None

    @property
    def end_ms(self) -> float:
        return self.start_ms + self.duration_ms


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    """Timing rules; every value in milliseconds."""

    start_min_voiced_ms: float = 90.0
    end_silence_ms: float = 300.0
    bargein_min_voiced_ms: float = 150.0
    voiced_gap_ms: float = 60.0
    max_utterance_ms: float = 15000.0
    # None: no Paused events (no speculative decoding).
    pause_ms: float | None = 150.0

    def __post_init__(self) -> None:
        for name in (
            "start_min_voiced_ms",
            "end_silence_ms",
            "bargein_min_voiced_ms",
            "max_utterance_ms",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.voiced_gap_ms < 0:
            raise ValueError("voiced_gap_ms must not be negative")
        if self.pause_ms is not None and self.pause_ms <= 0:
            raise ValueError("pause_ms must be positive (or None)")


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """The caller started an utterance at ``start_ms`` (first voiced frame)."""

    start_ms: float


@dataclass(frozen=True, slots=True)
class Paused:
    """The caller has been quiet for ``pause_ms`` after speech that ended at ``end_ms``.

    If the utterance then ends with the same ``end_ms``, the caller said
    nothing more: a transcript of the audio up to here is the final one.
    """

    start_ms: float
    end_ms: float


@dataclass(frozen=True, slots=True)
class Resumed:
    """The caller spoke again at ``at_ms`` after pausing: the utterance goes on."""

    at_ms: float


class EndReason(StrEnum):
    SILENCE = "silence"
    MAX_LENGTH = "max_length"


@dataclass(frozen=True, slots=True)
class UtteranceEnded:
    """The utterance ``[start_ms, end_ms)`` is complete (end = last voiced frame)."""

    start_ms: float
    end_ms: float
    reason: EndReason


@dataclass(frozen=True, slots=True)
class BargeIn:
    """The caller talked over the bot for long enough; stop playback."""

    at_ms: float
    voiced_ms: float


EndpointEvent = SpeechStarted | Paused | Resumed | UtteranceEnded | BargeIn


class _VoicedRun:
    """Length of the current voiced run, bridging gaps shorter than a limit."""

    def __init__(self, gap_ms: float) -> None:
        self._gap_ms = gap_ms
        self.voiced_ms = 0.0
        self.start_ms: float | None = None
        self._silence_ms = 0.0

    def update(self, frame: VadFrame) -> None:
        if frame.is_speech:
            if self.start_ms is None:
                self.start_ms = frame.start_ms
            self.voiced_ms += frame.duration_ms
            self._silence_ms = 0.0
        elif self.start_ms is not None:
            self._silence_ms += frame.duration_ms
            if self._silence_ms > self._gap_ms:
                self.reset()

    def reset(self) -> None:
        self.voiced_ms = 0.0
        self.start_ms = None
        self._silence_ms = 0.0


class Endpointer:
    """Feed VAD frames in order; get endpointing and barge-in events back."""

    def __init__(self, config: EndpointConfig | None = None) -> None:
        self.config = config or EndpointConfig()
        self._start_run = _VoicedRun(self.config.voiced_gap_ms)
        self._barge_run = _VoicedRun(self.config.voiced_gap_ms)
        self._barged = False
        self.in_utterance = False
        self._utt_start_ms = 0.0
        self._last_voiced_end_ms = 0.0
        self._trailing_silence_ms = 0.0
        self._paused = False

    def update(self, frame: VadFrame, *, bot_speaking: bool = False) -> list[EndpointEvent]:
        events: list[EndpointEvent] = []
        events.extend(self._bargein(frame, bot_speaking))
        if not self.in_utterance:
            self._start_run.update(frame)
            if self._start_run.voiced_ms >= self.config.start_min_voiced_ms:
                assert self._start_run.start_ms is not None
                self.in_utterance = True
                self._utt_start_ms = self._start_run.start_ms
                self._last_voiced_end_ms = frame.end_ms
                self._trailing_silence_ms = 0.0
                self._start_run.reset()
                events.append(SpeechStarted(self._utt_start_ms))
            return events
        if frame.is_speech:
            if self._paused:
                events.append(Resumed(frame.start_ms))
            self._trailing_silence_ms = 0.0
            self._last_voiced_end_ms = frame.end_ms
            self._paused = False
        else:
            self._trailing_silence_ms += frame.duration_ms
        pause_ms = self.config.pause_ms
        if self._trailing_silence_ms >= self.config.end_silence_ms:
            events.append(self._end(EndReason.SILENCE))
        elif frame.end_ms - self._utt_start_ms >= self.config.max_utterance_ms:
            self._last_voiced_end_ms = frame.end_ms
            events.append(self._end(EndReason.MAX_LENGTH))
        elif pause_ms is not None and not self._paused and self._trailing_silence_ms >= pause_ms:
            self._paused = True
            events.append(Paused(self._utt_start_ms, self._last_voiced_end_ms))
        return events

    def _bargein(self, frame: VadFrame, bot_speaking: bool) -> list[EndpointEvent]:
        if not bot_speaking:
            # A new prompt re-arms barge-in.
            self._barge_run.reset()
            self._barged = False
            return []
        if self._barged:
            return []
        self._barge_run.update(frame)
        if self._barge_run.voiced_ms >= self.config.bargein_min_voiced_ms:
            self._barged = True
            return [BargeIn(frame.end_ms, self._barge_run.voiced_ms)]
        return []

    def _end(self, reason: EndReason) -> UtteranceEnded:
        self.in_utterance = False
        self._trailing_silence_ms = 0.0
        self._paused = False
        return UtteranceEnded(self._utt_start_ms, self._last_voiced_end_ms, reason)

    def reset(self) -> None:
        """Forget any utterance in progress (e.g. after a transfer)."""
        self._start_run.reset()
        self._barge_run.reset()
        self._barged = False
        self.in_utterance = False
        self._trailing_silence_ms = 0.0
        self._paused = False


class SpeechGate:
    """Chooses which audio frames reach the recogniser.

    Frames before an utterance starts are kept in a ``pre_roll_ms`` ring; when
    :class:`SpeechStarted` fires the ring is released first, then every frame
    until :class:`UtteranceEnded`. Silence between utterances is never fed.
    """

    def __init__(self, config: EndpointConfig | None = None, *, pre_roll_ms: float = 200.0):
        self.endpointer = Endpointer(config)
        cfg = self.endpointer.config
        # The ring must also hold the voiced frames that opened the utterance.
        self._ring_limit_ms = pre_roll_ms + cfg.start_min_voiced_ms + cfg.voiced_gap_ms
        self._ring: deque[AudioChunk] = deque()
        self._ring_ms = 0.0

    def push(
        self, chunk: AudioChunk, frames: list[VadFrame], *, bot_speaking: bool = False
    ) -> tuple[list[AudioChunk], list[EndpointEvent]]:
        """Audio to feed the recogniser now, and the events this chunk's decisions caused.

        ``frames`` are the VAD decisions that became available with this chunk
        (VAD windows and transport frames differ in length, so zero or more).
        """
        was_open = self.endpointer.in_utterance
        events: list[EndpointEvent] = []
        for frame in frames:
            events.extend(self.endpointer.update(frame, bot_speaking=bot_speaking))
        if was_open:
            return [chunk], events
        self._ring.append(chunk)
        self._ring_ms += chunk.format.duration_ms(len(chunk.audio))
        if any(isinstance(e, SpeechStarted) for e in events):
            out = list(self._ring)
            self._ring.clear()
            self._ring_ms = 0.0
            return out, events
        while self._ring and self._ring_ms > self._ring_limit_ms:
            old = self._ring.popleft()
            self._ring_ms -= old.format.duration_ms(len(old.audio))
        return [], events
