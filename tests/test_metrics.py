"""``GET /metrics``: the installation's state for Prometheus, read from a real database."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.prometheus import parse_exposition
from web.callbacks_api import create_app
from web.metrics import exposition, read_metrics

TOKEN = "metrics-t0ken-0123"
NOW = 1_780_000_000.0


def _fill(store: SqliteStore) -> None:
    """Two nodes (one silent for an hour), three requests, four attempts, four calls: two
    the bot ended, one under way, one an agent took from the queue."""
    for node, beat, fallbacks, fitted in (
        ("a", NOW - 1, 0, NOW - 600),
        ("b", NOW - 3600, 4, None),
    ):
        store.execute(
            "INSERT INTO scheduler_nodes (node, started_at, heartbeat_at, dialled, "
            "policy_fallbacks, model_fitted_at) VALUES (?, ?, ?, 7, ?, ?)",
            (node, NOW - 7200, beat, fallbacks, fitted),
        )
    ids = []
    for phone in ("+4520123451", "+4520123452", "+4520123453"):
        new = NewRequest(phone=phone, source=RequestSource.API, reason="test")
        with store.transaction() as tx:
            ids.append(intake.record(tx, new, region="DK", now=NOW).id)
    store.execute("UPDATE callback_requests SET status = 'done' WHERE id = ?", (ids[0],))
    for n, (outcome, policy, ended) in enumerate(
        (
            ("no_answer", "predicted", NOW - 50),
            ("answered", "predicted", NOW - 40),
            ("busy", "traditional", NOW - 30),
            (None, "predicted", None),  # still ringing
        )
    ):
        store.execute(
            "INSERT INTO callback_attempts (id, request_id, phone, attempt_no, started_at, "
            "ended_at, outcome, local_weekday, local_hour, hours_since_request, policy) "
            "VALUES (?, ?, '+4520123451', ?, ?, ?, ?, 1, 10, 0.5, ?)",
            (f"att-{n}", ids[0], n + 1, NOW - 60, ended, outcome, policy),
        )
    for call_id, outcome, ended in (
        ("c1", "resolved", NOW - 10),
        ("c2", "handoff", NOW - 10),
        ("c3", None, None),  # under way
        ("c4", None, NOW - 10),  # never reached the bot
    ):
        store.execute(
            "INSERT INTO calls (call_id, started_at, ended_at, outcome) VALUES (?, ?, ?, ?)",
            (call_id, NOW - 100, ended, outcome),
        )


def test_the_scrape_says_what_the_database_holds(store: SqliteStore) -> None:
    _fill(store)
    got = parse_exposition(exposition(read_metrics(store, NOW), stale_after_s=15))
    assert got["spillway_scheduler_up"] == {(("node", "a"),): 1.0, (("node", "b"),): 0.0}
    assert got["spillway_scheduler_heartbeat_age_seconds"][(("node", "b"),)] == 3600.0
    assert got["spillway_scheduler_policy_fallbacks_total"] == {
        (("node", "a"),): 0.0,
        (("node", "b"),): 4.0,
    }
    # Node b has no model: no sample rather than a made-up age.
    assert got["spillway_scheduler_model_age_seconds"] == {(("node", "a"),): 600.0}
    assert got["spillway_callback_requests"] == {
        (("status", "done"),): 1.0,
        (("status", "pending"),): 2.0,
    }
    assert got["spillway_callback_attempts_total"] == {
        (("outcome", "answered"), ("policy", "predicted")): 1.0,
        (("outcome", "busy"), ("policy", "traditional")): 1.0,
        (("outcome", "no_answer"), ("policy", "predicted")): 1.0,
    }
    assert got["spillway_callback_attempts_in_flight"] == {(): 1.0}
    # Every word of the one vocabulary, so that a dashboard's sums never miss one.
    assert got["spillway_bot_calls_total"] == {
        (("outcome", "callback"),): 0.0,
        (("outcome", "failed"),): 0.0,
        (("outcome", "handoff"),): 1.0,
        (("outcome", "hangup"),): 0.0,
        (("outcome", "in_progress"),): 1.0,
        (("outcome", "resolved"),): 1.0,
    }
    assert got["spillway_bot_containment_ratio"] == {(): 0.5}


def test_an_empty_installation_scrapes_cleanly(store: SqliteStore) -> None:
    got = parse_exposition(exposition(read_metrics(store, time.time()), stale_after_s=15))
    assert got["spillway_callback_attempts_in_flight"] == {(): 0.0}
    assert "spillway_scheduler_up" not in got


@pytest_asyncio.fixture(loop_scope="session")
async def client(store: SqliteStore) -> AsyncIterator[httpx.AsyncClient]:
    db = AsyncStore(store)
    transport = httpx.ASGITransport(app=create_app(Settings(web={"api_token": TOKEN}), db))
    async with httpx.AsyncClient(transport=transport, base_url="http://web") as c:
        yield c
    db.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_metrics_over_http_need_the_token(client: httpx.AsyncClient) -> None:
    refused = await client.get("/metrics")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorised"
    answer = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "spillway_callback_attempts_in_flight" in parse_exposition(answer.content)
