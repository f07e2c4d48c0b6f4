"""The one event sink of a call: every stage change, event and turn goes to the database.

Writes run on :class:`AsyncStore`'s worker thread, never on the event loop,
and behind the call: a stage change or turn is queued and the call goes on at
once, while one writer task commits everything queued so far in a single
transaction, in order. Between the caller's last word and the bot's first
sound a turn reports about a dozen rows; awaiting each commit put all of them
(and every other call's) on the reply's critical path. ``outcome`` and ``end``
wait until everything before them is committed, so a finished call is on disk.
A failing write is logged and dropped: losing a log line must never cost a
caller their call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from scheduler import signals
from scheduler.signals import SignalEvent
from spillway.call import CallEvent, CallEventKind, CallOutcome, CallStage
from spillway.storage import AsyncStore, Store

log = logging.getLogger(__name__)


class CallLog:
    """Writes calls, call_events and transcript_turns.

    ``worker``: this process's name in ``pbx.workers`` ("" when none are listed),
    kept in ``calls.worker`` so a worker that restarts closes only its own calls.
    """

    def __init__(self, store: AsyncStore, *, worker: str = "") -> None:
        self.store = store
        self.worker = worker
        self._pending: list[tuple[str, str, dict[str, Any]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def _write(self, what: str, sql: str, params: dict[str, Any]) -> None:
        """Queue one statement; the writer task commits it soon, in order."""
        self._pending.append((what, sql, params))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="call-log-writer")

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self.store.run(_commit, self.store.store, batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # see module docstring
                log.error("call log: %d writes failed: %s", len(batch), exc)

    async def flush(self) -> None:
        """Wait until everything queued so far is committed (or has failed and been logged)."""
        while self._writer is not None and not self._writer.done():
            # Shielded: a caller cancelled while waiting must not cancel the writes.
            await asyncio.shield(self._writer)

    async def _ensure(self, call_id: str) -> None:
        await self._write(
            "ensure call",
            "INSERT INTO calls (call_id, started_at, stage, worker) "
            "VALUES (:id, :at, :stage, :worker) ON CONFLICT (call_id) DO NOTHING",
            {"id": call_id, "at": time.time(), "stage": CallStage.STARTED.value,
             "worker": self.worker},
        )  # fmt: skip

    async def claim(self, call_id: str) -> None:
        """This worker has the call now (another was full or has gone)."""
        await self._ensure(call_id)
        await self._write(
            "claim",
            "UPDATE calls SET worker = :worker WHERE call_id = :id",
            {"id": call_id, "worker": self.worker},
        )

    async def start(
        self, call_id: str, *, caller: str, channel: str, transport: str, claim: bool = True
    ) -> None:
        """The call's record; ``claim`` False (this worker passes the call on) names this
        worker only when no other has written the record, in whichever order they commit."""
        now = time.time()
        await self._write(
            "start",
            "INSERT INTO calls (call_id, caller, channel, transport, started_at, answered_at, "
            "stage, worker) VALUES (:id, :caller, :channel, :transport, :at, :at, :stage, "
            ":worker) ON CONFLICT (call_id) DO UPDATE SET caller = :caller, channel = :channel, "
            f"transport = :transport{', worker = :worker' if claim else ''}",
            {
                "id": call_id,
                "caller": caller,
                "channel": channel,
                "transport": transport,
                "at": now,
                "stage": CallStage.STARTED.value,
                "worker": self.worker,
            },
        )
        await self.event(
            CallEvent(call_id, CallEventKind.STAGE, {"stage": CallStage.STARTED.value}, now)
        )

    async def stage(self, call_id: str, stage: CallStage, **data: Any) -> None:
        await self._ensure(call_id)
        await self._write(
            "stage",
            "UPDATE calls SET stage = :stage WHERE call_id = :id",
            {"id": call_id, "stage": stage.value},
        )
        await self.event(CallEvent(call_id, CallEventKind.STAGE, {"stage": stage.value, **data}))

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
        outcome: CallOutcome,
        *,
        intent: str | None = None,
        case_id: str | None = None,
        summary: str | None = None,
        callback_id: int | None = None,
    ) -> None:
        log.info(
            "call %s outcome %s (intent %s, case %s, callback %s)",
            call_id,
            outcome.value,
            intent or "-",
            case_id or "-",
            callback_id or "-",
        )
        await self._ensure(call_id)
        await self._write(
            "outcome",
            "UPDATE calls SET outcome = :outcome, intent = COALESCE(:intent, intent), "
            "case_id = COALESCE(:case_id, case_id), summary = COALESCE(:summary, summary), "
            "callback_id = COALESCE(:callback_id, callback_id) WHERE call_id = :id",
            {
                "id": call_id,
                "outcome": outcome.value,
                "intent": intent,
                "case_id": case_id,
                "summary": summary,
                "callback_id": callback_id,
            },
        )
        data = {"outcome": outcome.value, "intent": intent, "callback_id": callback_id}
        await self.event(CallEvent(call_id, CallEventKind.OUTCOME, data))
        await self.flush()

    async def end(self, call_id: str) -> None:
        await self._ensure(call_id)
        await self._write(
            "end",
            "UPDATE calls SET ended_at = :at, stage = :stage WHERE call_id = :id",
            {"id": call_id, "at": time.time(), "stage": CallStage.ENDED.value},
        )
        await self.event(CallEvent(call_id, CallEventKind.STAGE, {"stage": CallStage.ENDED.value}))
        await self.flush()

    async def signal(self, event_id: str, *, phone: str, kind: str, at_s: float) -> None:
        """Queue a signal of the caller's hours, committed with the call's other rows."""
        event = SignalEvent(phone, kind, at_s)
        await self._write(
            "signal",
            signals.INSERT_SQL,
            signals.insert_params(event_id, event, source="controller", now_s=time.time()),
        )


def close_stale_calls(store: Store, now: float, worker: str = "") -> list[str]:
    """Worker thread: end every call ``worker`` left open when it died; their ids.

    A call record of this worker still open when it starts belongs to its
    process that is gone (the dialplan has already sent those callers to the
    queue): one with no outcome yet failed (the event says why). The other
    workers' open calls are theirs, and live.
    """
    with store.transaction() as tx:
        rows = tx.query(
            "SELECT call_id, stage FROM calls WHERE ended_at IS NULL AND worker = :worker",
            {"worker": worker},
        )
        for row in rows:
            tx.execute(
                "UPDATE calls SET ended_at = :at, stage = :stage, "
                "outcome = COALESCE(outcome, :outcome) WHERE call_id = :id",
                {
                    "at": now,
                    "stage": CallStage.ENDED.value,
                    "outcome": CallOutcome.FAILED.value,
                    "id": row["call_id"],
                },
            )
            tx.execute(
                "INSERT INTO call_events (call_id, at, kind, data) VALUES (:id, :at, :kind, :data)",
                {
                    "id": row["call_id"],
                    "at": now,
                    "kind": CallEventKind.CONTROLLER_RESTARTED.value,
                    "data": json.dumps({"stage_was": row["stage"]}),
                },
            )
    return [str(r["call_id"]) for r in rows]


def _commit(store: Store, batch: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Worker thread: the batch in one transaction; a failing statement skips only itself."""
    with store.transaction() as tx:
        for what, sql, params in batch:
            try:
                tx.execute(sql, params)
            except Exception as exc:  # see module docstring
                log.error("call log: %s failed: %s", what, exc)
