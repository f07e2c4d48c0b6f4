"""`spillway signals import|map|list`: bad rows named by line and field, the good rows kept,
a file imported twice stored once, customer ids mapped to numbers, a customer's events."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler.signal_csv import read_signal_csv
from scheduler.signal_intake import EventReader, SignalProblem
from spillway.errors import InputError
from spillway.storage import SqliteStore
from tests.database_line import without_database_line

runner = CliRunner()
READER = EventReader("DK", ZoneInfo("Europe/Copenhagen"), 1_800_000_000.0, id_required=False)


@pytest.fixture
def config(tmp_path: Path, store: SqliteStore) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(
        f"storage:\n  sqlite_path: {store.path}\nshop:\n  timezone: Europe/Copenhagen\n"
    )
    return path


def _spillway(config: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--config", str(config), *args], env={"COLUMNS": "200"})
    return result.exit_code, without_database_line(result.output)


def _rows(store: SqliteStore) -> list[tuple[str, str, float, str]]:
    return [
        (r["phone"], r["kind"], r["at"], r["source"])
        for r in store.query("SELECT * FROM customer_signals ORDER BY at, phone")
    ]


# A Danish Excel's export: semicolons, Windows-1252 (the ø), no ids.
DANISH = (
    "phone;kind;at;note\n"
    "20 12 34 56;email_open;2026-03-02T14:05:00;åbnet\n"
    "20 12 34 57;web_visit;2026-03-02T15:00:00+00:00;\n"
    "20 12 34 56;Email Open;2026-03-02T16:00:00;\n"
    "20 12 34 58;sms_reply;next tuesday;\n"
    "12;web_visit;2026-03-02T16:00:00;\n"
    "\n"
    "20 12 34 59;web_visit;1772460000;kø\n"
).encode("cp1252")


def test_bad_rows_are_named_by_line_and_field_and_the_good_ones_stored_once(
    config: Path, store: SqliteStore, tmp_path: Path
) -> None:
    file = tmp_path / "opens.csv"
    file.write_bytes(DANISH)
    code, out = _spillway(config, "signals", "import", str(file))
    assert code == 1, out
    assert "read as Windows-1252" in out and "column 'note'" in out
    assert f"{file} line 4: kind 'Email Open': expected web_visit, email_open," in out
    assert f"{file} line 5: at 'next tuesday': expected ISO 8601" in out
    assert f"{file} line 6: phone '12': not a valid phone number: expected a number of DK" in out
    assert "3 events stored, 0 already there, 3 rows refused" in out
    assert _rows(store) == [
        # 14:05 in Copenhagen (no offset: the shop's zone) is 13:05 UTC.
        ("+4520123456", "email_open", 1_772_456_700.0, "csv"),
        ("+4520123459", "web_visit", 1_772_460_000.0, "csv"),
        ("+4520123457", "web_visit", 1_772_463_600.0, "csv"),
    ]
    # The same file again: each row's id is made from its content, so nothing twice.
    code, out = _spillway(config, "signals", "import", str(file))
    assert "0 events stored, 3 already there, 3 rows refused" in out
    assert len(_rows(store)) == 3


def test_a_refused_number_is_shown_masked_with_what_is_expected_as_callbacks_do(
    config: Path, tmp_path: Path
) -> None:
    file = tmp_path / "numbers.csv"
    file.write_text("phone,kind,at\n20 12 34 5,web_visit,2026-03-02T14:05:00Z\n")
    code, out = _spillway(config, "signals", "import", str(file))
    assert code == 1, out
    # The callback import's form (tests/test_callbacks_import.py): the number masked.
    assert (
        f"{file} line 2: phone '*****45': not a valid phone number: expected a number of DK "
        "or one with its country code (+45 20 12 34 56)"
    ) in out
    assert "2012345" not in out
    mapping = tmp_path / "customers.csv"
    mapping.write_text("customer_id,phone\nC-1,20 12 34 5\n")
    code, out = _spillway(config, "signals", "map", "--file", str(mapping))
    assert code == 1 and f"{mapping} line 2: phone '*****45': not a valid phone number" in out
    assert "2012345" not in out


def test_events_by_customer_id_reach_the_mapped_number(
    config: Path, store: SqliteStore, tmp_path: Path
) -> None:
    mapping = tmp_path / "customers.csv"
    mapping.write_text("customer_id,phone\nC-1,20123456\nC-2,not a number\nC-3,+4520123457\n")
    code, out = _spillway(config, "signals", "map", "--file", str(mapping))
    assert code == 1, out
    assert f"{mapping} line 3: phone 'not a number': not a valid phone number: expected" in out
    assert "2 customer ids mapped, 1 row refused" in out
    code, out = _spillway(config, "signals", "map", "C-3", "20 12 34 58")  # a new number
    assert code == 0, out
    events = tmp_path / "events.csv"
    events.write_text(
        "id,customer_id,kind,at\n"
        "e1,C-1,web_visit,2026-03-02T14:05:00Z\n"
        "e2,C-3,web_visit,2026-03-02T14:06:00Z\n"
        "e3,C-9,web_visit,2026-03-02T14:07:00Z\n"
    )
    code, out = _spillway(config, "signals", "import", str(events))
    assert code == 1
    assert f"{events} line 4: customer_id: no number is mapped to customer id 'C-9'" in out
    assert [(phone, kind) for phone, kind, _at, _s in _rows(store)] == [
        ("+4520123456", "web_visit"),
        ("+4520123458", "web_visit"),
    ]
    code, out = _spillway(config, "signals", "map", "--remove", "C-1")
    assert code == 0 and "removed C-1" in out
    assert store.query("SELECT customer_id FROM signal_customer_ids") == [{"customer_id": "C-3"}]


def test_list_shows_one_customers_events_newest_first(
    config: Path, store: SqliteStore, tmp_path: Path
) -> None:
    file = tmp_path / "e.csv"
    file.write_text(
        "phone,kind,at\n"
        "+4520123456,email_open,2026-03-02T14:05:00+01:00\n"
        "+4520123456,web_visit,2026-03-03T09:00:00+01:00\n"
        "+4520123457,web_visit,2026-03-03T10:00:00+01:00\n"
    )
    assert _spillway(config, "signals", "import", str(file))[0] == 0
    code, out = _spillway(config, "signals", "list", "--phone", "20 12 34 56", "--json", "--full")
    assert code == 0, out
    listed = json.loads(out)
    assert [(e["kind"], e["phone"]) for e in listed] == [
        ("web_visit", "+4520123456"),
        ("email_open", "+4520123456"),
    ]
    code, out = _spillway(config, "signals", "list", "--phone", "20123456")
    assert "2026-03-03 09:00 CET" in out and "+********56" in out and "23457" not in out


def test_a_quote_left_open_is_named_and_swallows_no_row_silently() -> None:
    text = (
        "phone,kind,at\n"
        '+4520123456,"web_visit,2026-03-02T14:05:00Z\n'
        "+4520123457,web_visit,2026-03-02T14:05:00Z\n"
    )
    rows = list(read_signal_csv(text, READER).rows)
    [problem] = rows
    assert isinstance(problem, SignalProblem) and problem.where == 2
    assert problem.code == "signal.quote_open"
    assert "runs on over lines 2 to 3" in str(problem.reason)


def test_a_file_without_the_columns_is_refused_whole(config: Path, tmp_path: Path) -> None:
    file = tmp_path / "x.csv"
    file.write_text("phone,when\n+4520123456,2026-03-02\n")
    result = runner.invoke(app, ["--config", str(config), "signals", "import", str(file)])
    assert isinstance(result.exception, InputError)  # `spillway` prints it, exit code 2
    assert "no kind, at columns in the header (phone, when)" in str(result.exception)
