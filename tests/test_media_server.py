"""MediaServer: hostile peers cost only their own connection; a healthy call goes on.

Every test keeps one healthy AudioSocket echo call running while the attack
happens, and checks afterwards that its audio still comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

import pytest
import websockets

from agi.audiosocket import AudioFrame, HangupFrame, UuidFrame, encode, read_frame
from agi.media_server import MediaServer, MediaServerConfig
from spillway.errors import ProtocolError
from spillway.media import MediaSession


async def echo(session: MediaSession) -> None:
    if session.call_id.startswith("00000000-0000-0000-0000-0000000000ee"):
        raise ProtocolError("handler blew up on purpose")
    async for frame in session.frames():
        await session.play(frame)


@contextlib.asynccontextmanager
async def media_server(**config: object) -> AsyncIterator[MediaServer]:
    cfg = MediaServerConfig(audiosocket_port=0, websocket_port=0, **config)  # type: ignore[arg-type]
    async with MediaServer(cfg, echo) as server:
        yield server


class EchoCall:
    """A well-behaved AudioSocket peer: sends marked frames, expects them back."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.seq = 0

    @classmethod
    async def open(cls, port: int) -> EchoCall:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(encode(UuidFrame(uuid.uuid4())))
        await writer.drain()
        return cls(reader, writer)

    async def round_trip(self) -> None:
        self.seq += 1
        marker = self.seq.to_bytes(2, "little") * 160
        self.writer.write(encode(AudioFrame(marker)))
        await self.writer.drain()
        async with asyncio.timeout(3):
            while True:
                frame = await read_frame(self.reader)
                assert isinstance(frame, AudioFrame), frame
                if frame.audio == marker:
                    return

    async def close(self) -> None:
        self.writer.write(encode(HangupFrame()))
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


async def raw(port: int, payload: bytes) -> bytes:
    """Send ``payload``, return whatever comes back until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    async with asyncio.timeout(5):
        data = await reader.read()
    writer.close()
    return data


CALL = uuid.UUID(int=7)
GOOD_HEAD = encode(UuidFrame(CALL)) + encode(AudioFrame(b"\x00" * 320))


@pytest.mark.parametrize(
    "payload",
    [
        b"\xde\xad\xbe\xef" * 64,  # garbage
        GOOD_HEAD + b"\x10\xff\xff" + b"\x00" * 100,  # oversize length
        GOOD_HEAD + b"\x77\x00\x01x",  # unknown kind
        GOOD_HEAD + encode(UuidFrame(CALL)),  # a second UUID
        encode(AudioFrame(b"\x00" * 320)),  # audio before the UUID
        b"\x01\x00\x10" + b"\x00" * 5,  # truncated UUID, then EOF
    ],
    ids=["garbage", "oversize", "unknown-kind", "second-uuid", "no-uuid", "truncated"],
)
async def test_hostile_audiosocket_peer_is_dropped_alone(
    payload: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="agi.media_server")
    async with media_server() as server:
        assert server.audiosocket_port
        healthy = await EchoCall.open(server.audiosocket_port)
        await healthy.round_trip()
        if payload.startswith(b"\x01\x00\x10") and len(payload) < 19:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.audiosocket_port)
            writer.write(payload)
            writer.write_eof()
            async with asyncio.timeout(5):
                await reader.read()
            writer.close()
        else:
            await raw(server.audiosocket_port, payload)
        await healthy.round_trip()
        assert len(server.sessions) == 1
        assert server.errors == 1
        assert any("protocol" in r.getMessage() for r in caplog.records)
        await healthy.close()


async def test_half_open_connections_time_out() -> None:
    async with media_server(handshake_timeout_s=0.3, idle_timeout_s=0.5) as server:
        assert server.audiosocket_port
        healthy = await EchoCall.open(server.audiosocket_port)
        # Never says anything: the handshake times out.
        silent_r, silent_w = await asyncio.open_connection("127.0.0.1", server.audiosocket_port)
        # Says hello, then goes quiet (a peer that vanished without a FIN).
        quiet = await EchoCall.open(server.audiosocket_port)
        for _ in range(8):  # keep the healthy call active past the idle timeout
            await healthy.round_trip()
            await asyncio.sleep(0.1)
        async with asyncio.timeout(3):
            assert await silent_r.read() == encode(HangupFrame())
            while await quiet.reader.read(4096):  # keep-alive silence, then EOF
                pass
        await healthy.round_trip()
        assert server.errors == 2
        silent_w.close()
        await healthy.close()


async def test_connection_flood_is_capped_and_the_healthy_call_survives() -> None:
    async with media_server(max_sessions=5, handshake_timeout_s=0.5) as server:
        assert server.audiosocket_port and server.websocket_port
        healthy = await EchoCall.open(server.audiosocket_port)
        await healthy.round_trip()
        flood = [
            await asyncio.open_connection("127.0.0.1", server.audiosocket_port) for _ in range(40)
        ]
        await asyncio.sleep(0.1)
        await healthy.round_trip()
        assert server.rejected >= 40 - 4
        with pytest.raises(websockets.InvalidStatus) as info:
            await websockets.connect(f"ws://127.0.0.1:{server.websocket_port}/media")
        assert info.value.response.status_code == 503
        for _, writer in flood:
            writer.close()
        await asyncio.sleep(0.7)  # the admitted flooders time out
        healthy2 = await EchoCall.open(server.audiosocket_port)
        await healthy2.round_trip()
        await healthy.round_trip()
        await healthy2.close()
        await healthy.close()


async def test_crashing_handler_costs_one_call() -> None:
    async with media_server() as server:
        assert server.audiosocket_port
        healthy = await EchoCall.open(server.audiosocket_port)
        crash = uuid.UUID("00000000-0000-0000-0000-0000000000ee")
        reader, writer = await asyncio.open_connection("127.0.0.1", server.audiosocket_port)
        writer.write(encode(UuidFrame(crash)))
        await writer.drain()
        async with asyncio.timeout(3):
            frame = await read_frame(reader)
            while isinstance(frame, AudioFrame):  # keep-alive silence until then
                frame = await read_frame(reader)
        assert isinstance(frame, HangupFrame)  # we hang that call up cleanly
        writer.close()
        await healthy.round_trip()
        assert server.errors == 1
        await healthy.close()


async def test_hostile_websocket_peers() -> None:
    async with media_server(handshake_timeout_s=0.5) as server:
        assert server.audiosocket_port and server.websocket_port
        healthy = await EchoCall.open(server.audiosocket_port)
        url = f"ws://127.0.0.1:{server.websocket_port}/media"
        for opening in (
            b"\x00" * 320,
            "MEDIA_START garbage",
            "{oops",
            "MEDIA_START " + "x:" * 9000,
        ):
            async with websockets.connect(url) as ws:
                await ws.send(opening)
                async with asyncio.timeout(3):
                    await ws.wait_closed()
            await healthy.round_trip()
        async with websockets.connect(url):  # says nothing at all
            await asyncio.sleep(0.7)
        await healthy.round_trip()
        assert server.errors == 5
        assert len(server.sessions) == 1
        await healthy.close()


async def test_audio_before_the_uuid_costs_one_short_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="agi.media_server")
    async with media_server() as server:
        assert server.audiosocket_port
        await raw(server.audiosocket_port, encode(AudioFrame(b"\x55" * 320)))
    [line] = [r.getMessage() for r in caplog.records if "handshake failed" in r.getMessage()]
    assert "sent an audio frame of 320 bytes before its UUID" in line
    assert len(line) < 200, line


async def test_an_oversized_first_websocket_message_is_one_line_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with media_server() as server:
        assert server.websocket_port
        url = f"ws://127.0.0.1:{server.websocket_port}/media"
        async with websockets.connect(url, subprotocols=[websockets.Subprotocol("media")]) as ws:
            await ws.send(b"\x00" * 100_000)
            with contextlib.suppress(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
        await asyncio.sleep(0.2)
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    assert any("handshake failed" in r.getMessage() for r in caplog.records)
