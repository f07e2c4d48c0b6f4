"""Connection limits for the web application: slow and half-open clients cannot starve it.

uvicorn times out an idle keep-alive connection, but not one that never
finishes its request: 1,100 connections that sent half a request head held
every file descriptor of a process with 1,024, and each refused accept()
was logged. :func:`guarded_protocol` wraps uvicorn's h11 protocol so that

- a connection that has not sent a whole request within ``header_timeout_s``
  (from its opening, or from its previous response) is closed;
- a new connection beyond ``max_connections`` in all, or beyond
  ``max_connections_per_peer`` from one address, is closed at once;

and :class:`OncePerInterval` is the event loop's exception handler that logs
the same failure ("socket.accept() out of system resource: Too many open
files") once per interval with a count, not thousands of times a second.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

# File descriptors kept free for the database, logs and the listening socket.
FD_HEADROOM = 64


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    header_timeout_s: float
    max_connections: int
    max_per_peer: int

    @classmethod
    def under_fd_limit(
        cls, header_timeout_s: float, max_connections: int, max_per_peer: int
    ) -> ConnectionLimits:
        """The limits, with ``max_connections`` kept under this process's descriptor limit."""
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY:
            max_connections = max(1, min(max_connections, soft - FD_HEADROOM))
        return cls(header_timeout_s, max_connections, min(max_per_peer, max_connections))


class OncePerInterval:
    """A loop exception handler (and log filter) that says each message once per interval."""

    def __init__(self, interval_s: float = 10.0, clock: Any = time.monotonic) -> None:
        self.interval_s = interval_s
        self.clock = clock
        self._last: dict[str, float] = {}
        self._muted: Counter[str] = Counter()

    def allow(self, key: str) -> tuple[bool, int]:
        """Whether to log ``key`` now, and how many were muted since it was last logged."""
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval_s:
            self._muted[key] += 1
            return False, 0
        self._last[key] = now
        return True, self._muted.pop(key, 0)

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        key = f"{context.get('message', '')}: {exc}" if exc else str(context.get("message"))
        ok, muted = self.allow(key)
        if ok:
            more = f" ({muted} more like it since)" if muted else ""
            log.error("%s%s", key, more)


def guarded_protocol(limits: ConnectionLimits) -> type[H11Protocol]:
    """uvicorn's h11 protocol with ``limits`` applied (pass it as ``Config(http=...)``)."""
    per_peer: Counter[str] = Counter()
    refusals = OncePerInterval()

    class GuardedH11Protocol(H11Protocol):
        _peer: str = ""
        _timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._peer = self.client[0] if self.client else "?"
            per_peer[self._peer] += 1
            if per_peer[self._peer] > limits.max_per_peer:
                self._refuse(f"more than {limits.max_per_peer} connections from one address")
            elif len(self.connections) > limits.max_connections:
                self._refuse(f"more than {limits.max_connections} connections")
            else:
                self._arm()

        def _refuse(self, why: str) -> None:
            ok, muted = refusals.allow(why)
            if ok:
                more = f" ({muted} more since)" if muted else ""
                log.warning("web: closed a new connection: %s%s", why, more)
            self.transport.abort()

        def _arm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self.loop.call_later(limits.header_timeout_s, self._too_slow)

        def _too_slow(self) -> None:
            self._timer = None
            # IDLE: no whole request head yet; SEND_BODY: its body is still trickling in.
            if self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
                self.transport.close()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request on this connection gets the same time

        def connection_lost(self, exc: Exception | None) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            per_peer[self._peer] -= 1
            if per_peer[self._peer] <= 0:
                del per_peer[self._peer]
            super().connection_lost(exc)

    return GuardedH11Protocol
