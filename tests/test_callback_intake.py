"""Callback intake: one owner normalises every request, refuses numbers that must
not be called, and the controller records only for calls it sent there itself."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agi.call_log import CallLog
from agi.controller import CallController, LiveCall
from agi.fastagi import FastAgiServer
from scheduler import requests
from scheduler.requests import NewRequest, RequestSource, RequestStatus
from spillway.call import BotOutcome, CallContext, Route
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore


@pytest.mark.parametrize(
    ("phone", "stored", "status", "problem"),
    [
        ("20 12 34 56", "+4520123456", RequestStatus.PENDING, None),
        ("4533333333", "+4533333333", RequestStatus.PENDING, None),  # caller ID without +
        ("+4590123456", "+4590123456", RequestStatus.INVALID_NUMBER, "premium-rate"),
        ("+19005550123", "+19005550123", RequestStatus.INVALID_NUMBER, "premium-rate"),
        ("+4580123456", "+4580123456", RequestStatus.INVALID_NUMBER, "toll-free"),
        ("12", "12", RequestStatus.INVALID_NUMBER, "not a valid phone number"),
    ],
)
def test_every_request_is_normalised_or_refused_at_intake(
    store: SqliteStore, phone: str, stored: str, status: RequestStatus, problem: str | None
) -> None:
    with store.transaction() as tx:
        recorded = requests.record(
            tx, NewRequest(phone, RequestSource.API, "x"), region="DK", now=1.0
        )
    [row] = store.query("SELECT phone, status, last_error FROM callback_requests")
    assert (row["phone"], row["status"]) == (stored, status.value)
    assert recorded.will_be_called is (status is RequestStatus.PENDING)
    if problem is None:
        assert row["last_error"] is None
    else:
        assert problem in row["last_error"]


async def _agi(port: int, script: str, uniqueid: str, answers: dict[str, bytes]) -> list[str]:
    """A peer speaking FastAGI: the header, then answers to the commands it is sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"agi_network_script: {script}\nagi_uniqueid: {uniqueid}\n"
        "agi_callerid: 4590123456\nagi_channel: Local/x\n\n".encode()
    )
    commands = []
    while line := await asyncio.wait_for(reader.readline(), 5):
        command = line.decode().strip()
        commands.append(command)
        writer.write(answers.get(command.split(" ")[-1], b"200 result=1\n"))
        await writer.drain()
    writer.close()
    return commands


@pytest.mark.asyncio(loop_scope="session")
async def test_a_callback_for_a_call_the_controller_never_saw_is_refused(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "calls.db")
    store.migrate()
    astore = AsyncStore(store)
    log = CallLog(astore)
    controller = CallController(Settings(), astore, log, None)
    server = FastAgiServer()
    controller.install(server)
    await server.start("127.0.0.1", 0)
    try:
        # Straight to the callback route, for a premium-rate number, unasked.
        got = await _agi(
            server.port, "callback", "999.1", {"SPILLWAY_CALLER": b"200 result=1 (+4590123456)\n"}
        )
        assert not any(c.startswith("SET VARIABLE SPILLWAY_CALLBACK_ID") for c in got), got
        # Even for a call it knows, but routed elsewhere (to the queue).
        await _agi(server.port, "inbound", "1000.1", {})
        got = await _agi(server.port, "callback", "1000.1", {})
        assert not any(c.startswith("SET VARIABLE SPILLWAY_CALLBACK_ID") for c in got), got
        await log.flush()
        assert store.query("SELECT * FROM callback_requests") == []
        reasons = [
            r["data"] for r in store.query("SELECT data FROM call_events WHERE kind = 'route'")
        ]
        # (The unknown call has no calls row, so only the known call's event is kept.)
        assert sum("callback refused" in r for r in reasons) == 1, reasons
    finally:
        await server.close()
        await log.flush()
        astore.close()
        store.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_the_callback_step_records_what_happened_with_the_requests_id(
    tmp_path: Path,
) -> None:
    # The menu bot's key 3 sends the caller to the dialplan's callback step.
    store = SqliteStore(tmp_path / "calls.db")
    store.migrate()
    with store.transaction() as tx:
        # The caller already waits for a callback: theirs joins it (merged).
        earlier = requests.record(
            tx, NewRequest("4520123456", RequestSource.API, "x"), region="DK", now=1.0
        ).id
    astore = AsyncStore(store)
    log = CallLog(astore)
    controller = CallController(Settings(), astore, log, None)
    server = FastAgiServer()
    controller.install(server)
    await server.start("127.0.0.1", 0)
    try:
        for call_id, caller in (("3000.1", "4520123456"), ("3000.2", "4590123456")):
            await log.start(call_id, caller=caller, channel="Local/x", transport="websocket")
            controller.calls[call_id] = LiveCall(
                CallContext(call_id, caller),
                outcome=BotOutcome(Route.CALLBACK, reason="pressed 3"),
                last_route=Route.CALLBACK,
            )
            await _agi(server.port, "callback", call_id, {})
        await log.flush()
        rows = {r["call_id"]: r for r in store.query("SELECT * FROM calls")}
        assert (rows["3000.1"]["outcome"], rows["3000.1"]["callback_id"]) == ("callback", earlier)
        # A premium-rate number is not called back: the caller is back in the queue.
        assert (rows["3000.2"]["outcome"], rows["3000.2"]["callback_id"]) == ("handoff", None)
    finally:
        await server.close()
        await log.flush()
        astore.close()
        store.close()
