"""The dialer's side of Asterisk: originate one attempt, ask what became of it, count agents.

Each attempt is originated as a Local channel into ``spillway-callback-dial``
with the attempt id as the new channels' unique ids (``ChannelId``), so that
Asterisk's own channel list says whether it is still under way, and the
dialplan keeps its status in AstDB (see :mod:`scheduler.outcomes`), so that
a dialer that died mid-dial learns on restart what happened instead of
dialling again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

from spillway.ami import AmiClient
from spillway.call import HandoffContext
from spillway.errors import AmiError

ASTDB_FAMILY = "spillway-attempt"
DIAL_CONTEXT = "spillway-callback-dial"
CONNECT_CONTEXT = "spillway-callback-connect"
# Agent first: queue for an agent, then (the other half) the dial step above.
AGENT_CONTEXT = "spillway-callback-agent"
# Forgets an attempt's AstDB entry (an Originate, so the dialling AMI user needs
# no `system` right for DBDel).
FORGET_CONTEXT = "spillway-callback-forget"


@dataclass(frozen=True, slots=True)
class DialOrder:
    """One attempt for Asterisk to dial."""

    attempt_id: str
    request_id: int
    phone: str  # E.164
    dial_string: str  # e.g. "PJSIP/{e164}@trunk"
    caller_id: str
    ring_s: int
    agent_wait_s: int
    queue_priority: int = 20
    agent_first: bool = False  # an agent on the line before the customer's phone rings
    # What the call is about: the customer's announcement ("... about your
    # order") and what the agent is handed, as a bot hand-over would.
    topic: str = ""
    handoff: HandoffContext = field(default_factory=HandoffContext)

    def channel_dial(self) -> str:
        return self.dial_string.format(e164=self.phone, digits=self.phone.lstrip("+"))


class Originator(Protocol):
    """What the dialer needs of the PBX (``AmiOriginator``, or a test double)."""

    async def originate(self, order: DialOrder) -> None: ...

    async def status(self, attempt_id: str) -> str | None: ...

    async def live_attempts(self) -> set[str]: ...

    async def free_agents(self, queue: str) -> int: ...

    async def forget(self, attempt_id: str) -> None: ...


def originate_action(order: DialOrder) -> dict[str, Any]:
    """The AMI Originate action for ``order`` (pure, so its shape is tested alone)."""
    variables = {
        # Inherited (__) so that the ;2 half of the Local channel, which dials, has them.
        "__SPILLWAY_ATTEMPT_ID": order.attempt_id,
        "__SPILLWAY_REQUEST_ID": str(order.request_id),
        "__SPILLWAY_DIAL": order.channel_dial(),
        "__SPILLWAY_RING_S": str(order.ring_s),
        "__SPILLWAY_AGENT_WAIT_S": str(order.agent_wait_s),
        "__SPILLWAY_CB_PRIO": str(order.queue_priority),
        "__SPILLWAY_FIRST": "agent" if order.agent_first else "customer",
        # The call's id and number for the agent and for the callback spool
        # (a new request from the "call me back another time" key).
        "__SPILLWAY_CALL_ID": order.attempt_id,
        "__SPILLWAY_CALLER": order.phone,
        "__SPILLWAY_CB_TOPIC": order.topic,
    }
    handoff = order.handoff.channel_variables()
    handoff.pop("SPILLWAY_PRIO", None)  # the callback's own priority is SPILLWAY_CB_PRIO
    variables.update(handoff)
    if order.agent_first:
        channel, context = f"Local/s@{AGENT_CONTEXT}", DIAL_CONTEXT
        timeout_s = order.agent_wait_s + 10
    else:
        channel, context = f"Local/s@{DIAL_CONTEXT}", CONNECT_CONTEXT
        timeout_s = order.ring_s + 10
    return {
        "Action": "Originate",
        "Channel": channel,
        "Context": context,
        "Exten": "s",
        "Priority": "1",
        "CallerID": order.caller_id,
        "Timeout": str(timeout_s * 1000),
        "ChannelId": order.attempt_id,
        "OtherChannelId": f"{order.attempt_id}-2",
        "Async": "true",
        "Variable": [f"{k}={v}" for k, v in variables.items()],
    }


def forget_action(attempt_id: str) -> dict[str, Any]:
    """The AMI Originate that has the dialplan delete ``attempt_id``'s AstDB entry.

    The Local channel's other half runs ``spillway-callback-forget``, deletes the
    key and hangs up unanswered: nothing is dialled and nothing bridges.
    """
    return {
        "Action": "Originate",
        "Channel": f"Local/s@{FORGET_CONTEXT}/n",
        "Application": "NoOp",
        "Timeout": "5000",
        "Async": "true",
        "Variable": [f"__SPILLWAY_FORGET={attempt_id}"],
    }


def free_agents_in(events: list[Any], queue: str) -> int:
    """Members of ``queue`` who can take a call now, from a QueueStatus event list."""
    free = 0
    for event in events:
        if str(event.get("Event", "")) != "QueueMember" or event.get("Queue") != queue:
            continue
        # Status 1 = AST_DEVICE_NOT_INUSE; a paused member takes no calls.
        if str(event.get("Status")) == "1" and str(event.get("Paused", "0")) == "0":
            free += 1
    return free


class AmiOriginator:
    """:class:`Originator` over one AMI connection."""

    def __init__(self, ami: AmiClient) -> None:
        self.ami = ami

    async def originate(self, order: DialOrder) -> None:
        """Queue the Originate; Asterisk answers at once, the dial goes on by itself."""
        await self._queue(originate_action(order), "Originate")

    async def _queue(self, action: dict[str, Any], what: str) -> None:
        """Send an async Originate; raise AmiError unless Asterisk queued it."""
        # as_list=False: the "successfully queued" answer, not the OriginateResponse
        # that follows the ring; the outcome is read from AstDB.
        response = await asyncio.wait_for(
            self.ami.manager.send_action(action, as_list=False), self.ami.endpoint.timeout_s * 2
        )
        first = response[0] if isinstance(response, list) else response
        if str(first.get("Response", "")).lower() not in ("success", ""):
            raise AmiError(f"AMI {what} refused: {first.get('Message', 'no message')}")

    async def status(self, attempt_id: str) -> str | None:
        """The attempt's status in AstDB (None: Asterisk never started it)."""
        # A missing key is a single error answer, a found one an event list:
        # panoramisk tells them apart itself (forcing as_list would wait forever).
        response = await self._send({"Action": "DBGet", "Family": ASTDB_FAMILY, "Key": attempt_id})
        for message in response if isinstance(response, list) else [response]:
            if str(message.get("Event", "")) == "DBGetResponse":
                value = message.get("Val")
                return None if value is None else str(value)
        return None

    async def live_attempts(self) -> set[str]:
        """Attempt ids of the channels Asterisk has right now."""
        response = await self._send({"Action": "CoreShowChannels"})
        ids = set()
        for message in response if isinstance(response, list) else [response]:
            uid = str(message.get("Uniqueid", "") or "")
            if uid.startswith("cb-"):
                ids.add(uid.removesuffix("-2"))
        return ids

    async def free_agents(self, queue: str) -> int:
        response = await self._send({"Action": "QueueStatus", "Queue": queue})
        return free_agents_in(response if isinstance(response, list) else [response], queue)

    async def forget(self, attempt_id: str) -> None:
        """Drop the attempt's AstDB entry once its outcome is stored (the dialplan does)."""
        await self._queue(forget_action(attempt_id), "Originate (forget)")

    async def _send(self, action: dict[str, Any]) -> Any:
        try:
            async with asyncio.timeout(self.ami.endpoint.timeout_s * 2):
                return await self.ami.manager.send_action(action)
        except TimeoutError as exc:
            raise AmiError(f"AMI {action['Action']}: no response") from exc
