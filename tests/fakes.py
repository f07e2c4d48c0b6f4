"""Test doubles for the call contract: an in-memory media leg and a recording event sink.

With these a bot test runs a whole call without a socket or a database and
asserts on what the bot reported (stages, events, turns, outcome).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agi.media_session import BaseMediaSession
from spillway.audio import SLIN8, AudioFormat
from spillway.call import CallEvent, CallEventKind, CallOutcome, CallStage
from spillway.media import MediaEnd


class MemoryMedia(BaseMediaSession):
    """A media leg with no network: audio and keys pushed by the test, the bot's audio kept."""

    transport = "memory"

    def __init__(self, call_id: str = "mem", format: AudioFormat = SLIN8) -> None:
        super().__init__(call_id=call_id, format=format)
        self.played: list[bytes] = []
        self.flushes = 0

    @property
    def played_bytes(self) -> int:
        return sum(len(a) for a in self.played)

    async def handshake(self) -> None:
        return None

    async def run(self) -> None:
        return None

    async def play(self, audio: bytes) -> None:
        self.played.append(audio)

    async def wait_played(self) -> None:
        return None

    async def flush(self) -> None:
        self.flushes += 1

    async def hangup(self) -> None:
        self._mark_closed(MediaEnd.LOCAL)

    def press(self, digit: str) -> None:
        self._push_dtmf(digit)

    def speak(self, pcm: bytes) -> None:
        """Caller audio, in 20 ms frames."""
        step = self.format.frame_bytes(20)
        for i in range(0, len(pcm), step):
            self._push_audio(pcm[i : i + step])

    def caller_hangs_up(self) -> None:
        self._mark_closed(MediaEnd.HANGUP)

    def breaks(self, end: MediaEnd = MediaEnd.ERROR) -> None:
        """The media leg fails under the caller (protocol error, idle timeout, reset)."""
        self._mark_closed(end)


@dataclass(frozen=True, slots=True)
class Turn:
    call_id: str
    speaker: str
    text: str
    intent: str | None = None
    confidence: float | None = None


@dataclass
class RecordingSink:
    """An :class:`spillway.call.EventSink` that keeps everything in memory, in order."""

    events: list[CallEvent] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    claimed: list[str] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)

    async def start(
        self, call_id: str, *, caller: str, channel: str, transport: str, claim: bool = True
    ) -> None:
        await self.stage(call_id, CallStage.STARTED, caller=caller, transport=transport)

    async def stage(self, call_id: str, stage: CallStage, **data: Any) -> None:
        await self.event(CallEvent(call_id, CallEventKind.STAGE, {"stage": stage, **data}))

    async def event(self, event: CallEvent) -> None:
        self.events.append(event)

    async def turn(
        self,
        call_id: str,
        speaker: str,
        text: str,
        *,
        intent: str | None = None,
        confidence: float | None = None,
    ) -> None:
        self.turns.append(Turn(call_id, speaker, text, intent, confidence))

    async def outcome(
        self,
        call_id: str,
        outcome: CallOutcome,
        *,
        intent: str | None = None,
        case_id: str | None = None,
        summary: str | None = None,
        callback_id: int | None = None,
    ) -> None:
        self.outcomes.append(
            {
                "call_id": call_id,
                "outcome": outcome,
                "intent": intent,
                "case_id": case_id,
                "callback_id": callback_id,
            }
        )

    async def end(self, call_id: str) -> None:
        self.ended.append(call_id)

    async def claim(self, call_id: str) -> None:
        self.claimed.append(call_id)

    async def signal(self, event_id: str, *, phone: str, kind: str, at_s: float) -> None:
        self.signals.append({"id": event_id, "phone": phone, "kind": kind, "at": at_s})

    def bot_lines(self, call_id: str) -> list[str]:
        return [t.text for t in self.turns if t.call_id == call_id and t.speaker == "bot"]

    def kinds(self, call_id: str) -> list[CallEventKind]:
        return [e.kind for e in self.events if e.call_id == call_id]

    def stages(self, call_id: str) -> list[str]:
        return [
            str(e.data["stage"])
            for e in self.events
            if e.call_id == call_id and e.kind is CallEventKind.STAGE
        ]
