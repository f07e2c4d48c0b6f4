"""`spillway callbacks import`: bad rows named by line and reason, the good rows kept."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler.csv_import import CsvError, parse_csv
from spillway.storage import SqliteStore


def _working_day() -> date:
    """A Danish working day a few days ahead: the window must be one the rules can honour."""
    day = date.today() + timedelta(days=3)
    closed = holidays.country_holidays("DK", years=[day.year, day.year + 1])
    while day.weekday() >= 5 or day in closed:
        day += timedelta(days=1)
    return day


DAY = _working_day().isoformat()
CPH = ZoneInfo("Europe/Copenhagen")
CSV = f"""phone,name,timezone,not_before,not_after,traditional,consent,segment
20 12 34 56,Anna,,{DAY}T14:00,{DAY}T16:00,no,yes,consumer
+4590123456,Premium,,,,,,
not a number,Bob,,,,,,
+12125550123,Carl,America/New_York,,,yes,yes,b2b
+4520123457,Dora,Mars/Olympus,,,,,
+4520123458,Eve,,tomorrow,,,,
+4520123459,Finn,,,,maybe,,
+4520123456,Anna again,,,,,,
"""


def test_each_bad_row_is_named_by_its_line() -> None:
    parsed = parse_csv(
        CSV, region="DK", default_timezone="Europe/Copenhagen", allowed_countries={"DK", "US"}
    )
    assert [(line, r.phone) for line, r in parsed.requests] == [
        (2, "+4520123456"),
        (5, "+12125550123"),
        (9, "+4520123456"),
    ]
    assert [str(e) for e in parsed.errors] == [
        "line 3: phone '+********56': a premium-rate number is not called back "
        "[callback.phone_kind]",
        "line 4: phone 'not a number': not a valid phone number [callback.bad_phone]",
        "line 6: timezone 'Mars/Olympus' is not an IANA time zone name [callback.bad_timezone]",
        "line 7: not_before 'tomorrow': not a time Spillway can read: write it as "
        "2026-12-07 09:00 (year-month-day) or 07-12-2026 09:00 (day-month-year); "
        "without an offset, the customer's time zone [callback.bad_time]",
        "line 8: traditional 'maybe': expected yes or no (also ja/nej, true/false, 1/0) "
        "[callback.bad_flag]",
    ]
    anna = parsed.requests[0][1]
    assert anna.timezone == "Europe/Copenhagen" and anna.consent and not anna.traditional
    assert anna.not_after is not None and anna.not_before is not None
    assert anna.not_after - anna.not_before == 7200
    carl = parsed.requests[1][1]
    assert carl.timezone == "America/New_York" and carl.traditional and carl.segment == "b2b"


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        ("20123456,a,b\n", "callback.more_fields"),
        (",Anna\n", "callback.phone_empty"),
        ("90 12 34 56,Premium\n", "callback.phone_kind"),
        ("+46701234567,Sven\n", "callback.phone_abroad"),
        ('20123456,"Anna\n', "callback.quote_open"),
        ('20123456,"Anna\n20123457,Bo\n20123458,Carl"\n', "callback.rows_swallowed"),
    ],
)
def test_each_kind_of_refused_row_has_its_stable_code(rows: str, code: str) -> None:
    """The code names the kind of refusal, the same in every language (a support
    search finds it); the words say it in the admin's language."""
    parsed = parse_csv("phone,name\n" + rows, region="DK", default_timezone="UTC")
    assert [(e.line, e.code) for e in parsed.errors] == [(2, code)]
    assert str(parsed.errors[0]).endswith(f" [{code}]")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("name\nx\n", "no phone column"),
        # A Danish spreadsheet's own headings: told the names to use instead.
        # Neither an English nor a Danish name of the phone column: told the names to use.
        (
            "Tlf.nr;Navn\n20123456;Bo\n",
            r"no phone column in the header \(tlf.nr;navn\): name the columns "
            r"phone \(required\), name, reason, timezone,",
        ),
        ("phone,Phone\n", "named twice"),
    ],
)
def test_an_unusable_file_is_one_error(text: str, message: str) -> None:
    with pytest.raises(CsvError, match=message):
        parse_csv(text, region="DK", default_timezone="Europe/Copenhagen")


def test_the_command_imports_the_good_rows_and_reports_the_rest(
    tmp_path: Path, store: SqliteStore
) -> None:
    csv_file = tmp_path / "callbacks.csv"
    csv_file.write_text(CSV)
    config = tmp_path / "c.yaml"
    config.write_text(
        f"storage:\n  sqlite_path: {store.path}\ncallbacks:\n  allowed_countries: [DK, US]\n"
    )
    result = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "import", str(csv_file)]
    )
    assert result.exit_code == 1, result.output
    assert "line 3: phone '+********56': a premium-rate number" in result.output
    assert (
        "2 requests added, 1 merged into open ones (request 1), 0 already there, "
        "5 rows refused (5 to correct, 0 on the do-not-call list, 0 whose consent says no)"
        in " ".join(result.output.split())
    )
    rows = store.query("SELECT phone, source, timezone, traditional FROM callback_requests")
    assert [(r["phone"], r["source"], r["timezone"], r["traditional"]) for r in rows] == [
        ("+4520123456", "csv", "Europe/Copenhagen", 0),
        ("+12125550123", "csv", "America/New_York", 1),
    ]
    listed = CliRunner().invoke(app, ["--config", str(config), "callbacks", "list"])
    assert "+********56" in listed.output and "+4520123456" not in listed.output


def test_a_row_for_a_do_not_call_number_is_refused_by_its_line_and_stores_nothing(
    tmp_path: Path, store: SqliteStore
) -> None:
    store.insert("do_not_call", {"phone": "+4520123456", "source": "admin", "added_at": 1.0})
    csv_file = tmp_path / "callbacks.csv"
    csv_file.write_text("phone,name\n20 12 34 56,Anna\n31 98 76 54,Bo\n")
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {store.path}\n")
    result = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "import", str(csv_file)]
    )
    assert result.exit_code == 0, result.output  # refused as asked: nothing to correct
    said = " ".join(result.output.split())
    assert "line 2: phone '+********56': the number is on the do-not-call list" in said
    assert "[callback.do_not_call]" in said
    assert "1 request added" in said
    assert "1 row refused (0 to correct, 1 on the do-not-call list, 0 whose" in said
    assert [r["name"] for r in store.query("SELECT name FROM callback_requests")] == ["Bo"]


def test_importing_the_same_file_again_finds_every_request_already_there(
    tmp_path: Path, store: SqliteStore
) -> None:
    """A replay is not a merge: nothing is added to the open requests' history either."""
    csv_file = tmp_path / "callbacks.csv"
    csv_file.write_text(
        "phone,name,reason,idempotency_key\n"
        "20 12 34 56,Anna,order,\n"
        "20 12 34 56,Anna,return,k-2\n"  # joins Anna's open request
        "31 98 76 54,Bo,,k-3\n"
    )
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {store.path}\n")
    command = ["--config", str(config), "callbacks", "import", str(csv_file)]
    first = CliRunner().invoke(app, command)
    assert "2 requests added, 1 merged into open ones (request 1), 0 already there" in first.output
    contexts = [r["context"] for r in store.query("SELECT context FROM callback_requests")]
    again = CliRunner().invoke(app, command)
    assert again.exit_code == 0, again.output
    assert "0 requests added, 0 merged into open ones, 3 already there" in again.output
    assert [r["context"] for r in store.query("SELECT context FROM callback_requests")] == contexts


def test_a_row_without_a_window_merged_later_widens_the_window_and_keeps_its_name(
    tmp_path: Path, store: SqliteStore
) -> None:
    """A row for a customer who already waits is another request to serve: one that asks
    for any time must not stop being called when the open one's window closes, and its
    reason is kept beside the open one's. The summary names the request it joined."""
    first, second, third = (tmp_path / f"m{i}.csv" for i in (1, 2, 3))
    first.write_text(
        f"phone,name,reason,not_before,not_after\n70707070,Anne A,Levering,{DAY}T10:00,"
        f"{DAY}T12:00\n"
    )
    second.write_text("phone,name,reason\n70707070,Bent B,invoice\n")
    third.write_text("phone,name\n31 98 76 54,\n31 98 76 54,Carla C\n")
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {store.path}\n")
    outputs = []
    for csv_file in (first, second, third):
        result = CliRunner().invoke(
            app, ["--config", str(config), "callbacks", "import", str(csv_file)]
        )
        assert result.exit_code == 0, result.output
        outputs.append(" ".join(result.output.split()))
    assert "1 merged into open ones (request 1)" in outputs[1]
    assert "1 merged into open ones (request 2)" in outputs[2]
    anne, carla = store.query(
        "SELECT name, reason, not_before, not_after, expires_at, deadline, created_at, "
        "context FROM callback_requests ORDER BY id"
    )
    # Any time from now (Bent's row) and Monday's window (Anne's): no start, no end but
    # the expiry, which is still the later one (counted from the window's start).
    assert anne["not_before"] is None and anne["not_after"] is None
    window_end = datetime.combine(date.fromisoformat(DAY), time(12), CPH).timestamp()
    assert anne["expires_at"] > window_end
    # The earlier promise is kept: Bent's row is aimed at within the usual hours from its
    # import, not at Anne's window.
    assert anne["created_at"] < anne["deadline"] <= window_end
    assert anne["reason"] == "Levering; invoice"
    assert anne["name"] == "Anne A"
    [joined] = json.loads(anne["context"])["merged"]
    assert joined["name"] == "Bent B" and joined["reason"] == "invoice"
    # An open request without a name takes the one that joined it.
    assert carla["name"] == "Carla C"
