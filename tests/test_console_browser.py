"""The console in a real headless Chromium (Debian's package, driven by Playwright) against a
real `spillway web serve` with the hand-counted history of tests/console_seed.py.

One server and one browser for the module. Set ``SPILLWAY_CONSOLE_SCREENSHOT=PATH`` to keep
the Overview's screenshot (docs/console-overview.png is taken this way).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bench.console_server import running_console
from cli.chromium import CHROMIUM, headless_chromium
from cli.main import app
from spillway.storage import SqliteStore
from tests.console_seed import seed
from tests.pilot_seed import seed_pilot
from web.users import Role

PASSWORD = "browser test password"

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (dev extra)")
if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium (./dev installs it)", allow_module_level=True)


def seeded_database(db_path: Path, seeder: Callable[[SqliteStore, float], None]) -> Path:
    """A new database at ``db_path``, migrated and seeded relative to now."""
    store = SqliteStore(db_path)
    store.migrate()
    seeder(store, time.time())
    store.close()
    return db_path


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A running `spillway web serve` over a seeded database; its URL and database path."""
    folder = tmp_path_factory.mktemp("console")
    db_path = seeded_database(folder / "console.db", seed)
    # Calls allowed at every hour of every day: the seeded request is due within the hour
    # whatever day and hour the test runs (the Overview keeps the calling rules).
    config = folder / "spillway.yaml"
    hours = "[0, 24]"
    config.write_text(
        f"callbacks:\n  weekdays: {hours}\n  saturday: {hours}\n  sunday: {hours}\n"
        "  holidays: null\n"
    )
    with running_console(
        folder,
        db_path,
        user="lead",
        password=PASSWORD,
        role=Role.SUPERVISOR,
        env_extra={"SPILLWAY_CONFIG": str(config)},
    ) as url:
        yield {"url": url, "db": db_path}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium() as chromium:
        yield chromium


@contextmanager
def logged_in(browser: Any, url: str) -> Iterator[Any]:
    """A logged-in page (through the login form, as a person would)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.goto(url + "/")
    assert "/login" in tab.url  # not logged in yet: sent to the form
    tab.fill("input[name=username]", "lead")
    tab.fill("input[name=password]", PASSWORD)
    tab.click("form[action='/login'] button[type=submit]")
    tab.wait_for_url(url + "/")
    yield tab
    context.close()


@pytest.fixture
def page(browser: Any, console: dict[str, Any]) -> Iterator[Any]:
    with logged_in(browser, console["url"]) as tab:
        yield tab


def test_the_overview_shows_the_seeded_month_and_a_live_call(
    page: Any, console: dict[str, Any], tmp_path: Path
) -> None:
    page.goto(console["url"] + "/?window=30d")
    assert "Last 30 days" in page.inner_text("#window-label")
    assert "(Europe/Copenhagen)" in page.inner_text("#window-label")
    assert page.inner_text("[data-kpi=requests]") == "6"
    assert page.inner_text("[data-kpi=contact_rate]") == "75%"
    assert page.inner_text("[data-kpi=first_attempt_contact_rate]") == "50%"
    assert page.inner_text("[data-kpi=containment_rate]") == "40%"
    assert page.inner_text("[data-kpi=turn_latency_p95]") == "970"  # ms: no decimals
    page.wait_for_selector("#live-calls")  # htmx loaded the live part
    assert "********88" in page.inner_text("#live-calls")
    assert "node-a" in page.inner_text("#nodes")
    assert "5" in page.inner_text("#due-soon")
    # A call that starts now shows up on the next poll, with its number masked.
    store = SqliteStore(console["db"])
    store.insert(
        "calls",
        {
            "call_id": "new-1",
            "caller": "+4540404077",
            "started_at": time.time(),
            "stage": "greeting",
        },
    )
    store.close()
    sync_api.expect(page.locator("#live-calls")).to_contain_text("greeting", timeout=12_000)
    assert "+4540404077" not in page.content()
    # Chart.js drew the daily chart (the page has no inline script: CSP allows none).
    assert page.locator("#daily-chart").evaluate("canvas => canvas.width") > 0
    shot = tmp_path / "overview.png"
    page.screenshot(path=str(shot), full_page=True)
    from PIL import Image

    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50, "the screenshot is blank"
    if target := os.environ.get("SPILLWAY_CONSOLE_SCREENSHOT"):
        shutil.copy(shot, target)


def test_the_chart_s_contact_rate_is_drawn_over_the_bars(
    page: Any, console: dict[str, Any]
) -> None:
    """Where a day's contact rate falls inside its bar, the point is drawn over the bar:
    the bar was drawn over the line and hid the point. The line is drawn last now.

    The tallest such bar is checked. Which days hold the seeded requests depends on the
    hour in Copenhagen; from 05:00 to 10:00 today's bar (3 requests, 100 %) has its point
    on its top edge, not inside, so a fixed choice of bar fails then."""
    page.goto(console["url"] + "/?window=30d")
    drawn = page.locator("#daily-chart").evaluate(
        """canvas => {
          const chart = Chart.getChart(canvas), bars = chart.data.datasets[0].data;
          const rates = chart.data.datasets[1].data;
          const points = chart.getDatasetMeta(1).data, rects = chart.getDatasetMeta(0).data;
          let last = -1;
          bars.forEach((n, i) => {
            const inside = rates[i] !== null && rects[i].y + 2 < points[i].y;
            if (inside && (last < 0 || n >= bars[last])) last = i;
          });
          if (last < 0) return {inside: false, rate: null, rgb: [0, 0, 0]};
          const point = points[last], bar = rects[last];
          const ratio = window.devicePixelRatio;
          const pixel = canvas.getContext("2d").getImageData(
            Math.round(point.x * ratio), Math.round(point.y * ratio), 1, 1).data;
          return {rgb: [pixel[0], pixel[1], pixel[2]], inside: bar.y < point.y,
                  rate: chart.data.datasets[1].data[last]};
        }"""
    )
    assert drawn["inside"] and drawn["rate"] is not None, drawn  # the point is in the bar
    line = (0x1B, 0x6E, 0x3A)  # console.js's line colour
    assert all(abs(a - b) <= 24 for a, b in zip(drawn["rgb"], line, strict=True)), drawn


def test_filters_change_the_list_and_the_csv(page: Any, console: dict[str, Any]) -> None:
    page.goto(console["url"] + "/requests")
    all_ids = page.locator("#requests tbody a").all_inner_texts()
    assert all_ids == ["7", "6", "5", "4", "3", "2", "1"]
    page.select_option("select[name=status]", "done")
    page.select_option("select[name=policy]", "predicted")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**/requests?status=done&policy=predicted**")
    assert page.locator("#requests tbody a").all_inner_texts() == ["7", "2", "1"]
    href = page.get_attribute("#export", "href")
    assert href is not None and "status=done" in href and "policy=predicted" in href
    export = page.request.get(console["url"] + href)
    assert export.ok
    rows = list(csv.reader(io.StringIO(export.text())))
    assert [r[0] for r in rows[1:]] == ["7", "2", "1"]
    assert not any("+4520123401" in cell for row in rows for cell in row)


def test_a_request_s_detail_the_calls_the_model_and_health(
    page: Any, console: dict[str, Any], tmp_path: Path
) -> None:
    page.goto(console["url"] + "/requests")
    page.click("#requests a[href='/requests/3']")
    assert page.inner_text("#phone") == "+4520123403"  # whole on its own page only
    assert page.locator("#attempts tbody tr").count() == 3
    # Request 3 is closed: no hour-by-hour chance, one line saying why (test_console_lead_events).
    assert page.locator("#heatmap").count() == 0 and page.locator("#no-heatmap").count() == 1
    assert page.locator("#factors li").count() >= 3
    page.click("nav a[href='/calls']")
    page.select_option("select[name=outcome]", "handoff")
    page.click("#call-filters button[type=submit]")
    page.wait_for_url("**/calls?outcome=handoff**")
    assert page.locator("#calls tbody a").all_inner_texts() == ["c3", "c4"]
    page.click("nav a[href='/model']")
    assert "60% to 70%" in page.inner_text("#calibration")
    assert page.locator("#reliability-chart").evaluate("canvas => canvas.width") > 0
    page.screenshot(path=str(tmp_path / "model.png"), full_page=True)
    page.click("nav a[href='/health']")
    assert "scheduler node node-a" in page.inner_text("#checks")
    page.click("form.logout button")
    page.wait_for_url("**/login")
    page.goto(console["url"] + "/health")
    assert "/login" in page.url


@pytest.fixture(scope="module")
def admin_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A second server whose one user is an admin, with its own hash key and spool."""
    folder = tmp_path_factory.mktemp("admin-console")
    db_path = seeded_database(folder / "console.db", seed)
    extra = {
        "SPILLWAY_GDPR__HASH_KEY": "browser-test-hash-key",
        "SPILLWAY_CALLBACKS__SPOOL_DIR": str(folder / "spool"),
    }
    with running_console(
        folder, db_path, user="dpo", password=PASSWORD, role=Role.ADMIN, env_extra=extra
    ) as url:
        yield {"url": url, "db": db_path}


def test_an_admin_searches_holds_exports_and_forgets_a_number(
    browser: Any, admin_console: dict[str, Any]
) -> None:
    url = admin_console["url"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.goto(url + "/login")
    tab.fill("input[name=username]", "dpo")
    tab.fill("input[name=password]", PASSWORD)
    tab.click("form[action='/login'] button[type=submit]")
    tab.wait_for_url(url + "/")
    tab.click("nav a[href='/data-protection']")
    tab.fill("#search input[name=phone]", "20 12 34 03")
    tab.click("#search button[type=submit]")
    assert "+4520123403: " in tab.inner_text("#found h3")
    assert "callback_requests" in tab.inner_text("#found table")
    tab.fill("#found input[name=reason]", "SAR-42")
    tab.click("#found form[action$='/hold'] button")
    tab.wait_for_url(url + "/data-protection")
    assert "SAR-42" in tab.inner_text("#holds")
    tab.fill("#search input[name=phone]", "+4520123403")
    tab.click("#search button[type=submit]")
    with tab.expect_download() as download:
        tab.click("#found form[action$='/export'] button")
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["phone"] == "+4520123403" and exported["data"]["callback_requests"]
    tab.click("#found form[action$='/forget'] button")
    assert "Erase everything stored about +4520123403?" in tab.inner_text("#confirm")
    # The number is on hold (an access request in progress): erasing it first releases
    # the hold, with a reason, in the same form.
    assert "SAR-42" in tab.inner_text("#confirm-held")
    tab.fill("#confirm input[name=release_hold]", "SAR-42 answered")
    tab.click("#confirm button.danger")
    tab.wait_for_url(url + "/data-protection")  # POST/redirect/GET
    assert "+********03 is forgotten" in tab.inner_text("#forgotten")
    audit = tab.inner_text("#audit")
    rows = [line.split("\t") for line in audit.splitlines()[1:]]
    # Each look-up (two searches, forget's confirmation) is audited too.
    assert [(r[1], r[2]) for r in rows] == [
        (action, "dpo")
        for action in ("forget", "release", "search", "export", "search", "hold", "search")
    ]
    tab.reload()  # a reload repeats the GET: nothing shown again, nothing written
    assert tab.locator("#forgotten").count() == 0
    assert tab.inner_text("#audit") == audit
    # Times as every page writes them: the shop's zone named once, in the heading
    # ("times in Europe/Copenhagen"), not an abbreviation (CET) in each cell.
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r[0]) for r in rows), rows
    assert "Europe/Copenhagen" in tab.inner_text("h2:has(+ #audit)")
    assert "20123403" not in audit
    context.close()


def test_the_pilot_page_equals_report_pilot_json(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Seeded pilot data: the page's figures are those of `spillway report pilot --json`."""
    folder = tmp_path_factory.mktemp("pilot")
    db_path = seeded_database(folder / "pilot.db", seed_pilot)
    config = folder / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {db_path}\n")
    result = CliRunner().invoke(app, ["--config", str(config), "report", "pilot", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    with (
        running_console(folder, db_path, user="lead", password=PASSWORD) as url,
        logged_in(browser, url) as tab,
    ):
        tab.click("nav a[href='/pilot']")
        tab.wait_for_url("**/pilot")
        kpis = [report["primary"], *report["secondary"]]
        assert tab.locator("#pilot-kpis tbody tr").count() == len(kpis)
        for kpi in kpis:
            row = tab.locator(f"#pilot-kpis tr[data-kpi={kpi['key']}]")
            assert float(row.get_attribute("data-difference")) == kpi["difference"]
            assert [
                float(row.get_attribute("data-low")),
                float(row.get_attribute("data-high")),
            ] == (kpi["interval"])
            assert row.locator(".verdict").inner_text() == kpi["verdict_text"]
        primary = tab.locator("#pilot-kpis tr[data-kpi=first_attempt_contact_rate]")
        # As the command prints it: 60 % - 30 % = +30 points, [-11.8, +60.1].
        assert primary.locator(".difference").inner_text() == "+30.0 pts [-11.8, +60.1]"
        assert report["primary"]["interval"] == [-0.1177, 0.6011]
        cost = tab.locator("#pilot-money tr[data-arm=predicted] .cost").inner_text()
        # In the shop's currency (DK's by default), as the console's English writes money.
        assert cost == f"DKK {report['money']['arms']['predicted']['cost_per_callback']:,.2f}"
        assert "2 requests," in tab.inner_text("#pilot-opted-out")
        assert "+45207000" not in tab.content()  # no customer's number on the page


def test_a_danish_shop_s_console_and_its_charts_speak_danish(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """shop.language: da: the page is lang="da", the figures Danish ("60 %"), and the
    chart's legend (drawn by console.js from the page's #chart-words) too."""
    folder = tmp_path_factory.mktemp("danish")
    db_path = seeded_database(folder / "console.db", seed)
    with (
        running_console(
            folder,
            db_path,
            user="lead",
            password=PASSWORD,
            env_extra={"SPILLWAY_SHOP__LANGUAGE": "da"},
        ) as url,
        logged_in(browser, url) as tab,
    ):
        tab.goto(url + "/?window=30d")
        assert tab.locator("html").get_attribute("lang") == "da"
        assert "Seneste 30 dage" in tab.inner_text("#window-label")
        assert tab.inner_text("[data-kpi=contact_rate]") == "75 %"
        assert tab.inner_text("[data-kpi=turn_latency_p95]") == "970"
        # Whether the timing pays, in one Danish line, honest without a pilot; its link
        # opens the Pilot page for the same 30 days.
        tab.wait_for_selector("#pilot-pays a")  # fetched once the Overview has loaded
        pays = tab.inner_text("#pilot-pays")
        assert pays.startswith("Betaler timingen sig? Ingen tilbagekald i piloten"), pays
        tab.click("#pilot-pays a")
        tab.wait_for_url(url + "/pilot?since=*")
        # No pilot is set: the page says how to start one, not "too few pilot callbacks".
        assert "Der er ingen pilot i gang" in tab.inner_text("#pilot-no-pilot")
        tab.goto(url + "/?window=30d")
        legend = tab.locator("#daily-chart").evaluate(
            "canvas => Chart.getChart(canvas).data.datasets.map(d => d.label)"
        )
        assert legend == ["anmodninger", "nået (%)"]
        # As drawn: the legend in that order (the line is drawn over the bars, not listed
        # first), the count axis in whole requests (a day of 4 had steps of 0.5, a quiet
        # day's "0.2" with an English point), numbers as Danish writes them ("1.234").
        drawn = tab.locator("#daily-chart").evaluate(
            "canvas => { const c = Chart.getChart(canvas); return {"
            " legend: c.legend.legendItems.map(i => i.text),"
            " ticks: c.scales.count.ticks.map(t => t.label),"
            " thousands: c.scales.count.getLabelForValue(1234)}; }"
        )
        assert drawn["legend"] == ["anmodninger", "nået (%)"], drawn
        assert drawn["ticks"] and all(re.fullmatch(r"\d+", t) for t in drawn["ticks"]), drawn
        assert drawn["thousands"] == "1.234", drawn
        # The live tables' longer Danish headings stay in their own column (the callbacks
        # due within the hour ran under the schedulers' table at 1280 px).
        tab.wait_for_selector("#due-soon")
        spill = tab.evaluate(
            "() => [...document.querySelectorAll('.live-grid > div')].map(d =>"
            " Math.max(...[...d.children].map(c => c.getBoundingClientRect().right))"
            " - d.getBoundingClientRect().right)"
        )
        assert spill and max(spill) <= 1, spill
