"""Over the real sandbox: hostile input on every port leaves a bot call in progress alone.

While a real call sits in the bot's menu (on each transport), the FastAGI
port and both media ports (AudioSocket, chan_websocket) receive garbage,
oversize and truncated frames, unknown kinds, half-open connections and a
flood of connections. Each hostile connection must be closed by Spillway;
afterwards the caller's key still reaches the bot, the bot's choice is
carried out by the dialplan (after-bot over FastAGI) and recorded, and a new
call still reaches the bot. The unit-level versions are in
test_media_server.py and test_audiosocket.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable
from pathlib import Path

import pytest
import websockets

from agi.agi_protocol import MAX_LINE_BYTES
from agi.audiosocket import AudioFrame, UuidFrame, encode
from agi.menu_bot import MenuBot
from tests.call_harness import routing_harness, wait_event
from tests.conftest import PbxHandle

pytestmark = [pytest.mark.asterisk, pytest.mark.asyncio(loop_scope="session")]

# Longer than the listeners' header/handshake timeouts (5 s): every hostile
# connection must have been closed by the server within this.
CLOSE_WITHIN_S = 8.0
FLOOD = 150


async def closed_by_server(port: int, payload: bytes, *, then_eof: bool = False) -> None:
    """Send ``payload`` (maybe nothing) and wait until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        if payload:
            writer.write(payload)
            await writer.drain()
        if then_eof:
            writer.write_eof()
        async with asyncio.timeout(CLOSE_WITHIN_S):
            while await reader.read(65536):
                pass
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def churn(port: int, n: int) -> None:
    """A flood: ``n`` connections at once, each dropped as soon as it is up."""

    async def one() -> bool:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False  # the listen backlog overflowed: that is the flood working
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    connected = await asyncio.gather(*(one() for _ in range(n)))
    assert sum(connected) > n // 2, "the flood did not reach the listener"


async def ws_closed_by_server(url: str, message: bytes | str) -> None:
    async with websockets.connect(url, max_size=None) as ws:
        with contextlib.suppress(websockets.ConnectionClosed):
            await ws.send(message)
        async with asyncio.timeout(CLOSE_WITHIN_S):
            await ws.wait_closed()


def fastagi_attacks(port: int) -> list[Awaitable[None]]:
    header = b"agi_network: yes\nagi_network_script: inbound\n"
    return [
        closed_by_server(port, b"\xde\xad\xbe\xef\x00\xff" * 100 + b"\n\n"),  # garbage
        closed_by_server(port, b"agi_request: " + b"A" * (MAX_LINE_BYTES * 4) + b"\n"),  # oversize
        closed_by_server(port, header, then_eof=True),  # truncated header
        closed_by_server(port, b"agi_network_script: no-such-route\n\n"),  # unknown route
        closed_by_server(port, b""),  # half-open: connects, says nothing
        closed_by_server(port, header),  # half-open inside the header
        churn(port, FLOOD),
    ]


def audiosocket_attacks(port: int) -> list[Awaitable[None]]:
    head = encode(UuidFrame(uuid.uuid4())) + encode(AudioFrame(b"\x00" * 320))
    return [
        closed_by_server(port, b"\xde\xad\xbe\xef" * 64),  # garbage
        closed_by_server(port, head + b"\x10\xff\xff" + b"\x00" * 100),  # oversize
        closed_by_server(port, head + b"\x10\x01\x40" + b"\x00" * 10, then_eof=True),  # truncated
        closed_by_server(port, head + b"\x77\x00\x01x"),  # unknown kind
        closed_by_server(port, b""),  # half-open
        churn(port, FLOOD),
    ]


def websocket_attacks(port: int) -> list[Awaitable[None]]:
    url = f"ws://127.0.0.1:{port}/media"
    upgrade = f"GET /media HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n".encode()
    return [
        closed_by_server(port, b"\xde\xad\xbe\xef" * 64 + b"\r\n\r\n"),  # garbage, not HTTP
        ws_closed_by_server(url, b"\x00\xff" * 400),  # binary before MEDIA_START
        ws_closed_by_server(url, "MEDIA_START " + "x" * 2_000_000),  # oversize
        ws_closed_by_server(url, "NO_SUCH_EVENT connection_id:1"),  # unknown kind
        closed_by_server(port, upgrade, then_eof=True),  # truncated handshake
        closed_by_server(port, b""),  # half-open
        churn(port, FLOOD),
    ]


@pytest.mark.parametrize("transport", ["audiosocket", "websocket"])
async def test_hostile_input_on_every_port_leaves_the_call_alone(
    pbx: PbxHandle, tmp_path: Path, transport: str
) -> None:
    async with routing_harness(
        pbx,
        tmp_path / "calls.db",
        bot=MenuBot(choice_timeout_s=60),
        transport=transport,
        agents=0,
        overflow_min_waiting=0,
        max_wait_s=30,
    ) as h:
        c = h.settings.controller
        with pbx.ami.subscribe("UserEvent") as events:
            call = await h.call("4544444444")
            await h.bot_started(call.call_id)

            await asyncio.gather(
                *fastagi_attacks(c.fastagi_port),
                *audiosocket_attacks(c.audiosocket_port),
                *websocket_attacks(c.websocket_port),
            )

            # The call in progress never noticed: its key reaches the bot, the
            # bot's choice goes through FastAGI, and the caller is re-queued.
            await h.press(call, "2")
            requeue = await wait_event(events, 10, UserEvent="SpillwayRequeue")
            assert requeue["CallId"] == call.call_id
            assert [x.call_id for x in h.controller.bot_started] == [call.call_id]
            rows = h.rows("SELECT outcome FROM calls WHERE call_id = ?", (call.call_id,))
            assert rows == [{"outcome": "handoff"}]
            routes = h.rows(
                "SELECT data FROM call_events WHERE call_id = ? AND kind = 'route' ORDER BY id",
                (call.call_id,),
            )
            assert ['"route": "bot"' in r["data"] for r in routes] == [True, False]
            assert '"route": "wait"' in routes[-1]["data"]

            # The listeners still take new calls.
            second = await h.call("4533333333")
            await h.bot_started(second.call_id)
