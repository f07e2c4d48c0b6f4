"""The console's memory with many open browser tabs polling the Overview.

Run:
    ~/.cache/spillway/venv/bin/python bench/bench_console_memory.py --tabs 20 --minutes 5 --runs 3

Each run builds a throw-away SQLite store (bench_console's history at a smaller size:
``--requests`` callback requests, ten attempts each, ``--calls`` bot calls, over the last
30 days), starts a real `spillway web serve` on it (bench/console_server.py), and opens
``--tabs`` logged-in Overview tabs (``/?window=30d``, each through the login form) in
Debian's Chromium driven by Playwright. The tabs then poll as a user's do (htmx, the live
part every web.console.LIVE_POLL_S seconds) for ``--minutes``, while the server process's
RSS (with any children's; /proc/<pid>/status VmRSS) and Chromium's total PSS (every
Chromium process, /proc/<pid>/smaps_rollup) are sampled every ``--sample-s`` seconds.

Reported per run and as median and max over runs: server RSS before the tabs, once all
tabs are open, its peak, and its slope over the polling window (MiB per minute, least
squares; a leak shows as steady growth); requests the server answered and the failed ones
(a response of 400 or more, a request that failed in the browser, or an htmx error event
in a page, all counted as failures).

Nothing outside the temporary folder is touched (own secrets file, own port, own browser).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_console import PASSWORD, history, load_sqlite  # noqa: E402
from bench.console_server import running_console  # noqa: E402
from cli.chromium import headless_chromium, missing  # noqa: E402
from web.console import LIVE_POLL_S  # noqa: E402
from web.users import Role  # noqa: E402

USER = "lead"
MIB = 1024 * 1024
# Counted in each page: htmx's own error events (a poll that failed, timed out or was refused).
HTMX_ERRORS_JS = """
window.__benchErrors = 0;
for (const name of ["htmx:responseError", "htmx:sendError", "htmx:timeout", "htmx:swapError"]) {
  document.addEventListener(name, () => { window.__benchErrors += 1; });
}
"""


def children_of() -> dict[int, list[int]]:
    """Every process's children (parent pid -> child pids), read from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces or parentheses: the fields follow the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def descendants(pid: int, tree: dict[int, list[int]]) -> list[int]:
    out, todo = [], list(tree.get(pid, []))
    while todo:
        child = todo.pop()
        out.append(child)
        todo += tree.get(child, [])
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def kib_field(path: str, name: str) -> int:
    """A ``Name:   1234 kB`` field of a /proc file, in bytes (0 if the process is gone)."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def server_pid() -> int:
    """The `spillway web serve` child this process started."""
    tree = children_of()
    for pid in descendants(os.getpid(), tree):
        if "web serve" in cmdline(pid):
            return pid
    raise RuntimeError("the console server process was not found among this process's children")


def server_rss(pid: int) -> int:
    tree = children_of()
    return sum(kib_field(f"/proc/{p}/status", "VmRSS") for p in [pid, *descendants(pid, tree)])


def chromium_pss() -> int:
    """All Chromium processes under this one (not Playwright's driver), PSS summed."""
    tree = children_of()
    pids = [p for p in descendants(os.getpid(), tree) if "chromium" in cmdline(p).split(" ")[0]]
    return sum(kib_field(f"/proc/{p}/smaps_rollup", "Pss") for p in pids)


@dataclass
class Run:
    before_b: int = 0
    open_b: int = 0
    peak_b: int = 0
    slope_b_per_min: float = 0.0
    chromium_open_b: int = 0
    chromium_peak_b: int = 0
    served: int = 0
    failed: int = 0
    htmx_errors: int = 0
    polls: int = 0
    # Why each failure failed ("404 /live", "net::ERR_ABORTED /live"), tallied in the report.
    reasons: Counter[str] = field(default_factory=Counter)
    samples: list[tuple[float, int]] = field(default_factory=list)


def open_tab(browser: Any, url: str, run: Run) -> tuple[Any, Any]:
    """A logged-in Overview tab (through the login form), its responses counted."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(HTMX_ERRORS_JS)
    tab = context.new_page()
    tab.set_default_timeout(60_000)

    def on_response(response: Any) -> None:
        if response.url.startswith(url):
            run.served += 1
            if response.status >= 400:
                run.failed += 1
                run.reasons[f"{response.status} {urlsplit(response.url).path}"] += 1
            run.polls += "/live" in response.url

    def on_failed(request: Any) -> None:
        if request.url.startswith(url):
            run.failed += 1
            run.reasons[f"{request.failure} {urlsplit(request.url).path}"] += 1

    tab.on("response", on_response)
    tab.on("requestfailed", on_failed)
    tab.goto(url + "/")
    tab.fill("input[name=username]", USER)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("form[action='/login'] button[type=submit]")
    tab.wait_for_url(url + "/")
    tab.goto(url + "/?window=30d")
    return context, tab


def one_run(args: argparse.Namespace) -> Run:
    run = Run()
    with tempfile.TemporaryDirectory(prefix="bench-console-memory-") as tmp:
        folder = Path(tmp)
        h = history(args.requests, args.requests * 10, args.calls, time.time())
        load_sqlite(folder / "console.db", h).close()
        with running_console(
            folder, folder / "console.db", user=USER, password=PASSWORD, role=Role.SUPERVISOR,
            start_timeout_s=120,
        ) as url:  # fmt: skip
            pid = server_pid()
            run.before_b = server_rss(pid)
            with headless_chromium() as browser:
                tabs = [open_tab(browser, url, run) for _ in range(args.tabs)]
                run.open_b = server_rss(pid)
                run.chromium_open_b = run.chromium_peak_b = chromium_pss()
                start = time.monotonic()
                end = start + args.minutes * 60
                while time.monotonic() < end:
                    # Waiting in a page lets Playwright deliver the counted events.
                    tabs[0][1].wait_for_timeout(args.sample_s * 1000)
                    rss = server_rss(pid)
                    run.samples.append(((time.monotonic() - start) / 60, rss))
                    run.chromium_peak_b = max(run.chromium_peak_b, chromium_pss())
                run.htmx_errors = sum(int(tab.evaluate("window.__benchErrors")) for _, tab in tabs)
                run.failed += run.htmx_errors
                for context, _ in tabs:
                    context.close()
    rss_values = [run.open_b, *(b for _, b in run.samples)]
    run.peak_b = max(rss_values)
    if len(run.samples) >= 2:
        minutes = [m for m, _ in run.samples]
        run.slope_b_per_min = statistics.linear_regression(
            minutes, [float(b) for _, b in run.samples]
        ).slope
    return run


def mib(b: float) -> str:
    return f"{b / MIB:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tabs", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample-s", type=float, default=5.0)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=2_000)
    args = parser.parse_args()
    if (why := missing()) is not None:
        sys.exit(f"needs Playwright and Debian's Chromium: {why}")

    print(
        f"{args.tabs} tabs on /?window=30d polling /live every {LIVE_POLL_S} s for "
        f"{args.minutes} min; store: {args.requests} requests, {args.requests * 10} attempts, "
        f"{args.calls} calls; load average {os.getloadavg()[0]:.2f}"
    )
    runs: list[Run] = []
    for i in range(args.runs):
        r = one_run(args)
        runs.append(r)
        print(
            f"run {i + 1}: server RSS before {mib(r.before_b)} MiB, at {args.tabs} tabs "
            f"{mib(r.open_b)}, peak {mib(r.peak_b)}, slope {mib(r.slope_b_per_min)} MiB/min; "
            f"Chromium PSS {mib(r.chromium_open_b)} open, peak {mib(r.chromium_peak_b)} MiB; "
            f"served {r.served} ({r.polls} polls), failed {r.failed} "
            f"(htmx errors {r.htmx_errors}; {dict(r.reasons)}); "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )

    def summary(name: str, values: list[float], unit: str = " MiB") -> None:
        print(
            f"{name}: median {mib(statistics.median(values))}{unit}, max {mib(max(values))}{unit}"
        )

    summary("server RSS before tabs", [r.before_b for r in runs])
    summary(f"server RSS at {args.tabs} tabs", [r.open_b for r in runs])
    summary("server RSS peak", [r.peak_b for r in runs])
    summary("server RSS slope", [r.slope_b_per_min for r in runs], " MiB/min")
    summary("Chromium PSS peak", [r.chromium_peak_b for r in runs])
    print(
        f"requests served {sum(r.served for r in runs)}, "
        f"failed {sum(r.failed for r in runs)} over {args.runs} runs"
    )


if __name__ == "__main__":
    main()
