"""`spillway callbacks list` and `show`: times in the shop's zone, named; a customer's
requests found by their number in any form."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from cli.main import app
from cli.request_card import moment
from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from spillway.storage import SqliteStore

# 10:00 UTC on a summer day: 12:00 CEST in Copenhagen.
NOT_BEFORE = datetime(2026, 7, 1, 10, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def config(tmp_path: Path, store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TZ", "UTC")  # the machine's own zone is not the shop's
    time.tzset()
    path = tmp_path / "c.yaml"
    path.write_text(
        f"storage:\n  sqlite_path: {store.path}\nshop:\n  timezone: Europe/Copenhagen\n"
    )
    return path


def _request(store: SqliteStore, phone: str, **kwargs: object) -> int:
    with store.transaction() as tx:
        return intake.record(
            tx,
            NewRequest(phone, RequestSource.API, "t", **kwargs),  # type: ignore[arg-type]
            region="DK",
            now=NOT_BEFORE - 3600,
        ).id


def _invoke(config: Path, *args: str) -> str:
    result = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", *args], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_times_are_in_the_shops_zone_and_say_so(config: Path, store: SqliteStore) -> None:
    request_id = _request(store, "+4520123456", not_before=NOT_BEFORE)
    listed = _invoke(config, "list")
    assert "times in Europe/Copenhagen" in listed
    assert "Wed 1 Jul 12:00" in listed  # short, for 80 columns: the title names the zone
    shown = _invoke(config, "show", str(request_id))
    assert "times in Europe/Copenhagen" in shown
    assert "created:         2026-07-01 11:00 CEST" in shown
    # Timed by prediction (the default), the customer was told the day: the promise is
    # that day's close of calling hours, in the shop's zone (the target, four calling
    # hours after 11:00, is 15:00).
    assert "deadline:        2026-07-01 20:00 CEST" in shown


def test_show_gives_an_admin_the_whole_request(config: Path, store: SqliteStore) -> None:
    """Name, reason, timing, window, deadline and expiry in the shop's zone, the plan,
    each attempt with its time and outcome, and where the explanation is."""
    request_id = _request(
        store,
        "+4520123456",
        name="Anna Jensen",
        not_before=NOT_BEFORE,
        not_after=NOT_BEFORE + 2 * 3600,
        deadline=NOT_BEFORE + 3600,
        expires_at=NOT_BEFORE + 86400,
    )
    store.execute(
        "UPDATE callback_requests SET timing = 'conventional', timing_reason = 'customer', "
        "attempts = 1, planned_by = 'traditional', plan_pick_share = 0.5 WHERE id = ?",
        (request_id,),
    )
    store.insert(
        "callback_attempts",
        {
            "id": "a1",
            "request_id": request_id,
            "phone": "+4520123456",
            "attempt_no": 1,
            "started_at": NOT_BEFORE,
            "ended_at": NOT_BEFORE + 30,
            "outcome": "no_answer",
            "local_weekday": 2,
            "local_hour": 12,
            "hours_since_request": 1.0,
            "policy": "traditional",
        },
    )
    shown = _invoke(config, "show", str(request_id))
    for line in (
        "number:          +4520123456",
        "name:            Anna Jensen",
        "reason:          t",
        "source:          API",  # the stored codes in the pack's words
        "timing:          conventional (the customer asked for conventional timing)",
        "window:          2026-07-01 12:00 CEST to 2026-07-01 14:00 CEST",
        # No call after the window asked for: given up at its end, before the expiry.
        "expires:         2026-07-01 14:00 CEST, when the window asked for ends: no call after "
        "it (the expiry, 2026-07-02 12:00 CEST, comes later)",
        # Conventional timing predicts no chance: the 0.5 stored beside its plan is none.
        "hour chosen:     by conventional timing\n",
        "1. 2026-07-01 12:00 CEST: no answer, ended 2026-07-01 12:00 CEST "
        "(planned by conventional)",
        f"spillway callbacks explain {request_id}",
    ):
        assert line in shown, (line, shown)


@pytest.mark.parametrize("typed", ["20 12 34 56", "+45 20 12 34 56", "004520123456"])
def test_a_customers_requests_are_found_by_number(
    config: Path, store: SqliteStore, typed: str
) -> None:
    first = _request(store, "+4520123456")
    store.execute("UPDATE callback_requests SET status = 'done' WHERE id = ?", (first,))
    second = _request(store, "20123456")
    _request(store, "+4520999999")
    found = json.loads(_invoke(config, "list", "--phone", typed, "--json"))
    # Every status by default: a team lead looks for what happened, too.
    assert [r["id"] for r in found] == [second, first]
    table = _invoke(config, "list", "--phone", typed)
    assert "callback requests (all, +********56)" in table
    assert table.count("+********56") == 3 and "+********99" not in table  # title, 2 rows
    open_only = json.loads(_invoke(config, "list", "--phone", typed, "--status", "open", "--json"))
    assert [r["id"] for r in open_only] == [second]


def test_a_search_for_something_that_is_no_number_says_so(config: Path) -> None:
    result = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "list", "--phone", "anna"]
    )
    assert result.exit_code != 0
    assert "'anna' is not a phone number" in str(result.exception)


def test_show_gives_the_promise_and_the_next_call_explain_gives(
    config: Path, store: SqliteStore
) -> None:
    """A request as every door records it (no deadline stored): `show` said "deadline: -"
    and "not planned yet" while `explain` gave a promise and a next call (issue 19)."""
    request_id = _request(store, "+4520123456")
    explained = json.loads(_invoke(config, "explain", str(request_id), "--json"))
    shown = _invoke(config, "show", str(request_id))
    zone = ZoneInfo("Europe/Copenhagen")
    assert f"deadline:        {moment(explained['promised_by'], zone)}" in shown
    assert f"expires:         {moment(explained['expires_at'], zone)}" in shown
    plan = next(line for line in shown.splitlines() if line.startswith("  plan:"))
    assert plan.split(":", 1)[1].strip() == " ".join(explained["timeline"])
    as_json = json.loads(_invoke(config, "show", str(request_id), "--json"))
    assert as_json["promise"]["timeline"] == explained["timeline"]
    # One deadline in it, not the empty stored column beside the promise's.
    assert as_json["deadline"] == as_json["promise"]["promised_by"] is not None
    assert as_json["expires_at"] == as_json["promise"]["expires_at"] is not None


def test_the_rule_based_timing_has_one_name_wherever_it_is_shown(
    config: Path, store: SqliteStore
) -> None:
    """The rows say 'traditional' (planned_by, an attempt's policy); `show` and `explain`
    said "planned by traditional" beside "timing: conventional" (issue 19)."""
    request_id = _request(store, "+4520123456", traditional=True)
    store.execute(
        "UPDATE callback_requests SET planned_by = 'traditional', plan_pick_share = 1.0 "
        "WHERE id = ?",
        (request_id,),
    )
    store.insert(
        "callback_attempts",
        {
            "id": "a1",
            "request_id": request_id,
            "phone": "+4520123456",
            "attempt_no": 1,
            "started_at": NOT_BEFORE,
            "ended_at": NOT_BEFORE + 30,
            "outcome": "no_answer",
            "local_weekday": 2,
            "local_hour": 12,
            "hours_since_request": 1.0,
            "policy": "traditional",
        },
    )
    for command in ("show", "explain"):
        said = _invoke(config, command, str(request_id))
        assert "conventional" in said, said
        assert "traditional" not in said.lower(), said


def test_list_json_gives_the_tables_masks_and_times_with_the_shops_offset(
    config: Path, store: SqliteStore
) -> None:
    """`--json` gave epoch seconds; now ISO 8601 with the shop's offset (the merged
    request's time in the context too), and the number masked as in the table."""
    request_id = _request(store, "+4520123456", not_before=NOT_BEFORE)
    _request(store, "20123456")  # merged into the open one
    [listed] = json.loads(_invoke(config, "list", "--json"))
    assert listed["id"] == request_id
    assert listed["created_at"] == "2026-07-01T11:00:00+02:00"
    assert listed["not_before"] == "2026-07-01T12:00:00+02:00"
    assert [m["at"] for m in listed["context"]["merged"]] == ["2026-07-01T11:00:00+02:00"]
    table = _invoke(config, "list")
    [row] = [line for line in table.splitlines() if line.startswith(f"│ {request_id} ")]
    assert row.split("│")[2].strip() == listed["phone"] == "+********56"
    # A winter moment has the winter offset: the zone's, not a fixed one.
    store.execute(
        "UPDATE callback_requests SET not_before = ? WHERE id = ?",
        (datetime(2026, 12, 1, 9, 0, tzinfo=UTC).timestamp(), request_id),
    )
    [listed] = json.loads(_invoke(config, "list", "--json"))
    assert listed["not_before"] == "2026-12-01T10:00:00+01:00"


def _a_later_window(days: int = 3) -> tuple[datetime, datetime]:
    """13:00 to 16:00 (Copenhagen) on the first working day ``days`` or more from now."""
    from datetime import timedelta

    from scheduler.rules import CallingRules, is_holiday

    zone = ZoneInfo("Europe/Copenhagen")
    day = datetime.now(zone).date() + timedelta(days=days)
    while day.weekday() >= 5 or is_holiday(CallingRules(), day):
        day += timedelta(days=1)
    start = datetime(day.year, day.month, day.day, 13, tzinfo=zone)
    return start, start + timedelta(hours=3)


def test_a_later_window_is_promised_inside_it_not_before_it(
    config: Path, store: SqliteStore, tmp_path: Path
) -> None:
    """Imported for Monday 13:00-16:00 on a Friday, `show` and `explain` said "Promised a
    first call by Fri 19:50. Next call planned: Mon 13:00, later than promised" (issue 19
    item 18): the promise now counts from the window's start and ends with the window."""
    start, end = _a_later_window()
    csv_file = tmp_path / "later.csv"
    csv_file.write_text(
        f"phone,not_before,not_after\n+4520123456,{start.isoformat()},{end.isoformat()}\n"
    )
    CliRunner().invoke(app, ["--config", str(config), "callbacks", "import", str(csv_file)])
    [request_id] = [r["id"] for r in store.query("SELECT id FROM callback_requests")]
    explained = json.loads(_invoke(config, "explain", str(request_id), "--json"))
    assert start.timestamp() < explained["deadline_at"] <= end.timestamp()
    said = " ".join(explained["timeline"]) + _invoke(config, "explain", str(request_id))
    assert "after that deadline" not in said
    shown = _invoke(config, "show", str(request_id))
    assert "after that deadline" not in shown
    zone = ZoneInfo("Europe/Copenhagen")
    assert f"deadline:        {moment(end.timestamp(), zone)}" in shown
    # No call comes after the window (the rules refuse it): that is when it is given up,
    # not the later expiry the stored row keeps.
    expires = next(line for line in shown.splitlines() if "expires:" in line)
    assert f"expires:         {moment(end.timestamp(), zone)}, when the window" in expires, expires
    assert "no call after it" in expires


def test_list_json_gives_the_deadline_and_expiry_show_gives(
    config: Path, store: SqliteStore
) -> None:
    """A fresh request: `list --json` gave the empty stored columns ("deadline": null)
    while `show --json` gave the promise's (issue 19 item 18)."""
    request_id = _request(store, "+4520123456")
    [listed] = json.loads(_invoke(config, "list", "--json"))
    shown = json.loads(_invoke(config, "show", str(request_id), "--json"))
    assert listed["deadline"] == shown["deadline"] is not None
    assert listed["expires_at"] == shown["expires_at"] is not None


def test_the_json_keeps_the_stored_codes_and_the_table_no_policy_name(
    config: Path, store: SqliteStore
) -> None:
    request_id = _request(store, "+4520123456")
    store.execute(
        "UPDATE callback_requests SET timing = 'conventional', timing_reason = 'pilot', "
        "planned_by = 'traditional' WHERE id = ?",
        (request_id,),
    )
    assert "traditional" not in _invoke(config, "list")
    assert "hour chosen:     by conventional timing" in _invoke(config, "show", str(request_id))
    # Scripts keep the stored codes, documented in docs/OPERATIONS.md.
    [listed] = json.loads(_invoke(config, "list", "--json"))
    assert (listed["planned_by"], listed["timing"]) == ("traditional", "conventional")


def test_every_json_code_is_documented() -> None:
    from scheduler.requests import RequestSource, RequestStatus
    from scheduler.simulation.simulator import PolicyName
    from scheduler.timing.choice import POLICY_TIMING, Timing, TimingReason

    doc = (Path(__file__).parents[1] / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    section = doc.split("## Codes in `--json`", 1)[1].split("\n## ", 1)[0]
    # A pilot draws each request to one of the two: it plans nothing itself.
    planners = [p.value for p in PolicyName if p is not PolicyName.PILOT]
    codes = [*RequestStatus, *RequestSource, *Timing, *TimingReason, *POLICY_TIMING, *planners]
    for code in codes:
        assert f"`{code}`" in section, code
    for field in ("planned_by", "first_attempt_policy", "timing_reason", "traditional"):
        assert f"`{field}`" in section, field


def test_the_list_never_shows_a_call_the_rules_refuse(config: Path, store: SqliteStore) -> None:
    """A window on a Sunday (no calling hours by default) has no call to show; a start
    before the calling hours shows the hour they open."""
    sunday_8 = datetime(2026, 7, 5, 8, 0, tzinfo=ZoneInfo("Europe/Copenhagen")).timestamp()
    _request(store, "+4520123456", not_before=sunday_8, not_after=sunday_8 + 4 * 3600)
    early = datetime(2026, 7, 1, 5, 0, tzinfo=ZoneInfo("Europe/Copenhagen")).timestamp()
    _request(store, "+4520123457", not_before=early)
    listed = _invoke(config, "list")
    assert "earliest call" in listed
    assert "Sun 5 Jul 08:00" not in listed
    assert "none allowed before it expires" in listed
    assert "Wed 1 Jul 08:00" in listed and "Wed 1 Jul 05:00" not in listed


def test_the_masking_in_json_is_as_operations_says(config: Path, store: SqliteStore) -> None:
    """docs/OPERATIONS.md: `list --json` masks unless --full; `show --json` gives them whole."""
    request_id = _request(store, "+4520123456", name="Anne Andersen")
    [listed] = json.loads(_invoke(config, "list", "--json"))
    assert listed["phone"] != "+4520123456" and listed["name"] != "Anne Andersen"
    [whole] = json.loads(_invoke(config, "list", "--json", "--full"))
    assert (whole["phone"], whole["name"]) == ("+4520123456", "Anne Andersen")
    shown = json.loads(_invoke(config, "show", str(request_id), "--json"))
    assert (shown["phone"], shown["name"]) == ("+4520123456", "Anne Andersen")
    doc = (Path(__file__).parents[1] / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    section = " ".join(doc.split("## Codes in `--json`", 1)[1].split("\n## ", 1)[0].split())
    assert (
        "`show --json` (one request, asked for by its id, like `show`) gives them whole" in section
    )


@pytest.mark.parametrize(("language", "heading"), [("en", "name"), ("da", "navn")])
def test_the_list_names_the_customer_masked_unless_full(
    config: Path, store: SqliteStore, language: str, heading: str
) -> None:
    """README: `callbacks list` masks numbers and names unless --full; so the table has a
    name column, "A*** J***" by default and the name itself with --full."""
    config.write_text(config.read_text() + f"web:\n  language: {language}\n")
    _request(store, "+4520123456", name="Anna Jensen")
    _request(store, "+4531987654")  # no name given: a dash, not a blank or "None"
    masked = _invoke(config, "list")
    header = next(line for line in masked.splitlines() if line.startswith("┃ id"))
    assert [cell.strip() for cell in header.split("┃")][3] == heading  # beside the number
    assert "A*** J***" in masked and "Anna" not in masked and "Jensen" not in masked
    assert "None" not in masked
    full = _invoke(config, "list", "--full")
    assert "Anna Jensen" in full and "A*** J***" not in full


def test_show_its_json_and_list_json_give_the_deadline_the_customer_was_told(
    config: Path, store: SqliteStore
) -> None:
    """`show` said "deadline 20:00" to a request timed by prediction while `show --json`
    gave 12:00, the rules' target: the customer was told the day, and the dialer plans a
    first call within it, so every view gives the day's close; a conventional request
    (told the hour) keeps the target (issue c5 item 2)."""
    predicted = _request(store, "+4520123456")
    conventional = _request(store, "+4520123457", traditional=True)
    zone = ZoneInfo("Europe/Copenhagen")
    listed = {row["id"]: row["deadline"] for row in json.loads(_invoke(config, "list", "--json"))}
    for request_id in (predicted, conventional):
        as_json = json.loads(_invoke(config, "show", str(request_id), "--json"))
        told = as_json["promise"]["promised_by"]
        assert as_json["deadline"] == listed[request_id] == told
        card = _invoke(config, "show", str(request_id))
        assert f"deadline:        {moment(datetime.fromisoformat(told).timestamp(), zone)}" in card
    shown = json.loads(_invoke(config, "show", str(predicted), "--json"))["promise"]
    assert shown["promised_by"] > shown["deadline_at"]  # 20:00, beside the 15:00 target
    kept = json.loads(_invoke(config, "show", str(conventional), "--json"))["promise"]
    assert kept["promised_by"] == kept["deadline_at"]


@pytest.mark.parametrize(
    ("language", "earliest"), [("da", "ons 1/7 12:00"), ("en", "Wed 1 Jul 12:00")]
)
def test_the_list_fits_80_columns_with_the_next_call_whole(
    tmp_path: Path, store: SqliteStore, language: str, earliest: str
) -> None:
    """In an 80-column terminal the "earliest call" column was cut to "2026-12…": the
    list fits 80 columns, every request's earliest call whole on its line."""
    config = tmp_path / f"{language}.yaml"
    config.write_text(
        f"storage:\n  sqlite_path: {store.path}\n"
        f"shop:\n  timezone: Europe/Copenhagen\n  language: {language}\n"
    )
    for n in range(3):
        _request(
            store,
            f"+452012345{n}",
            name="Anna-Katrine Bjerregaard Mortensen",
            not_before=NOT_BEFORE,
        )
    long = "the parcel never came and the tracking page says delivered"
    store.execute("UPDATE callback_requests SET reason = ?", (long,))
    # As a terminal runs it: Rich reads COLUMNS when the command's module starts.
    env = {**os.environ, "COLUMNS": "80", "TZ": "UTC"}
    for full in ([], ["--full"]):
        result = subprocess.run(
            [sys.executable, "-m", "cli", "--config", str(config), "callbacks", "list", *full],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert max(len(line) for line in lines) <= 80, result.stdout
        assert sum(earliest in line for line in lines) == 3, result.stdout
        assert "…" not in result.stdout
