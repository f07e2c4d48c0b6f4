"""The Overview says in one line whether the predicted timing pays: the pilot report's
primary KPI (the report's own function) over the last 30 days, with a link to the Pilot
page for that window; honest when there is too little data or no pilot at all. The line
is fetched after the Overview loaded (``/overview/pilot``), so the Overview's figures
never wait for the pilot's count."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from spillway.console_text import load_console_text
from spillway.storage import AsyncStore, SqliteStore
from tests.console_fixtures import console_pages, console_settings
from web.pilot_page import pays_line, pays_words, summary


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
    # 1377 needed in each group, 10 in each: 2 x 1367 more; 10 a group in 40 h is 42 a
    # week, so 1377 take 32.8 weeks at that pace.
    assert (
        "(der skal cirka 2.734 tilbagekald mere, 1.377 i hver gruppe:"
        " ≈ 33 uger ved jeres nuværende antal)" in said
    ), said
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
            # The first attempt alone: what it showed, never "pays" (only the ROI says that).
            {"verdict": "predicted better"},
            "Forudsagt timing nåede flere kunder ved første forsøg de seneste 30 dage: 60,0 %"
            " mod 30,0 % med konventionel timing. Om den betaler sig, og hvordan de andre"
            " nøgletal ser ud, står på siden Pilot.",
            "Predicted timing reached more customers at the first attempt over the last 30"
            " days: 60.0% against 30.0% with conventional timing. Whether it pays, and how the"
            " other figures look, the Pilot page says.",
        ),
        (
            {"verdict": "predicted worse"},
            "nåede færre kunder ved første forsøg",
            "reached fewer customers at the first attempt",
        ),
        (
            {},  # 10 + 9 short of 50 a group, and no pace yet
            ": for tidligt at sige (der skal cirka 19 tilbagekald mere, 50 i hver gruppe: hvor"
            " lang tid det tager, kan siges, når piloten har kørt et døgn).",
            ": too early to say (it needs about 19 more callbacks, 50 in each group: how long"
            " that takes can be said once the pilot has run a day).",
        ),
        (
            {"weeks_needed": 4.2},  # at the pace so far: rounded up to whole weeks
            "50 i hver gruppe: ≈ 5 uger ved jeres nuværende antal).",
            "50 in each group: ≈ 5 weeks at your current numbers).",
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


def _waiting(predicted: int, conventional: int, called: int = 0) -> dict[str, Any]:
    """primary_from_store's answer for a window whose pilot requests wait for a first
    call (``called`` more, in the predicted arm, have had one but no outcome counted)."""
    arms = {"predicted": predicted, "conventional": conventional}
    return {
        "primary": _primary(
            predicted=None,
            conventional=None,
            interval=None,
            n={"predicted": 0, "conventional": 0},
            n_needed_per_arm=None,
        ),
        "data": "real",
        "left_out": {"predicted": 0, "conventional": 0, "kind": "simulated"},
        "arms": {
            arm: {
                "requests": n + (called if arm == "predicted" else 0),
                "simulated": 0,
                "waiting_first_call": n,
            }
            for arm, n in arms.items()
        },
    }


@pytest.mark.parametrize(
    ("language", "waiting", "said"),
    [
        (
            "da",
            (3, 1),
            "For tidligt at sige: ingen af pilotens 4 tilbagekald fra de seneste 30 dage er"
            " ringet op endnu; alle venter på det første opkald (3 med forudsagt og 1 med"
            " konventionel timing).",
        ),
        (
            "en",
            (3, 1),
            "Too early to say: none of the pilot's 4 callback requests from the last 30 days"
            " has been called yet; all are waiting for their first call (3 with predicted and"
            " 1 with conventional timing).",
        ),
        (
            "da",
            (0, 1),
            "For tidligt at sige: pilotens eneste tilbagekald fra de seneste 30 dage er ikke"
            " ringet op endnu; det venter på det første opkald (0 med forudsagt og 1 med"
            " konventionel timing).",
        ),
    ],
)
def test_a_pilot_whose_requests_all_wait_says_none_is_called_yet(
    language: str, waiting: tuple[int, int], said: str
) -> None:
    """Every pilot request still waiting for its first call: the line said "0 tilbagekald
    med forudsagt og 0 med konventionel timing, for få til at sammenligne" and then that
    4 were waiting. It says plainly that none is called yet, and how many wait, once."""
    text = load_console_text(language)
    line = html.unescape(
        pays_line(text, _waiting(*waiting), 30, "2026-11-06", {"since": "2026-11-06"})
    )
    assert line.startswith(said), line
    assert text("pilot.waiting", predicted=waiting[0], conventional=waiting[1]) not in line
    assert " 0 tilbagekald" not in line and " 0 callbacks" not in line


def test_a_pilot_with_a_request_called_keeps_the_too_few_sentence() -> None:
    """One request had its first call but no counted outcome: not "none called yet"."""
    text = load_console_text("da")
    line = html.unescape(
        pays_line(text, _waiting(3, 1, called=1), 30, "2026-11-06", {"since": "2026-11-06"})
    )
    assert "ringet op endnu" not in line.split(". ")[0]
    assert line.startswith("For tidligt at sige: de seneste 30 dage har piloten 0 tilbagekald")
    assert text("pilot.waiting", predicted="3", conventional="1") in line


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "da",
            "Endnu intet at sammenligne: ingen af pilotens 4 tilbagekald er ringet op endnu; alle"
            " venter på det første opkald (3 med forudsagt og 1 med konventionel timing).",
        ),
        (
            "en",
            "Nothing to compare yet: none of the pilot's 4 callback requests has been called;"
            " all are waiting for their first call (3 with predicted and 1 with conventional"
            " timing).",
        ),
    ],
)
def test_the_pilot_page_s_in_short_says_none_is_called_yet(language: str, said: str) -> None:
    """The Pilot page's and `report pilot`'s "In short" said "0 med forudsagt og 0 med
    konventionel timing", then that 4 wait: now one plain sentence, the count once."""
    text = load_console_text(language)
    assert summary(text, {**_waiting(3, 1), "secondary": []}) == said
    called = summary(text, {**_waiting(3, 1, called=1), "secondary": []})
    assert called.startswith(text("pilot.in_short.too_few", n_predicted="0", n_conventional="0"))
