"""Idempotency keys: a replay must ask the same, and keys from different doors never meet.

A key replayed with a different request is refused (422 over HTTP, a line of
the CSV, a file set aside from the spool), never answered with the first
request as if it were the same. Keys are stored as ``<door>:<key>``; keys
stored before that (the raw key) keep working after the migration.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from scheduler import intake, requests
from scheduler.intake import KeyReused, NewRequest
from scheduler.requests import RequestSource
from scheduler.spool import import_spool
from spillway import schema
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from web.callbacks_api import create_app

NOW = 1_780_000_000.0
TOKEN = "t0ken-for-tests-0123456789"


def _record(store: SqliteStore, request: NewRequest) -> intake.Recorded:
    with store.transaction() as tx:
        return intake.record(tx, request, region="DK", now=NOW)


def test_the_same_key_with_another_request_is_refused(store: SqliteStore) -> None:
    first = _record(store, NewRequest("+4520123456", RequestSource.API, "x", idempotency_key="k"))
    again = _record(store, NewRequest("+4520123456", RequestSource.API, "x", idempotency_key="k"))
    assert again.replayed and again.id == first.id
    with pytest.raises(KeyReused) as refused:
        _record(store, NewRequest("+4520999999", RequestSource.API, "x", idempotency_key="k"))
    assert refused.value.request_id == first.id
    assert store.query("SELECT COUNT(*) AS n FROM callback_requests") == [{"n": 1}]


def test_a_keyed_request_that_joined_an_open_one_replays_without_joining_again(
    store: SqliteStore,
) -> None:
    # Its key was not kept (the request left no row of its own): a replay joined again,
    # adding a second merge entry; with another body it was not refused.
    first = _record(store, NewRequest("+4520123456", RequestSource.API, "x", idempotency_key="a"))
    joined = NewRequest("+4520123456", RequestSource.API, "y", idempotency_key="b")
    merged = _record(store, joined)
    again = _record(store, joined)
    assert merged.merged and merged.id == first.id
    assert again.replayed and again.id == first.id and not again.merged
    [row] = store.query("SELECT context FROM callback_requests")
    assert len(json.loads(row["context"])["merged"]) == 1
    with pytest.raises(KeyReused):
        _record(store, NewRequest("+4520123456", RequestSource.API, "z", idempotency_key="b"))


def test_a_csv_key_cannot_pass_for_a_spool_file(store: SqliteStore, tmp_path: Path) -> None:
    # The CSV row came first, keyed like the spool's file for call 1780000.42.
    _record(
        store,
        NewRequest("+4520123456", RequestSource.CSV, "x", idempotency_key="spool:1780000.42"),
    )
    spool = tmp_path / "spool"
    (spool / "new").mkdir(parents=True)
    body = {"version": 1, "phone": "4533333333", "call_id": "1780000.42", "requested_at": NOW}
    (spool / "new" / "1780000.42.json").write_text(json.dumps(body))
    report = import_spool(store, spool, region="DK", default_timezone="UTC", now=NOW)
    assert len(report.imported) == 1 and report.bad == []
    rows = store.query("SELECT phone, source, idempotency_key FROM callback_requests ORDER BY id")
    assert [(r["phone"], r["source"], r["idempotency_key"]) for r in rows] == [
        ("+4520123456", "csv", "csv:spool:1780000.42"),
        ("+4533333333", "spool", "spool:1780000.42"),
    ]


def test_keys_stored_before_the_namespaces_keep_working(tmp_path: Path) -> None:
    [namespacing] = [m for m in schema.MIGRATIONS if "idempotency keys namespaced" in m.name]
    store = SqliteStore(tmp_path / "old.db")
    old = schema.MIGRATIONS[: schema.MIGRATIONS.index(namespacing)]
    for migration in old:  # the database as the release before this one left it
        with store.transaction() as tx:
            for statement in migration.statements:
                tx.execute(statement)
    with store.transaction() as tx:
        tx.execute(
            "CREATE TABLE _migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at REAL NOT NULL)"
        )
        for migration in old:
            tx.insert("_migrations", {"version": migration.version, "name": "", "applied_at": 0})
        for phone, source, key in (
            ("+4520000001", "api", "form-42"),
            ("+4520000002", "csv", "crm-7"),
            ("+4520000003", "spool", "spool:1780000.1"),
            ("+4520000004", "csv", "spool:1780000.2"),
        ):
            tx.insert(
                "callback_requests",
                {
                    "phone": phone,
                    "source": source,
                    "reason": "x",
                    "created_at": NOW,
                    "timezone": "UTC",
                    "status": "pending",
                    "context": "{}",
                    "idempotency_key": key,
                },
            )
    store.migrate()
    ids = {r["phone"]: r["id"] for r in store.query("SELECT id, phone FROM callback_requests")}
    for phone, source, key in (
        ("+4520000001", RequestSource.API, "form-42"),
        ("+4520000002", RequestSource.CSV, "crm-7"),
        ("+4520000003", RequestSource.SPOOL, "1780000.1"),
    ):
        # No hash was kept then: even a different body replays, as it did before.
        again = _record(store, NewRequest("+4529999999", source, "y", idempotency_key=key))
        assert again.replayed and again.id == ids[phone], source
    # The CSV key that looked like a spool key no longer swallows the spool's file.
    spooled = _record(store, NewRequest("+4520000005", RequestSource.SPOOL, "", call_id="c",
                                        idempotency_key="1780000.2"))  # fmt: skip
    assert not spooled.replayed and spooled.id not in ids.values()
    store.close()


@pytest_asyncio.fixture
async def client(store: SqliteStore) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(web={"api_token": TOKEN})
    db = AsyncStore(store)
    transport = httpx.ASGITransport(app=create_app(settings, db))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        yield c
    db.close()


async def test_the_api_answers_422_to_a_key_replayed_with_another_body(
    client: httpx.AsyncClient, store: SqliteStore
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": "order-1"}
    first = await client.post("/callbacks", json={"phone": "+4520123456"}, headers=headers)
    same = await client.post("/callbacks", json={"phone": "+4520123456"}, headers=headers)
    other = await client.post(
        "/callbacks", json={"phone": "+4520123456", "reason": "another"}, headers=headers
    )
    assert (first.status_code, same.status_code) == (201, 200)
    assert same.json()["id"] == first.json()["id"]
    assert other.status_code == 422, other.text
    error = other.json()["error"]
    assert (error["code"], error["field"]) == ("idempotency_key_reused", "Idempotency-Key")
    assert str(first.json()["id"]) in error["message"]
    [row] = store.query("SELECT reason FROM callback_requests")
    assert row["reason"] == "web form"


def test_a_second_spool_file_for_the_same_call_with_other_details_is_set_aside(
    store: SqliteStore, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    (spool / "new").mkdir(parents=True)
    for name, phone in (("a.json", "4533333333"), ("b.json", "4544444444")):
        body = {"version": 1, "phone": phone, "call_id": "c1", "requested_at": NOW}
        (spool / "new" / name).write_text(json.dumps(body))
    report = import_spool(store, spool, region="DK", default_timezone="UTC", now=NOW)
    assert len(report.imported) == 1
    [(name, reason)] = report.bad
    assert name == "b.json" and "already used for request" in str(reason)
    assert [r["phone"] for r in store.query("SELECT phone FROM callback_requests")] == [
        "+4533333333"
    ]


def test_what_a_door_derives_from_its_clock_is_no_different_request(store: SqliteStore) -> None:
    def asked(expires_at: float) -> NewRequest:
        return NewRequest(
            "+4520123456",
            RequestSource.CSV,
            "x",
            deadline=expires_at - 3600,
            expires_at=expires_at,
            idempotency_key="crm-1",
        )

    first = _record(store, asked(NOW + 72 * 3600))
    again = _record(store, asked(NOW + 72 * 3600 + 1.5))  # the same row, imported later
    assert again.replayed and again.id == first.id


def test_a_window_given_while_the_request_rings_holds_for_the_next_attempt(
    store: SqliteStore,
) -> None:
    # The merge took the new window's end but not its start while the request was
    # ringing: the next attempt came when the retry fell, before the customer's new start.
    first = _record(store, NewRequest("+4520123456", RequestSource.API, "x"))
    with store.transaction() as tx:
        claimed = requests.claim_due(tx, now=NOW + 1)
    assert claimed is not None and claimed["id"] == first.id
    later = NewRequest(
        "+4520123456", RequestSource.API, "y", not_before=NOW + 3 * 3600, not_after=NOW + 5 * 3600
    )
    assert _record(store, later).merged
    with store.transaction() as tx:
        requests.release(tx, first.id, not_before=NOW + 600, uncount=False)
    [row] = store.query("SELECT not_before, not_after, status FROM callback_requests")
    assert (row["not_before"], row["not_after"], row["status"]) == (
        NOW + 3 * 3600,
        NOW + 5 * 3600,
        "pending",
    )
