"""The Overview's contact rates and the Pilot page's are counted differently, and both pages
say so in one line: the pilot counts the requests its split drew whose outcome is known
(one cancelled before its first call is a miss there; one not yet called is in neither),
the Overview those called or given up, of every timing (:mod:`scheduler.contact_facts`).
A team lead comparing the two numbers reads why."""

from __future__ import annotations

import re
import time

import pytest
from starlette.testclient import TestClient

from spillway.console_text import load_console_text
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.console_fixtures import USERS, logged_in_client

API_TOKEN = "t" * 40


def _client(language: str, store: SqliteStore) -> TestClient:
    settings = Settings(
        shop={"language": language},
        storage={"sqlite_path": str(store.path)},
        web={"users": USERS, "session_secret": "s" * 40, "api_token": API_TOKEN},
    )
    return logged_in_client(settings, store)


def _pilot_request(store: SqliteStore, rid: int, status: str, created_at: float) -> None:
    store.execute(
        "INSERT INTO callback_requests (id, phone, source, status, created_at, timezone, "
        "attempts, timing, timing_reason, planned_by) VALUES (:id, :phone, 'csv', :status, "
        ":at, 'Europe/Copenhagen', :attempts, 'predicted', 'pilot', 'predicted')",
        {
            "id": rid,
            "phone": f"+453012{rid:04d}",
            "status": status,
            "at": created_at,
            "attempts": 1 if status == "done" else 0,
        },
    )


@pytest.mark.parametrize("language", ["en", "da"])
def test_both_pages_say_their_contact_rates_are_counted_differently(
    store: SqliteStore, language: str
) -> None:
    now = time.time()
    _pilot_request(store, 1, "done", now - 600)
    store.execute(
        "INSERT INTO callback_attempts (request_id, phone, attempt_no, started_at, ended_at, "
        "outcome, policy, local_weekday, local_hour, hours_since_request) VALUES "
        "(1, '+4530120001', 1, :at, :end, 'answered', 'predicted', 0, 10, 0.1)",
        {"at": now - 300, "end": now - 240},
    )
    _pilot_request(store, 2, "pending", now - 500)  # drawn, not yet called
    client = _client(language, store)
    text = load_console_text(language)

    # Neither counts the request not yet called as missed (predicted timing waits by
    # design: it would be judged on a call it has not made): the pilot counts the one
    # called, 1 of 1 reached, and says the other is still waiting for its first call.
    kpis = client.get("/api/kpis?window=today").json()["callbacks"]
    assert (kpis["requests"], kpis["counted"], kpis["first_attempt_contact_rate"]) == (2, 1, 1.0)
    pilot = client.get("/pilot").text
    row = re.search(r'<tr data-kpi="first_attempt_contact_rate".*?</tr>', pilot, re.S)
    assert row is not None and "<td>1 / 0</td>" in row.group(0)
    assert text.percent(1.0, 1) in row.group(0)
    waiting = pilot.split('id="pilot-waiting">')[1].split("</p>")[0]
    assert waiting == text("pilot.waiting", predicted="1", conventional="0")

    overview = client.get("/?window=today").text
    for page, key, names in (
        (overview, "overview.rates_differ", {"en": "Pilot page", "da": "Siden Pilot"}),
        (pilot, "pilot.rates_differ", {"en": "Overview", "da": "Overblikket"}),
    ):
        line = text(key)
        assert line in page
        assert names[language] in line
    assert 'id="rates-differ"' in overview and 'id="pilot-rates-differ"' in pilot
