"""A flood on the FastAGI port cannot lock out Asterisk's calls.

Stalled peers (a valid header, then no answer; an unfinished ``520-``
reply; an idle socket) lose their slot within seconds, or at once when a
new connection needs it; one address cannot hold every slot.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from agi.fastagi import AgiSession, FastAgiServer
from spillway.errors import ProtocolError

pytestmark = pytest.mark.asyncio(loop_scope="session")

HEADER = b"agi_network_script: %s\nagi_channel: Local/x\nagi_uniqueid: 1.1\n\n"


async def _server(**kw: object) -> tuple[FastAgiServer, list[str]]:
    served: list[str] = []
    server = FastAgiServer(**kw)  # type: ignore[arg-type]

    async def route(session: AgiSession) -> None:
        served.append(await session.get_variable("X") or "")

    server.route("call", route)
    await server.start("127.0.0.1", 0)
    return server, served


async def _asterisk_call(port: int, *, source: str = "127.0.0.1") -> float:
    """A well-behaved Asterisk call; seconds until it was answered."""
    t0 = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(HEADER % b"call")
    line = await asyncio.wait_for(reader.readline(), 10)
    assert line.startswith(b"GET VARIABLE X"), line
    writer.write(b"200 result=1 (ok)\n")
    await writer.drain()
    await reader.read()  # the server closes when the route is done
    writer.close()
    return time.monotonic() - t0


async def _stalled(
    port: int, n: int, payload: bytes, source: str = "127.0.0.1"
) -> list[asyncio.StreamWriter]:
    writers = []
    for _ in range(n):
        _, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        writer.write(payload)
        writers.append(writer)
    await asyncio.sleep(0.1)
    return writers


@pytest.mark.parametrize(
    "payload",
    [
        b"",  # idle: connects and says nothing
        HEADER % b"call",  # a valid header, then never answers the first command
        HEADER % b"call" + b"520-Invalid command syntax.\n",  # an unfinished multi-line reply
    ],
    ids=["idle", "no-answer", "unfinished-520"],
)
async def test_a_full_house_of_stalled_peers_does_not_delay_a_real_call(payload: bytes) -> None:
    server, served = await _server(max_connections=20)
    try:
        writers = await _stalled(server.port, 20, payload)
        await asyncio.sleep(1.1)  # they have all kept us waiting past stall_s
        assert server.active == 20
        elapsed = await asyncio.wait_for(_asterisk_call(server.port), 5)
        assert elapsed < 1.0
        assert "ok" in served
        assert server.evicted >= 1 and server.refused == 0
        for writer in writers:
            writer.close()
    finally:
        await server.close()


async def test_an_unanswered_command_frees_its_slot_within_the_reply_timeout() -> None:
    server, _served = await _server(reply_timeout_s=0.5)
    errors: list[BaseException] = []
    original = server.routes["call"]

    async def watched(session: AgiSession) -> None:
        try:
            await original(session)
        except ProtocolError as exc:
            errors.append(exc)
            raise

    server.routes["call"] = watched
    try:
        writers = await _stalled(server.port, 3, HEADER % b"call")
        await asyncio.sleep(1.0)
        assert server.active == 0
        assert len(errors) == 3 and "no answer to GET within 0.5 s" in str(errors[0])
        for writer in writers:
            writer.close()
    finally:
        await server.close()


async def test_one_address_cannot_take_every_slot() -> None:
    server, served = await _server(max_connections=20, max_per_peer=5)
    try:
        writers = await _stalled(server.port, 8, HEADER % b"call", source="127.0.0.2")
        assert server.active == 5 and server.refused == 3
        # Asterisk, on another address, still gets in.
        assert await asyncio.wait_for(_asterisk_call(server.port), 5) < 1.0
        assert served == ["ok"]
        for writer in writers:
            writer.close()
    finally:
        await server.close()
