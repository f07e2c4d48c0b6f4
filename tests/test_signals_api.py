"""POST /signals: the bearer token, a batch stored once however often it is sent, a bad
event refusing its whole batch by index and field, customer ids resolved to numbers."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from scheduler import signal_customers
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from web.app import create_web_app
from web.callbacks_api import create_app

pytestmark = pytest.mark.asyncio(loop_scope="session")
TOKEN = "t0ken-for-signals-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SETTINGS = Settings(web={"api_token": TOKEN, "max_body_bytes": 2048})


@pytest_asyncio.fixture(loop_scope="session")
async def client(store: SqliteStore) -> AsyncIterator[httpx.AsyncClient]:
    db = AsyncStore(store)
    transport = httpx.ASGITransport(app=create_app(SETTINGS, db))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        yield c
    db.close()


def _event(i: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"evt-{i}",
        "phone": "20 12 34 56",
        "kind": "email_open",
        "at": "2026-03-02T14:05:00+01:00",
        **fields,
    }


def _stored(store: SqliteStore) -> list[dict[str, Any]]:
    return store.query("SELECT event_id, phone, kind, at, source FROM customer_signals")


async def test_refused_without_the_token(client: httpx.AsyncClient, store: SqliteStore) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456"}):
        answer = await client.post("/signals", json=[_event(1)], headers=headers)
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"]["code"] == "unauthorised"
    assert _stored(store) == []


async def test_a_batch_is_stored_once_however_often_it_is_sent(
    client: httpx.AsyncClient, store: SqliteStore
) -> None:
    batch = [_event(1), _event(2, kind="newsletter_click", at=1_772_456_700), _event(1)]
    first = await client.post("/signals", json=batch, headers=AUTH)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 3, "stored": 2, "already_stored": 1}
    again = await client.post("/signals", json=batch, headers=AUTH)
    assert again.json() == {"received": 3, "stored": 0, "already_stored": 3}
    rows = sorted(_stored(store), key=lambda r: r["event_id"])
    assert [(r["event_id"], r["phone"], r["kind"], r["source"]) for r in rows] == [
        ("evt-1", "+4520123456", "email_open", "api"),
        ("evt-2", "+4520123456", "newsletter_click", "api"),
    ]
    # 14:05 in Copenhagen's winter is 13:05 UTC.
    assert rows[0]["at"] == 1_772_456_700.0


@pytest.mark.parametrize(
    ("bad", "field", "words", "code"),
    [
        ({"at": "last tuesday"}, "at", "ISO 8601", "signal.bad_time"),
        ({"at": "2099-01-01T00:00:00Z"}, "at", "future", "signal.time_ahead"),
        ({"kind": "Web Visit"}, "kind", "lower-case", "signal.bad_kind"),
        ({"phone": "12"}, "phone", "not a valid phone number", "signal.bad_phone"),
        ({"id": None}, "id", "missing", "signal.no_id"),
        ({"customer_id": "C-1"}, "customer_id", "not both", "signal.phone_and_customer_id"),
        ({"colour": "red"}, "colour", "not a field", "signal.unknown_field"),
    ],
)
async def test_a_bad_event_refuses_the_batch_naming_its_index_field_and_code(
    client: httpx.AsyncClient,
    store: SqliteStore,
    bad: dict[str, Any],
    field: str,
    words: str,
    code: str,
) -> None:
    """Each bad event is listed with its stable code (the one `spillway signals import`
    prints beside a refused row), its words in English, as every answer of the API."""
    batch = [_event(1), _event(2), _event(3, **bad)]
    answer = await client.post("/signals", json=batch, headers=AUTH)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"]["field"] == f"[2].{field}" and body["index"] == 2
    assert words in body["error"]["message"]
    said = body["errors"][0]["message"]
    assert body["errors"] == [{"index": 2, "field": field, "code": code, "message": said}]
    assert body["error"]["code"] == "invalid_event"  # the batch's code, as before
    assert body["stored"] == 0
    assert _stored(store) == []  # the good events before it are not stored either


async def test_a_refusal_shows_the_value_masked_and_what_is_expected(
    client: httpx.AsyncClient,
) -> None:
    batch = [_event(0, phone="20 12 34 5"), _event(1, kind="Web Visit")]
    body = (await client.post("/signals", json=batch, headers=AUTH)).json()
    phone, kind = body["errors"]
    assert phone["message"] == (
        "'*****45': not a valid phone number: expected a number of DK "
        "or one with its country code (+45 20 12 34 56)"
    )
    assert kind["message"].startswith("'Web Visit': expected web_visit, email_open,")
    assert body["error"]["message"].startswith(
        "event 0: phone '*****45': not a valid phone number: expected"
    )
    assert "2012345" not in json.dumps(body)


async def test_every_bad_event_is_listed(client: httpx.AsyncClient) -> None:
    batch = [_event(0, kind=""), _event(1), _event(2, phone="x"), "not an object"]
    body = (await client.post("/signals", json=batch, headers=AUTH)).json()
    assert [(e["index"], e["field"], e["code"]) for e in body["errors"]] == [
        (0, "kind", "signal.bad_kind"),
        (2, "phone", "signal.bad_phone"),
        (3, None, "signal.not_an_object"),
    ]
    assert body["bad_events"] == 3


async def test_a_customer_id_reaches_the_mapped_number_and_an_unmapped_one_refuses(
    client: httpx.AsyncClient, store: SqliteStore
) -> None:
    with store.transaction() as tx:
        signal_customers.map_customer(tx, "C-1042", "+4520123456", now_s=time.time())
    mapped = {"id": "v1", "customer_id": "C-1042", "kind": "web_visit", "at": 1_772_456_700}
    unmapped = {**mapped, "id": "v2", "customer_id": "C-9999"}
    refused = await client.post("/signals", json=[mapped, unmapped], headers=AUTH)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "[1].customer_id"
    assert "C-9999" in refused.json()["error"]["message"]
    assert refused.json()["errors"][0]["code"] == "signal.unmapped_customer_id"
    assert _stored(store) == []
    answer = await client.post("/signals", json=[mapped], headers=AUTH)
    assert answer.json()["stored"] == 1
    assert [r["phone"] for r in _stored(store)] == ["+4520123456"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"id": "x"}', 400, "invalid_json"),
        (b"[{", 400, "invalid_json"),
    ],
)
async def test_a_body_that_is_no_list_is_refused(
    client: httpx.AsyncClient, body: bytes, status: int, code: str
) -> None:
    answer = await client.post(
        "/signals", content=body, headers={**AUTH, "content-type": "application/json"}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)


async def test_a_batch_larger_than_a_callback_request_is_taken(
    client: httpx.AsyncClient, store: SqliteStore
) -> None:
    # web.max_body_bytes (2048 here) caps a callback request, not a batch of signals.
    batch = [_event(i) for i in range(500)]
    answer = await client.post("/signals", json=batch, headers=AUTH)
    assert answer.status_code == 200 and answer.json()["stored"] == 500


async def test_the_web_app_lets_a_script_with_the_token_post_signals(store: SqliteStore) -> None:
    settings = Settings(web={"api_token": TOKEN, "session_secret": "s" * 32})
    db = AsyncStore(store)
    app = create_web_app(settings, db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://web"
    ) as c:
        answer = await c.post("/signals", json=[_event(7)], headers=AUTH)
        unauthorised = await c.post("/signals", json=[_event(8)])
    db.close()
    assert answer.status_code == 200, answer.text
    assert unauthorised.status_code == 401
    assert [r["event_id"] for r in _stored(store)] == ["evt-7"]
