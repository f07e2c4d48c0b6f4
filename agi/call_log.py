"""The one event sink of a call: every stage change, event and turn goes to the database.

Writes run on :class:`AsyncStore`'s worker thread, never on the event loop.
A failing write is logged and dropped: losing a log line must never cost a
caller their call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Protocol

from bot.types import CallEvent, CallStage
from spillway.storage import AsyncStore

log = logging.getLogger(__name__)


class EventSink(Protocol):
    """What a call session and a bot may report; implemented by :class:`CallLog`."""

    async def start(self, call_id: str, *, caller: str, channel: str, transport: str) -> None: ...

    async def stage(self, call_id: str, stage: CallStage, **data: Any) -> None: ...

    async def event(self, event: CallEvent) -> None: ...

    async def turn(
        self,
        call_id: str,
        speaker: str,
        text: str,
        *,
        intent: str | None = None,
        confidence: float | None = None,
    ) -> None: ...

    async def outcome(
        self,
        call_id: str,
        outcome: str,
        *,
        intent: str | None = None,
        case_id: str | None = None,
        summary: str | None = None,
    ) -> None: ...

    async def end(self, call_id: str) -> None: ...


class CallLog:
    """Writes calls, call_events and transcript_turns."""

    def __init__(self, store: AsyncStore) -> None:
        self.store = store

    async def _write(self, what: str, sql: str, params: dict[str, Any]) -> None:
        try:
            await self.store.execute(sql, params)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # see module docstring
            log.error("call log: %s failed: %s", what, exc)

    async def _ensure(self, call_id: str) -> None:
        await self._write(
            "ensure call",
            "INSERT INTO calls (call_id, started_at, stage) VALUES (:id, :at, :stage) "
            "ON CONFLICT (call_id) DO NOTHING",
            {"id": call_id, "at": time.time(), "stage": CallStage.STARTED.value},
        )

    async def start(self, call_id: str, *, caller: str, channel: str, transport: str) -> None:
        now = time.time()
        await self._write(
            "start",
            "INSERT INTO calls (call_id, caller, channel, transport, started_at, answered_at, "
            "stage) VALUES (:id, :caller, :channel, :transport, :at, :at, :stage) "
            "ON CONFLICT (call_id) DO UPDATE SET caller = :caller, channel = :channel, "
            "transport = :transport",
            {
                "id": call_id,
                "caller": caller,
                "channel": channel,
                "transport": transport,
                "at": now,
                "stage": CallStage.STARTED.value,
            },
        )
        await self.event(CallEvent(call_id, "stage", {"stage": CallStage.STARTED.value}, now))

    async def stage(self, call_id: str, stage: CallStage, **data: Any) -> None:
        await self._ensure(call_id)
        await self._write(
            "stage",
            "UPDATE calls SET stage = :stage WHERE call_id = :id",
            {"id": call_id, "stage": stage.value},
        )
        await self.event(CallEvent(call_id, "stage", {"stage": stage.value, **data}))

    async def event(self, event: CallEvent) -> None:
        await self._write(
            "event",
            "INSERT INTO call_events (call_id, at, kind, data) VALUES (:id, :at, :kind, :data)",
            {
                "id": event.call_id,
                "at": event.at,
                "kind": event.kind,
                "data": json.dumps(event.data, default=str),
            },
        )

    async def turn(
        self,
        call_id: str,
        speaker: str,
        text: str,
        *,
        intent: str | None = None,
        confidence: float | None = None,
    ) -> None:
        await self._ensure(call_id)
        await self._write(
            "turn",
            "INSERT INTO transcript_turns (call_id, at, speaker, text, intent, confidence) "
            "VALUES (:id, :at, :speaker, :text, :intent, :confidence)",
            {
                "id": call_id,
                "at": time.time(),
                "speaker": speaker,
                "text": text,
                "intent": intent,
                "confidence": confidence,
            },
        )

    async def outcome(
        self,
        call_id: str,
        outcome: str,
        *,
        intent: str | None = None,
        case_id: str | None = None,
        summary: str | None = None,
    ) -> None:
        await self._ensure(call_id)
        await self._write(
            "outcome",
            "UPDATE calls SET outcome = :outcome, intent = COALESCE(:intent, intent), "
            "case_id = COALESCE(:case_id, case_id), summary = COALESCE(:summary, summary) "
            "WHERE call_id = :id",
            {
                "id": call_id,
                "outcome": outcome,
                "intent": intent,
                "case_id": case_id,
                "summary": summary,
            },
        )
        await self.event(CallEvent(call_id, "outcome", {"outcome": outcome, "intent": intent}))

    async def end(self, call_id: str) -> None:
        await self._ensure(call_id)
        await self._write(
            "end",
            "UPDATE calls SET ended_at = :at, stage = :stage WHERE call_id = :id",
            {"id": call_id, "at": time.time(), "stage": CallStage.ENDED.value},
        )
        await self.event(CallEvent(call_id, "stage", {"stage": CallStage.ENDED.value}))
