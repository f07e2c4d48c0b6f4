"""Over the real sandbox: the bot hands the caller to a person, and the agent's
channel can read what the bot learned."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agi.menu_bot import MenuBot
from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from spillway.call import BotOutcome, CallContext, EventSink, HandoffContext, Route
from spillway.handover_words import agent_words
from spillway.media import MediaSession
from spillway.storage import SqliteStore
from tests.call_harness import routing_harness, wait_event
from tests.conftest import PbxHandle

pytestmark = [pytest.mark.asterisk, pytest.mark.asyncio(loop_scope="session")]


@pytest.mark.parametrize("transport", ["audiosocket", "websocket"])
async def test_bot_transfer_lands_in_queue_with_context_on_agent_channel(
    pbx: PbxHandle, tmp_path: Path, transport: str
) -> None:
    # No agent at first: overflow_min_waiting=0 sends the call to the bot at once.
    async with routing_harness(
        pbx,
        tmp_path / "calls.db",
        bot=MenuBot(),
        transport=transport,
        agents=1,
        overflow_min_waiting=0,
        max_wait_s=30,
    ) as h:
        with pbx.ami.subscribe("UserEvent", "QueueCallerJoin") as events:
            busy = await h.call("4500000099")  # takes the one agent
            await wait_event(events, 10, UserEvent="SpillwayAgentAnswered")
            call = await h.call("4588888888")
            bot = await wait_event(events, 5, UserEvent="SpillwayBot", CallId=call.call_id)
            assert bot["Transport"] == transport
            await h.bot_started(call.call_id)
            await h.press(call, "0")  # "a person, please"
            handoff = await wait_event(events, 10, UserEvent="SpillwayHandoff")
            assert handoff["CallId"] == call.call_id
            assert handoff["Intent"] == "agent_request"
            assert handoff["CaseId"] == f"C-{call.call_id[-8:]}"
            join = await wait_event(events, 5, Event="QueueCallerJoin", Uniqueid=call.call_id)
            assert join["Position"] == "1"
            # Free the agent; the handed-off caller is next and the agent sees the context.
            await h.hangup(busy)
            answered = await wait_event(
                events, 10, UserEvent="SpillwayAgentAnswered", CallId=call.call_id
            )
            assert answered["Intent"] == "agent_request"
            assert answered["CaseId"] == f"C-{call.call_id[-8:]}"
            # The menu bot's language (English unless told): the pack's sentence.
            assert answered["Summary"] == agent_words("en").say("menu_person")
            assert answered["Caller"] == "4588888888"
            # And readable on the live agent channel through AMI.
            agent_channel = answered["Channel"]
            assert agent_channel.startswith("Local/agent1@spillway-agents")
            assert await pbx.ami.getvar(agent_channel, "SPILLWAY_INTENT") == "agent_request"
        row = h.rows(
            "SELECT intent, case_id, outcome FROM calls WHERE call_id = ?", (call.call_id,)
        )
        assert row == [
            {
                "intent": "agent_request",
                "case_id": f"C-{call.call_id[-8:]}",
                "outcome": "handoff",
            }
        ]


class _BooksThenHandsOver:
    """A bot that books the caller a callback, then hands them to a colleague: what the
    dialogue does when a caller with a callback booked asks for a person."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.booked: list[int] = []

    async def run(self, media: MediaSession, call: CallContext, sink: EventSink) -> BotOutcome:
        request_id = await asyncio.to_thread(self._book, call)
        self.booked.append(request_id)
        await asyncio.sleep(0.5)  # the bot's words
        context = HandoffContext("agent_request", summary="asked", callback_id=request_id)
        return BotOutcome(Route.HANDOFF, context, callback_id=request_id)

    def _book(self, call: CallContext) -> int:
        with self.store.transaction() as tx:
            return intake.record(
                tx,
                NewRequest(call.caller, RequestSource.BOT, "order 10042", call_id=call.call_id),
                region="DK",
                now=time.time(),
            ).id


@pytest.mark.parametrize("agent_answers", [True, False])
async def test_a_callback_booked_before_the_hand_over_closes_when_an_agent_takes_the_call(
    pbx: PbxHandle, tmp_path: Path, agent_answers: bool
) -> None:
    # Called twice about one thing, otherwise: the agent helps them now, and the dialler
    # rings them later about the callback. A caller who leaves the queue first keeps it.
    db = tmp_path / "calls.db"
    store = SqliteStore(db)
    store.migrate()
    bot = _BooksThenHandsOver(store)
    try:
        async with routing_harness(
            pbx, db, bot=bot, agents=1, overflow_min_waiting=0, max_wait_s=30
        ) as h:
            with pbx.ami.subscribe("UserEvent", "QueueCallerJoin") as events:
                busy = await h.call("4500000099")  # takes the one agent
                await wait_event(events, 10, UserEvent="SpillwayAgentAnswered")
                call = await h.call("4577777777")
                handoff = await wait_event(
                    events, 15, UserEvent="SpillwayHandoff", CallId=call.call_id
                )
                [request_id] = bot.booked
                assert handoff["CallbackId"] == str(request_id)
                await wait_event(events, 5, Event="QueueCallerJoin", Uniqueid=call.call_id)
                if agent_answers:
                    await h.hangup(busy)  # the agent is free: the caller is put through
                    answered = await wait_event(
                        events, 10, UserEvent="SpillwayAgentAnswered", CallId=call.call_id
                    )
                    assert answered["CallbackId"] == str(request_id)
                    closed = await _status_becomes(h.rows, request_id, "cancelled", 10)
                else:
                    await h.hangup(call)  # gave up waiting in the queue
                    await asyncio.sleep(2.0)
                    closed = await _status_becomes(h.rows, request_id, "cancelled", 0)
            events_of_call = h.rows(
                "SELECT kind FROM call_events WHERE call_id = ? ORDER BY id", (call.call_id,)
            )
    finally:
        store.close()
    assert closed is agent_answers
    assert ("agent" in [e["kind"] for e in events_of_call]) is agent_answers


async def _status_becomes(
    rows: Callable[..., list[dict[str, Any]]], request_id: int, status: str, within_s: float
) -> bool:
    """Whether the request's status is ``status`` within ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while True:
        [row] = rows("SELECT status FROM callback_requests WHERE id = ?", (request_id,))
        if row["status"] == status or time.monotonic() >= deadline:
            return bool(row["status"] == status)
        await asyncio.sleep(0.2)
