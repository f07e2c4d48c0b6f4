"""The console's windows and empty or contradictory states, as a team lead met them.

A team lead's walkthrough (a Danish shop): the Overview's "last 30 days" counted its
tiles from this hour 30 days ago and its pilot line from that day's midnight (203
against 200 requests on one page); a console started before the pilot was switched on
said "no pilot running" beside "none of the pilot's 20 callbacks called yet"; "no
callback waiting" under a tile of 6 still open; "no scheduler node has run" with no
command; a request page's "Next call: 08:00" that nothing had planned; and
`callbacks list --phone` printed an empty table for a number with no request.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from cli.commands.report import fits, word_records
from cli.main import app
from scheduler.pilot.report import pilot_window
from scheduler.timing.plan_timeline import PlanLine
from spillway.console_text import load_console_text
from spillway.storage import SqliteStore
from tests.console_fixtures import console_settings, logged_in_client, seed_console
from tests.pilot_seed import CREATED_AGO_H, ROWS, H, seed_pilot
from web.console import idle_since, unplanned_line
from web.kpis import window
from web.pilot_page import overview_since
from web.pilot_state import EARLIER, OFF, ON, STALE, pilot_state

LANGUAGES = ["en", "da"]
ZONE = "Europe/Copenhagen"
# Pilot requests in the seed's two arms (the customers' own choices and the policy's apart).
DRAWN = sum(1 for _, reason, *_ in ROWS if reason == "pilot")


def _words(html: str) -> str:
    """What a reader sees of ``html``: no tags, entities as their characters."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def _part(page: str, element_id: str) -> str:
    return page.split(f'id="{element_id}"')[1].split(">", 1)[1].split("</p>")[0]


# -- one window for "the last 30 days" ---------------------------------------


@pytest.mark.parametrize(
    "local",
    ["2026-12-06 08:50", "2026-03-29 12:00", "2026-11-01 00:30", "2026-06-30 23:59"],
)
def test_the_overview_tiles_its_pilot_line_and_the_pilot_page_start_at_one_moment(
    local: str,
) -> None:
    # The tiles' 30 days, the pilot line's (its "since" date), and the Pilot page opened
    # on that date by the line's link: one start, the shop's midnight, DST or not.
    now = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(ZONE)).timestamp()
    tiles = window("30d", ZONE, now)
    since = overview_since(ZONE, now)
    page_start, page_end = pilot_window(since, None, ZONE, now)
    assert tiles.since == page_start and tiles.until == page_end == now
    start = datetime.fromtimestamp(tiles.since, ZoneInfo(ZONE))
    assert (start.hour, start.minute) == (0, 0)
    assert (datetime.fromtimestamp(now, ZoneInfo(ZONE)).date() - start.date()).days == 30
    assert (
        window("7d", ZONE, now).since
        == pilot_window(overview_since(ZONE, now, 7), None, ZONE, now)[0]
    )


# -- the pilot this console knows of ------------------------------------------


def test_the_pilot_state_tells_a_stale_console_from_an_earlier_pilot() -> None:
    started = 1000.0
    assert pilot_state(True, 0, None, started) == ON
    assert pilot_state(True, 20, 2000.0, started) == ON
    assert pilot_state(False, 0, None, started) == OFF
    assert pilot_state(False, 20, started + 1, started) == STALE
    assert pilot_state(False, 20, started - 1, started) == EARLIER


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_console_started_before_the_pilot_says_to_restart_it(
    store: SqliteStore, code: str
) -> None:
    text = load_console_text(code)
    client = logged_in_client(console_settings("en", code), store)  # no pilot set
    # The pilot switched on since: `callbacks import` (which reads the file anew) draws
    # requests into it after this console started.
    time.sleep(0.02)
    seed_pilot(store, time.time() - 0.01 + CREATED_AGO_H * H)
    page = client.get("/pilot").text
    note = _words(_part(page, "pilot-no-pilot"))
    values = dict.fromkeys(("count", "newest", "started", "setting", "command"), "@")
    assert note.startswith(text("pilot.stale_console", **values).split("@")[0].strip())
    assert text.count("count.requests", DRAWN) in note
    assert "spillway web serve" in note and "callbacks.pilot.share_predicted" in note
    # Not also "no pilot is running": one state, said once.
    assert text("pilot.no_pilot", setting="").split(",")[0] not in _words(page)


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_console_with_no_pilot_anywhere_says_how_to_start_one(
    store: SqliteStore, code: str
) -> None:
    text = load_console_text(code)
    page = logged_in_client(console_settings("en", code), store).get("/pilot").text
    note = _words(_part(page, "pilot-no-pilot"))
    assert note.startswith(text("pilot.no_pilot", setting="").split(",")[0])
    assert "spillway web serve" not in note
    assert text("pilot.start_unset") in _words(_part(page, "pilot-window-label"))


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_whole_pilot_links_to_the_overview_s_days(store: SqliteStore, code: str) -> None:
    text = load_console_text(code)
    seed_pilot(store, time.time())
    client = logged_in_client(console_settings("en", code), store)
    page = client.get("/pilot").text
    since = overview_since(ZONE, time.time())
    days = _part(page, "pilot-overview-days")
    assert f'href="/pilot?since={since}"' in days
    assert text("pilot.overview_days_link", since=since) in _words(days)
    # Opened on those days, it says nothing of them: the window is the one asked for.
    assert 'id="pilot-overview-days"' not in client.get(f"/pilot?since={since}").text


# -- empty states that give the next step ---------------------------------------


@pytest.mark.parametrize("code", LANGUAGES)
def test_no_scheduler_node_gives_the_command_that_starts_one(store: SqliteStore, code: str) -> None:
    text = load_console_text(code)
    client = logged_in_client(console_settings(code), store)
    for path, table in (("/live", "nodes"), ("/model", "model-nodes")):
        shown = client.get(path).text.split(f'id="{table}"')[1].split("</table>")[0]
        assert "<code>spillway scheduler run</code>" in shown, path
        assert f'<a href="/health">{text("nav.health")}</a>' in shown, path
    live = client.get("/live").text
    assert text("live.nothing_due") in live


@pytest.mark.parametrize("code", LANGUAGES)
def test_an_empty_hour_is_not_said_as_no_callback_at_all(code: str) -> None:
    # "No callback waiting" under a tile of 6 still open read as a contradiction.
    text = load_console_text(code)
    said = text("live.nothing_due")
    title = text("live.due")
    assert said not in title
    assert ("next hour" if code == "en" else "næste time") in said


def test_a_plan_nothing_will_make_is_said_as_the_earliest_moment() -> None:
    row = {"status": "pending", "planned_by": None}
    down, up = [{"up": False}], [{"up": True}]
    assert idle_since(row, down, 5.0) == 5.0 and idle_since(row, [], 5.0) == 5.0
    assert idle_since(row, up, 5.0) is None
    assert idle_since({**row, "planned_by": "predicted"}, down, 5.0) is None
    assert idle_since({**row, "status": "done"}, down, 5.0) is None
    reopens = PlanLine("next_reopens", {"when": 99.0})
    assert unplanned_line(reopens, None) is reopens
    assert unplanned_line(reopens, 5.0) == PlanLine("next_unplanned", {"when": 99.0})
    assert unplanned_line(PlanLine("next_now"), 5.0) == PlanLine("next_unplanned", {"when": 5.0})
    asked = PlanLine("next_after_asked", {"when": 99.0, "asked": 90.0})
    assert unplanned_line(asked, 5.0).key == "next_after_asked_unplanned"
    assert unplanned_line(asked, 5.0).times == asked.times
    promise = PlanLine("promise", {"deadline": 50.0})
    assert unplanned_line(promise, 5.0) is promise


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_request_page_says_an_unplanned_call_is_not_planned(
    store: SqliteStore, code: str
) -> None:
    text = load_console_text(code)
    seed_console(store, time.time())  # request 5 waits, unplanned; node-a is up
    client = logged_in_client(console_settings(code), store)
    # Said as the earliest moment, not planned, whichever next-call line it replaces.
    unplanned = [
        text(key, when="@", asked="@").split("@")[-1].strip(" .")
        for key in ("plan.next_unplanned", "plan.next_after_asked_unplanned")
    ]
    running = _words(_part(client.get("/requests/5").text, "plan"))
    assert "spillway scheduler run" not in running
    store.execute("UPDATE scheduler_nodes SET heartbeat_at = :t", {"t": time.time() - 86400})
    idle = _words(_part(client.get("/requests/5").text, "plan"))
    assert any(said in idle for said in unplanned), idle


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_list_s_next_call_column_has_the_command_s_name(store: SqliteStore, code: str) -> None:
    text = load_console_text(code)
    assert text("callbacks.next_attempt") == text("cli.callbacks.earliest_call")
    seed_console(store, time.time())
    page = logged_in_client(console_settings(code), store).get("/requests").text
    assert f"<th>{text('cli.callbacks.earliest_call')}</th>" in page


# -- the command line -------------------------------------------------------------


def _config(tmp_path: Path, store: SqliteStore, language: str) -> Path:
    path = tmp_path / f"{language}.yaml"
    path.write_text(
        f"storage:\n  sqlite_path: {store.path}\nshop:\n  country: DK\n  language: {language}\n"
    )
    return path


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_number_with_no_callback_is_said_in_a_sentence(
    tmp_path: Path, store: SqliteStore, code: str
) -> None:
    text = load_console_text(code)
    config = _config(tmp_path, store, code)
    result = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "list", "--phone", "99999999"]
    )
    assert result.exit_code == 0, result.output
    said = text("cli.callbacks.none_for_phone", phone="@").split("@")[0]
    assert said in result.stdout and "┏" not in result.stdout
    open_only = CliRunner().invoke(
        app,
        ["--config", str(config), "callbacks", "list", "--phone", "99999999", "--status", "open"],
    )
    assert text("cli.callbacks.open") in open_only.stdout
    empty = CliRunner().invoke(app, ["--config", str(config), "callbacks", "list"])
    assert text("cli.callbacks.none_listed", which=text("cli.callbacks.open")) in empty.stdout


def test_a_table_too_wide_for_the_terminal_is_said_line_by_line() -> None:
    headers = ["KPI", "predicted", "conventional"]
    rows = [["First-attempt contact rate", "60.0%", "30.0%"]]
    assert fits(headers, rows, 80)
    assert not fits(headers, rows, 20)
    assert word_records("title", headers, rows) == [
        "title",
        "",
        "First-attempt contact rate",
        "  predicted: 60.0%",
        "  conventional: 30.0%",
    ]
