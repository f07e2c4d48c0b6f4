"""The media server: the AudioSocket and chan_websocket listeners, one handler per call.

When the bot takes a call, Asterisk streams the call's audio to us over either
chan_websocket (Asterisk 22.8+, the default) or AudioSocket (Asterisk 18+). The bot
only ever sees a :class:`spillway.media.MediaSession`: caller audio in (``frames()``),
DTMF digits, and ``play``/``wait_played``/``flush``/``hangup`` for what it says back.

:class:`MediaServer` runs the listeners and hands each new session to a handler
coroutine. One misbehaving connection (garbage bytes, a stalled peer, a crashing
handler) costs one log line and that connection; the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from agi.audiosocket import AudioSocketSession
from agi.chan_websocket import MAX_EVENT_BYTES, SUBPROTOCOL, WebSocketSession
from agi.media_session import BaseMediaSession
from spillway.audio import SLIN8, AudioFormat
from spillway.errors import ProtocolError, SpillwayError
from spillway.media import MediaSession

if TYPE_CHECKING:
    from websockets.asyncio.server import Server as WsServer

log = logging.getLogger(__name__)


Handler = Callable[[MediaSession], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class MediaServerConfig:
    """Listener addresses and per-connection limits. ``port=0`` picks a free port."""

    host: str = "127.0.0.1"
    audiosocket_port: int | None = 19092
    websocket_port: int | None = 18765
    max_sessions: int = 200
    handshake_timeout_s: float = 5.0
    # No bytes at all from Asterisk for this long means a half-open connection.
    idle_timeout_s: float = 30.0
    # After the caller hangs up, how long the handler may take to notice.
    handler_grace_s: float = 5.0
    max_payload_bytes: int = 8192
    audiosocket_format: AudioFormat = SLIN8

    @classmethod
    def from_settings(cls, controller: Any) -> MediaServerConfig:
        """Build from ``Settings.controller`` (bind_host, ports, max_connections)."""
        return cls(
            host=controller.bind_host,
            audiosocket_port=controller.audiosocket_port,
            websocket_port=controller.websocket_port,
            max_sessions=controller.max_connections,
        )


class MediaServer:
    """Runs the AudioSocket and chan_websocket listeners; one handler per call."""

    def __init__(self, config: MediaServerConfig, handler: Handler) -> None:
        self.config = config
        self.handler = handler
        self.sessions: set[BaseMediaSession] = set()
        self.rejected = 0
        self.errors = 0
        self._slots = 0
        self._tcp_server: asyncio.Server | None = None
        self._ws_server: WsServer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._all: set[BaseMediaSession] = set()  # including those still handshaking
        self.audiosocket_port: int | None = None
        self.websocket_port: int | None = None

    async def start(self) -> None:
        cfg = self.config
        try:
            if cfg.audiosocket_port is not None:
                self._tcp_server = await asyncio.start_server(
                    self._on_tcp, cfg.host, cfg.audiosocket_port
                )
                self.audiosocket_port = self._tcp_server.sockets[0].getsockname()[1]
            if cfg.websocket_port is not None:
                self._ws_server = await serve_websocket(self, cfg.host, cfg.websocket_port)
                self.websocket_port = next(iter(self._ws_server.sockets)).getsockname()[1]
        except OSError as exc:
            await self.stop()
            raise SpillwayError(
                f"cannot listen for media on {cfg.host}: {exc}",
                hint="is another Spillway or the sandbox already using that port?",
            ) from exc
        log.info(
            "media server listening: audiosocket=%s websocket=%s",
            self.audiosocket_port,
            self.websocket_port,
        )

    async def stop(self) -> None:
        """Stop listening, hang up every call, and wait for the handlers to finish."""
        if self._tcp_server is not None:
            self._tcp_server.close()
        if self._ws_server is not None:
            self._ws_server.close(close_connections=False)
        await asyncio.gather(*(_quiet_hangup(s) for s in list(self._all)))
        if self._tasks:
            # Hanging up ends each connection task by itself; cancelling them from
            # here instead trips asyncio.streams (3.11) into logging tracebacks.
            _done, pending = await asyncio.wait(
                set(self._tasks), timeout=self.config.handler_grace_s + 1.0
            )
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self._tcp_server is not None:
            await self._tcp_server.wait_closed()
            self._tcp_server = None
        if self._ws_server is not None:
            await self._ws_server.wait_closed()
            self._ws_server = None

    async def __aenter__(self) -> MediaServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- connection admission ---------------------------------------------
    def at_capacity(self) -> bool:
        return self._slots >= self.config.max_sessions

    def try_acquire(self) -> bool:
        """Take a connection slot, or count a rejection when at the cap."""
        if self._slots >= self.config.max_sessions:
            self.rejected += 1
            return False
        self._slots += 1
        return True

    def release(self) -> None:
        self._slots -= 1

    async def _on_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.try_acquire():
            log.warning(
                "media: connection cap %d reached; refusing AudioSocket", self.config.max_sessions
            )
            writer.close()
            return
        try:
            session = AudioSocketSession(
                reader,
                writer,
                format=self.config.audiosocket_format,
                idle_timeout_s=self.config.idle_timeout_s,
                max_payload_bytes=self.config.max_payload_bytes,
            )
            await self.serve_session(session)
        finally:
            self.release()

    async def serve_session(self, session: BaseMediaSession) -> None:
        """Handshake, then run the connection and the handler side by side."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._all.add(session)
        try:
            await self._serve(session)
        finally:
            self._all.discard(session)
            if task is not None:
                self._tasks.discard(task)

    async def _serve(self, session: BaseMediaSession) -> None:
        cfg = self.config
        try:
            async with asyncio.timeout(cfg.handshake_timeout_s):
                await session.handshake()
        except (TimeoutError, ProtocolError, ConnectionError, OSError, ConnectionClosed) as exc:
            # ConnectionClosed: e.g. a first websocket message over the size limit.
            self.errors += 1
            log.warning("media: %s handshake failed: %s", session.transport, _describe(exc))
            await _quiet_hangup(session)
            return
        self.sessions.add(session)
        log.info(
            "call %s: %s media session started (%s Hz)",
            session.call_id,
            session.transport,
            session.format.sample_rate_hz,
        )
        io_task = asyncio.create_task(session.run(), name=f"media-io-{session.call_id}")
        handler_task = asyncio.create_task(
            self.handler(session), name=f"media-handler-{session.call_id}"
        )
        try:
            await asyncio.wait({io_task, handler_task}, return_when=asyncio.FIRST_COMPLETED)
            if handler_task.done():
                # The bot is done with the call: end the media leg.
                await _quiet_hangup(session)
            else:
                # The caller (or the network) ended it: give the handler a moment to
                # see frames() end and wrap up, then stop it.
                await asyncio.wait({handler_task}, timeout=cfg.handler_grace_s)
            for task in (io_task, handler_task):
                if not task.done():
                    task.cancel()
            await asyncio.gather(io_task, handler_task, return_exceptions=True)
            for name, task in (("connection", io_task), ("handler", handler_task)):
                failure = None if task.cancelled() else task.exception()
                if _is_normal_close(failure):
                    # Asterisk ends a chan_websocket call by closing the socket.
                    log.info("call %s: media connection closed by the peer", session.call_id)
                elif failure is not None:
                    self.errors += 1
                    log.warning(
                        "call %s: media %s failed: %s", session.call_id, name, _describe(failure)
                    )
        finally:
            if not io_task.done() or not handler_task.done():
                io_task.cancel()
                handler_task.cancel()
            await _quiet_hangup(session)
            self.sessions.discard(session)
            log.info("call %s: media session ended", session.call_id)


def _is_normal_close(failure: BaseException | None) -> bool:
    return isinstance(failure, ConnectionClosedOK | ConnectionResetError)


async def _quiet_hangup(session: MediaSession) -> None:
    with contextlib.suppress(ConnectionError, OSError, ProtocolError):
        await session.hangup()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SpillwayError):
        return f"[{exc.code}] {exc}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"


# -- the chan_websocket listener ----------------------------------------------------


def _select_subprotocol(
    connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    # Asterisk offers "media" when websocket_client.conf says protocols = media;
    # accept a client that offers nothing too.
    return Subprotocol(SUBPROTOCOL) if SUBPROTOCOL in offered else None


async def serve_websocket(server: MediaServer, host: str, port: int) -> WsServer:
    """Start the chan_websocket listener feeding sessions into ``server``."""
    cfg = server.config

    def process_request(connection: ServerConnection, request: Request) -> Response | None:
        if server.at_capacity():
            server.rejected += 1
            return Response(503, "Service Unavailable", Headers(), b"media server full\n")
        return None

    async def handler(ws: ServerConnection) -> None:
        if not server.try_acquire():
            await ws.close(1013, "media server full")
            return
        try:
            session = WebSocketSession(ws, idle_timeout_s=cfg.idle_timeout_s)
            await server.serve_session(session)
        finally:
            server.release()

    return await serve(
        handler,
        host,
        port,
        select_subprotocol=_select_subprotocol,
        process_request=process_request,
        max_size=max(cfg.max_payload_bytes, MAX_EVENT_BYTES),
        # Asterisk streams audio continuously; the idle timeout catches dead peers.
        ping_interval=None,
        open_timeout=cfg.handshake_timeout_s,
        close_timeout=2.0,
    )
