"""The FastAGI side of the self-test call (``spillway-selftest`` in the dialplan).

The route reads a channel variable Asterisk set, sets one back, and the
dialplan reports it in a UserEvent: proof that Asterisk and Spillway talk both
ways. `spillway serve` answers it too, so `spillway doctor --call` can prove the
path into the running controller.
"""

from __future__ import annotations

import asyncio
import contextlib

from agi.fastagi import AgiSession, FastAgiServer

SELFTEST_ROUTE = "selftest"
# Sessions kept for a waiter; a running controller has none, so it keeps only a few.
KEPT_SESSIONS = 16


class SelftestRoute:
    """Answers the self-test; each session is also handed to whoever waits on ``sessions``."""

    def __init__(self) -> None:
        self.sessions: asyncio.Queue[tuple[AgiSession, str | None, str]] = asyncio.Queue(
            KEPT_SESSIONS
        )

    async def __call__(self, session: AgiSession) -> None:
        marker = await session.get_variable("SPILLWAY_SELFTEST")
        reply = f"ok:{session.request.params.get('greeting', '')}:{marker}"
        await session.set_variable("SPILLWAY_REPLY", reply)
        with contextlib.suppress(asyncio.QueueFull):  # nobody waiting: the reply is the proof
            self.sessions.put_nowait((session, marker, reply))

    def install(self, server: FastAgiServer) -> None:
        server.route(SELFTEST_ROUTE, self)
