"""A team lead's walk through the console (group 10 of the 2026-12-06 walkthrough), fixed:

- ``/?since=..&until=..`` without ``window=range`` filled the date boxes but showed
  today: dates alone are the range now, and the boxes are filled only for a range;
- a range to 2026-11-20 was labelled "til 2026-11-21 00:00": now "til og med 2026-11-20";
- "— (intet ringet op endnu)" wrapped over three lines in a tile: the tile shows "—",
  and why under its name (tests/test_console_first_day_walk.py);
- "Glem…" was offered without gdpr.hash_key, and the click lost the search: it is not
  offered, and the page says why and what fixes it;
- the Data protection page wrote "CET" where every other page names the zone once;
- the attempt table said "simulate" (the simulator's node code) on a Danish page;
- the request page's heatmap began on today's weekday, the Model page's on Monday;
- the Callbacks filters "Planlægning" and "Timing" offered the same choices unexplained;
- `doctor`'s fix list said `spillway pbx sandbox up` twice in other words.

Pages come from Starlette's TestClient over a scratch database seeded as the console's.
"""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pytest
from starlette.testclient import TestClient

from cli.report import fix_lines
from spillway.console_text import load_console_text
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.console_fixtures import USERS, logged_in_client, seed_console

KEY = "k" * 40
RANGE = {"da": "Valgt periode: {0} til og med {1} (", "en": "Chosen range: {0} through {1} ("}


def _client(store: SqliteStore, language: str, **gdpr: object) -> TestClient:
    seed_console(store, time.time())
    settings = Settings(
        shop={"language": language},
        web={"users": USERS, "session_secret": "s" * 40},
        gdpr=gdpr,
    )
    return logged_in_client(settings, store)


def _box(page: str, name: str) -> str:
    found = re.search(rf'<input type="date" name="{name}" value="([^"]*)"', page)
    assert found is not None, name
    return found.group(1)


@pytest.mark.parametrize("language", ["da", "en"])
def test_dates_without_a_window_show_that_range_through_its_last_day(
    store: SqliteStore, language: str
) -> None:
    client = _client(store, language)
    first, last = date.today() - timedelta(days=20), date.today() - timedelta(days=1)
    dated = client.get(f"/?since={first}&until={last}").text
    label = re.search(r'<span id="window-label">([^<]*)</span>', dated)
    assert label is not None
    # The figures are the range's, named by its first and last day (both counted).
    assert label.group(1).startswith(RANGE[language].format(first, last)), label.group(1)
    assert (_box(dated, "since"), _box(dated, "until")) == (str(first), str(last))
    # The same range asked for with window=range reads the same.
    ranged = client.get(f"/?window=range&since={first}&until={last}").text
    assert label.group(0) in ranged
    # A rolling window with stray dates shows the window, and no dates it did not use.
    rolling = client.get(f"/?window=7d&since={first}&until={last}").text
    assert (_box(rolling, "since"), _box(rolling, "until")) == ("", "")
    assert load_console_text(language)("window.7d", start="", end="", zone="")[:6] in rolling


def _searched(client: TestClient, phone: str) -> str:
    page = client.get("/data-protection").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    found = client.post("/data-protection/search", data={"csrf_token": token[1], "phone": phone})
    assert found.status_code == 200
    return found.text


@pytest.mark.parametrize("language", ["da", "en"])
def test_forget_is_offered_only_when_it_can_be_done(store: SqliteStore, language: str) -> None:
    text = load_console_text(language)
    forget = f">{text('dp.forget')}</button>"
    unkeyed = _searched(_client(store, language), "20123401")
    assert forget not in unkeyed
    why = unkeyed.split('id="no-forget">')[1].split("</p>")[0]
    assert "gdpr.hash_key" in why and "<code>spillway gdpr key</code>" in why, why
    assert "<code>spillway web serve</code>" in why
    keyed = _searched(logged_in_client(_settings(language), store), "20123401")
    assert forget in keyed and 'id="no-forget"' not in keyed


def _settings(language: str) -> Settings:
    return Settings(
        shop={"language": language},
        web={"users": USERS, "session_secret": "s" * 40},
        gdpr={"hash_key": KEY},
    )


@pytest.mark.parametrize("language", ["da", "en"])
def test_data_protection_times_name_the_zone_as_every_page_does(
    store: SqliteStore, language: str
) -> None:
    client = _client(store, language, hash_key=KEY)
    page = client.get("/data-protection").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    held = {"csrf_token": token[1], "phone": "20123401", "reason": "SAR-7", "back": "found"}
    assert client.post("/data-protection/hold", data=held).status_code in (200, 303)
    page = client.get("/data-protection").text
    assert not re.search(r"\bCES?T\b", page), re.findall(r".{40}\bCES?T\b", page)
    # The zone is named once, in the column's heading, as on the other pages.
    head = page.split('id="holds"')[1].split("</thead>")[0]
    assert "(Europe/Copenhagen)" in head
    assert "SAR-7" in page.split('id="holds"')[1].split("</table>")[0]


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_request_page_says_the_simulation_and_starts_its_week_on_monday(
    store: SqliteStore, language: str
) -> None:
    client = _client(store, language)
    store.execute("UPDATE callback_attempts SET node = 'simulate' WHERE request_id = 3")
    text = load_console_text(language)
    page = client.get("/requests/3").text
    attempts = page.split('id="attempts"')[1].split("</table>")[0]
    assert f"<td>{text('request.node_simulated')}</td>" in attempts
    assert ">simulate<" not in attempts
    open_page = client.get("/requests/5").text
    heatmap = open_page.split('id="heatmap"')[1].split("</table>")[0]
    days = re.findall(r"<tr><th>([^<]+)</th>", heatmap)
    assert days == [text.weekday(day)[:3] for day in range(7)], days


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_two_timing_filters_say_what_each_asks(store: SqliteStore, language: str) -> None:
    text = load_console_text(language)
    page = _client(store, language).get("/requests").text
    form = page.split('id="filters"')[1].split("</form>")[0]
    policy, timing = text("callbacks.policy"), text("callbacks.timing")
    assert policy != timing and f"<label>{policy} " in form and f"<label>{timing} " in form
    note = page.split('id="filters-note">')[1].split("</p>")[0]
    assert note.startswith(f"{policy}: ") and f" {timing}: " in note
    assert {"da": ("Planlægning", "Timing"), "en": ("Policy", "Timing")}[language] != (
        policy,
        timing,
    )


def test_doctor_says_each_command_to_run_once() -> None:
    fixes = [
        "`spillway pbx sandbox up` creates one for the sandbox",
        "`spillway pbx sandbox up` creates one for the sandbox",
        "spillway models fetch piper",
        "spillway pbx sandbox up",
        "set sms.gateway_url, then restart `spillway serve`",
        "spillway serve",
    ]
    assert fix_lines(fixes) == [
        "spillway pbx sandbox up",
        "spillway models fetch piper",
        # Naming a command on its way to another step: kept whole.
        "set sms.gateway_url, then restart `spillway serve`",
        "spillway serve",
    ]
    # Without the bare command beside it, a worded fix stays as it is.
    assert fix_lines(fixes[:1]) == fixes[:1]
