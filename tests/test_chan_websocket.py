"""chan_websocket: control messages both ways, and the server against an Asterisk emulator.

The emulator follows ``channels/chan_websocket.c`` (Asterisk 22.10): whole
``optimal_frame_size`` frames are queued and a trailing partial frame is dropped,
MEDIA_XOFF/XON at the queue levels, binary messages ignored while the queue is full,
one frame played per 20 ms tick, MARK_MEDIA answered when playback reaches it,
FLUSH_MEDIA empties the queue. The same flows run against the real Asterisk in
``test_media_asterisk.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from agi.chan_websocket import (
    Command,
    DtmfEnd,
    ErrorEvent,
    MediaBufferingCompleted,
    MediaMarkProcessed,
    MediaStart,
    MediaXoff,
    MediaXon,
    MessageFormat,
    QueueDrained,
    Status,
    UnknownEvent,
    WebSocketSession,
    audio_format_for,
    format_command,
    format_event,
    parse_command,
    parse_event,
)
from agi.media_server import MediaServer, MediaServerConfig
from spillway.errors import ProtocolError
from spillway.media import MediaSession

# Verbatim from Asterisk 22.10 (captured from the explore sandbox).
REAL_MEDIA_START = (
    "MEDIA_START connection_id:spillway channel:WebSocket/spillway/0x7f638c0043d0 "
    "channel_id:1795428985.6 format:slin16 optimal_frame_size:640 ptime:20"
)


def test_parse_real_media_start() -> None:
    event, fmt = parse_event(REAL_MEDIA_START)
    assert fmt is MessageFormat.PLAIN
    assert event == MediaStart(
        connection_id="spillway",
        channel="WebSocket/spillway/0x7f638c0043d0",
        channel_id="1795428985.6",
        format="slin16",
        optimal_frame_size=640,
        ptime_ms=20,
    )
    assert audio_format_for("slin16").sample_rate_hz == 16000
    assert audio_format_for("slin").sample_rate_hz == 8000
    assert audio_format_for("slin44").sample_rate_hz == 44100


EVENTS = [
    MediaStart("c1", "WebSocket/c1/0x1", "171.2", "slin", 320, 20),
    MediaXoff(),
    MediaXon(),
    QueueDrained(),
    MediaBufferingCompleted("prompt-3"),
    MediaBufferingCompleted(""),
    MediaMarkProcessed("m7"),
    DtmfEnd("#", "171.2"),
    Status(12, 800, 900, False, True, False, "171.2"),
    ErrorEvent("FLUSH_MEDIA not supported in passthrough mode", "171.2"),
    UnknownEvent("SOMETHING_NEW", {"a": "1"}),
]


@pytest.mark.parametrize("fmt", list(MessageFormat))
@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_event_round_trip(event: Any, fmt: MessageFormat) -> None:
    text = format_event(event, fmt)
    assert parse_event(text) == (event, fmt)


def test_plain_formats_match_asterisk_source() -> None:
    assert format_event(DtmfEnd("5", "x.1")) == "DTMF_END digit:5 channel_id:x.1"
    assert format_event(MediaMarkProcessed("m1")) == "MEDIA_MARK_PROCESSED m1"
    assert format_event(MediaXoff()) == "MEDIA_XOFF"
    assert format_command(Command.FLUSH_MEDIA) == "FLUSH_MEDIA"
    assert format_command(Command.MARK_MEDIA, "m3") == "MARK_MEDIA m3"
    assert (
        format_command(Command.MARK_MEDIA, "m3", MessageFormat.JSON)
        == '{"command":"MARK_MEDIA","correlation_id":"m3"}'
    )


@pytest.mark.parametrize("fmt", list(MessageFormat))
@pytest.mark.parametrize("command", list(Command))
def test_command_round_trip(command: Command, fmt: MessageFormat) -> None:
    corr = "p-1" if command in (Command.MARK_MEDIA, Command.STOP_MEDIA_BUFFERING) else None
    assert parse_command(format_command(command, corr, fmt)) == (command, corr, fmt)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{not json",
        "[1, 2]",
        '{"no_event": 1}',
        "MEDIA_START connection_id:x",  # fields missing
        "MEDIA_START connection_id:x channel:c channel_id:i format:slin "
        "optimal_frame_size:lots ptime:20",
        "DTMF_END digit:55 channel_id:x",
        "STATUS channel_id:x",
        "\x00\x01garbage",
        "x" * 70000,
    ],
)
def test_hostile_events_raise_protocol_error(text: str) -> None:
    with pytest.raises(ProtocolError):
        parse_event(text)


def test_bad_commands_and_formats() -> None:
    with pytest.raises(ProtocolError):
        format_command(Command.MARK_MEDIA, "x" * 200)
    with pytest.raises(ProtocolError):
        format_command(Command.MARK_MEDIA, "two words")
    with pytest.raises(ProtocolError):
        format_command(Command.FLUSH_MEDIA, "id")
    with pytest.raises(ProtocolError):
        parse_command("REBOOT_PBX")
    with pytest.raises(ProtocolError, match="not signed linear"):
        audio_format_for("ulaw")


# -- an emulated Asterisk ------------------------------------------------------------


class FakeChanWebsocket:
    """Asterisk's end of one chan_websocket call, following chan_websocket.c."""

    def __init__(
        self,
        port: int,
        *,
        call_id: str = "call-1",
        fmt: MessageFormat = MessageFormat.PLAIN,
        frame_bytes: int = 320,
        xoff_level: int = 900,
        xon_level: int = 800,
        max_queue: int = 1000,
    ) -> None:
        self.url = f"ws://127.0.0.1:{port}/media?call_id={call_id}"
        self.fmt = fmt
        self.frame_bytes = frame_bytes
        self.xoff_level, self.xon_level, self.max_queue = xoff_level, xon_level, max_queue
        self.queue: deque[bytes | str] = deque()
        self.queue_length = 0
        self.queue_full = False
        self.played: list[bytes] = []
        self.commands: list[tuple[Command, str | None]] = []
        self.dropped_messages = 0
        self.dropped_partial_bytes = 0
        self.max_seen_queue = 0
        self.ws: ClientConnection | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, media_start: MediaStart | None = None) -> None:
        self.ws = await websockets.connect(self.url, subprotocols=[websockets.Subprotocol("media")])
        start = media_start or MediaStart(
            "spillway", "WebSocket/spillway/0x1", "1700000000.1", "slin", self.frame_bytes, 20
        )
        await self.ws.send(format_event(start, self.fmt))
        self._tasks = [asyncio.create_task(self._reader()), asyncio.create_task(self._clock())]

    async def send(self, event: Any) -> None:
        assert self.ws is not None
        await self.ws.send(format_event(event, self.fmt))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.ws is not None:
            await self.ws.close()

    async def _reader(self) -> None:
        assert self.ws is not None
        with contextlib.suppress(websockets.ConnectionClosed):
            async for message in self.ws:
                if isinstance(message, bytes):
                    await self._on_binary(message)
                else:
                    command, corr, fmt = parse_command(message)
                    assert fmt is self.fmt, "answer in the format Asterisk used"
                    self.commands.append((command, corr))
                    if command is Command.MARK_MEDIA:
                        self.queue.append(format_event(MediaMarkProcessed(corr or ""), self.fmt))
                    elif command is Command.FLUSH_MEDIA:
                        self.queue.clear()
                        self.queue_length = 0
                    elif command is Command.HANGUP:
                        await self.ws.close()

    async def _on_binary(self, message: bytes) -> None:
        if self.queue_length >= self.max_queue:
            self.dropped_messages += 1
            return
        whole = len(message) - len(message) % self.frame_bytes
        self.dropped_partial_bytes += len(message) - whole
        for start in range(0, whole, self.frame_bytes):
            self.queue.append(message[start : start + self.frame_bytes])
            self.queue_length += 1
            self.max_seen_queue = max(self.max_seen_queue, self.queue_length)
            if not self.queue_full and self.queue_length >= self.xoff_level:
                self.queue_full = True
                await self.send(MediaXoff())

    async def _clock(self) -> None:
        assert self.ws is not None
        next_tick = time.monotonic()
        while True:
            next_tick += 0.020
            await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
            if self.queue_full and self.queue_length < self.xon_level:
                self.queue_full = False
                await self.send(MediaXon())
            # Option frames (marks) do not use up a media time slot.
            while self.queue and isinstance(self.queue[0], str):
                await self.ws.send(self.queue.popleft())
            if self.queue:
                frame = self.queue.popleft()
                assert isinstance(frame, bytes)
                self.queue_length -= 1
                self.played.append(frame)


SessionBox = asyncio.Future[MediaSession]


@contextlib.asynccontextmanager
async def ws_server(
    handler: Callable[[MediaSession], Coroutine[Any, Any, None]] | None = None,
    **config: Any,
) -> AsyncIterator[tuple[MediaServer, asyncio.Queue[MediaSession]]]:
    sessions: asyncio.Queue[MediaSession] = asyncio.Queue()

    async def keep(session: MediaSession) -> None:
        sessions.put_nowait(session)
        if handler is not None:
            await handler(session)
        else:
            await session.closed.wait()

    cfg = MediaServerConfig(audiosocket_port=None, websocket_port=0, **config)
    async with MediaServer(cfg, keep) as server:
        yield server, sessions


def tone(n_bytes: int) -> bytes:
    return bytes((i * 7) % 251 for i in range(n_bytes))


async def test_play_waits_for_asterisk_to_play_it() -> None:
    async with ws_server() as (server, sessions):
        assert server.websocket_port
        fake = FakeChanWebsocket(server.websocket_port, call_id="abc.42")
        await fake.start()
        session = await asyncio.wait_for(sessions.get(), 5)
        assert isinstance(session, WebSocketSession)
        assert session.call_id == "abc.42"
        assert session.format.sample_rate_hz == 8000
        audio = tone(320 * 25 + 100)  # 0.5 s plus a partial frame
        t0 = time.monotonic()
        await session.play(audio)
        await asyncio.wait_for(session.wait_played(), 5)
        elapsed = time.monotonic() - t0
        assert 0.45 < elapsed < 1.5
        played = b"".join(fake.played)
        assert played[: len(audio)] == audio
        assert played[len(audio) :] == b"\x00" * (26 * 320 - len(audio))  # padded, not dropped
        assert fake.dropped_partial_bytes == 0
        assert fake.commands[-1] == (Command.MARK_MEDIA, "m1")
        await fake.close()


async def test_xoff_pauses_sending_and_nothing_is_dropped() -> None:
    async with ws_server() as (server, sessions):
        assert server.websocket_port
        fake = FakeChanWebsocket(server.websocket_port, xoff_level=20, xon_level=10, max_queue=60)
        await fake.start()
        session = await asyncio.wait_for(sessions.get(), 5)
        assert isinstance(session, WebSocketSession)
        # As with the real levels (XOFF 900, cap 1000, max_ahead 500 frames), the
        # burst sent before an XOFF can arrive stays under the cap.
        session.max_ahead_s = 0.8
        audio = tone(320 * 80)
        await session.play(audio)
        await asyncio.wait_for(session.wait_played(), 10)
        assert b"".join(fake.played) == audio
        assert fake.dropped_messages == 0
        assert session.xoff_count >= 1
        assert fake.max_seen_queue <= 60
        await fake.close()


async def test_flush_stops_playback_at_once() -> None:
    async with ws_server() as (server, sessions):
        assert server.websocket_port
        fake = FakeChanWebsocket(server.websocket_port)
        await fake.start()
        session = await asyncio.wait_for(sessions.get(), 5)
        await session.play(tone(320 * 150))  # 3 s
        await asyncio.sleep(0.3)
        await session.flush()
        await asyncio.wait_for(session.wait_played(), 0.5)  # released by the flush
        await asyncio.sleep(0.3)
        assert len(fake.played) < 40, len(fake.played)
        assert (Command.FLUSH_MEDIA, None) in fake.commands
        await fake.close()


async def test_audio_queued_in_asterisk_is_capped() -> None:
    async with ws_server() as (server, sessions):
        assert server.websocket_port
        fake = FakeChanWebsocket(server.websocket_port)
        await fake.start()
        session = await asyncio.wait_for(sessions.get(), 5)
        assert isinstance(session, WebSocketSession)
        session.max_ahead_s = 0.4
        await session.play(tone(320 * 100))  # 2 s
        await asyncio.sleep(0.5)
        assert fake.queue_length <= 0.4 / 0.02 + session.frames_per_message
        await asyncio.wait_for(session.wait_played(), 5)
        assert len(fake.played) == 100
        await fake.close()


@pytest.mark.parametrize("fmt", list(MessageFormat))
async def test_caller_audio_dtmf_and_hangup(fmt: MessageFormat) -> None:
    received: list[bytes] = []
    digits: list[str] = []

    async def bot(session: MediaSession) -> None:
        async for frame in session.frames():
            received.append(frame)
            if len(received) == 10:
                break
        digit = await session.next_dtmf()
        assert digit is not None
        digits.append(digit)
        await session.hangup()

    async with ws_server(bot) as (server, sessions):
        assert server.websocket_port
        fake = FakeChanWebsocket(server.websocket_port, fmt=fmt, frame_bytes=640)
        await fake.start(MediaStart("spillway", "WebSocket/x", "9.9", "slin16", 640, 20))
        session = await asyncio.wait_for(sessions.get(), 5)
        assert session.call_id == "call-1"
        assert session.format.sample_rate_hz == 16000
        assert fake.ws is not None
        for i in range(10):
            await fake.ws.send(bytes([i]) * 640)
        await fake.send(DtmfEnd("7", "9.9"))
        await asyncio.wait_for(session.closed.wait(), 5)
        await asyncio.wait_for(fake.ws.wait_closed(), 5)
        assert received == [bytes([i]) * 640 for i in range(10)]
        assert digits == ["7"]
        assert (Command.HANGUP, None) in fake.commands
        await fake.close()


async def test_caller_hangup_ends_frames() -> None:
    ended = asyncio.Event()

    async def bot(session: MediaSession) -> None:
        async for _ in session.frames():
            pass
        assert await session.next_dtmf() is None
        ended.set()

    async with ws_server(bot) as (server, _sessions):
        assert server.websocket_port
        fake = FakeChanWebsocket(server.websocket_port)
        await fake.start()
        assert fake.ws is not None
        await fake.ws.send(b"\x00" * 320)
        await fake.close()
        await asyncio.wait_for(ended.wait(), 5)
