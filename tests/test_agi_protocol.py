"""The AGI wire parser, and the FastAGI server's handling of hostile peers."""

from __future__ import annotations

import asyncio

import pytest

from agi.agi_protocol import build_request, parse_result, quote
from agi.fastagi import AgiSession, FastAgiServer
from spillway.errors import AgiError, AgiHangup, ProtocolError

ENV = [
    "agi_network: yes",
    "agi_network_script: bot/start?transport=websocket&x=1",
    "agi_request: agi://127.0.0.1:4573/bot/start?transport=websocket&x=1",
    "agi_channel: PJSIP/alice-00000001",
    "agi_uniqueid: 1700000000.42",
    "agi_callerid: 4520123456",
    "agi_arg_1: first",
    "agi_arg_2: second arg",
]


def test_request_environment_is_parsed() -> None:
    request = build_request(ENV)
    assert request.script == "bot/start"
    assert request.params == {"transport": "websocket", "x": "1"}
    assert request.channel == "PJSIP/alice-00000001"
    assert request.unique_id == "1700000000.42"
    assert request.caller_id == "4520123456"
    assert request.args == ["first", "second arg"]


@pytest.mark.parametrize(
    ("line", "result", "data", "extra"),
    [
        ("200 result=1", "1", "", {}),
        ("200 result=0 (timeout) endpos=1234", "0", "timeout", {"endpos": "1234"}),
        ("200 result=1 (hello world)", "1", "hello world", {}),
        ("200 result=-1", "-1", "", {}),
    ],
)
def test_results_are_parsed(line: str, result: str, data: str, extra: dict[str, str]) -> None:
    parsed = parse_result(line)
    assert (parsed.code, parsed.result, parsed.data, parsed.extra) == (200, result, data, extra)


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("511 Command Not Permitted on a dead channel or intercept routine", AgiHangup),
        ("HANGUP", AgiHangup),
        ("510 Invalid or unknown command", AgiError),
        ("520 End of proper usage.", AgiError),
    ],
)
def test_error_codes_map_to_exceptions(line: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_result(line)


def test_garbage_answer_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        parse_result("\x00\xffnot agi")


def test_quote_escapes() -> None:
    assert quote('say "hi"\\') == '"say \\"hi\\"\\\\"'


async def _fake_asterisk(port: int, script: str, answers: list[bytes]) -> list[str]:
    """Play Asterisk's side of a FastAGI session; return the commands received."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"agi_network_script: {script}\nagi_channel: Local/x\n\n".encode())
    commands = []
    for answer in answers:
        commands.append((await reader.readline()).decode().strip())
        writer.write(answer)
        await writer.drain()
    writer.close()
    return commands


async def test_hostile_peers_do_not_disturb_a_session_in_progress() -> None:
    server = FastAgiServer(max_connections=50)
    release = asyncio.Event()
    results: list[str | None] = []

    done = asyncio.Event()

    async def route(session: AgiSession) -> None:
        await release.wait()
        results.append(await session.get_variable("X"))
        done.set()

    server.route("slow", route)
    await server.start("127.0.0.1", 0)
    try:
        good = asyncio.create_task(_fake_asterisk(server.port, "slow", [b"200 result=1 (42)\n"]))
        # Garbage, an endless header line, a truncated header, an idle half-open socket.
        hostile = [
            b"\x00\xff\x10garbage\n\n",
            b"agi_x: " + b"A" * 100_000 + b"\n",
            b"agi_network_script: slow\n",
            b"",
        ]
        writers = []
        for payload in hostile:
            _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(payload)
            writers.append(writer)
        for writer in writers[:3]:
            writer.write_eof()
        await asyncio.sleep(0.2)
        release.set()
        assert await asyncio.wait_for(good, 5) == ["GET VARIABLE X"]
        await asyncio.wait_for(done.wait(), 5)
        assert results == ["42"]
        for writer in writers:
            writer.close()
    finally:
        await server.close()
