"""Over the real sandbox: the bot hands the caller to a person, and the agent's
channel can read what the bot learned."""

from __future__ import annotations

from pathlib import Path

import pytest

from agi.menu_bot import MenuBot
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
            assert answered["Summary"] == "Caller asked for a person from the bot menu"
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
