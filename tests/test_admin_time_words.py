"""`callbacks show` and `callbacks explain` as a new admin reads them, in English and Danish.

A request the dialler has not planned yet was shown as "plan: Next call is planned for
Monday 09.00" beside "planned: not yet": now the plan says the earliest the call may
come and the field says what it is (how the hour was chosen). Times of day are written
one way per language ("kl. 09.00" in Danish, "09:00" in English), in the rules' hours,
the best hours and the moments alike; and every hour without calls has its reason listed
(the list stopped at six reasons, so a Saturday's went unsaid).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from cli.commands.explain import REFUSED
from cli.main import app
from scheduler.rules import CallingRules, is_holiday
from spillway.console_text import load_console_text
from spillway.language_pack import load_pack
from spillway.storage import SqliteStore
from tests.test_callbacks_explain import _request

# A time of day on the other language's clock: what a screen in this language must not show.
FOREIGN_CLOCK = {"en": re.compile(r"\b\d\d\.\d\d\b"), "da": re.compile(r"\b\d\d:\d\d\b")}


def _run(store: SqliteStore, language: str, *args: str) -> list[str]:
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(store.path),
        "SPILLWAY_SHOP__LANGUAGE": language,
        "SPILLWAY_WEB__LANGUAGE": language,
        "COLUMNS": "300",
    }
    done = CliRunner().invoke(app, list(args), env=env)
    assert done.exit_code == 0, done.output
    return [" ".join(line.split()) for line in done.output.splitlines()]


def _unplanned(store: SqliteStore) -> int:
    """A request the customer asked to be called at noon on the next day with calling
    hours (its deadline an hour later): not planned by the dialler yet."""
    rules, zone = CallingRules(), ZoneInfo("Europe/Copenhagen")
    day = datetime.now(zone).date() + timedelta(days=1)
    while rules.window(day) is None or is_holiday(rules, day):
        day += timedelta(days=1)
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=zone).timestamp()
    request_id = _request(store, "+4520123456", not_before=noon)
    store.execute(
        "UPDATE callback_requests SET deadline = ?, expires_at = ? WHERE id = ?",
        (noon + 3600, noon + 86400, request_id),
    )
    return request_id


@pytest.mark.parametrize(
    ("language", "earliest", "chosen"),
    [
        ("en", "at the earliest", "hour chosen: not yet: the dialler chooses the hour"),
        ("da", "Næste opkald: tidligst", "valgt tidspunkt: endnu ikke: opkaldsplanlæggeren"),
    ],
)
def test_show_says_an_unplanned_call_is_the_earliest_and_the_hour_not_chosen_yet(
    store: SqliteStore, language: str, earliest: str, chosen: str
) -> None:
    text = load_console_text(language)
    lines = _run(store, language, "callbacks", "show", str(_unplanned(store)))
    [plan] = [line for line in lines if line.startswith(text("cli.show.plan") + ":")]
    assert earliest in plan
    # Not "planned for" beside "not yet planned": the two agree.
    planned_for = text("plan.planned", when="").split("{")[0].rstrip(". ")
    assert planned_for not in plan
    [field] = [line for line in lines if line.startswith(text("cli.show.chosen") + ":")]
    assert field.startswith(chosen)
    assert field == f"{text('cli.show.chosen')}: {text('cli.show.chosen_not_yet')}"


@pytest.mark.parametrize("language", ["en", "da"])
def test_explain_writes_every_time_of_day_on_its_languages_clock(
    store: SqliteStore, language: str
) -> None:
    lines = _run(store, language, "callbacks", "explain", str(_unplanned(store)))
    said = "\n".join(lines)
    assert FOREIGN_CLOCK[language].findall(said) == [], said
    # The best hours, the rules' hours and the moments: all on the pack's clock.
    nine = load_pack(language).clock(9)
    assert nine == {"en": "09:00", "da": "09.00"}[language]
    text = load_console_text(language)
    best = text("cli.explain.best", hours="").strip()
    [best_line] = [line for line in lines if line.startswith(best)]
    assert re.search(r"\d\d" + re.escape(nine[2]) + r"00", best_line), best_line


@pytest.mark.parametrize("language", ["en", "da"])
def test_explain_gives_a_reason_for_every_hour_without_calls(
    store: SqliteStore, language: str
) -> None:
    text = load_console_text(language)
    lines = _run(store, language, "callbacks", "explain", str(_unplanned(store)))
    days = {text.weekday(d, short=True) for d in range(7)}
    grid = [line.split(" ", 1)[1] for line in lines if line.split(" ", 1)[0] in days]
    assert len(grid) == 7
    refused = sum(row.count(REFUSED) for row in grid)
    unit = text("cli.explain.refused_hours", hours="", reason="").split(":")[0].strip()
    counted = [
        int(match[1]) for line in lines if (match := re.match(rf"(\d+) {re.escape(unit)}: ", line))
    ]
    assert refused > 0 and sum(counted) == refused, lines


@pytest.mark.parametrize(("language", "sep"), [("en", ":"), ("da", ".")])
def test_the_consoles_sentences_write_the_time_of_day_on_the_same_clock(
    language: str, sep: str
) -> None:
    text = load_console_text(language)
    at = datetime(2026, 12, 7, 9, 5, 7, tzinfo=ZoneInfo("Europe/Copenhagen")).timestamp()
    assert text.when(at, "Europe/Copenhagen", "%R") == f"09{sep}05"
    assert text.when(at, "Europe/Copenhagen", "%T") == f"09{sep}05{sep}07"
    assert text.clock(9) == load_pack(language).clock(9) == f"09{sep}00"
    # Tables keep the ISO order and colon, whatever the language.
    assert text.when(at, "Europe/Copenhagen") == "2026-12-07 09:05"
