"""The console's CSV export of requests: why a request closed (``problem``) is said in
the console's language, as its pages say it, with its stable code beside it
(``problem_code``) for a script; the other columns and their values stay the stored,
machine-readable ones. A Danish console's export gave "6 attempts made, at most 6" and
no code a script could count."""

from __future__ import annotations

import csv
import io
import time

import pytest

from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource, RequestStatus
from spillway.console_text import load_console_text
from spillway.request_problem import (
    MAX_ATTEMPTS,
    Problem,
    cancelled_in_console,
    do_not_call,
    max_attempts,
)
from spillway.storage import AsyncStore, SqliteStore
from tests.console_fixtures import console_pages, console_settings
from web.console_data import CSV_COLUMNS, RequestFilter, list_requests, requests_csv

ZONE = "Europe/Copenhagen"
# Stored as the product stores it now (a code), as it wrote it before the codes (an
# English sentence, read back into its code), and a text of no known kind.
STORED: dict[str, Problem | str] = {
    "+4520123401": max_attempts(6, 6),
    "+4520123402": do_not_call(),
    "+4520123403": cancelled_in_console("ada"),
    "+4520123404": "6 attempts made, at most 6",
    "+4520123405": "the shop's own note",
}


def _closed(store: SqliteStore) -> dict[int, Problem | str]:
    """One closed request for each of :data:`STORED`, by id."""
    made = {}
    for phone, problem in STORED.items():
        with store.transaction() as tx:
            request_id = intake.record(
                tx, NewRequest(phone, RequestSource.API, "t"), region="DK", now=time.time()
            ).id
            error = problem if isinstance(problem, str) else problem.stored()
            tx.execute(
                "UPDATE callback_requests SET status = :s, last_error = :e WHERE id = :id",
                {"s": RequestStatus.UNREACHED.value, "e": error, "id": request_id},
            )
        made[request_id] = problem
    return made


def _by_id(export: str) -> tuple[list[str], dict[int, dict[str, str]]]:
    header, *rows = list(csv.reader(io.StringIO(export)))
    return header, {int(r[0]): dict(zip(header, r, strict=True)) for r in rows}


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_problem_is_in_the_consoles_language_with_its_code(
    store: SqliteStore, language: str
) -> None:
    made = _closed(store)
    text = load_console_text(language)
    rows, _ = list_requests(store, RequestFilter(), ZONE, limit=None)
    header, exported = _by_id(requests_csv(rows, ZONE, text))
    assert header == list(CSV_COLUMNS)
    assert header.index("problem_code") == header.index("problem") + 1
    for request_id, problem in made.items():
        row = exported[request_id]
        assert row["status"] == "unreached"  # stored values stay as stored
        if isinstance(problem, Problem):
            assert row["problem"] == problem.said(text)
            assert row["problem_code"] == problem.code
    legacy = next(i for i, p in made.items() if p == "6 attempts made, at most 6")
    assert exported[legacy]["problem_code"] == MAX_ATTEMPTS
    assert exported[legacy]["problem"] == max_attempts(6, 6).said(text)
    unknown = next(i for i, p in made.items() if p == "the shop's own note")
    assert exported[unknown]["problem"] == "the shop's own note"  # shown as stored
    assert exported[unknown]["problem_code"] == ""


def test_english_and_danish_exports_differ_only_in_the_words(store: SqliteStore) -> None:
    _closed(store)
    rows, _ = list_requests(store, RequestFilter(), ZONE, limit=None)
    _, english = _by_id(requests_csv(rows, ZONE, load_console_text("en")))
    _, danish = _by_id(requests_csv(rows, ZONE, load_console_text("da")))
    assert english.keys() == danish.keys()
    for request_id, row in english.items():
        other = danish[request_id]
        assert {k: v for k, v in row.items() if k != "problem"} == {
            k: v for k, v in other.items() if k != "problem"
        }
    worded = [i for i, r in english.items() if r["problem_code"]]
    assert len(worded) == 4
    assert all(english[i]["problem"] != danish[i]["problem"] for i in worded)
    assert "forsøg foretaget" in " ".join(danish[i]["problem"] for i in worded)


@pytest.mark.parametrize(("shop", "console"), [("en", None), ("da", None), ("da", "en")])
async def test_the_export_speaks_the_consoles_language(
    store: SqliteStore, shop: str, console: str | None
) -> None:
    """``web.language`` over ``shop.language``, as every page of the console."""
    made = _closed(store)
    db = AsyncStore(store)
    try:
        path = "/export/callbacks.csv"
        export = (await console_pages(console_settings(shop, console), db, [path]))[path]
    finally:
        db.close()
    text = load_console_text(console or shop)
    _, exported = _by_id(export)
    for request_id, problem in made.items():
        if isinstance(problem, Problem):
            assert exported[request_id]["problem"] == problem.said(text)
            assert exported[request_id]["problem_code"] == problem.code
