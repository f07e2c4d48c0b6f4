"""The console speaks the shop's language: every word from the language pack's
console.yaml (the same keys and placeholders in every pack, a missing one named at
load), the pages in Danish with ``<html lang="da">`` and no English label left, English
as before, and ``web.language`` overriding ``shop.language`` for the console alone."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from itertools import combinations
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from scheduler.outcomes import AttemptOutcome
from scheduler.pilot.report import pilot_report_from_store
from scheduler.requests import RequestSource
from scheduler.timing.choice import Timing, TimingReason, policy_word
from spillway import language_pack
from spillway.call import CallStage
from spillway.callback_settings import PilotSettings
from spillway.console_text import console_language, load_console_text
from spillway.errors import ConfigError
from spillway.language_pack import available_languages, load_pack
from spillway.retention import Held
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.console_fixtures import PASSWORD, console_pages, console_settings
from web.calls_data import CALL_OUTCOME_CHOICES
from web.console_data import CSV_COLUMNS, POLICY_CHOICES, SOURCE_CHOICES, STATUS_CHOICES
from web.users import Role

PACKS = available_languages()


# -- the packs ----------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), list(combinations(PACKS, 2)))
def test_every_pack_has_every_console_key_with_the_same_placeholders(a: str, b: str) -> None:
    one, other = load_console_text(a).strings, load_console_text(b).strings
    assert sorted(set(one) - set(other)) == [], f"missing in {b}"
    assert sorted(set(other) - set(one)) == [], f"missing in {a}"
    for key, text in one.items():
        assert sorted(re.findall(r"\{(\w+)\}", text)) == sorted(
            re.findall(r"\{(\w+)\}", other[key])
        ), key


@pytest.mark.parametrize("code", PACKS)
def test_every_stored_value_the_console_shows_has_a_word(code: str, store: SqliteStore) -> None:
    """Statuses, sources, policies, outcomes, roles, timing reasons, pilot KPIs and
    verdicts: a value the database or a report holds is said in the pack's words."""
    strings = load_console_text(code).strings
    wanted = [
        *(f"status.{s}" for s in STATUS_CHOICES),
        *(f"source.{s}" for s in SOURCE_CHOICES),
        *(f"source.{s.value}" for s in RequestSource),
        *(f"policy.{policy_word(p)}" for p in (*POLICY_CHOICES, "shadow")),
        *(f"policy.{t.value}" for t in Timing),
        *(f"outcome.{o}" for o in CALL_OUTCOME_CHOICES),
        *(f"attempt.{o.value}" for o in AttemptOutcome),
        *(f"stage.{s.value}" for s in CallStage),
        *(f"role.{r.label}" for r in Role),
        *(f"timing_reason.{r.value}" for r in TimingReason),
        *(f"dp.held_{h.value}" for h in Held),
    ]
    report = pilot_report_from_store(store, PilotSettings(), 0.0, 1.0, "UTC")
    kpis = [report["primary"], *report["secondary"]]
    wanted += [f"pilot.{group}.{k['key']}" for k in kpis for group in ("kpis", "method")]
    wanted += [f"pilot.explained.{k}" for k in report["money"]["explained"]]
    assert [k for k in wanted if k not in strings] == []


def _copy_packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "languages"
    shutil.copytree(Path(language_pack.__file__).parent / "languages", root)
    monkeypatch.setattr(language_pack, "_root", lambda: root)
    load_pack.cache_clear()
    load_console_text.cache_clear()
    return root


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    yield
    load_pack.cache_clear()
    load_console_text.cache_clear()


def test_a_missing_console_key_is_named_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_caches: None
) -> None:
    root = _copy_packs(tmp_path, monkeypatch)
    path = root / "da" / "console.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("  log_out: Log ud\n", ""), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"'da': console.yaml: the key 'nav.log_out' is missing"):
        load_console_text("da")


def test_a_wrong_placeholder_or_a_bare_value_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_caches: None
) -> None:
    root = _copy_packs(tmp_path, monkeypatch)
    path = root / "da" / "console.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("for {ago} siden", "for {siden} siden"), "utf-8")
    with pytest.raises(ConfigError, match=r"'nodes.seconds_ago' must fill in \['ago'\]"):
        load_console_text("da")
    load_console_text.cache_clear()
    path.write_text(original.replace('"yes": "ja"', '"yes": yes'), "utf-8")  # YAML's true
    with pytest.raises(ConfigError, match=r"'common.yes' must be a \(quoted\) string"):
        load_console_text("da")


def test_asking_for_an_unknown_key_is_an_error_not_a_blank() -> None:
    with pytest.raises(ConfigError, match=r"has no key 'nav\.nothing'"):
        load_console_text("da")("nav.nothing")


def test_danish_numbers_and_names() -> None:
    da, en = load_console_text("da"), load_console_text("en")
    assert (da.percent(0.6), da.percent(0.615, 1), da.percent(None)) == ("60 %", "61,5 %", "-")
    assert (en.percent(0.6), en.percent(0.615, 1)) == ("60%", "61.5%")
    monday = datetime(2026, 3, 2, 8, tzinfo=ZoneInfo("Europe/Copenhagen")).timestamp()
    assert da.when(monday, "Europe/Copenhagen", "%a %d %b %H:%M") == "man 02 mar 08:00"
    assert en.when(monday, "Europe/Copenhagen", "%a %d %b %H:%M") == "Mon 02 Mar 08:00"
    assert da.when(None, "UTC") == "-"


def test_the_console_language_is_the_shop_s_unless_the_console_says_otherwise() -> None:
    assert console_language(Settings(shop={"language": "da"})) == "da"
    assert console_language(Settings()) == "en"
    both = Settings(shop={"language": "da"}, web={"language": "en"})
    assert console_language(both) == "en"


# -- the pages ----------------------------------------------------------------

# English labels that moved into the pack; none may be left on a Danish page.
ENGLISH = [
    ">Overview<", ">Callbacks<", ">Calls<", ">Health<", ">Log out<", ">Log in<",
    "User name", "Password", "Last 30 days", "Today", "Show range", "counted at",
    "reached on the first attempt", "attempts per contact", "still open",
    "resolved without a person", "handed over", "Hand-over reasons", "Overflow bot",
    "Loading the live view", "Calls in progress", "nothing due", "Scheduler nodes",
    "Export CSV", "requests match", "request matches", "next attempt", "next call",
    "earliest call", "none due in the next hour",
    "Created from", ">any<",
    "Cancel this callback", "Plan and why", "Chance of reaching the customer",
    "Best allowed hours", "no attempt yet", "under way", "Promised by",
    "calls that reached the bot", "call that reached the bot", "hand-over reason",
    "stored as", "Transcript",
    "no spoken turn", "Events", "Evidence", "needed per arm", "First-attempt contact rate",
    "Contact within 3 attempts", "predicted better", "no verdict", "Shadow mode",
    "staff cost", "cost per callback", "saved cost", "extra revenue", "baseline",
    "Search by number", "Audit log", "nobody is held", "Do not call", "Export (JSON)",
    "Add a reason", "Erase everything", "Release", "Contact model", "Calibration",
    "Learned hour of the week", "Chosen with probability", "Starting values by hour",
    "It learns from real calls", "predicted attempts from before",
    # Stored values in their own cells (the Calls page's "stored as" column keeps the
    # stored word on purpose, in a cell of class "small").
    "<td>pending</td>", "<td>done</td>", "<td>unreached</td>", "<td>no answer</td>",
    "<td>resolved</td>", "<td>handed over</td>", ">pending<", "<small>done</small>",
    "scheduler node", "heartbeat", "no model yet", "in flight", "not configured",
    "no call left open", "kept in the secrets file", "call records",
    "points from", " attempts)", "Newcombe hybrid", "delta method", "doubly robust",
    "Mon ", "Tue ", "Wed ", "in progress", "the pilot's start", ">listening<",
]  # fmt: skip
DANISH = {
    "/login": ["Log ind", "Brugernavn", "Adgangskode"],
    "/?window=30d": ["Overblik", "Seneste 30 dage", "nået ved første forsøg"],
    "/live": ["Igangværende opkald", "Opkaldsplanlæggere", "<td>lytter</td>"],
    "/requests": [
        "Tilbagekald",
        "Eksportér CSV",
        "tidligste opkald",
        "venter",
        "nået",
        "ikke planlagt",
    ],
    "/requests/3": ["Tilbagekald nr. 3", "Plan og begrundelse", "intet svar", "ikke nået"],
    "/requests/5": ["Bedste tilladte timer", "Annullér dette tilbagekald"],
    "/calls": ["Opkald", "stillet videre", "årsag til viderestilling", "<td>i gang</td>"],
    "/calls/c1": ["Udskrift", "Replikker", "løst"],
    "/pilot": [
        "Nået ved første forsøg",
        "konklusion",
        "+30,0 %-point [-11,8; +60,1]",
        "(+5 procentpoint fra 30 %)",
        "(0,3 færre forsøg)",  # the effect in words: no bare minus
        "percentil-bootstrap over tilbagekald, 2000 gentagelser",
        "Økonomi",
        "det første pilottilbagekald",  # no pilot set in these settings
    ],
    "/data-protection": ["Databeskyttelse", "Søg på nummer", "Revisionslog"],
    "/model": ["Kontaktmodel", "Kalibrering", "60 % til 70 %", ">man<"],
    "/health": ["Systemstatus", "kontrol", "opkaldsplanlægger node-a", "livstegn for", "skema v"],
}


@pytest.mark.asyncio(loop_scope="session")
async def test_every_page_speaks_danish_for_a_danish_shop(console_db: AsyncStore) -> None:
    pages = await console_pages(
        console_settings("da"), console_db, [p for p in DANISH if p != "/login"]
    )
    for path, words in DANISH.items():
        page = pages[path]
        if path != "/live":  # a fragment, without <html>
            assert '<html lang="da">' in page, path
        assert [w for w in words if w not in page] == [], path
        assert [w for w in ENGLISH if w in page] == [], path
        assert re.findall(r"\{[a-z_]+\}", page) == [], path  # no placeholder left unfilled
    assert '"requests": "anmodninger"' in pages["/?window=30d"]  # the chart's words
    assert re.search(r'data-kpi="contact_rate">\d+ %<', pages["/?window=30d"])


@pytest.mark.asyncio(loop_scope="session")
async def test_english_pages_are_as_before(console_db: AsyncStore) -> None:
    pages = await console_pages(
        console_settings("en"), console_db, ["/?window=30d", "/requests/5", "/pilot"]
    )
    assert '<html lang="en">' in pages["/login"] and "User name" in pages["/login"]
    overview = pages["/?window=30d"]
    assert "Last 30 days" in overview and re.search(r'data-kpi="contact_rate">\d+%<', overview)
    assert "reached on the first attempt" in overview and "Overflow bot" in overview
    assert "Plan and why" in pages["/requests/5"] and ">Mon<" in pages["/requests/5"]
    assert "+30.0 pts [-11.8, +60.1]" in pages["/pilot"]
    # As `spillway report pilot` says them.
    assert "(+5 points from 30%)" in pages["/pilot"] and "(0.3 fewer attempts)" in pages["/pilot"]
    methods = "Newcombe hybrid score interval (Wilson); delta method for each ratio"
    assert methods in pages["/pilot"]


@pytest.mark.asyncio(loop_scope="session")
async def test_web_language_overrides_the_shop_s_for_the_console(console_db: AsyncStore) -> None:
    english_console = await console_pages(console_settings("da", console="en"), console_db, ["/"])
    danish_console = await console_pages(console_settings("en", console="da"), console_db, ["/"])
    assert '<html lang="en">' in english_console["/"] and "Overview" in english_console["/"]
    assert '<html lang="da">' in danish_console["/"] and "Overblik" in danish_console["/"]


@pytest.mark.asyncio(loop_scope="session")
async def test_messages_are_danish_too(console_db: AsyncStore) -> None:
    from web.app import create_web_app

    transport = httpx.ASGITransport(app=create_web_app(console_settings("da"), console_db))
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
        form = (await client.get("/login")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        data = {"username": "ada", "password": "wrong", "csrf_token": token.group(1)}
        wrong = await client.post("/login", data=data)
        no_token = await client.post("/login", data={"username": "ada"})
        await client.post("/login", data={**data, "password": PASSWORD})
        page = (await client.get("/data-protection")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)  # the new session's
        assert token is not None
        search = {"csrf_token": token.group(1)}
        typo = await client.post("/data-protection/search", data={**search, "phone": "abc"})
        missing = await client.get("/requests/999")
        export = (await client.get("/export/callbacks.csv?status=pending")).text
        found = await client.post("/data-protection/search", data={**search, "phone": "20123401"})
    assert wrong.status_code == 401 and "Forkert brugernavn eller adgangskode." in wrong.text
    assert no_token.status_code == 403 and "genindlæs siden" in no_token.text
    assert typo.status_code == 400 and "er ikke et telefonnummer" in typo.text
    assert missing.status_code == 404 and "intet tilbagekald med nummeret 999" in missing.text
    # The CSV export stays machine-readable: the same English columns and stored values
    # (a closed request's problem in words, its code beside it: test_console_csv_problem).
    header, *rows = list(csv.reader(io.StringIO(export)))
    assert header == list(CSV_COLUMNS) and {r[header.index("status")] for r in rows} == {"pending"}
    assert found.status_code == 200 and "+4520123401: " in found.text
    assert re.search(
        r"<td>tilbagekald <small>\(callback_requests\)</small></td><td>\d+</td>", found.text
    )
    shown = ["Spærret mod opkald", "Eksportér (JSON)", "Tilbagehold", ">nej<"]
    assert [w for w in shown if w not in found.text] == []
    # No erasure key here: no Glem… (it would be refused), but why and what it takes.
    assert "Glem…" not in found.text and "nøglen til sletning (gdpr.hash_key) mangler" in found.text
    assert [w for w in ENGLISH if w in found.text] == []
