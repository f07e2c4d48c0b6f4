"""The Pilot page's "In short" sentence over simulated data: it said "The predicted timing
pays" of the demo's simulated month as if it were a finding. Drawn from simulated
requests, the sentence now first says the figures are simulated, in the pack's words
(``pilot.in_short.simulated_*`` in console.yaml)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from spillway.console_text import load_console_text
from spillway.storage import AsyncStore, SqliteStore
from tests.console_fixtures import console_pages, console_settings
from tests.test_console_lead_leftovers import _simulated_pilot
from tests.test_console_pilot_words import _words
from web.pilot_page import in_short, pays_words

# How each pack's sentence opens over all and over partly simulated data.
OPENS = {
    "en": ("These figures are simulated", "Some of these figures are simulated"),
    "da": ("Tallene her er simulerede", "Nogle af tallene her er simulerede"),
}
# How each pack says what a better first attempt showed (pilot.in_short.better).
PAYS = {
    "en": "Predicted timing reached more customers at the first attempt:",
    "da": "Den forudsagte timing nåede flere kunder ved første forsøg:",
}


# 0.6 and 0.3 as each pack writes them.
PERCENT = {"en": ("60.0%", "30.0%"), "da": ("60,0 %", "30,0 %")}


def _better() -> dict[str, Any]:
    return {
        "key": "first_attempt_contact_rate",
        "predicted": 0.6,
        "conventional": 0.3,
        "n": {"predicted": 400, "conventional": 410},
        "interval": [0.2, 0.4],
        "verdict": "predicted better",
        "n_needed_per_arm": 30,
        "detectable_effect": "+5.0 points from 30%",
    }


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_sentence_says_when_its_figures_are_simulated(language: str) -> None:
    text = load_console_text(language)
    real = in_short(text, _better())
    assert real.startswith(PAYS[language])  # a finding, over real requests
    every, some = OPENS[language]
    all_simulated = in_short(text, _better(), "all")
    assert all_simulated.startswith(every) and PAYS[language] in all_simulated
    partly = in_short(text, _better(), "some")
    assert partly.startswith(some) and PAYS[language] in partly
    # The verdict's own words are kept whole after the opening.
    assert all_simulated.endswith(" " + real) and partly.endswith(" " + real)


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("language", ["en", "da"])
async def test_the_pilot_page_s_sentence_says_its_data_is_simulated(
    console_db: AsyncStore, store: SqliteStore, language: str
) -> None:
    """Beside the console's real pilot requests, simulated ones are left out (the page
    says how many); asked for alone (``?data=simulated``), the sentence says so first."""
    _simulated_pilot(store, time.time(), 3)  # beside the console's real pilot requests
    paths = ["/pilot", "/pilot?data=simulated"]
    pages = await console_pages(console_settings(language), console_db, paths)
    real, simulated = (pages[p].split('id="pilot-in-short">')[1].split("</p>")[0] for p in paths)
    assert not any(opening in real for opening in OPENS[language])
    assert f":</strong> {OPENS[language][0]}" in simulated, simulated
    text = load_console_text(language)
    left_out = text(
        "pilot.left_out.simulated",
        count=text.count("count.requests", 3),
        predicted="3",
        conventional="0",
        simulate="spillway simulate --store",
        purge="spillway db purge-simulated",
        show=text("pilot.left_out.link.simulated"),
    )
    assert left_out in _words(pages["/pilot"])


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_overview_s_line_says_when_its_figures_are_simulated(language: str) -> None:
    """The Overview's "does the timing pay?" line opens as the Pilot page's "In short"."""
    text = load_console_text(language)
    real = pays_words(text, _better(), 30)
    assert real == text(
        "overview.pilot.pays",
        predicted=PERCENT[language][0],
        conventional=PERCENT[language][1],
        days=30,
    )
    assert not any(real.startswith(opening) for opening in OPENS[language])
    for share, opening in zip(("all", "some"), OPENS[language], strict=True):
        said = pays_words(text, _better(), 30, share)
        assert said.startswith(opening) and said.endswith(" " + real), said


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("language", ["en", "da"])
async def test_the_overview_s_line_says_its_data_is_simulated(
    console_db: AsyncStore, store: SqliteStore, language: str
) -> None:
    line = "/overview/pilot"
    real = (await console_pages(console_settings(language), console_db, [line]))[line]
    _simulated_pilot(store, time.time(), 3)  # beside the console's real pilot requests
    beside = (await console_pages(console_settings(language), console_db, [line]))[line]
    said, was = (p.split('id="pilot-pays">')[1].split("</p>")[0] for p in (beside, real))
    # Real requests alone, both times: the simulated ones are left out, and said to be.
    assert not any(opening in said for opening in OPENS[language])
    text = load_console_text(language)
    figures = was.split(text("overview.pilot.window", since="@").split("@")[0])[0]
    assert said.startswith(figures), said
    opening = text(
        "pilot.left_out.simulated",
        count="@",
        **dict.fromkeys(("predicted", "conventional", "simulate", "purge", "show"), ""),
    )
    assert opening.split("@")[0] in _words(said)
