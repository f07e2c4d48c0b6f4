"""A next-call line points at the week's calling hours ("see the hours below") only
where they are listed after it: `callbacks explain`'s heatmap and the console's request
page. `callbacks show`, the JSON of `callbacks explain` and `show`, and `gdpr export`
list no hours after it, so there the line stands alone (``explain_next_*_alone``),
in English and in Danish."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from spillway.console_text import load_console_text
from spillway.language_pack import load_pack
from spillway.storage import AsyncStore, SqliteStore
from tests.console_fixtures import console_pages, console_settings

PHONE = "+4520123456"
ZONE = ZoneInfo("Europe/Copenhagen")
# The pointer, as each pack words it.
POINTER = {"en": "see the hours below", "da": "se timerne nedenfor"}
LANGUAGES = sorted(POINTER)


def _asked_late(store: SqliteStore) -> int:
    """A request for "not before 22:00" tomorrow: an hour the calling rules refuse, so
    its next call is the first hour they allow after it (``next_after_asked``)."""
    day = datetime.now(ZONE).date() + timedelta(days=1)
    asked = datetime(day.year, day.month, day.day, 22, tzinfo=ZONE).timestamp()
    with store.transaction() as tx:
        return intake.record(
            tx,
            NewRequest(PHONE, RequestSource.API, "t", not_before=asked),
            region="DK",
            now=time.time(),
        ).id


def _cli(tmp_path: Path, store: SqliteStore, language: str, *args: str) -> str:
    config = tmp_path / "c.yaml"
    config.write_text(
        f"storage:\n  sqlite_path: {store.path}\n"
        f"shop:\n  timezone: Europe/Copenhagen\n  language: {language}\n"
    )
    done = CliRunner().invoke(app, ["--config", str(config), *args], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    return done.stdout


def _next_call(language: str, lines: list[str]) -> str:
    start = load_pack(language).say("explain_next_now").split(":")[0] + ":"
    [line] = [line for line in lines if line.startswith(start)]
    return line


def test_every_pointing_line_has_a_wording_alone_in_every_pack() -> None:
    for language, pointer in POINTER.items():
        pack = load_pack(language)
        pointing = [
            k for k in pack.prompts if k.startswith("explain_") and pointer in pack.prompts[k].text
        ]
        assert len(pointing) == 3, pointing  # next_reopens, next_none, next_after_asked
        for key in pointing:
            assert pointer not in pack.prompts[f"{key}_alone"].text


@pytest.mark.parametrize("language", LANGUAGES)
def test_explain_points_at_the_hours_it_lists_after(
    tmp_path: Path, store: SqliteStore, language: str
) -> None:
    request_id = _asked_late(store)
    said = _cli(tmp_path, store, language, "callbacks", "explain", str(request_id)).splitlines()
    line = _next_call(language, said)
    assert POINTER[language] in line
    text = load_console_text(language)
    # The heatmap and the refused hours' reasons come after it.
    assert said.index(line) < said.index(text("cli.explain.chance"))
    assert said.index(line) < said.index(text("cli.explain.reasons_below"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_where_no_hours_follow_the_line_stands_alone(
    tmp_path: Path, store: SqliteStore, language: str
) -> None:
    request_id = _asked_late(store)
    pack = load_pack(language)
    alone = pack.prompts["explain_next_after_asked_alone"].text.split("{when}")[1]
    alone = alone.split("{asked}")[0]  # the words between the two moments
    explained = json.loads(
        _cli(tmp_path, store, language, "callbacks", "explain", str(request_id), "--json")
    )
    shown = json.loads(
        _cli(tmp_path, store, language, "callbacks", "show", str(request_id), "--json")
    )
    exported = json.loads(_cli(tmp_path, store, language, "gdpr", "export", PHONE))
    [timing] = exported["callback_timing"]
    card = _cli(tmp_path, store, language, "callbacks", "show", str(request_id))
    plan = next(line for line in card.splitlines() if line.startswith("  plan:"))
    for where, lines in {
        "explain --json": explained["timeline"],
        "show --json": shown["promise"]["timeline"],
        "gdpr export": timing["timeline"],
        "show": [plan],
    }.items():
        assert not any(POINTER[language] in line for line in lines), (where, lines)
        assert any(alone in line for line in lines), (where, lines)
    # The card says the JSON's lines, and where to see the hours.
    assert " ".join(shown["promise"]["timeline"]) in plan
    assert f"spillway callbacks explain {request_id}" in card


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_console_page_points_at_the_hours_it_lists_after(
    store: SqliteStore, language: str
) -> None:
    request_id = _asked_late(store)
    db = AsyncStore(store)
    try:
        path = f"/requests/{request_id}"
        page = (await console_pages(console_settings(language), db, [path]))[path]
    finally:
        db.close()
    text = load_console_text(language)
    plan = page.split('<p id="plan">')[1].split("</p>")[0]
    assert POINTER[language] in plan
    said = text("plan.next_after_asked", when="|", asked="|").split("|")[1]
    assert said in plan
    # The heatmap follows the plan.
    assert page.index('<p id="plan">') < page.index('id="heatmap"')


@pytest.mark.parametrize("command", ["explain", "show"])
def test_a_danish_json_keeps_its_letters_readable(
    tmp_path: Path, store: SqliteStore, command: str
) -> None:
    # A person reading the JSON sees "Næste", not "N\u00e6ste"; a program reads either.
    request_id = _asked_late(store)
    out = _cli(tmp_path, store, "da", "callbacks", command, str(request_id), "--json")
    assert "\\u00" not in out, out[:400]
    assert any(letter in out for letter in "æøå"), out[:400]
    json.loads(out)
