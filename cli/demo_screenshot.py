"""The demo's screenshot: the console's Overview of the simulated month, in headless Chromium.

Serves the console as the demo prints it (:mod:`cli.console_server`, the
demo's database and secrets), logs in through the form as a person would,
opens the stored month's range, waits for the live part and the chart, and
saves a full-page PNG. Needs Playwright (the dev extra) and Debian's
``chromium`` (:mod:`cli.chromium`); without them the demo says so and goes on.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from cli.chromium import headless_chromium, missing
from cli.console_server import serving
from cli.demo_console import DemoConsole

__all__ = ["missing", "screenshot_overview"]

TIMEOUT_MS = 15_000


def screenshot_overview(
    demo: DemoConsole, target: Path, *, data_dir: Path, config_path: Path | None = None
) -> Path:
    """The Overview of ``demo``'s month as a PNG at ``target``; its path."""
    env = {
        "SPILLWAY_SECRETS_FILE": str(demo.secrets_file),
        "SPILLWAY_STORAGE__SQLITE_PATH": str(demo.database),
        "SPILLWAY_DATA": str(data_dir),
    }
    wanted = urlsplit(demo.url)
    with (
        serving(env, demo.folder / "serve.log", config_path=config_path) as url,
        headless_chromium() as browser,
    ):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{url}/login")
        page.fill("input[name=username]", demo.user)
        page.fill("input[name=password]", demo.password)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(f"{url}/")
        page.goto(f"{url}{wanted.path}?{wanted.query}")
        page.wait_for_selector("#live-calls")  # htmx loaded the live part
        page.wait_for_function("() => document.querySelector('#daily-chart')?.width > 0")
        page.wait_for_timeout(500)  # Chart.js animates its first draw
        page.screenshot(path=str(target), full_page=True)
    return target
