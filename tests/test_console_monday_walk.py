"""What a Danish team lead met on a Monday-morning walk through Overview, Requests, a
request's page, Pilot and the Model page's calibration, fixed (and the same pages in
English): hours on the Pilot page carry their unit, its button says what it shows and
its counts say which group is which; the bot's reply times are whole milliseconds in
words, not "p50"/"p95"; heatmaps say their numbers are percentages; a request's refused
hours are a count of the week's hours, not a duration ("168 t"); the calibration table
says what its columns are and how to read the chart; English pages show no stored code
("invalid_number", "no_answer", "handoff") and no bracketed plural ("segment(s)").

Each page is fetched once for the module, over a seeded database of its own."""

from __future__ import annotations

import re
import time

import pytest
import pytest_asyncio

from spillway.storage import AsyncStore, SqliteStore
from tests.console_fixtures import console_pages, console_settings, seed_console

PATHS = ["/?window=30d", "/requests", "/requests/3", "/requests/5", "/pilot", "/model"]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """:data:`PATHS` in Danish and in English."""
    store = SqliteStore(tmp_path_factory.mktemp("monday") / "console.db")
    store.migrate()
    seed_console(store, time.time())
    db = AsyncStore(store)
    try:
        return {
            code: await console_pages(console_settings(code), db, PATHS) for code in ("da", "en")
        }
    finally:
        db.close()
        store.close()


def _row(page: str, kpi: str) -> str:
    return page.split(f'data-kpi="{kpi}"')[1].split("</tr>")[0]


def test_the_pilot_page_s_hours_carry_their_unit(pages: dict[str, dict[str, str]]) -> None:
    """The seeded pilot: median 3 h against 6 h to the first contact (tests/pilot_seed.py)."""
    da = _row(pages["da"]["/pilot"], "median_hours_to_contact")
    assert '<td class="predicted">3,00 t</td>' in da and '<td class="conventional">6,00 t' in da
    assert '<td class="difference">-3,00 t [-17,02; +3,00]</td>' in da, da
    en = _row(pages["en"]["/pilot"], "median_hours_to_contact")
    assert '<td class="predicted">3.00 h</td>' in en and "-3.00 h [-17.02, +3.00]" in en
    # Rates and attempts are as before: the unit is in the figure or in the KPI's name.
    assert '<td class="predicted">2,11</td>' in _row(pages["da"]["/pilot"], "attempts_per_contact")


def test_the_pilot_page_s_button_and_counts_say_what_they_are(
    pages: dict[str, dict[str, str]],
) -> None:
    da = pages["da"]["/pilot"]
    assert '<button type="submit">Vis periode</button>' in da
    assert "<th>antal pr. gruppe (forudsagt / konventionel)</th>" in da


def test_the_bot_s_reply_times_are_whole_milliseconds_in_words(
    pages: dict[str, dict[str, str]],
) -> None:
    da = pages["da"]["/?window=30d"]
    assert 'data-kpi="turn_latency_p50">700</span>' in da
    assert 'data-kpi="turn_latency_p95">970</span>' in da
    assert "95 % af bottens svar kom inden for (ms)" in da
    assert not re.search(r"svartid p\d\d", da)


def test_heatmaps_say_they_are_percentages_and_refused_hours_are_counted(
    pages: dict[str, dict[str, str]],
) -> None:
    request = pages["da"]["/requests/5"]
    assert "Chancen for at få fat i kunden i procent" in request
    # Request 5 is pending: the night's hours are refused, said as a count of hours.
    assert re.search(r"<li>\d+ af ugens timer: uden for de tider, hvor vi ringer", request)
    assert not re.search(r"<li>\d+ t:", request)
    # Request 3 is closed: no hours at all (test_console_lead_events).
    assert "Chancen for at få fat i kunden i procent" not in pages["da"]["/requests/3"]
    assert "chancen i procent for at kunden svarer" in pages["da"]["/model"]


def test_the_calibration_table_says_what_its_columns_are_and_how_to_read_it(
    pages: dict[str, dict[str, str]],
) -> None:
    model = pages["da"]["/model"]
    head = model.split('<table id="calibration">')[1].split("</thead>")[0]
    assert [c for c in re.findall(r"<th>([^<]+)</th>", head)] == [
        "regnet med",
        "forsøg",
        "regnet med i snit",
        "svarede faktisk",
    ]
    assert 'id="calibration-reading">Sådan læses den: ligger punkterne på den stiplede' in model
    assert "How to read it: points on the dotted line" in pages["en"]["/model"]


def test_english_pages_show_no_stored_code_and_no_bracketed_plural(
    pages: dict[str, dict[str, str]],
) -> None:
    en = pages["en"]
    assert "<td>invalid number</td>" in en["/requests"] and "invalid_number<" not in en["/requests"]
    assert "<td>no answer</td>" in en["/requests/3"] and "no_answer" not in en["/requests/3"]
    assert "<li>handed over: 2</li>" in en["/?window=30d"]
    assert "<li>hung up: 0</li>" in en["/?window=30d"]
    assert "<td>API</td>" in en["/requests"]
    assert "segment(s)" not in en["/model"] and "1 segment, 29 customers" in en["/model"]
