"""Debian's Chromium, headless, driven by Playwright: the one launch the console's users share.

The demo's screenshot, the console's browser test and its memory bench all
open the console in a real browser. Playwright's own browser download cannot
reach its host here, so it drives the distribution's ``chromium`` package
instead, with the flags a headless run on a server wants (no sandbox, GPU,
QUIC, first-run or background traffic). Playwright is the dev extra; without
it, or without the browser, :func:`missing` says what to install.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from spillway.wording import Wording, worded

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def missing() -> Wording | None:
    """Why no browser can be driven here (what to install), or None: the pack's words,
    said in the admin's language by the demo, in English by ``str()`` (a test's skip)."""
    if importlib.util.find_spec("playwright") is None:
        return worded("cli.chromium.no_playwright")
    if not CHROMIUM.exists():
        return worded("cli.chromium.no_chromium", path=CHROMIUM)
    return None


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """A Playwright ``Browser`` on Debian's Chromium (blocking API); closed on the way out."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()
