"""One call through the whole path: AMI originate -> dialplan -> our FastAGI route.

Used by the demo and the tests to prove that Asterisk and Spillway talk both
ways: the route reads a channel variable Asterisk set, sets one back, and the
dialplan reports it in a UserEvent we receive over AMI.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from agi.fastagi import AgiSession, FastAgiServer
from spillway.ami import AmiClient
from spillway.errors import PbxError

SELFTEST_ROUTE = "selftest"
SELFTEST_CONTEXT = "spillway-selftest"


@dataclass(frozen=True, slots=True)
class SelftestResult:
    channel: str
    unique_id: str
    params: dict[str, str]
    marker: str | None
    reply: str
    user_event: dict[str, str]
    events: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0


class SelftestRoute:
    """The FastAGI side of the self-test; each session resolves one waiter."""

    def __init__(self) -> None:
        self.sessions: asyncio.Queue[tuple[AgiSession, str | None, str]] = asyncio.Queue()

    async def __call__(self, session: AgiSession) -> None:
        marker = await session.get_variable("SPILLWAY_SELFTEST")
        reply = f"ok:{session.request.params.get('greeting', '')}:{marker}"
        await session.set_variable("SPILLWAY_REPLY", reply)
        await self.sessions.put((session, marker, reply))

    def install(self, server: FastAgiServer) -> None:
        server.route(SELFTEST_ROUTE, self)


def _as_dict(message: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in dict(message).items()}


async def place_selftest_call(
    ami: AmiClient, route: SelftestRoute, *, timeout_s: float = 10.0
) -> SelftestResult:
    """Originate a Local channel into the self-test context and collect the evidence."""
    started = time.monotonic()
    seen: list[str] = []
    with ami.subscribe("*") as events:
        await ami.action(
            {
                "Action": "Originate",
                "Channel": f"Local/s@{SELFTEST_CONTEXT}",
                "Application": "Wait",
                "Data": "5",
                "CallerID": "Spillway Selftest <100>",
                "Async": "true",
            }
        )
        try:
            async with asyncio.timeout(timeout_s):
                session, marker, reply = await route.sessions.get()
                user_event: dict[str, str] = {}
                while not user_event:
                    event = _as_dict(await events.get())
                    seen.append(event.get("Event", ""))
                    if event.get("UserEvent") == "SpillwaySelftest":
                        user_event = event
        except TimeoutError as exc:
            raise PbxError(
                f"the self-test call did not complete within {timeout_s:g} s "
                f"(events seen: {', '.join(seen) or 'none'})",
                hint="is `spillway-selftest` in the dialplan and the FastAGI port reachable?",
            ) from exc
    return SelftestResult(
        channel=session.request.channel,
        unique_id=session.request.unique_id,
        params=session.request.params,
        marker=marker,
        reply=reply,
        user_event=user_event,
        events=seen,
        elapsed_ms=(time.monotonic() - started) * 1000,
    )
