"""How long `spillway report pilot` (and the console's Pilot page) takes to count a pilot.

Run:
    ~/.cache/spillway/venv/bin/python bench/bench_pilot.py 3000 20000 100000

For each size, two arms of half the requests each (first-attempt contact 38 %
against 23 %, as the material's "after" and "before"; attempts until contact
geometric, at most 6) are counted by :func:`scheduler.pilot.report.pilot_report`
in process: the statistics only (reading the rows is the KPI query's cost,
measured by bench/bench_console.py). Prints seconds and the process's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler.contact_facts import RequestRecord
from scheduler.pilot.report import PilotRows, pilot_report
from spillway.callback_settings import PilotSettings

MAX_ATTEMPTS = 6


def arm(rng: np.random.Generator, n: int, first_attempt: float) -> list[RequestRecord]:
    records = []
    for k in rng.geometric(first_attempt, size=n):
        reached = k <= MAX_ATTEMPTS
        records.append(
            RequestRecord(
                0.0,
                "done" if reached else "unreached",
                None,
                int(min(k, MAX_ATTEMPTS)),
                k == 1,
                3 * 3600.0 * k if reached else None,
                int(k) if reached else None,
            )
        )
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int, help="requests in the pilot")
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    for size in args.sizes:
        rows = PilotRows(
            arms={"predicted": arm(rng, size // 2, 0.38), "conventional": arm(rng, size // 2, 0.23)}
        )
        started = time.perf_counter()
        report = pilot_report(rows, PilotSettings())
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        primary = report["primary"]
        print(
            f"{size:>7} requests: {seconds:5.2f} s, peak {peak_mb:.0f} MB; first-attempt "
            f"difference {primary['difference']} {primary['interval']} {primary['verdict']}"
        )


if __name__ == "__main__":
    main()
