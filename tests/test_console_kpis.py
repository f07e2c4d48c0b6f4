"""The console's KPIs, computed in one place (web/kpis.py), against a hand-counted history."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from spillway.storage import SqliteStore, Store
from tests.console_seed import EXPECTED_30D, seed
from web.console import compute_kpis
from web.kpis import (
    CallRecord,
    RequestRecord,
    Window,
    bot_kpis,
    callback_kpis,
    outcome_class,
    turn_latencies_ms,
    window,
)

ZONE = "Europe/Copenhagen"


def _subset(actual: dict, expected: dict) -> dict:
    """``actual`` cut down to the keys ``expected`` names (nested)."""
    return {
        k: _subset(actual[k], v)
        if isinstance(v, dict) and isinstance(actual[k], dict)
        else actual[k]
        for k, v in expected.items()
    }


@pytest.fixture(params=["sqlite", "postgres"])
def either_store(request: pytest.FixtureRequest, store: SqliteStore) -> Iterator[Store]:
    """The SQLite store, and a PostgreSQL one (its SQL differs: the medians, the snapshot)."""
    if request.param == "sqlite":
        yield store
        return
    from spillway.postgres import PostgresStore

    pg = PostgresStore(request.getfixturevalue("pg_dsn"))
    pg.migrate()
    yield pg
    pg.close()


def test_the_seeded_month_gives_the_hand_counted_figures(either_store: Store) -> None:
    store = either_store
    now = time.time()
    seed(store, now)
    figures = compute_kpis(store, Window("30d", now - 30 * 86400, now + 1, ZONE))
    assert _subset(figures["callbacks"], EXPECTED_30D["callbacks"]) == EXPECTED_30D["callbacks"]
    assert _subset(figures["bot"], EXPECTED_30D["bot"]) == EXPECTED_30D["bot"]


def test_a_window_counts_only_what_was_created_in_it(either_store: Store) -> None:
    store = either_store
    now = time.time()
    seed(store, now)
    # The last 6 hours: request 4 (answered at once), 5 (open) and 6 (no number).
    figures = compute_kpis(store, Window("range", now - 6 * 3600, now + 1, ZONE))
    callbacks = figures["callbacks"]
    assert (callbacks["requests"], callbacks["invalid_number"], callbacks["pending"]) == (3, 1, 1)
    # Only 4 was called (5 waits for its first call, 6 has no number): reached, 1 of 1.
    assert callbacks["counted"] == 1
    assert callbacks["contact_rate"] == 1.0 and callbacks["first_attempt_contact_rate"] == 1.0
    assert set(callbacks["by_policy"]) == {"traditional", "unplanned"}


def test_nothing_to_count_is_none_not_zero() -> None:
    assert callback_kpis([])["contact_rate"] is None
    empty = bot_kpis([])
    assert empty["containment_rate"] is None and empty["turn_latency_ms"]["p50"] is None


def test_each_stored_outcome_has_one_class() -> None:
    assert [outcome_class(w) for w in ("resolved", "handoff", "callback", "hangup", "failed")] == [
        "resolved",
        "handoff",
        "callback",
        "hangup",
        "failed",
    ]
    assert outcome_class("bot:done") == "resolved"
    assert outcome_class("bot:wait") == outcome_class("bot:offer") == "handoff"
    assert outcome_class("controller restarted") == "failed"
    assert outcome_class(None) is None  # still going, or an agent took it from the queue


def test_containment_is_resolved_over_bot_calls() -> None:
    calls = [CallRecord("resolved", None, None), CallRecord("hangup", None, None)]
    calls += [CallRecord("handoff", "x", None), CallRecord(None, "y", None)]
    figures = bot_kpis(calls)
    assert figures["calls"] == 3 and figures["containment_rate"] == round(1 / 3, 4)
    assert figures["handoff_reasons"] == {"unknown": 1}


def test_a_turn_runs_from_the_end_of_speech_to_the_first_reply_audio() -> None:
    # The caller paused and went on: the wait starts when they were done. The last
    # endpoint was never answered (they hung up): no turn.
    events = [(10.0, "endpoint"), (10.2, "endpoint"), (10.5, "first_audio"), (12.0, "endpoint")]
    assert turn_latencies_ms(events) == pytest.approx([300.0])


def test_the_median_hour_and_attempts_per_contact_follow_the_simulator() -> None:
    records = [
        RequestRecord(0.0, "done", "predicted", 1, True, 3600.0),
        RequestRecord(0.0, "done", "predicted", 3, False, 3 * 3600.0),
        RequestRecord(0.0, "unreached", "predicted", 2, False, None),
    ]
    figures = callback_kpis(records)
    assert figures["mean_attempts_per_contact"] == 3.0  # 6 attempts, 2 reached
    assert figures["median_hours_to_contact"] == 2.0


def test_windows_name_their_span_and_time_zone() -> None:
    now = datetime(2026, 3, 2, 15, 30, tzinfo=ZoneInfo(ZONE)).timestamp()
    today = window("today", ZONE, now)
    assert datetime.fromtimestamp(today.since, ZoneInfo(ZONE)).hour == 0
    assert today.label == "Today: 2026-03-02 00:00 to 2026-03-02 15:30 (Europe/Copenhagen)"
    span = window("range", ZONE, now, since=date(2026, 3, 1), until=date(2026, 3, 1))
    assert span.until - span.since == 86400
    with pytest.raises(ValueError, match="since first"):
        window("range", ZONE, now, since=date(2026, 3, 2), until=date(2026, 3, 1))


def test_the_reliability_curve_bins_predictions_against_answers() -> None:
    from web.model_view import reliability

    pairs = [(0.05, False), (0.15, True), (0.12, False), (0.95, True), (1.0, True)]
    bins = reliability(pairs)
    assert [(b.low, b.attempts, b.mean_predicted, b.observed) for b in bins] == [
        (0.0, 1, 0.05, 0.0),
        (0.1, 2, 0.135, 0.5),
        (0.9, 2, 0.975, 1.0),  # a probability of 1 falls in the last bin
    ]
