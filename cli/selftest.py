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

from agi.selftest_route import SELFTEST_ROUTE, SelftestRoute
from spillway.ami import AmiClient
from spillway.errors import PbxError
from spillway.wording import worded

SELFTEST_CONTEXT = "spillway-selftest"
__all__ = [
    "SELFTEST_CONTEXT",
    "SELFTEST_ROUTE",
    "SelftestResult",
    "SelftestRoute",
    "place_selftest_call",
]


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


def _as_dict(message: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in dict(message).items()}


async def place_selftest_call(
    ami: AmiClient, route: SelftestRoute | None, *, timeout_s: float = 10.0
) -> SelftestResult:
    """Originate a Local channel into the self-test context and collect the evidence.

    ``route``: our own route (its session is evidence too); None: the running
    `spillway serve` answers, and Asterisk's UserEvent is the evidence.
    """
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
                session = None
                marker: str | None = None
                reply = ""
                if route is not None:
                    session, marker, reply = await route.sessions.get()
                user_event: dict[str, str] = {}
                while not user_event:
                    event = _as_dict(await events.get())
                    seen.append(event.get("Event", ""))
                    if event.get("UserEvent") == "SpillwaySelftest":
                        user_event = event
        except TimeoutError as exc:
            raise PbxError.worded(
                "selftest_timeout",
                seconds=f"{timeout_s:g}",
                events=", ".join(seen) or worded("common.none"),
            ) from exc
    if session is None:
        reply = user_event.get("Reply", "")
        marker = reply.rsplit(":", 1)[-1] or None
        return SelftestResult(
            channel=user_event.get("Channel", ""),
            unique_id=user_event.get("Uniqueid", ""),
            params={},
            marker=marker,
            reply=reply,
            user_event=user_event,
            events=seen,
            elapsed_ms=(time.monotonic() - started) * 1000,
        )
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
