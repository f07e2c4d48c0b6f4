"""The Overview says in one line whether the predicted timing pays: the pilot report's
primary KPI (the report's own function) over the last 30 days, with a link to the Pilot
page for that window; honest when there is too little data or no pilot at all. The line
is fetched after the Overview loaded (``/overview/pilot``), so the Overview's figures
never wait for the pilot's count."""

from __future__ import annotations

import re
from typing import Any

import pytest

from spillway.console_text import load_console_text
from spillway.storage import AsyncStore, SqliteStore
from tests.console_fixtures import console_pages, console_settings
from web.pilot_page import pays_words


def _said(page: str) -> str:
    return page.split('id="pilot-pays">')[1].split("</p>")[0]


@pytest.mark.asyncio(loop_scope="session")
async def test_the_danish_overview_says_whether_the_timing_pays_and_links_to_pilot(
    console_db: AsyncStore,
) -> None:
    """The seeded pilot (40 h old): 60 % against 30 % at the first attempt, 10 a group."""
    pages = await console_pages(console_settings("da"), console_db, ["/", "/overview/pilot"])
    assert 'id="pilot-pays" hx-get="/overview/pilot" hx-trigger="load"' in pages["/"]
    said = _said(pages["/overview/pilot"])
    assert said.startswith("<strong>Betaler timingen sig?</strong> Forudsagt timing nåede 60,0 %")
    assert "mod 30,0 % med konventionel timing de seneste 30 dage: for tidligt at sige" in said
    # 1377 needed in each group, 10 in each: 2 x 1367 more.
    assert "(der skal cirka 2.734 tilbagekald mere, 1.377 i hver gruppe)" in said, said
    link = re.search(r'<a href="/pilot\?since=(\d{4}-\d\d-\d\d)">Se siden Pilot</a>', said)
    assert link, said
    # The link shows the same figures: the Pilot page's report for that window.
    since = f"/pilot?since={link.group(1)}"
    pilot = (await console_pages(console_settings("da"), console_db, [since]))[since]
    kpi = pilot.split('data-kpi="first_attempt_contact_rate"')[1].split("</tr>")[0]
    assert '<td class="predicted">60,0 %</td>' in kpi and '<td class="conventional">30,0 %' in kpi


@pytest.mark.asyncio(loop_scope="session")
async def test_an_overview_without_a_pilot_says_it_cannot_tell_yet(store: SqliteStore) -> None:
    db = AsyncStore(store)
    try:
        pages = await console_pages(console_settings("en"), db, ["/overview/pilot"])
    finally:
        db.close()
    assert "No pilot callbacks over the last 30 days, so whether predicted timing pays" in (
        _said(pages["/overview/pilot"])
    )


def _primary(**changes: Any) -> dict[str, Any]:
    primary = {
        "key": "first_attempt_contact_rate",
        "predicted": 0.6,
        "conventional": 0.3,
        "n": {"predicted": 40, "conventional": 41},
        "interval": [0.1, 0.5],
        "verdict": None,
        "n_needed_per_arm": 50,
    }
    return {**primary, **changes}


@pytest.mark.parametrize(
    ("changes", "da", "en"),
    [
        (
            {"verdict": "predicted better"},
            "60,0 % af kunderne ved første forsøg mod 30,0 % med konventionel timing de"
            " seneste 30 dage: den betaler sig.",
            "60.0% of the customers at the first attempt against 30.0% with conventional"
            " timing over the last 30 days: it pays.",
        ),
        ({"verdict": "predicted worse"}, ": den betaler sig ikke.", ": it does not pay."),
        (
            {},  # 10 + 9 short of 50 a group
            ": for tidligt at sige (der skal cirka 19 tilbagekald mere, 50 i hver gruppe).",
            ": too early to say (it needs about 19 more callbacks, 50 in each group).",
        ),
        (
            {"n_needed_per_arm": 30},
            ": ingen tydelig forskel, selv med 40 og 41 tilbagekald.",
            ": no clear difference, even with 40 and 41 callbacks.",
        ),
        (
            {"conventional": None, "interval": None, "n": {"predicted": 4, "conventional": 0}},
            "For tidligt at sige: de seneste 30 dage har piloten 4 tilbagekald med forudsagt"
            " og 0 med konventionel timing",
            "Too early to say: over the last 30 days the pilot has 4 callbacks with predicted",
        ),
        (
            {"predicted": None, "conventional": None, "n": {"predicted": 0, "conventional": 0}},
            "Ingen tilbagekald i piloten de seneste 30 dage",
            "No pilot callbacks over the last 30 days",
        ),
    ],
)
def test_the_overview_s_line_for_each_verdict(changes: dict[str, Any], da: str, en: str) -> None:
    assert da in pays_words(load_console_text("da"), _primary(**changes), 30)
    assert en in pays_words(load_console_text("en"), _primary(**changes), 30)
