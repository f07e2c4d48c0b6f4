"""A deadline is a promise only when a caller was told it. `callbacks show` said "Vi lovede
at ringe ..." and the request page "Kunden fik lovet ..." of rows from a CSV file or the
API, whom nobody promised anything: only the bot's read-back and the keypad menu speak
the promise (scheduler.stored_promise.promise_spoken); every other row's deadline is
said as the aim ("Målet er ...", "The aim is ..."), in the customer's words, the team
lead's, the card's and the access letter's."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from scheduler.stored_promise import promise_spoken
from scheduler.subject_access import SubjectExport
from scheduler.subject_letter import subject_letter
from scheduler.timing.plan_timeline import said_to_customer, timeline
from spillway.console_text import load_console_text
from spillway.language_pack import load_pack
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.console_fixtures import console_pages, console_settings
from tests.database_line import without_database_line
from tests.test_gdpr_letter import PHONE, SAID, _at, _mette

ZONE = ZoneInfo("Europe/Copenhagen")
WED_9 = datetime(2026, 7, 1, 9, 0, tzinfo=ZONE).timestamp()
WED_13 = datetime(2026, 7, 1, 13, 0, tzinfo=ZONE).timestamp()
# The opening words of each statement, per language and reader (customer: the explain_
# prompts; lead: the console's plan.* lines).
PROMISED = {
    ("da", "customer"): "Vi lovede at ringe første gang senest ",
    ("en", "customer"): "Promised a first call by ",
    ("da", "lead"): "Kunden fik lovet et første opkald senest ",
    ("en", "lead"): "The customer was promised a first call by ",
}
AIMED = {
    ("da", "customer"): "Målet er at ringe første gang senest ",
    ("en", "customer"): "The aim is a first call by ",
    ("da", "lead"): "Målet er et første opkald senest ",
    ("en", "lead"): "The aim is a first call by ",
}


@pytest.mark.parametrize(
    ("source", "spoken"),
    [
        *[("bot", True), ("menu", True)],
        *[("api", False), ("csv", False), ("spool", False), ("simulate", False), (None, False)],
    ],
)
def test_only_the_bot_and_the_menu_speak_the_promise(source: str | None, spoken: bool) -> None:
    assert promise_spoken({"source": source, "context": "{}"}) is spoken


def test_a_caller_who_joined_a_csv_row_was_told_its_promise() -> None:
    """A caller whose request joined an open CSV row heard that row's promise read back;
    the merge history keeps which door they came by."""
    merged = {"merged": [{"source": "csv"}, {"source": "bot", "reason": "Levering"}]}
    assert promise_spoken({"source": "csv", "context": json.dumps(merged)})
    assert not promise_spoken({"source": "csv", "context": json.dumps({"merged": [{}]})})
    assert not promise_spoken({"source": "api", "context": "not json"})


def _row(source: str) -> dict[str, object]:
    return {"id": 1, "status": "pending", "source": source, "context": "{}", "not_before": None}


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("source", ["bot", "menu", "api", "csv"])
def test_the_plan_says_a_promise_or_the_aim_by_its_door(language: str, source: str) -> None:
    pack, text = load_pack(language), load_console_text(language)
    spoken = source in ("bot", "menu")
    cases = [
        # (now, first call at, the statement's key ending)
        (WED_9, None, ""),  # still ahead
        (WED_13 + 3600, None, "_not_kept"),  # passed without a call
        (WED_13 + 3600, WED_9 + 600, "_kept"),  # called in time
    ]
    for now, first, ending in cases:
        lines = timeline(_row(source), [], now=now, deadline_at=WED_13, first_attempt_at=first)
        key = ("promise" if spoken else "aim") + ending
        assert lines[0].key == key
        [customer] = said_to_customer(lines[:1], ZONE, pack)
        lead = text(f"plan.{key}", **{k: str(v) for k, v in lines[0].times.items()})
        for reader, said in (("customer", customer), ("lead", lead)):
            wanted = (PROMISED if spoken else AIMED)[(language, reader)]
            assert said.startswith(wanted), said
            other = (AIMED if spoken else PROMISED)[(language, reader)]
            assert other not in said


def _record(store: SqliteStore, phone: str, source: RequestSource) -> int:
    with store.transaction() as tx:
        return intake.record(
            tx, NewRequest(phone, source, "Levering"), region="DK", now=time.time()
        ).id


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("language", ["da", "en"])
async def test_the_request_page_promises_only_what_a_caller_was_told(
    console_db: AsyncStore, store: SqliteStore, language: str
) -> None:
    told = _record(store, "+4520999001", RequestSource.BOT)
    listed = _record(store, "+4520999002", RequestSource.CSV)
    paths = [f"/requests/{told}", f"/requests/{listed}"]
    pages = await console_pages(console_settings(language), console_db, paths)
    plans = [re.sub(r"<[^>]+>", " ", pages[p].split('<p id="plan">')[1]) for p in paths]
    assert PROMISED[(language, "lead")] in plans[0] and AIMED[(language, "lead")] not in plans[0]
    assert AIMED[(language, "lead")] in plans[1] and PROMISED[(language, "lead")] not in plans[1]


@pytest.mark.parametrize("language", ["da", "en"])
def test_show_calls_a_csv_row_s_deadline_the_aim(store: SqliteStore, language: str) -> None:
    listed = _record(store, "+4520999003", RequestSource.CSV)
    told = _record(store, "+4520999004", RequestSource.MENU)
    env = {"SPILLWAY_STORAGE__SQLITE_PATH": str(store.path), "SPILLWAY_SHOP__LANGUAGE": language}
    text = load_console_text(language)
    aim = text("cli.show.deadline_aim_value", when="").strip()
    promise = text("cli.show.deadline_value", when="").strip()
    for request_id, wanted, unwanted in ((listed, aim, promise), (told, promise, aim)):
        done = CliRunner().invoke(app, ["callbacks", "show", str(request_id)], env=env)
        assert done.exit_code == 0, done.output
        card = " ".join(without_database_line(done.output).split())
        assert wanted in card and unwanted not in card, card
        assert (AIMED if request_id == listed else PROMISED)[(language, "customer")] in card


@pytest.mark.parametrize("language", sorted(SAID))
def test_the_access_letter_says_a_promise_only_to_a_caller_who_heard_it(language: str) -> None:
    when, _signal = SAID[language]
    tables, why = _mette()  # her request came from a CSV file
    tables["callback_requests"][0]["source"] = "bot"
    found = SubjectExport(
        PHONE, _at(5, 22), tables, [why], zone="Europe/Copenhagen", language=language
    )
    letter = subject_letter(found, Settings(shop={"language": language}))
    text = load_console_text(language)
    assert text("dp.letter.promised", when=when) in letter
    assert text("dp.letter.aimed", when=when) not in letter
