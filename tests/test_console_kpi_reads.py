"""How the console's KPIs read the database: one snapshot, each statement planned for its
window (PostgreSQL), and by index where few rows count (migration 23).

The figures themselves are held equal to the hand-counted ones
(tests/test_console_kpis.py) and to the scan (tests/test_console_kpi_facts.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from spillway.postgres import PostgresStore
from spillway.storage import SqliteStore
from tests.test_console_kpi_facts import write_history
from web.console import compute_kpis
from web.kpis import window

ZONE = "Europe/Copenhagen"


@pytest.fixture
def pg_store(pg_dsn: str) -> Iterator[PostgresStore]:
    store = PostgresStore(pg_dsn)
    store.migrate()
    yield store
    store.close()


def test_postgres_plans_each_kpi_statement_for_its_window(pg_store: PostgresStore) -> None:
    """A console counts the same statements all day; prepared (psycopg does so from the
    fifth run), PostgreSQL would plan them once for any window, guessing a few hundred
    rows where a month has a hundred thousand. None of them is ever prepared."""
    now = time.time()
    write_history(pg_store, now, seed=8)
    w = window("30d", ZONE, now)
    first = compute_kpis(pg_store, w)
    for _ in range(11):
        assert compute_kpis(pg_store, w) == first
    with pg_store.reading() as reader:
        prepared = reader.values("SELECT statement FROM pg_prepared_statements")
    assert not [s for (s,) in prepared if "callback_requests" in s or "call_events" in s]


def test_postgres_reads_the_kpis_from_one_snapshot(pg_store: PostgresStore) -> None:
    """A request written while the KPIs are read is in none of their figures, not in
    some: the statements of one reading see the database as it was when it began."""
    count = "SELECT COUNT(*) FROM callback_requests"
    with pg_store.reading() as reader:
        [(before,)] = reader.values(count)
        pg_store.insert(
            "callback_requests",
            {"id": 1, "phone": "+4520000001", "source": "api", "created_at": time.time()},
        )
        [(during,)] = reader.values(count)
    [(after,)] = pg_store.values(count)
    assert (before, during, after) == (0, 0, 1)
    from psycopg.errors import ReadOnlySqlTransaction

    with pytest.raises(ReadOnlySqlTransaction):
        with pg_store.reading() as reader:
            reader.values("DELETE FROM callback_requests")
    # The connection goes back to the pool as it was: writes work again.
    pg_store.execute("DELETE FROM callback_requests")
    assert pg_store.values(count) == [(0,)]


def test_the_kpis_find_simulated_requests_and_stages_by_index(store: SqliteStore) -> None:
    """Counting the simulated requests (few or none) and reading the hand-over reasons
    (a stage event among many per call) go through their own partial indexes, not
    through every request and every event of the window."""
    now = time.time()
    write_history(store, now, seed=9)
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        compute_kpis(store, window("30d", ZONE, now))
    finally:
        store.db.conn.set_trace_callback(None)
    plans = {
        s: " | ".join(row[3] for row in store.db.conn.execute("EXPLAIN QUERY PLAN " + s))
        for s in statements
        if s.lstrip().upper().startswith("SELECT")
    }
    [simulated] = [p for s, p in plans.items() if "simulated = 1" in s]
    assert "USING INDEX callback_requests_simulated" in simulated
    [stages] = [p for s, p in plans.items() if "kind = 'stage'" in s]
    assert "USING INDEX call_events_stages" in stages
