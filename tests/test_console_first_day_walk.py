"""What a Danish team lead met on the console's first day, fixed: with requests but no
call made yet the Overview said "0 % nået" and ``/api/kpis`` gave 0.0 (a rate now counts
the requests that had an attempt, and with none it is null and the page says so in
words); "due now" counted a request the calling rules forbid calling now (Saturday
evening) on the Health page and in ``doctor`` while ``scheduler status`` said 0 (one
definition now, :func:`scheduler.due.due_now`, under the calling rules), and "1
forfaldne" had no singular; ``GET /callbacks`` answered a bare English 405 (it now
leads to the Callbacks page, ``/requests``; ``POST /callbacks`` is still the API).

The pages come from Starlette's TestClient over a scratch database of the test's own."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from cli.commands.scheduler import status_lines
from cli.doctor import check_scheduler
from scheduler.contact_facts import RequestRecord, callback_figures
from scheduler.dialer import settings_status_report
from spillway.console_text import load_console_text
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.console_fixtures import USERS, logged_in_client
from web.health import health_checks

ZONE = ZoneInfo("Europe/Copenhagen")
API_TOKEN = "t" * 40


def _settings(language: str, store: SqliteStore) -> Settings:
    return Settings(
        shop={"language": language},
        storage={"sqlite_path": str(store.path)},
        web={"users": USERS, "session_secret": "s" * 40, "api_token": API_TOKEN},
    )


def _request(store: SqliteStore, rid: int, status: str, created_at: float, **more: object) -> None:
    store.execute(
        "INSERT INTO callback_requests (id, phone, source, status, created_at, timezone, "
        "not_before) VALUES (:id, :phone, 'csv', :status, :at, 'Europe/Copenhagen', :nb)",
        {
            "id": rid,
            "phone": f"+453012{rid:04d}",
            "status": status,
            "at": created_at,
            "nb": more.get("not_before"),
        },
    )


def _client(settings: Settings, store: SqliteStore) -> TestClient:
    return logged_in_client(settings, store)


def _tile(page: str, kpi: str) -> str:
    found = re.search(rf'data-kpi="{kpi}">([^<]*)</span>', page)
    assert found is not None, kpi
    return found.group(1)


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_first_day_s_rates_are_null_and_said_in_words_not_0_percent(
    store: SqliteStore, language: str
) -> None:
    """3 requests today: 2 pending, 1 cancelled before any attempt, no attempt made."""
    now = datetime.now(ZONE).timestamp()
    for rid, status in ((1, "pending"), (2, "pending"), (3, "cancelled")):
        _request(store, rid, status, now - rid)
    client = _client(_settings(language, store), store)

    kpis = client.get("/api/kpis").json()["callbacks"]
    assert (kpis["requests"], kpis["pending"], kpis["attempts"], kpis["counted"]) == (3, 2, 0, 0)
    assert kpis["first_attempt_contact_rate"] is None
    assert kpis["contact_rate"] is None

    page = client.get("/?window=today").text
    text = load_console_text(language)
    why = {"da": "intet ringet op endnu", "en": "nobody called yet"}[language]
    assert text("kpi.none_called_why") == why
    for kpi in ("first_attempt_contact_rate", "contact_rate"):
        # The figure is a dash (a sentence in the tile's large type wrapped over three
        # lines); why there is none is said under the tile's name.
        assert _tile(page, kpi) == "—"
        assert f'data-kpi-why="{kpi}">{why}</span>' in page
    tiles = page.split('id="callback-tiles"')[1].split("</div>\n  </div>")[0]
    assert "0 %" not in tiles and "0%" not in tiles


def test_a_rate_counts_the_requests_called_or_given_up_not_those_waiting_or_cancelled() -> None:
    def record(status: str, attempts: int, first: bool = False) -> RequestRecord:
        return RequestRecord(0.0, status, "traditional", attempts, first, 3600.0 if first else None)

    figures = callback_figures(
        [
            record("done", 1, first=True),
            record("unreached", 2),
            record("pending", 0),
            record("cancelled", 0),
            record("invalid_number", 0),
        ]
    )
    assert figures["counted"] == 2
    assert figures["first_attempt_contact_rate"] == 0.5  # 1 of the 2 called, not 1 of 4
    assert figures["contact_rate"] == 0.5
    # One that ran out of time without a call (the dialer down over its hours) was missed.
    missed = callback_figures([record("done", 1, first=True), record("unreached", 0)])
    assert missed["counted"] == 2 and missed["contact_rate"] == 0.5


SATURDAY_EVENING = datetime(2026, 12, 5, 17, 24, tzinfo=ZONE).timestamp()
MONDAY_0805 = datetime(2026, 12, 7, 8, 5, tzinfo=ZONE).timestamp()


@pytest.mark.parametrize(
    ("language", "saturday", "monday"),
    [
        ("da", "0 forfaldne nu", "1 forfaldent nu, det har ventet 5 min"),
        ("en", "0 due now", "1 due now, waiting 5 min"),
    ],
)
def test_due_now_is_what_the_calling_rules_allow_now_in_every_place_that_says_it(
    store: SqliteStore, language: str, saturday: str, monday: str
) -> None:
    """A CSV request made on Saturday at 17:19: Saturday's calling hours end at 16:00 and
    Sunday has none, so it is due on Monday when the calling window opens at 08:00."""
    _request(store, 1, "pending", SATURDAY_EVENING - 300)
    settings = _settings(language, store)
    text = load_console_text(language)

    def said(now: float) -> tuple[int, str, str, str]:
        report = settings_status_report(store, settings, now)
        checks = health_checks(store, settings, now, stale_after_s=10, text=text)
        [backlog] = [c for c in checks if c.name == text("health.name.backlog")]
        doctor = check_scheduler(settings, now).detail
        status = status_lines(report, settings.callbacks.poll_interval_s, text)[0]
        return report["due_now"], backlog.cause, doctor, status

    due, backlog, doctor, status = said(SATURDAY_EVENING)
    assert due == 0
    assert backlog.startswith(saturday)
    assert text.count("cli.doctor.due", 0) in doctor
    assert status.startswith(text("cli.scheduler.summary", due=0, in_flight=0, lag="0"))

    due, backlog, doctor, status = said(MONDAY_0805)
    assert due == 1
    # Waiting since the window opened at 08:00, not since Saturday.
    assert backlog.startswith(monday)
    assert text.count("cli.doctor.due", 1) in doctor
    assert status.startswith(text("cli.scheduler.summary", due=1, in_flight=0, lag="300"))


def test_a_holiday_and_the_request_s_own_not_before_keep_it_from_being_due(
    store: SqliteStore,
) -> None:
    settings = _settings("da", store)
    _request(store, 1, "pending", MONDAY_0805 - 3600, not_before=MONDAY_0805 + 600)
    assert settings_status_report(store, settings, MONDAY_0805)["due_now"] == 0
    assert settings_status_report(store, settings, MONDAY_0805 + 900)["due_now"] == 1
    store.execute("UPDATE callback_requests SET status = 'done'")
    christmas_day = datetime(2026, 12, 25, 10, 0, tzinfo=ZONE).timestamp()  # a Friday
    _request(store, 2, "pending", christmas_day - 3600)
    assert settings_status_report(store, settings, christmas_day)["due_now"] == 0
    assert settings_status_report(store, settings, christmas_day + 3 * 86400)["due_now"] == 1


@pytest.mark.parametrize("language", ["da", "en"])
def test_get_callbacks_leads_to_the_callbacks_page_and_post_is_still_the_api(
    store: SqliteStore, language: str
) -> None:
    client = _client(_settings(language, store), store)
    answer = client.get("/callbacks?status=pending", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/requests?status=pending"
    page = client.get("/callbacks")
    assert page.status_code == 200 and str(page.url).endswith("/requests")
    assert load_console_text(language)("nav.callbacks") in page.text

    made = client.post(
        "/callbacks",
        json={"phone": "+4530123456", "name": "Ada"},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    assert made.status_code == 201, made.text
    without_token = TestClient(client.app, base_url="http://console").post(
        "/callbacks", json={"phone": "+4530123456"}
    )
    assert without_token.status_code == 401


def test_a_request_left_uncalled_yesterday_has_waited_since_yesterday(
    store: SqliteStore,
) -> None:
    """Made on Monday at 08:00 and not called that day (the dialer down): on Tuesday at
    08:05 it has waited a day, not the five minutes since Tuesday's window opened."""
    settings = _settings("en", store)
    monday_0800 = datetime(2026, 12, 7, 8, 0, tzinfo=ZONE).timestamp()
    tuesday_0805 = datetime(2026, 12, 8, 8, 5, tzinfo=ZONE).timestamp()
    _request(store, 1, "pending", monday_0800)
    report = settings_status_report(store, settings, tuesday_0805)
    assert report["due_now"] == 1
    assert report["lag_s"] == tuesday_0805 - monday_0800
