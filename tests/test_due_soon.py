"""The Overview's "due within the hour" keeps the calling rules, and stays a bounded read.

On a Saturday evening no call may be made before Monday 08:00, so nothing is due within
the hour and the panel says when calls are allowed again (:func:`calling_hour`, pure:
no row is read); at 19:30 on a weekday only what may be called before 20:00 is due
(:func:`due_within`, over a seeded store); the page says both in English and Danish.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler import due_soon
from scheduler.due_soon import calling_hour, due_within, zones_in_play
from scheduler.rules import CallingRules
from spillway.console_text import load_console_text
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.console_fixtures import USERS, logged_in_client

CPH = "Europe/Copenhagen"
ZONE = ZoneInfo(CPH)
RULES = CallingRules()  # weekdays 08-20, Saturday 10-16, Sunday closed, Danish holidays


def at(year: int, month: int, day: int, hour: int, minute: int) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE).timestamp()


SATURDAY_EVENING = at(2026, 12, 5, 19, 30)
MONDAY_0800 = at(2026, 12, 7, 8, 0)
MONDAY_1930 = at(2026, 12, 7, 19, 30)


def test_saturday_evening_is_closed_until_monday_morning() -> None:
    hour = calling_hour(RULES, SATURDAY_EVENING, CPH)
    assert hour.spans == ()
    assert hour.reopens_at == MONDAY_0800
    sunday_noon = calling_hour(RULES, at(2026, 12, 6, 12, 0), CPH)
    assert (sunday_noon.spans, sunday_noon.reopens_at) == ((), MONDAY_0800)


def test_a_weekday_at_1930_may_call_only_until_2000_and_0730_from_0800() -> None:
    evening = calling_hour(RULES, MONDAY_1930, CPH)
    assert evening.spans == ((MONDAY_1930, at(2026, 12, 7, 20, 0)),)
    assert evening.reopens_at is None
    morning = calling_hour(RULES, at(2026, 12, 7, 7, 30), CPH)
    assert morning.spans == ((MONDAY_0800, at(2026, 12, 7, 8, 30)),)
    assert calling_hour(RULES, at(2026, 12, 7, 6, 30), CPH).reopens_at == MONDAY_0800


def test_christmas_is_closed_and_reopens_after_the_weekend() -> None:
    """Christmas Day (Friday) and Boxing Day (Saturday) are Danish public holidays, Sunday
    is closed: at noon on Christmas Day calls are allowed again on Monday the 28th."""
    christmas = calling_hour(RULES, at(2026, 12, 25, 12, 0), CPH)
    assert christmas.spans == ()
    assert christmas.reopens_at == at(2026, 12, 28, 8, 0)
    # Without the holiday rules (holidays: null) Christmas Day is an ordinary Friday.
    no_holidays = CallingRules(holiday_country=None)
    assert calling_hour(no_holidays, at(2026, 12, 25, 12, 0), CPH).spans != ()


def test_the_shops_own_hours_and_holidays_are_kept() -> None:
    sunday_open = CallingRules(windows=((9.0, 17.0),) * 7, extra_holidays=frozenset())
    assert calling_hour(sunday_open, at(2026, 12, 6, 8, 45), CPH).spans == (
        (at(2026, 12, 6, 9, 0), at(2026, 12, 6, 9, 45)),
    )
    closed_monday = CallingRules(extra_holidays=frozenset({date(2026, 12, 7)}))
    assert calling_hour(closed_monday, SATURDAY_EVENING, CPH).reopens_at == at(2026, 12, 8, 8, 0)


def _request(store: SqliteStore, rid: int, **columns: object) -> None:
    row: dict[str, object] = {
        "id": rid,
        "phone": f"+453012{rid:04d}",
        "source": "csv",
        "status": "pending",
        "created_at": at(2026, 12, 7, 9, 0),
        "timezone": CPH,
        "attempts": 0,
        "not_before": None,
        "not_after": None,
        "expires_at": None,
    } | columns
    names = ", ".join(row)
    store.execute(
        f"INSERT INTO callback_requests ({names}) VALUES ({', '.join(':' + n for n in row)})",
        row,
    )


def _seed(store: SqliteStore) -> None:
    _request(store, 1, not_before=at(2026, 12, 7, 19, 45))  # asked for 19:45: due
    _request(store, 2, not_before=at(2026, 12, 7, 20, 10))  # after closing: not due
    _request(store, 3)  # never planned: due now
    _request(store, 4, not_after=at(2026, 12, 7, 19, 0))  # its window has passed
    _request(store, 5, expires_at=at(2026, 12, 7, 19, 20))  # expired
    _request(store, 6, attempts=RULES.max_attempts)  # no attempt left
    _request(store, 7, status="dialling", not_before=at(2026, 12, 7, 19, 0))  # being dialled
    _request(store, 8, status="cancelled")
    # 13:30 in New York, 03:30 in Tokyo: one may be called, the other not.
    _request(store, 9, timezone="America/New_York")
    _request(store, 10, timezone="Asia/Tokyo")
    _request(store, 11, timezone=None, not_before=at(2026, 12, 7, 19, 50))  # the shop's zone


def test_a_weekday_at_1930_counts_only_what_may_be_called_before_2000(
    store: SqliteStore,
) -> None:
    _seed(store)
    due = due_within(store, RULES, MONDAY_1930, default_timezone=CPH)
    assert [r["id"] for r in due.rows] == [7, 3, 9, 1, 11]
    assert (due.count, due.capped, due.reopens_at) == (5, False, None)
    assert due.rows[3]["due_at"] == at(2026, 12, 7, 19, 45)
    # The zones read once a minute give the same answer.
    zones = zones_in_play(store, default_timezone=CPH)
    assert zones == ["America/New_York", "Asia/Tokyo", CPH]
    assert due_within(store, RULES, MONDAY_1930, default_timezone=CPH, zones=zones) == due


def test_saturday_evening_counts_none_and_says_monday(store: SqliteStore) -> None:
    _seed(store)
    _request(store, 12, timezone="Asia/Tokyo", status="cancelled")
    due = due_within(store, RULES, SATURDAY_EVENING, default_timezone=CPH, zones=[CPH])
    assert (due.count, [r["id"] for r in due.rows]) == (1, [7])  # only the one being dialled
    assert due.reopens_at == MONDAY_0800


def test_at_0730_a_request_asked_for_saturday_is_due_at_0800(store: SqliteStore) -> None:
    _request(store, 1, not_before=SATURDAY_EVENING - 300, created_at=SATURDAY_EVENING - 600)
    due = due_within(store, RULES, at(2026, 12, 7, 7, 30), default_timezone=CPH)
    assert (due.count, [r["due_at"] for r in due.rows]) == (1, [MONDAY_0800])


def test_the_count_stops_at_its_cap_and_says_at_least(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(due_soon, "COUNT_CAP", 3)
    for rid in range(1, 7):
        _request(store, rid, not_before=MONDAY_1930 - rid * 60)
    due = due_within(store, RULES, MONDAY_1930, default_timezone=CPH, limit=4)
    assert (due.count, due.capped) == (3, True)
    assert [r["id"] for r in due.rows] == [6, 5, 4, 3]  # the longest-waiting first


# The console's pages, over the real clock: the rules are set so the test holds any day.


def _settings(language: str, store: SqliteStore, callbacks: Mapping[str, object]) -> Settings:
    return Settings(
        shop={"language": language},
        storage={"sqlite_path": str(store.path)},
        web={"users": USERS, "session_secret": "s" * 40},
        callbacks=callbacks,
    )


def _live(settings: Settings, store: SqliteStore) -> str:
    return logged_in_client(settings, store).get("/live").text


def _due_panel(page: str) -> tuple[str, list[str]]:
    found = re.search(r"<h2>[^<]*<small>([^<]*)</small></h2>\s*<table id=\"due-soon\">", page)
    assert found is not None
    ids = re.findall(r'<a href="/requests/(\d+)">', page.split('id="due-soon"')[1])
    return found.group(1), ids


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_live_panel_says_when_calls_are_allowed_again(
    store: SqliteStore, language: str
) -> None:
    """Today and tomorrow are the shop's holidays: nothing is due, and the panel names the
    day after tomorrow at 00:00 (every hour of it may be called)."""
    today = datetime.now(ZONE).date()
    always = [0, 24]
    callbacks = {
        "weekdays": always,
        "saturday": always,
        "sunday": always,
        "extra_holidays": [today.isoformat(), (today + timedelta(days=1)).isoformat()],
    }
    _request(store, 1, created_at=datetime.now(ZONE).timestamp() - 60)
    page = _live(_settings(language, store, callbacks), store)
    text = load_console_text(language)
    reopening = today + timedelta(days=2)
    said = text(
        "live.calls_closed",
        day=f"{text.weekday(reopening.weekday())} {reopening.isoformat()}",
        time=text.clock(0),
    )
    assert said in page
    assert {
        "en": "No calls may be made in the coming hour",
        "da": "Der må ikke ringes op i den kommende time",
    }[language] in said
    assert _due_panel(page) == ("0", [])
    assert text("live.nothing_due") in page


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_live_panel_lists_what_may_be_called_within_the_hour(
    store: SqliteStore, language: str
) -> None:
    always = [0, 24]
    callbacks = {"weekdays": always, "saturday": always, "sunday": always, "holidays": None}
    now = datetime.now(ZONE).timestamp()
    _request(store, 1, created_at=now - 600, not_before=now - 60)
    _request(store, 2, created_at=now - 600, not_before=now + 2 * 3600)
    page = _live(_settings(language, store, callbacks), store)
    assert _due_panel(page) == ("1", ["1"])
    assert 'id="calls-reopen"' not in page
