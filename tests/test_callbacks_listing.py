"""`spillway callbacks list` and `show`: times in the shop's zone, named; a customer's
requests found by their number in any form."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler import requests
from scheduler.requests import NewRequest, RequestSource
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
        return requests.record(
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
    assert "2026-07-01 12:00 CEST" in listed
    shown = _invoke(config, "show", str(request_id))
    assert "times in Europe/Copenhagen" in shown
    assert "next call not before 2026-07-01 12:00 CEST" in shown
    assert "created:   2026-07-01 11:00 CEST" in shown


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
        "attempts = 1, planned_by = 'traditional', plan_probability = 0.5 WHERE id = ?",
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
        "number:    +4520123456",
        "name:      Anna Jensen",
        "reason:    t",
        "source:    api",
        "timing:    conventional (the customer asked for a plain callback)",
        "window:    2026-07-01 12:00 CEST to 2026-07-01 14:00 CEST",
        "deadline:  2026-07-01 13:00 CEST",
        "expires:   2026-07-02 12:00 CEST",
        "planned by traditional, answer chance 50%",
        "1. 2026-07-01 12:00 CEST: no_answer, ended 2026-07-01 12:00 CEST",
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
