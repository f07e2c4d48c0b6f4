"""A Danish contact centre's admin reads `spillway signals import|map|list` in Danish:
every refused row by its line, with its stable code (the same in every language, and
the one ``POST /signals`` answers with), the summary, the file's warnings and the
table; the good rows of a file with bad ones are stored all the same. An English admin
reads the same, in English."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app, main
from spillway.console_text import load_console_text
from spillway.storage import SqliteStore
from tests.database_line import without_database_line

ROOT = Path(__file__).resolve().parents[1]


def _env(store: SqliteStore, language: str) -> dict[str, str]:
    return {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(store.path),
        "SPILLWAY_SHOP__LANGUAGE": language,
        "SPILLWAY_SHOP__TIMEZONE": "Europe/Copenhagen",
        "COLUMNS": "300",
    }


def _said(store: SqliteStore, language: str, *args: str) -> tuple[int, list[str]]:
    done = CliRunner().invoke(app, list(args), env=_env(store, language))
    said = without_database_line(done.output)
    return done.exit_code, [" ".join(line.split()) for line in said.splitlines()]


# Three good rows among seven bad ones, each bad in its own way.
EVENTS = (
    "phone;kind;at;note\n"
    "20 12 34 56;email_open;2026-03-02T14:05:00;Søren\n"  # 2: good
    "20 12 34 56;Email Open;2026-03-02T16:00:00;\n"  # 3: a kind of no one's
    "20 12 34 58;sms_reply;next tuesday;\n"  # 4: not a time
    "12;web_visit;2026-03-02T16:00:00;\n"  # 5: not a number
    "20 12 34 57;web_visit;2026-03-02T15:00:00+00:00;\n"  # 6: good
    ";web_visit;2026-03-02T16:00:00;\n"  # 7: no customer
    "20 12 34 59;web_visit;2099-03-02T16:00:00;\n"  # 8: in the future
    "20 12 34 59;web_visit;1999-03-02T16:00:00;\n"  # 9: before 2000
    "\n"
    "20 12 34 59;web_visit;1772460000;;x\n"  # 11: a field too many
    "20 12 34 60;inbound_call;1772460000;\n"  # 12: good
)


@pytest.mark.parametrize(
    ("language", "rows", "warning", "summary"),
    [
        (
            "da",
            [
                "linje 3: kind 'Email Open': skal være web_visit, email_open, inbound_call, "
                "sms_reply eller en type, I selv har valgt, med små bogstaver, cifre og _ "
                "(højst 32 tegn) [signal.bad_kind]",
                "linje 4: at 'next tuesday': skal være et tidspunkt i ISO 8601-format "
                "(2026-03-02T14:05:00+01:00) [signal.bad_time]",
                "linje 5: phone '12': ikke et gyldigt telefonnummer: skal være et nummer i DK "
                "eller et med landekode (+45 20 12 34 56) [signal.bad_phone]",
                "linje 7: phone: mangler (angiv phone eller customer_id) [signal.no_phone]",
                "linje 8: at: ligger i fremtiden (et tidspunkt uden tidsforskydning er i "
                "butikkens tidszone) [signal.time_ahead]",
                "linje 9: at: ikke et tidspunkt efter år 2000 [signal.time_before_2000]",
                "linje 11: rækken har flere felter end overskriftsrækken [signal.more_fields]",
            ],
            "kolonnen 'note' bruger Spillway ikke: den springes over",
            "3 hændelser gemt, 0 fandtes allerede, 7 rækker afvist",
        ),
        (
            "en",
            [
                "line 3: kind 'Email Open': expected web_visit, email_open, inbound_call, "
                "sms_reply, or a kind of your own in lower-case letters, digits and _ "
                "(at most 32) [signal.bad_kind]",
                "line 4: at 'next tuesday': expected ISO 8601 (2026-03-02T14:05:00+01:00) "
                "[signal.bad_time]",
                "line 5: phone '12': not a valid phone number: expected a number of DK or one "
                "with its country code (+45 20 12 34 56) [signal.bad_phone]",
                "line 7: phone: missing (give phone or customer_id) [signal.no_phone]",
                "line 8: at: in the future (a time without an offset is the shop's) "
                "[signal.time_ahead]",
                "line 9: at: not a time after the year 2000 [signal.time_before_2000]",
                "line 11: more fields than the header has [signal.more_fields]",
            ],
            "column 'note' is not one Spillway reads: ignored",
            "3 events stored, 0 already there, 7 rows refused",
        ),
    ],
)
def test_a_signals_csv_names_each_refused_row_by_line_and_code_and_stores_the_good_ones(
    store: SqliteStore,
    tmp_path: Path,
    language: str,
    rows: list[str],
    warning: str,
    summary: str,
) -> None:
    file = tmp_path / "events.csv"
    file.write_text(EVENTS, encoding="utf-8")
    code, said = _said(store, language, "signals", "import", str(file))
    assert code == 1, said
    assert f"{file}: {warning}" in said, said
    refused = [line for line in said if line.startswith(f"{file} ")]
    assert refused == [f"{file} {row}" for row in rows]
    assert said[-1] == summary
    stored = store.query("SELECT phone, kind, source FROM customer_signals ORDER BY phone")
    assert [(r["phone"], r["kind"], r["source"]) for r in stored] == [
        ("+4520123456", "email_open", "csv"),
        ("+4520123457", "web_visit", "csv"),
        ("+4520123460", "inbound_call", "csv"),
    ]
    # The same file again: nothing stored twice, the same rows refused.
    code, said = _said(store, language, "signals", "import", str(file))
    assert code == 1 and len(store.query("SELECT event_id FROM customer_signals")) == 3
    assert [line for line in said if line.startswith(f"{file} ")] == refused


# What `signals map`, `import` of an unmapped id and `list` say, in each language.
MAP_AND_LIST: dict[str, dict[str, str]] = {
    "da": {
        "unmapped": "linje 3: customer_id: intet nummer er knyttet til kunde-id'et "
        "'C-9' (spillway signals map) [signal.unmapped_customer_id]",
        "imported": "1 hændelse gemt, 0 fandtes allerede, 1 række afvist",
        "bad_phone": "linje 3: phone 'x': ikke et gyldigt telefonnummer: skal være et "
        "nummer i DK eller et med landekode (+45 20 12 34 56) [signal.bad_phone]",
        "bad_id": "linje 4: customer_id: 1 til 100 udskrivbare tegn, uden "
        "mellemrum først eller sidst [signal.bad_customer_id]",
        "empty_id": "linje 5: customer_id: kunde-id'et er tomt [signal.customer_id_empty]",
        "mapped": "1 kunde-id knyttet til et nummer, 3 rækker afvist",
        "removed": "C-1 er ikke længere knyttet til et nummer",
        "not_mapped": "C-1 var ikke knyttet til et nummer",
        "title": "signaler, nyeste først, tider i Europe/Copenhagen",
        "columns": "┃ tidspunkt ┃ type ┃ telefon ┃ kilde ┃ id ┃",
    },
    "en": {
        "unmapped": "line 3: customer_id: no number is mapped to customer id 'C-9' "
        "(spillway signals map) [signal.unmapped_customer_id]",
        "imported": "1 event stored, 0 already there, 1 row refused",
        "bad_phone": "line 3: phone 'x': not a valid phone number: expected a number "
        "of DK or one with its country code (+45 20 12 34 56) [signal.bad_phone]",
        "bad_id": "line 4: customer_id: 1 to 100 printable characters, no spaces at "
        "the ends [signal.bad_customer_id]",
        "empty_id": "line 5: customer_id: the customer id is empty [signal.customer_id_empty]",
        "mapped": "1 customer id mapped, 3 rows refused",
        "removed": "removed C-1",
        "not_mapped": "no mapping of C-1",
        "title": "signals, newest first, times in Europe/Copenhagen",
        "columns": "┃ at ┃ kind ┃ phone ┃ source ┃ id ┃",
    },
}


@pytest.mark.parametrize("language", ["da", "en"])
def test_map_and_list_speak_the_admins_language_and_an_unmapped_id_is_a_coded_row(
    store: SqliteStore, tmp_path: Path, language: str
) -> None:
    said = MAP_AND_LIST[language]
    mapping = tmp_path / "customers.csv"
    mapping.write_text("customer_id,phone\nC-1,20123456\nC-2,x\nC-3\x01,20123457\n,20123458\n")
    code, lines = _said(store, language, "signals", "map", "--file", str(mapping))
    assert code == 1
    assert [line for line in lines if line.startswith(f"{mapping} ")] == [
        f"{mapping} {said['bad_phone']}",
        f"{mapping} {said['bad_id']}",
        f"{mapping} {said['empty_id']}",
    ]
    assert lines[-1] == said["mapped"]
    events = tmp_path / "events.csv"
    events.write_text(
        "id,customer_id,kind,at\n"
        "e1,C-1,web_visit,2026-03-02T14:05:00Z\n"
        "e2,C-9,web_visit,2026-03-02T14:07:00Z\n"
    )
    code, lines = _said(store, language, "signals", "import", str(events))
    assert code == 1
    assert f"{events} {said['unmapped']}" in lines and lines[-1] == said["imported"]
    code, lines = _said(store, language, "signals", "list")
    assert code == 0 and said["title"] in lines and said["columns"] in lines, lines
    assert _said(store, language, "signals", "map", "--remove", "C-1") == (0, [said["removed"]])
    assert _said(store, language, "signals", "map", "--remove", "C-1") == (
        0,
        [said["not_mapped"]],
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ("signals", "map", " C-1", "20123456"),
            {
                "da": "kunde-id'et ' C-1': 1 til 100 udskrivbare tegn, uden mellemrum "
                "først eller sidst [input.bad_customer_id]",
                "en": "customer id ' C-1': 1 to 100 printable characters, no spaces at the ends "
                "[input.bad_customer_id]",
            },
        ),
        (
            ("signals", "import", "{dir}/x.csv"),
            {
                "da": "{dir}/x.csv: overskriftsrækken mangler kolonnerne kind, at (phone, when); "
                "kolonnerne kan være adskilt af kommaer, semikoloner, tabulatorer eller "
                "lodrette streger [input.csv_file]",
                "en": "{dir}/x.csv: no kind, at columns in the header (phone, when); columns "
                "may be separated by commas, semicolons, tabs or bars [input.csv_file]",
            },
        ),
        (
            ("signals", "map", "--file", "{dir}/x.csv"),
            {
                "da": "{dir}/x.csv: overskriftsrækken skal have kolonnerne customer_id og phone "
                "(phone, when) [input.csv_file]",
                "en": "{dir}/x.csv: expected a header with customer_id and phone (phone, when) "
                "[input.csv_file]",
            },
        ),
    ],
    ids=["customer-id", "import-header", "map-header"],
)
def test_a_refused_argument_or_file_is_said_in_the_admins_language_with_its_code(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    store: SqliteStore,
    tmp_path: Path,
    args: tuple[str, ...],
    said: dict[str, str],
) -> None:
    """As `spillway` prints it on stderr (cli.main.main), exit code 2, in each language."""
    (tmp_path / "x.csv").write_text("phone,when\n+4520123456,2026-03-02\n")
    argv = [arg.format(dir=tmp_path) for arg in args]
    monkeypatch.setattr(sys, "argv", ["spillway", *argv])
    for language, words in said.items():
        for name, value in _env(store, language).items():
            monkeypatch.setenv(name, value)
        with pytest.raises(SystemExit) as done:
            main()
        assert done.value.code == 2
        err = without_database_line(capsys.readouterr().err)
        assert " ".join(err.split()) == words.format(dir=tmp_path)


# `EventRefused(field, "name", ...)` and `SignalProblem.named(where, field, "name", ...)`.
REFUSED = re.compile(r"EventRefused\(\s*[^,()]+,\s*\"(\w+)\"")
NAMED = re.compile(r"SignalProblem\.named\(\s*[^,()]+,\s*[^,()]+,\s*\"(\w+)\"")


def test_every_refusal_of_an_event_has_its_words_in_both_packs() -> None:
    """A refusal named in the code without its words would fail only when a row is
    refused for it; each is named here instead (and the packs have the same keys)."""
    en, da = load_console_text("en").strings, load_console_text("da").strings
    names: set[str] = {"customer_id_empty", "bad_customer_id"}  # customer_id_problem's
    for path in [*ROOT.glob("scheduler/signal_*.py"), ROOT / "web" / "signals_api.py"]:
        source = path.read_text(encoding="utf-8")
        names.update(REFUSED.findall(source), NAMED.findall(source))
    assert len(names) >= 18, sorted(names)
    for name in sorted(names):
        key = f"cli.signals.refused.{name}"
        assert key in en and key in da, key
        assert en[key] != da[key], key  # the Danish pack's own words, not the English
    for name in ("customer_id_empty", "bad_customer_id"):  # `signals map ID PHONE`
        assert f"errors.input.{name}" in en and f"errors.input.{name}" in da
