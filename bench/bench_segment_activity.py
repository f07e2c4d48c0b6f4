"""The refit's read of the segments' pooled signals (`read_prior_tilts`), on a scratch SQLite store.

Fills a throwaway database with 100,000 customers (a callback request each, five
segments) and ``--events`` signal events over the last 89 days, then times
:func:`scheduler.timing.segment_activity.read_prior_tilts` reading the most recent
``--limit`` of them, ``--runs`` times (median and each run).

    PYTHONPATH=. python -m bench.bench_segment_activity --events 1000000 --limit 100000 --runs 3
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from scheduler.timing.segment_activity import MAX_EVENTS, read_prior_tilts
from scheduler.timing.signal_evidence import SignalSettings
from spillway.storage import SqliteStore

CUSTOMERS = 100_000
NOW_S = 1_790_000_000.0


def fill(path: Path, events: int) -> None:
    store = SqliteStore(path)
    store.migrate()
    store.close()
    rng = np.random.default_rng(0)
    con = sqlite3.connect(path)
    con.executemany(
        "INSERT INTO callback_requests (phone, source, created_at, segment, timezone) "
        "VALUES (?, 'api', ?, ?, 'Europe/Copenhagen')",
        ((f"+45{20000000 + i}", NOW_S - 5 * 86400, f"s{i % 5}") for i in range(CUSTOMERS)),
    )
    at = NOW_S - rng.uniform(0, 89 * 86400, events)
    who = rng.integers(0, CUSTOMERS, events)
    con.executemany(
        "INSERT INTO customer_signals (event_id, phone, kind, at, source, received_at) "
        "VALUES (?, ?, 'web_visit', ?, 'bench', ?)",
        ((f"e{i}", f"+45{20000000 + int(who[i])}", float(at[i]), NOW_S) for i in range(events)),
    )
    con.commit()
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--limit", type=int, default=MAX_EVENTS)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "bench.db"
        fill(path, args.events)
        store = SqliteStore(path)
        seconds = []
        for _ in range(args.runs):
            started = time.perf_counter()
            tilts = read_prior_tilts(
                store, {}, now_s=NOW_S, settings=SignalSettings(), limit=args.limit
            )
            seconds.append(time.perf_counter() - started)
        store.close()
    print(
        f"{args.events:,} events, {CUSTOMERS:,} customers, reading {args.limit:,}: "
        f"median {statistics.median(seconds):.2f} s, runs "
        + ", ".join(f"{s:.2f}" for s in seconds)
        + f"; {len(tilts)} segments; load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
