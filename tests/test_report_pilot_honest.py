"""`spillway report pilot` and the console's Pilot page say what a verdict rests on.

An admin's walkthrough: after `spillway simulate --policy pilot --store` the text report
said "predicted better" with no word of simulation (only ``--json`` counted them); with
no pilot set both said "from the pilot's start" and "Too few pilot callbacks"; the money
had no currency; at 80 columns the headers were cut to "predict…" and "First-a…". Now
the report says, before the verdicts, how many requests are simulated (the page's
words), each verdict drawn from them says so, a shop without a pilot is told how to
start one, every amount has its currency, and an 80-column table cuts no word."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cli.commands import report as report_command
from cli.main import app
from spillway.console_text import load_console_text
from spillway.storage import AsyncStore, SqliteStore
from tests.pilot_seed import FIRST_ID, ROWS, seed_pilot
from tests.test_console_pilot_words import _pages, _settings, _words, db  # noqa: F401
from web.pilot_page import simulated_share, verdict_words

LANGUAGES = ["en", "da"]
SHARE_SETTING = "callbacks.pilot.share_predicted"


def _config(tmp_path: Path, store: SqliteStore, language: str, *, pilot: bool) -> Path:
    path = tmp_path / f"{language}.yaml"
    share = "    share_predicted: 0.5\n" if pilot else ""
    path.write_text(
        f"storage:\n  sqlite_path: {store.path}\n"
        f"shop:\n  timezone: Europe/Copenhagen\n  language: {language}\n"
        f"callbacks:\n  pilot:\n{share}    roi:\n      lead_value: 20\n      investment: 50\n"
    )
    return path


def _report(config: Path, monkeypatch: pytest.MonkeyPatch, width: int = 80) -> str:
    monkeypatch.setattr(report_command, "console", Console(width=width))
    result = CliRunner().invoke(app, ["--config", str(config), "report", "pilot"])
    assert result.exit_code == 0, result.output
    return result.output


def _simulate(store: SqliteStore, ids: list[int]) -> None:
    """Mark the seeded requests ``ids`` as `spillway simulate --store` writes its own."""
    for rid in ids:
        store.execute("UPDATE callback_requests SET simulated = 1 WHERE id = :id", {"id": rid})


def _arm_ids(timing: str) -> list[int]:
    return [FIRST_ID + i for i, row in enumerate(ROWS) if row[0] == timing and row[1] == "pilot"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_report_says_how_many_are_simulated_before_the_verdicts(
    tmp_path: Path, store: SqliteStore, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = load_console_text(language)
    seed_pilot(store, time.time())
    config = _config(tmp_path, store, language, pilot=True)
    real = _report(config, monkeypatch)
    assert text("pilot.simulated_note", count="", simulate="", purge="")[:12] not in real
    simulated = _arm_ids("predicted")[:4] + _arm_ids("conventional")[:3]
    _simulate(store, simulated)
    # Beside real requests the simulated ones are left out, never mixed in: said so.
    shown = " ".join(_report(config, monkeypatch).split())
    words = {"simulate": "spillway simulate --store", "purge": "spillway db purge-simulated"}
    left_out = text(
        "pilot.left_out.simulated",
        count=text.count("count.requests", len(simulated)),
        predicted="4",
        conventional="3",
        show="spillway report pilot --data simulated",
        **words,
    )
    assert left_out in shown
    assert text("pilot.simulated_note", count="", **words)[:12] not in shown
    figures = json.loads(
        CliRunner().invoke(app, ["--config", str(config), "report", "pilot", "--json"]).stdout
    )
    assert figures["data"] == "real"
    assert figures["arms"]["predicted"]["requests"] == len(_arm_ids("predicted")) - 4
    # Asked for alone, the simulated ones are labelled before the table.
    monkeypatch.setattr(report_command, "console", Console(width=80))
    alone = CliRunner().invoke(
        app, ["--config", str(config), "report", "pilot", "--data", "simulated"]
    )
    shown = " ".join(alone.output.split())
    note = text("pilot.simulated_note", count=text.count("count.requests", len(simulated)), **words)
    assert note in shown
    # Before the table, under its title.
    assert shown.index(note) < shown.index(text("pilot.subtitle"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_verdict_from_simulated_requests_says_so(language: str) -> None:
    text = load_console_text(language)
    kpi = {"verdict": "predicted better", "interval": [0.1, 0.3]}
    plain = verdict_words(text, kpi)
    assert plain == text("pilot.verdicts.better")
    assert verdict_words(text, kpi, "all") == text("pilot.verdicts.simulated_all", verdict=plain)
    partly = verdict_words(text, kpi, "some")
    assert partly == text("pilot.verdicts.simulated_some", verdict=plain) != plain
    # No verdict: nothing to label.
    none = {"verdict": None, "interval": [-0.1, 0.3]}
    assert verdict_words(text, none, "all") == text("pilot.verdicts.covers_zero")
    arms = {"predicted": {"requests": 5, "simulated": 5}, "conventional": {"requests": 4}}
    arms["conventional"]["simulated"] = 4
    assert simulated_share({"arms": arms}) == "all"
    arms["conventional"]["simulated"] = 1
    assert simulated_share({"arms": arms}) == "some"
    arms["predicted"]["simulated"] = arms["conventional"]["simulated"] = 0
    assert simulated_share({"arms": arms}) == "none"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_walkthrough_s_simulated_pilot_is_labelled(
    tmp_path: Path, store: SqliteStore, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The admin's steps: `spillway simulate --policy pilot --store`, then the report."""
    text = load_console_text(language)
    config = _config(tmp_path, store, language, pilot=False)
    world = Path(__file__).parents[1] / "configs" / "worlds" / "consumers_evening.yaml"
    simulate = ["--config", str(config), "simulate", "--world", str(world)]
    stored = CliRunner().invoke(app, [*simulate, "--policy", "pilot", "--store"])
    assert stored.exit_code == 0, stored.output
    figures = json.loads(
        CliRunner().invoke(app, ["--config", str(config), "report", "pilot", "--json"]).stdout
    )
    simulated = sum(arm["simulated"] for arm in figures["arms"].values())
    verdicts = [k["verdict"] for k in [figures["primary"], *figures["secondary"]]]
    assert simulated and any(verdicts)  # a verdict, every request of it simulated
    # Wide enough that no verdict is wrapped across lines.
    shown = " ".join(_report(config, monkeypatch, width=300).split())
    count = text.count("count.requests", simulated)
    assert f"{text('common.simulated').upper()}: " in shown and count in shown
    for verdict in {v for v in verdicts if v}:
        word = text("pilot.verdicts." + ("better" if verdict == "predicted better" else "worse"))
        assert text("pilot.verdicts.simulated_all", verdict=word) in shown
        assert f"{word} │" not in shown  # never bare
    # No pilot is set in this shop: the report says how to start one beside the figures.
    assert text("pilot.no_pilot", setting=f"({SHARE_SETTING})") in shown


@pytest.mark.parametrize("language", LANGUAGES)
def test_without_a_pilot_the_report_says_how_to_start_one(
    tmp_path: Path, store: SqliteStore, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = load_console_text(language)
    shown = " ".join(_report(_config(tmp_path, store, language, pilot=False), monkeypatch).split())
    assert text("pilot.no_pilot", setting=f"({SHARE_SETTING})") in shown
    assert text("pilot.start") not in shown
    assert text("pilot.window", since=text("pilot.start_unset"), until="", zone="")[:20] in shown
    with_pilot = _report(_config(tmp_path, store, language, pilot=True), monkeypatch)
    assert SHARE_SETTING not in with_pilot


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_amount_has_the_shop_s_currency(
    tmp_path: Path, store: SqliteStore, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = load_console_text(language)
    seed_pilot(store, time.time())
    config = _config(tmp_path, store, language, pilot=True)
    shown = " ".join(_report(config, monkeypatch).split())
    json_out = CliRunner().invoke(app, ["--config", str(config), "report", "pilot", "--json"])
    terms = json.loads(json_out.stdout)["money"]["terms"]
    for term in ("saved_cost", "extra_revenue", "investment"):
        assert f"{text('pilot.' + term)} {text.money(terms[term], 'DKK')}" in shown, term


COLUMNS = ("kpi", "predicted", "conventional", "difference", "n_per_arm", "needed_per_arm")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_evidence_table_cuts_no_word_at_80_columns(
    tmp_path: Path, store: SqliteStore, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = load_console_text(language)
    seed_pilot(store, time.time())
    config = _config(tmp_path, store, language, pilot=True)
    # Too narrow for the table in the Pilot page's column names: each KPI, then each
    # figure after its column's name, whole.
    output = _report(config, monkeypatch, width=80)
    # The evidence: from the subtitle to the money table (its formula is its caption).
    evidence = output.split(text("pilot.subtitle"))[1].split(text("pilot.formula"))[0]
    assert "…" not in evidence and "┏" not in evidence
    lines = evidence.splitlines()
    for key in COLUMNS[1:]:
        assert any(line.startswith(f"  {text('pilot.' + key)}: ") for line in lines), key
    assert any(line.startswith(text("pilot.kpis.first_attempt_contact_rate")) for line in lines)
    # Wide enough: the table, its headers the page's, no word cut.
    wide = _report(config, monkeypatch, width=160)
    table = wide.split("┏")[1].split("┘")[0]
    assert "…" not in wide and all(len(line) <= 160 for line in table.splitlines())
    words = set(table.replace("│", " ").replace("┃", " ").split())
    for key in COLUMNS:
        for word in text(f"pilot.{key}").split():
            assert word in words, word


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_column_the_intro_names_is_one_the_table_has(language: str) -> None:
    # The Danish intro explained "nødvendigt pr. gruppe" over a column "behov pr. gruppe".
    text = load_console_text(language)
    intro = text("pilot.intervals", confidence="", power="", setting="")
    headers = {text(f"pilot.{key}").casefold() for key in (*COLUMNS, "verdict")}
    named = re.findall(r'"([^"]+)"|„([^“]+)“', intro)
    assert named  # each language's intro names a column, in its own quotation marks
    assert {(plain or low).casefold() for plain, low in named} <= headers


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_console_without_a_pilot_says_whose_figures_it_shows(
    db: AsyncStore,  # noqa: F811
    code: str,
) -> None:
    # The seeded pilot's requests are older than this console: an earlier pilot's, and
    # if the pilot was switched on since, a restart shows it (settings are read at start).
    text = load_console_text(code)
    page = _pages(_settings(code, share=None), db, ["/pilot"])["/pilot"]
    note = _words(page.split('id="pilot-no-pilot">')[1].split("</p>")[0])
    assert note.startswith(text("pilot.earlier_pilot", **dict.fromkeys(EARLIER, ""))[:30])
    assert SHARE_SETTING in note and "spillway web serve" in note
    assert text.count("count.requests", 21) in note  # both arms' pilot requests
    assert text("pilot.no_pilot", setting="").strip()[:40] not in note
    # "Since the first pilot request" with its date: a window, not a riddle.
    label = _words(page.split('id="pilot-window-label"')[1].split("</p>")[0])
    first = re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", label)
    assert first is not None
    assert text("pilot.start_unset_first", first=first.group(0)) in label
    running = _pages(_settings(code), db, ["/pilot"])["/pilot"]
    assert 'id="pilot-no-pilot"' not in running
    assert text("pilot.start_first", first=first.group(0)) in _words(
        running.split('id="pilot-window-label"')[1]
    )


EARLIER = ("count", "newest", "started", "setting", "command")


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_console_labels_a_simulated_verdict(
    tmp_path: Path, store: SqliteStore, code: str
) -> None:
    text = load_console_text(code)
    config = _config(tmp_path, store, code, pilot=True)
    world = Path(__file__).parents[1] / "configs" / "worlds" / "consumers_evening.yaml"
    simulate = ["--config", str(config), "simulate", "--world", str(world)]
    assert CliRunner().invoke(app, [*simulate, "--policy", "pilot", "--store"]).exit_code == 0
    shared = AsyncStore(store)
    try:
        page = _pages(_settings(code), shared, ["/pilot"])["/pilot"]
    finally:
        shared.close()
    labelled = [
        text("pilot.verdicts.simulated_all", verdict=text(f"pilot.verdicts.{word}"))
        for word in ("better", "worse")
    ]
    said = [_words(v.split("</td>")[0]) for v in page.split('class="verdict">')[1:]]
    assert len(said) == 4, said  # one per KPI
    assert any(cell in labelled for cell in said), said
    bare = {text("pilot.verdicts.better"), text("pilot.verdicts.worse")}
    assert not bare & set(said)
    assert 'id="pilot-simulated-note"' in page
