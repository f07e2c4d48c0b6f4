"""The console's Callbacks list and its CSV export agree with a request's own page on the
next call, and show the pilot's group each request is in. The list said "næste forsøg: -"
for a request whose page said "Næste opkald: 2026-12-07 08:00" (not planned yet: no
stored time), and "ikke planlagt" for every pilot request, with no way to tell or filter
the predicted from the conventional group; the export had no ``timing`` column."""

from __future__ import annotations

import csv
import html
import io
import re
import time

import pytest

from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from spillway.console_text import load_console_text
from spillway.storage import AsyncStore, SqliteStore
from tests.console_fixtures import console_pages, console_settings

ZONE = "Europe/Copenhagen"


def _requests(store: SqliteStore) -> dict[str, int]:
    """A request drawn to each pilot group, and one stored before any pilot (no group)."""
    made = {}
    for n, timing in enumerate(("predicted", "conventional", None)):
        with store.transaction() as tx:
            request_id = intake.record(
                tx,
                NewRequest(f"+452012340{n}", RequestSource.CSV, "t"),
                region="DK",
                now=time.time(),
            ).id
            tx.execute(
                "UPDATE callback_requests SET timing = :t, timing_reason = :r WHERE id = :id",
                {"t": timing, "r": "pilot" if timing else None, "id": request_id},
            )
        made[timing or "none"] = request_id
    return made


def _row(page: str, request_id: int) -> str:
    found = re.search(rf'<tr>\s*<td><a href="/requests/{request_id}">.*?</tr>', page, re.S)
    assert found is not None, page
    return found.group(0)


@pytest.mark.parametrize("language", ["da", "en"])
async def test_the_list_the_page_and_the_export_agree_and_name_the_pilot_group(
    store: SqliteStore, language: str
) -> None:
    made = _requests(store)
    text = load_console_text(language)
    paths = [
        "/requests?status=open",
        *(f"/requests/{i}" for i in made.values()),
        "/requests?timing=conventional",
        "/export/callbacks.csv",
        "/export/callbacks.csv?timing=predicted",
    ]
    db = AsyncStore(store)
    try:
        pages = await console_pages(console_settings(language), db, paths)
    finally:
        db.close()
    listed = pages["/requests?status=open"]
    assert f"<th>{text('callbacks.timing_column')}</th>" in listed
    header, *rows = list(csv.reader(io.StringIO(pages["/export/callbacks.csv"])))
    exported = {int(r[0]): dict(zip(header, r, strict=True)) for r in rows}
    for group, request_id in made.items():
        row = _row(listed, request_id)
        page = html.unescape(pages[f"/requests/{request_id}"])
        # The page's next call (its plan, "Next call: ..."), the list's cell, the same moment.
        next_call = re.search(r'<td class="next-call">([^<]+)</td>', row)
        assert next_call is not None and next_call.group(1) != "-", row
        cell, exported_at = next_call.group(1), exported[request_id]["next_attempt_at"]
        if cell == text("callbacks.next_now"):  # inside calling hours: due now, as the page says
            now_said = "Next call: now" if language == "en" else "Næste opkald: nu"
            assert now_said in page, page
        else:
            assert cell in page and exported_at[:16].replace("T", " ") == cell, (cell, page)
        said = text(f"policy.{group}") if group != "none" else "-"
        assert f'<td class="timing">{said}</td>' in row, row
        assert exported[request_id]["timing"] == ("" if group == "none" else group)
    conventional = pages["/requests?timing=conventional"]
    assert f'href="/requests/{made["conventional"]}"' in conventional
    assert f'href="/requests/{made["predicted"]}"' not in conventional
    _, *predicted = list(csv.reader(io.StringIO(pages["/export/callbacks.csv?timing=predicted"])))
    assert [int(r[0]) for r in predicted] == [made["predicted"]]
