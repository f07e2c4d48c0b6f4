"""The one headless Chromium launch (cli/chromium.py) the demo, browser test and bench share.

A real browser, no server: it is Debian's binary (not a Playwright download)
running with the shared flags, it runs a page's script, and it is gone once
the block ends. Skipped, with the reason :func:`cli.chromium.missing` gives,
where there is no browser.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli.chromium import CHROMIUM_ARGS, headless_chromium, missing

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))


def _descendants(pid: int) -> list[int]:
    """This process's children, grandchildren, ... read from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        kids = [p for p, parent in parents.items() if parent in frontier]
        found += kids
        frontier = kids
    return found


def _browser_command_lines() -> list[list[str]]:
    """Command lines of this test's Chromium processes (Debian installs it in /usr/lib/chromium)."""
    lines = []
    for pid in _descendants(os.getpid()):
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if exe.startswith("/usr/lib/chromium/"):
            lines.append([part.decode() for part in cmdline if part])
    return lines


def test_debians_chromium_runs_a_page_headless_with_the_shared_flags() -> None:
    with headless_chromium() as browser:
        page = browser.new_page()
        page.set_content("<p id=n></p><script>n.textContent = String(6 * 7)</script>")
        assert page.inner_text("#n") == "42"
        # The browser process (the one without --type=) carries every shared flag.
        [main] = [c for c in _browser_command_lines() if not any("--type=" in a for a in c)]
        assert set(CHROMIUM_ARGS) <= set(main)
    assert not browser.is_connected()
