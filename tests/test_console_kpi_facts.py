"""The facts the console's KPIs read (kept by migration 15's triggers) equal the scan they replace.

Each request's contact facts and each reply's turn time are kept by the
database from the attempts and events. On a random history, written the way
the dialer writes (an attempt inserted, then its outcome set, sometimes
deleted), with events out of order and on the same instant, the KPIs from
the stored facts must equal the KPIs counted from the attempts and events
(``web.kpi_rows.scanned_*``), on SQLite and PostgreSQL, after the backfill
of an older database, and after erasure and retention removed rows.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from spillway.erasure import forget
from spillway.retention import Periods, apply_retention
from spillway.schema import MIGRATIONS
from spillway.storage import SqliteStore, Store
from tests.older_database import sqlite_before
from web.console import compute_kpis
from web.kpi_rows import scanned_kpis
from web.kpis import Window, window

ZONE = "Europe/Copenhagen"
DAY_S = 86400.0
STATUSES = ("pending", "dialling", "done", "unreached", "cancelled", "invalid_number")
POLICIES = ("predicted", "traditional", None)
OUTCOMES = ("answered", "no_answer", "busy", "machine", None)
CALL_OUTCOMES = ("resolved", "handoff", "callback", "hangup", "failed", "bot:wait", "odd", None)


def _phone(rng: random.Random) -> str:
    return f"+452000{rng.randrange(40):04d}"


def write_history(store: Store, now: float, seed: int) -> None:
    """A random history of requests, attempts, calls and events, as the product writes it."""
    rng = random.Random(seed)
    with store.transaction() as tx:
        for rid in range(1, 301):
            created = now - rng.uniform(0, 40 * DAY_S)
            tx.insert(
                "callback_requests",
                {
                    "id": rid,
                    "phone": _phone(rng),
                    "source": "api",
                    "created_at": created,
                    "status": rng.choice(STATUSES),
                    "planned_by": rng.choice(POLICIES),
                },
            )
    attempts: list[tuple[str, int, str, float]] = []
    for rid in range(1, 301):
        for no in range(1, rng.randrange(0, 6) + 1):
            [row] = store.query("SELECT * FROM callback_requests WHERE id = :id", {"id": rid})
            # Now and then a second attempt numbered 1 (one the dialer never started).
            attempt_no = 1 if rng.random() < 0.1 else no
            started = row["created_at"] + rng.uniform(0, 3 * DAY_S)
            attempt_id = f"a{rid}-{no}"
            # Most start open (the dialer); some are written ended (simulate --store).
            ended = rng.random() < 0.3
            store.insert(
                "callback_attempts",
                {
                    "outcome": rng.choice(OUTCOMES) if ended else None,
                    "ended_at": started + 30 if ended else None,
                    "id": attempt_id,
                    "request_id": rid,
                    "phone": row["phone"],
                    "attempt_no": attempt_no,
                    "started_at": started,
                    "local_weekday": 0,
                    "local_hour": 10,
                    "hours_since_request": 1.0,
                    "policy": rng.choice(("predicted", "traditional")),
                },
            )
            attempts.append((attempt_id, rid, row["phone"], started))
    rng.shuffle(attempts)
    for attempt_id, _, _, started in attempts:
        if rng.random() < 0.3:
            continue
        if rng.random() < 0.1:
            store.execute("DELETE FROM callback_attempts WHERE id = :id", {"id": attempt_id})
        else:
            store.execute(
                "UPDATE callback_attempts SET ended_at = :at, outcome = :o WHERE id = :id",
                {"at": started + 30, "o": rng.choice(OUTCOMES), "id": attempt_id},
            )
    events: list[dict[str, Any]] = []
    for i in range(200):
        call_id = f"call{i}"
        started = now - rng.uniform(0, 40 * DAY_S)
        outcome = rng.choice(CALL_OUTCOMES)
        store.insert(
            "calls",
            {
                "call_id": call_id,
                "caller": _phone(rng),
                "started_at": started,
                "ended_at": started + 60,
                "stage": "ended",
                "intent": rng.choice(("order_status", "callback", None)),
                "outcome": outcome,
            },
        )
        at = started
        for _ in range(rng.randrange(0, 8)):
            # Same instants now and then: the order (at, kind) decides, as sorted() does.
            at += rng.choice((0.0, 0.0, rng.uniform(0.1, 2.0)))
            events.append(
                {
                    "call_id": call_id,
                    "at": at,
                    "kind": rng.choice(("endpoint", "first_audio")),
                    "data": "{}",
                }
            )
        if rng.random() < 0.5:
            reason = rng.choice(("asked for a person", "", "not understood"))
            data = json.dumps({"stage": "handoff", "reason": reason} if reason else {})
            events.append({"call_id": call_id, "at": at + 1, "kind": "stage", "data": data})
    rng.shuffle(events)  # written out of order
    for event in events:
        store.insert("call_events", event)
    for event_id in rng.sample(range(1, len(events) + 1), len(events) // 10):
        store.execute("DELETE FROM call_events WHERE id = :id", {"id": event_id})


def assert_stored_equals_scan(store: Store, now: float) -> None:
    windows = [window(key, ZONE, now) for key in ("today", "7d", "30d")]
    windows.append(Window("range", now - 45 * DAY_S, now + 1, ZONE))
    for w in windows:
        stored = compute_kpis(store, w)
        assert {k: stored[k] for k in ("callbacks", "bot", "daily")} == scanned_kpis(store, w), (
            w.key
        )


def test_the_stored_facts_give_the_scanned_kpis(store: SqliteStore) -> None:
    now = time.time()
    write_history(store, now, seed=1)
    figures = compute_kpis(store, Window("range", now - 45 * DAY_S, now + 1, ZONE))
    assert figures["callbacks"]["requests"] == 300 and figures["bot"]["turn_latency_ms"]["turns"]
    assert_stored_equals_scan(store, now)


@pytest.mark.parametrize("seed", [2, 3])
def test_the_stored_facts_give_the_scanned_kpis_on_postgres(pg_dsn: str, seed: int) -> None:
    from spillway.postgres import PostgresStore

    store = PostgresStore(pg_dsn)
    try:
        store.migrate()
        now = time.time()
        write_history(store, now, seed=seed)
        assert_stored_equals_scan(store, now)
    finally:
        store.close()


@pytest.fixture
def older_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteStore]:
    """A database migrated up to the one before the contact facts."""
    facts = next(m.version for m in MIGRATIONS if "contact_attempts" in "".join(m.statements))
    store = sqlite_before(tmp_path / "older.db", monkeypatch, facts)
    yield store
    store.close()


def test_the_migration_backfills_the_facts_of_an_older_database(older_store: SqliteStore) -> None:
    now = time.time()
    write_history(older_store, now, seed=4)
    assert older_store.migrate()
    assert_stored_equals_scan(older_store, now)


def test_erasure_and_retention_keep_the_facts_right(store: SqliteStore) -> None:
    now = time.time()
    write_history(store, now, seed=5)
    for phone in {r["phone"] for r in store.query("SELECT phone FROM callback_requests LIMIT 5")}:
        forget(store, phone, key=b"k" * 32, actor="test", now=now)
    # Attempts and calls older than 20 days go; the requests (kept longer) stay.
    removed = apply_retention(store, Periods(400 * DAY_S, 20 * DAY_S), now=now)
    assert removed["callback_attempts"] and removed["call_events"]
    assert_stored_equals_scan(store, now)


def test_the_kpi_query_reads_no_attempts_and_no_raw_events(store: SqliteStore) -> None:
    """The KPIs are an indexed aggregate of the stored facts, not a scan of the attempts."""
    now = time.time()
    write_history(store, now, seed=6)
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        compute_kpis(store, window("30d", ZONE, now))
    finally:
        store.db.conn.set_trace_callback(None)
    reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert reads
    assert not [s for s in reads if "callback_attempts" in s]
    assert not [s for s in reads if "'first_audio'" in s or "'endpoint'" in s]


class RowCounter:
    """A store that counts the rows its queries send back (the rest is the store's)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.rows = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def query(self, sql: str, params: Any = ()) -> list[Any]:
        rows = self._store.query(sql, params)
        self.rows += len(rows)
        return rows

    def values(self, sql: str, params: Any = ()) -> list[Any]:
        rows = self._store.values(sql, params)
        self.rows += len(rows)
        return rows

    @contextmanager
    def reading(self) -> Iterator[RowCounter]:
        with self._store.reading() as reader:
            counter = RowCounter(reader)  # type: ignore[arg-type]
            yield counter
            self.rows += counter.rows


def test_postgres_takes_the_medians_where_the_rows_are(pg_dsn: str) -> None:
    """On PostgreSQL the median hours to contact and the turn percentiles are the server's
    (percentile_cont): the rows the KPIs fetch do not grow with the requests reached or the
    turns taken (they used to: one row each), and the figures still equal the scan."""
    from spillway.postgres import PostgresStore

    store = PostgresStore(pg_dsn)
    try:
        store.migrate()
        now = time.time()
        write_history(store, now, seed=7)
        w = Window("range", now - 45 * DAY_S, now + 1, ZONE)
        before = RowCounter(store)
        figures = compute_kpis(before, w)  # type: ignore[arg-type]
        more_reached_and_more_turns(store, 40)
        after = RowCounter(store)
        grown = compute_kpis(after, w)  # type: ignore[arg-type]
        assert grown["callbacks"]["requests"] == figures["callbacks"]["requests"] + 40
        turns = grown["bot"]["turn_latency_ms"]["turns"]
        assert turns == figures["bot"]["turn_latency_ms"]["turns"] + 40
        assert after.rows == before.rows
        assert {k: grown[k] for k in ("callbacks", "bot", "daily")} == scanned_kpis(store, w)
    finally:
        store.close()


def more_reached_and_more_turns(store: Store, n: int) -> None:
    """``n`` more requests reached (each beside a reached one: same day, policy and status)
    and ``n`` more turns in calls already counted."""
    reached = store.query(
        "SELECT id, phone, created_at, planned_by, status, "
        "COALESCE(first_attempt_policy, planned_by) AS policy FROM callback_requests "
        "WHERE contacted_at IS NOT NULL AND status <> 'invalid_number' ORDER BY id"
    )
    calls = store.query(
        "SELECT call_id, started_at FROM calls WHERE outcome IN "
        "('resolved', 'handoff', 'callback', 'hangup', 'failed') ORDER BY call_id"
    )
    assert len(reached) >= n // 4 and len(calls) >= n // 4
    with store.transaction() as tx:
        for i in range(n):
            like = reached[i % len(reached)]
            rid = 10_000 + i
            created = like["created_at"] + 1
            tx.insert(
                "callback_requests",
                {"id": rid, "phone": like["phone"], "source": "api", "created_at": created,
                 "status": like["status"], "planned_by": like["planned_by"]},
            )  # fmt: skip
            tx.insert(
                "callback_attempts",
                {"id": f"more{i}", "request_id": rid, "phone": like["phone"], "attempt_no": 1,
                 "started_at": created + 3600 * (1 + i % 7), "ended_at": created + 3700,
                 "outcome": "answered", "local_weekday": 0, "local_hour": 10,
                 "hours_since_request": 1.0, "policy": like["policy"]},
            )  # fmt: skip
            call = calls[i % len(calls)]
            at = call["started_at"] + 10_000 + 10 * i  # after every event of the call
            for kind, when in (("endpoint", at), ("first_audio", at + 0.2 + 0.01 * i)):
                tx.insert("call_events", {"call_id": call["call_id"], "at": when, "kind": kind})
