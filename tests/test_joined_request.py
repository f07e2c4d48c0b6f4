"""A CSV row that joins an open request for the same number loses nothing: both reasons
are kept, and the window, deadline and expiry cover both; another door's window still
replaces the open one's (the customer's latest word)."""

from __future__ import annotations

import json

from scheduler import intake
from scheduler.callback_context import callback_brief
from scheduler.intake import NewRequest
from scheduler.joined_request import Span, covering, joined_reason, reason_parts
from scheduler.requests import RequestSource
from scheduler.rules import CallingRules, calling_expiry, deadline
from spillway.console_text import load_console_text
from spillway.storage import SqliteStore
from web.reason_words import request_words

H = 3600.0
NOW = 1_796_540_400.0  # Friday 4 December 2026, 08:00 in Copenhagen
CPH = "Europe/Copenhagen"
RULES = CallingRules()


def test_reasons_are_kept_in_order_each_once() -> None:
    assert joined_reason("Levering", "Ny henvendelse") == "Levering; Ny henvendelse"
    assert joined_reason("Levering; Ny henvendelse", "Levering") == "Levering; Ny henvendelse"
    assert joined_reason("", "Ny henvendelse") == "Ny henvendelse"
    assert joined_reason("Levering", "") == "Levering"
    assert reason_parts("order_status; Ny henvendelse") == ["order_status", "Ny henvendelse"]
    assert reason_parts(None) == []


def test_the_joined_span_covers_both() -> None:
    monday = Span(not_before=NOW + 72 * H, not_after=NOW + 75 * H, deadline=NOW + 75 * H,
                  expires_at=NOW + 150 * H)  # fmt: skip
    any_time = Span(not_before=None, not_after=None, deadline=NOW + 4 * H, expires_at=NOW + 96 * H)
    both = covering(monday, any_time)
    assert both == Span(None, None, NOW + 4 * H, NOW + 150 * H)
    assert covering(any_time, monday) == both
    tuesday = Span(NOW + 96 * H, NOW + 99 * H, NOW + 99 * H, NOW + 170 * H)
    assert covering(monday, tuesday) == Span(
        NOW + 72 * H, NOW + 99 * H, NOW + 75 * H, NOW + 170 * H
    )


def _record(store: SqliteStore, request: NewRequest, now: float) -> intake.Recorded:
    with store.transaction() as tx:
        return intake.record(tx, request, region="DK", now=now, rules=RULES)


def test_a_csv_row_without_a_window_widens_an_open_window_and_adds_its_reason(
    store: SqliteStore,
) -> None:
    asked = NewRequest(
        "+4531223344",
        RequestSource.CSV,
        "Levering",
        not_before=NOW + 72 * H,
        not_after=NOW + 75 * H,
        timezone=CPH,
    )
    first = _record(store, asked, NOW)
    [held] = store.query("SELECT deadline, expires_at FROM callback_requests")
    later = NOW + 600
    again = NewRequest("+4531223344", RequestSource.CSV, "Ny henvendelse", timezone=CPH)
    joined = _record(store, again, later)
    assert joined.merged and joined.id == first.id
    [row] = store.query("SELECT * FROM callback_requests")
    assert row["reason"] == "Levering; Ny henvendelse"
    assert row["not_before"] is None and row["not_after"] is None
    # The new row's own promise and expiry, counted from its import, when they are later.
    assert row["deadline"] == min(held["deadline"], deadline(RULES, later, CPH))
    assert row["expires_at"] == max(held["expires_at"], calling_expiry(RULES, later, CPH))
    assert row["deadline"] < NOW + 72 * H < NOW + 75 * H < row["expires_at"]
    assert row["planned_by"] is None
    [entry] = json.loads(row["context"])["merged"]
    assert (entry["source"], entry["reason"]) == ("csv", "Ny henvendelse")


def test_a_csv_row_with_a_later_window_keeps_the_earlier_one_open(store: SqliteStore) -> None:
    soon = NewRequest("+4531223344", RequestSource.CSV, "a", not_before=NOW + 2 * H,
                      not_after=NOW + 4 * H, timezone=CPH)  # fmt: skip
    _record(store, soon, NOW)
    later = NewRequest("+4531223344", RequestSource.CSV, "b", not_before=NOW + 72 * H,
                       not_after=NOW + 75 * H, timezone=CPH)  # fmt: skip
    _record(store, later, NOW + 60)
    [row] = store.query("SELECT not_before, not_after, reason FROM callback_requests")
    assert (row["not_before"], row["not_after"]) == (NOW + 2 * H, NOW + 75 * H)
    assert row["reason"] == "a; b"


def test_another_doors_window_still_replaces_the_open_one(store: SqliteStore) -> None:
    """A caller at the API or the bot who names a time is asking again: their latest word."""
    _record(store, NewRequest("+4531223344", RequestSource.CSV, "a", timezone=CPH), NOW)
    api = NewRequest("+4531223344", RequestSource.API, "b", not_before=NOW + 72 * H,
                     not_after=NOW + 75 * H)  # fmt: skip
    assert _record(store, api, NOW + 60).merged
    [row] = store.query("SELECT not_before, not_after, reason FROM callback_requests")
    assert (row["not_before"], row["not_after"], row["reason"]) == (NOW + 72 * H, NOW + 75 * H, "a")


def test_joined_reasons_are_worded_one_by_one() -> None:
    da = load_console_text("da")
    words = request_words(da, "csv import; Ny henvendelse")
    assert words.words == f"{da('request_reason.csv_import')}; Ny henvendelse"
    assert words.stored == "csv import; Ny henvendelse"
    assert request_words(da, "Levering").words == "Levering"


def test_a_joined_reason_keeps_the_topic_the_customer_hears() -> None:
    alone = callback_brief(7, "order_status", {})
    joined = callback_brief(7, "order_status; Ny henvendelse", {})
    assert alone.topic and joined.topic == alone.topic
    assert joined.handoff.intent == "order_status"
    assert "Ny henvendelse" in joined.handoff.summary
    assert "Ny henvendelse" not in alone.handoff.summary
