"""The callback API's times: ISO 8601 with the shop's offset, by the formatter `spillway
callbacks list --json` and the CSV export use; and ``next_attempt_at``, the next call the
console shows, with ``next_attempt_planned`` saying whether the dialer planned it.

Before, ``created_at`` was epoch seconds (``1796543228.17``) and ``next_attempt_at``
the stored ``not_before``: null for every request not planned yet, while the console
showed the first time it could be called."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scheduler.rule_facts import row_facts
from scheduler.rules import next_allowed, rules_from_settings
from scheduler.subject_access import iso_time
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.api_client import api_client
from web.console_data import with_next_calls

pytestmark = pytest.mark.asyncio(loop_scope="session")
TOKEN = "t0ken-for-tests-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SETTINGS = Settings(web={"api_token": TOKEN})
ZONE = ZoneInfo(SETTINGS.shop.timezone)
RULES = rules_from_settings(SETTINGS)


def _row(store: SqliteStore, request_id: int) -> dict[str, Any]:
    [row] = store.query("SELECT * FROM callback_requests WHERE id = :id", {"id": request_id})
    return dict(row)


def _in_three_days_at(hour: int) -> str:
    """A local time three days ahead (within the 30 days a window may start in)."""
    day = datetime.now(ZONE) + timedelta(days=3)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


def _console_next_call(store: SqliteStore, request_id: int) -> float | None:
    """The next call the console's Callbacks list shows for the request."""
    [listed] = with_next_calls(
        [_row(store, request_id)],
        RULES,
        default_timezone=SETTINGS.callbacks.default_timezone,
        now=time.time(),
    )
    at = listed["next_call"]
    return None if at is None else float(at)


async def test_times_are_iso_8601_with_the_shop_s_offset_as_the_cli_gives_them(
    store: SqliteStore,
) -> None:
    async with api_client(SETTINGS, store) as client:
        made = await client.post("/callbacks", json={"phone": "+4520123456"}, headers=AUTH)
        read = await client.get(f"/callbacks/{made.json()['id']}", headers=AUTH)
    stored = _row(store, made.json()["id"])
    for body in (made.json(), read.json()):
        assert body["created_at"] == iso_time(stored["created_at"], ZONE)  # the CLI's formatter
        moment = datetime.fromisoformat(body["created_at"])
        assert moment.utcoffset() == ZONE.utcoffset(moment.replace(tzinfo=None))
        assert abs(moment.timestamp() - stored["created_at"]) < 1


async def test_a_request_not_planned_yet_has_the_next_call_the_console_shows(
    store: SqliteStore,
) -> None:
    async with api_client(SETTINGS, store) as client:
        now = await client.post("/callbacks", json={"phone": "+4520123456"}, headers=AUTH)
        later = await client.post(
            "/callbacks",
            json={"phone": "+4531223344", "not_before": _in_three_days_at(10)},
            headers=AUTH,
        )
    # Without a window: the first moment the rules allow from now (the stored not_before
    # is empty, which the API answered as null), to the second of the console's.
    body = now.json()
    console = _console_next_call(store, body["id"])
    assert console is not None and body["next_attempt_planned"] is False
    assert abs(datetime.fromisoformat(body["next_attempt_at"]).timestamp() - console) < 2
    # With one: the first allowed moment from its start, exactly the console's.
    body = later.json()
    console = _console_next_call(store, body["id"])
    assert console is not None and body["next_attempt_planned"] is False
    assert body["next_attempt_at"] == iso_time(console, ZONE)


async def test_a_planned_request_has_its_planned_time_and_a_closed_one_none(
    store: SqliteStore,
) -> None:
    async with api_client(SETTINGS, store) as client:
        made = (await client.post("/callbacks", json={"phone": "+4520123456"}, headers=AUTH)).json()
        row = _row(store, made["id"])
        local = datetime.fromisoformat(_in_three_days_at(11)).replace(tzinfo=ZONE)
        facts = row_facts(row, default_timezone=SETTINGS.callbacks.default_timezone)
        planned = next_allowed(RULES, facts, local.timestamp())
        assert planned is not None
        store.execute(
            "UPDATE callback_requests SET planned_by = 'predicted', not_before = :at "
            "WHERE id = :id",
            {"at": planned, "id": made["id"]},
        )
        shown = (await client.get(f"/callbacks/{made['id']}", headers=AUTH)).json()
        assert shown["next_attempt_at"] == iso_time(planned, ZONE)
        assert shown["next_attempt_planned"] is True
        assert _console_next_call(store, made["id"]) == planned  # the console agrees
        store.execute(
            "UPDATE callback_requests SET status = 'cancelled' WHERE id = :id", {"id": made["id"]}
        )
        closed = (await client.get(f"/callbacks/{made['id']}", headers=AUTH)).json()
    assert (closed["next_attempt_at"], closed["next_attempt_planned"]) == (None, False)
