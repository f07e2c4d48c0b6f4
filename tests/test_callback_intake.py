"""Callback intake: one owner normalises every request, refuses numbers that must
not be called, and the controller records only for calls it sent there itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from agi.controller import LiveCall
from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource, RequestStatus
from spillway.call import BotOutcome, CallContext, Route
from spillway.request_problem import in_english
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.fastagi_peer import agi_request, controller_serving

OTHER = "4590123456"  # a premium-rate number: never called back


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
        recorded = intake.record(
            tx, NewRequest(phone, RequestSource.API, "x"), region="DK", now=1.0
        )
    [row] = store.query("SELECT phone, status, last_error FROM callback_requests")
    assert (row["phone"], row["status"]) == (stored, status.value)
    assert recorded.will_be_called is (status is RequestStatus.PENDING)
    if problem is None:
        assert row["last_error"] is None
    else:
        assert problem in (in_english(row["last_error"]) or "")
        assert recorded.problem is not None and problem in recorded.problem


@pytest.mark.asyncio(loop_scope="session")
async def test_a_callback_for_a_call_the_controller_never_saw_is_refused(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "calls.db")
    store.migrate()
    try:
        async with controller_serving(Settings(), store) as serving:
            # Straight to the callback route, for a premium-rate number, unasked.
            premium = {"SPILLWAY_CALLER": b"200 result=1 (+4590123456)\n"}
            got = await agi_request(
                serving.port, "callback", "999.1", caller_id=OTHER, answers=premium
            )
            assert not any(c.startswith("SET VARIABLE SPILLWAY_CALLBACK_ID") for c in got), got
            # Even for a call it knows, but routed elsewhere (to the queue).
            await agi_request(serving.port, "inbound", "1000.1", caller_id=OTHER)
            got = await agi_request(serving.port, "callback", "1000.1", caller_id=OTHER)
            assert not any(c.startswith("SET VARIABLE SPILLWAY_CALLBACK_ID") for c in got), got
        assert store.query("SELECT * FROM callback_requests") == []
        reasons = [
            r["data"] for r in store.query("SELECT data FROM call_events WHERE kind = 'route'")
        ]
        # (The unknown call has no calls row, so only the known call's event is kept.)
        assert sum("callback refused" in r for r in reasons) == 1, reasons
    finally:
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
        earlier = intake.record(
            tx, NewRequest("4520123456", RequestSource.API, "x"), region="DK", now=1.0
        ).id
    try:
        async with controller_serving(Settings(), store) as serving:
            for call_id, caller in (("3000.1", "4520123456"), ("3000.2", OTHER)):
                await serving.log.start(
                    call_id, caller=caller, channel="Local/x", transport="websocket"
                )
                serving.controller.calls[call_id] = LiveCall(
                    CallContext(call_id, caller),
                    outcome=BotOutcome(Route.CALLBACK, reason="pressed 3"),
                    last_route=Route.CALLBACK,
                )
                await agi_request(serving.port, "callback", call_id, caller_id=OTHER)
        rows = {r["call_id"]: r for r in store.query("SELECT * FROM calls")}
        assert (rows["3000.1"]["outcome"], rows["3000.1"]["callback_id"]) == ("callback", earlier)
        # A premium-rate number is not called back: the caller is back in the queue.
        assert (rows["3000.2"]["outcome"], rows["3000.2"]["callback_id"]) == ("handoff", None)
    finally:
        store.close()
