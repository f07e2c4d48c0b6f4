"""A FastAGI server: Asterisk connects per call and we drive it line by line.

panoramisk ships a FastAGI application, but it loops forever on a connection
that closes before its header ends and swallows cancellation, so Spillway
keeps its own thin loop over the pure parser in :mod:`agi.agi_protocol`. A
bad peer (garbage, an endless header, silence) loses its connection and
nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from agi.agi_protocol import (
    MAX_HEADER_LINES,
    MAX_LINE_BYTES,
    AgiRequest,
    AgiResult,
    build_request,
    parse_result,
    quote,
)
from spillway.errors import AgiError, ProtocolError

log = logging.getLogger(__name__)

HEADER_TIMEOUT_S = 5.0
COMMAND_TIMEOUT_S = 3600.0


class AgiSession:
    """One FastAGI connection: the request environment and a command channel."""

    def __init__(
        self, request: AgiRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.request = request
        self._reader = reader
        self._writer = writer
        self._lock = asyncio.Lock()

    async def command(self, line: str, *, timeout_s: float = COMMAND_TIMEOUT_S) -> AgiResult:
        """Send one AGI command and return its parsed answer."""
        async with self._lock:
            self._writer.write(line.encode() + b"\n")
            await self._writer.drain()
            while True:
                raw = await asyncio.wait_for(self._reader.readline(), timeout_s)
                if not raw:
                    raise ProtocolError("FastAGI: Asterisk closed the connection")
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                if text.startswith("100 "):  # "100 Trying..." precedes the real answer
                    continue
                if text.startswith("520-"):  # multi-line usage text; read to its end
                    while raw and not raw.startswith(b"520 "):
                        raw = await self._reader.readline()
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


class FastAgiServer:
    """Routes FastAGI sessions by script path (``agi://host:port/<path>``)."""

    def __init__(self, *, max_connections: int = 200) -> None:
        self.routes: dict[str, Handler] = {}
        self._slots = asyncio.Semaphore(max_connections)
        self._server: asyncio.Server | None = None
        self.active = 0

    def route(self, path: str, handler: Handler) -> None:
        if path in self.routes:
            raise ValueError(f"route {path!r} is already taken")
        self.routes[path] = handler

    async def start(self, host: str, port: int) -> asyncio.Server:
        self._server = await asyncio.start_server(
            self._handle, host, port, limit=MAX_LINE_BYTES, reuse_address=True
        )
        return self._server

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        if self._slots.locked():
            log.warning("FastAGI: refusing %s: too many connections", peer)
            writer.close()
            return
        async with self._slots:
            self.active += 1
            try:
                request = await read_request(reader)
                handler = self.routes.get(request.script)
                if handler is None:
                    log.warning("FastAGI: no route %r (from %s)", request.script, peer)
                    return
                await handler(AgiSession(request, reader, writer))
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
                self.active -= 1
                writer.close()
                with contextlib.suppress(ConnectionError, OSError):
                    await writer.wait_closed()
