"""Typed messages passed between the stages of a call (stt -> intent -> tts).

Units are in the field names (``_hz``, ``_ms``). These are plain frozen
dataclasses so that they can cross thread-pool boundaries and be logged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """Signed 16-bit little-endian mono PCM at a given rate."""

    sample_rate_hz: int = 8000
    channels: int = 1
    sample_width_bytes: int = 2

    @property
    def bytes_per_ms(self) -> int:
        return self.sample_rate_hz * self.channels * self.sample_width_bytes // 1000

    def frame_bytes(self, duration_ms: int = 20) -> int:
        """Bytes in one frame of ``duration_ms`` (320 for 20 ms at 8 kHz)."""
        return self.bytes_per_ms * duration_ms

    def duration_ms(self, n_bytes: int) -> float:
        return n_bytes / self.bytes_per_ms


SLIN8 = AudioFormat(8000)
SLIN16 = AudioFormat(16000)


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """A piece of audio with its format and its start offset in the stream."""

    audio: bytes
    format: AudioFormat
    start_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Transcript:
    """A partial or final recognition result."""

    text: str
    is_final: bool
    start_ms: float = 0.0
    end_ms: float = 0.0
    confidence: float | None = None
    engine: str = ""


@dataclass(frozen=True, slots=True)
class Intent:
    """What the caller wants, as the NLU understood it."""

    name: str
    confidence: float
    entities: dict[str, str] = field(default_factory=dict)
    engine: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says back, and what it does next.

    ``cached_prefix``: the start of ``text`` when it is fixed wording (no caller
    data, so it may be stored on disk): played from the prompt cache while the
    rest is synthesised.
    """

    text: str
    action: str = ""
    end_call: bool = False
    transfer: bool = False
    cached_prefix: str = ""


class CallStage(StrEnum):
    """The explicit stages of a bot call, in order of a normal call."""

    STARTED = "started"
    GREETING = "greeting"
    LISTENING = "listening"
    RECOGNISED = "recognised"
    UNDERSTOOD = "understood"
    SPEAKING = "speaking"
    HANDOFF = "handoff"
    CALLBACK = "callback"
    ENDED = "ended"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One thing that happened on a call; every stage emits these to one sink."""

    call_id: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)
