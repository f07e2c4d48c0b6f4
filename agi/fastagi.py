"""A FastAGI server: Asterisk connects per call and we drive it line by line.

panoramisk ships a FastAGI application, but it loops forever on a connection
that closes before its header ends and swallows cancellation, so Spillway
keeps its own thin loop over the pure parser in :mod:`agi.agi_protocol`. A
bad peer (garbage, an endless header, silence) loses its connection and
nothing else.

Admission keeps Asterisk's calls first when something floods the port: every
AGI reply must come within ``reply_timeout_s`` (Asterisk answers in
milliseconds), one peer address holds at most ``max_per_peer`` connections,
and when every slot is taken a new connection pushes out the oldest one that
has not finished its header, or one that has left a reply unanswered for
more than ``stall_s``: such a peer is not a working Asterisk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from agi.agi_protocol import (
    MAX_HEADER_LINES,
    MAX_LINE_BYTES,
    AgiRequest,
    AgiResult,
    build_request,
    parse_result,
    quote,
)
from spillway.errors import AgiError, ProtocolError, SpillwayError

log = logging.getLogger(__name__)

HEADER_TIMEOUT_S = 5.0
REPLY_TIMEOUT_S = 10.0


class AgiSession:
    """One FastAGI connection: the request environment and a command channel."""

    def __init__(
        self,
        request: AgiRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        reply_timeout_s: float = REPLY_TIMEOUT_S,
    ) -> None:
        self.request = request
        self._reader = reader
        self._writer = writer
        self._lock = asyncio.Lock()
        self.reply_timeout_s = reply_timeout_s
        # When the command now waiting for its reply was sent (None: not waiting).
        self.waiting_since: float | None = None

    async def command(self, line: str, *, timeout_s: float | None = None) -> AgiResult:
        """Send one AGI command and return its parsed answer, all within the reply timeout."""
        async with self._lock:
            self._writer.write(line.encode() + b"\n")
            await self._writer.drain()
            self.waiting_since = time.monotonic()
            try:
                async with asyncio.timeout(timeout_s or self.reply_timeout_s):
                    return await self._read_reply()
            except TimeoutError:
                raise ProtocolError(
                    f"FastAGI: no answer to {line.split(' ', 1)[0]} within "
                    f"{timeout_s or self.reply_timeout_s:g} s"
                ) from None
            finally:
                self.waiting_since = None

    async def _read_reply(self) -> AgiResult:
        while True:
            raw = await self._reader.readline()
            if not raw:
                raise ProtocolError("FastAGI: Asterisk closed the connection")
            text = raw.decode("utf-8", "replace").rstrip("\r\n")
            if text.startswith("100 "):  # "100 Trying..." precedes the real answer
                continue
            if text.startswith("520-"):  # multi-line usage text; read to its end
                while not raw.startswith(b"520 "):
                    raw = await self._reader.readline()
                    if not raw:
                        raise ProtocolError("FastAGI: connection closed inside a 520 reply")
                return parse_result("520 usage error")
            return parse_result(text)

    async def answer(self) -> None:
        await self.command("ANSWER")

    async def set_variable(self, name: str, value: str) -> None:
        await self.command(f"SET VARIABLE {name} {quote(value)}")

    async def get_variable(self, name: str) -> str | None:
        result = await self.command(f"GET VARIABLE {name}")
        return result.data if result.result == "1" else None

    async def exec(self, application: str, args: str = "") -> AgiResult:
        return await self.command(f"EXEC {application} {quote(args)}")

    async def verbose(self, message: str, level: int = 1) -> None:
        await self.command(f"VERBOSE {quote(message)} {level}")

    async def hangup(self) -> None:
        with contextlib.suppress(AgiError, ProtocolError, ConnectionError):
            await self.command("HANGUP")


Handler = Callable[[AgiSession], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> AgiRequest:
    """Read the environment block, with limits on size, count and time."""
    lines: list[str] = []
    async with asyncio.timeout(HEADER_TIMEOUT_S):
        while True:
            try:
                raw = await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:
                raise ProtocolError("FastAGI: connection closed inside the header") from exc
            except asyncio.LimitOverrunError as exc:
                raise ProtocolError("FastAGI: header line too long") from exc
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                break
            lines.append(line)
            if len(lines) > MAX_HEADER_LINES:
                raise ProtocolError("FastAGI: too many header lines")
    if not lines:
        raise ProtocolError("FastAGI: empty header")
    return build_request(lines)


@dataclass(slots=True)
class _Connection:
    """A connection the server holds, for admission."""

    peer: str
    writer: asyncio.StreamWriter
    opened_at: float
    session: AgiSession | None = None  # None while the header is still being read

    def stalled_for(self, now: float) -> float:
        """How long it has kept us waiting: in its header, or for a reply."""
        if self.session is None:
            return now - self.opened_at
        since = self.session.waiting_since
        return 0.0 if since is None else now - since


class FastAgiServer:
    """Routes FastAGI sessions by script path (``agi://host:port/<path>``)."""

    def __init__(
        self,
        *,
        max_connections: int = 200,
        max_per_peer: int | None = None,
        reply_timeout_s: float = REPLY_TIMEOUT_S,
        stall_s: float = 1.0,
    ) -> None:
        self.routes: dict[str, Handler] = {}
        self.max_connections = max_connections
        self.max_per_peer = max_per_peer or max_connections
        self.reply_timeout_s = reply_timeout_s
        self.stall_s = stall_s
        self._connections: dict[asyncio.StreamWriter, _Connection] = {}
        self._server: asyncio.Server | None = None
        self.refused = 0
        self.evicted = 0

    @property
    def active(self) -> int:
        return len(self._connections)

    def route(self, path: str, handler: Handler) -> None:
        if path in self.routes:
            raise ValueError(f"route {path!r} is already taken")
        self.routes[path] = handler

    async def start(self, host: str, port: int) -> asyncio.Server:
        try:
            self._server = await asyncio.start_server(
                self._handle, host, port, limit=MAX_LINE_BYTES, reuse_address=True
            )
        except OSError as exc:
            raise SpillwayError(
                f"cannot listen for FastAGI on {host}:{port}: {exc.strerror or exc}",
                hint="is another `spillway serve` running, or is controller.bind_host "
                "an address of this machine?",
            ) from exc
        return self._server

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _admit(self, peer: str) -> bool:
        """Whether a new connection from ``peer`` may take a slot (evicting if need be)."""
        everyone = list(self._connections.values())
        mine = [c for c in everyone if c.peer == peer]
        if len(mine) >= self.max_per_peer:
            return self._evict(mine)
        if len(everyone) >= self.max_connections:
            return self._evict(everyone)
        return True

    def _evict(self, candidates: list[_Connection]) -> bool:
        """Drop the candidate that has kept us waiting longest, if one is stalled."""
        now = time.monotonic()
        stalled = [c for c in candidates if c.stalled_for(now) >= self.stall_s]
        if not stalled:
            return False
        victim = max(stalled, key=lambda c: c.stalled_for(now))
        log.warning(
            "FastAGI: full; dropping %s, which kept us waiting %.1f s",
            victim.peer,
            victim.stalled_for(now),
        )
        self.evicted += 1
        del self._connections[victim.writer]
        victim.writer.transport.abort()
        return True

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        address = writer.get_extra_info("peername")
        peer = str(address[0]) if isinstance(address, tuple) else str(address)
        if not self._admit(peer):
            self.refused += 1
            log.warning("FastAGI: refusing %s: too many connections", peer)
            writer.close()
            return
        conn = _Connection(peer, writer, time.monotonic())
        self._connections[writer] = conn
        try:
            request = await read_request(reader)
            handler = self.routes.get(request.script)
            if handler is None:
                log.warning("FastAGI: no route %r (from %s)", request.script, peer)
                return
            conn.session = AgiSession(request, reader, writer, reply_timeout_s=self.reply_timeout_s)
            await handler(conn.session)
        except (ProtocolError, TimeoutError) as exc:
            log.warning("FastAGI: closing %s: %s", peer, exc or "timed out")
        except AgiError as exc:
            log.info("FastAGI: %s ended: %s", peer, exc)
        except (ConnectionError, OSError) as exc:
            log.info("FastAGI: %s went away: %s", peer, exc)
        except Exception:
            # A bug in one route must not take the server down with it.
            log.exception("FastAGI: route failed for %s", peer)
        finally:
            self._connections.pop(writer, None)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
