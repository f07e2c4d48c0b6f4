"""The contact model with 10,000,000 signal events for 100,000 customers: fit and scoring.

Run:
    PYTHONPATH=. ~/.cache/spillway/venv/bin/python -m bench.bench_signals_fit --runs 3 \
        --json /tmp/signals_fit.json

How signals reach the model in production: the daemon's refit
(:class:`~scheduler.timing.model_keeper.ModelKeeper`) reads the finished
attempts and fits on them alone; it reads no signal. A customer's signals
are read when their request is planned: the dialer's ``_plan`` reads that
customer's events inside the horizon (:func:`scheduler.signals.signals_for`,
one number, in its transaction), and the policy's probabilities
(:func:`scheduler.timing.slot_policy.model_probabilities`) tilt the model's
prior by them (:func:`scheduler.timing.signal_evidence.tilt`) before the
Thompson draws. So the benchmark times those same functions on one SQLite
database (``--db``, built once and reused; its build is reported, not timed
as a result):

- ``--customers`` (100,000) numbers in 5 segments, each with one pending
  request and ``--attempts`` / customers finished attempts (1,000,000 in all,
  over the past 300 days);
- ``--events`` (10,000,000) signal events, the same number per customer, of
  four kinds, spread over the past ``--spread-days`` (90: the default
  horizon, so every event counts: the heaviest case), 70% of each
  customer's in their own three favourite hours of the week.

Parts, each ``--runs`` times:

1. fit: what the keeper does at each refit, ``read_attempt_window`` then
   ``fit`` (both parts, as the daemon fits), with the 10M events in the store;
2. scoring: every pending request planned as the dialer plans it: its own
   signals read (a transaction each), then the policy's 33 draws over the
   tilted model; the read and the model timed apart, and the same requests
   scored without signals for comparison (the first ``--plain-sample``,
   20,000, scaled to all);
3. bulk read: every customer's events read at once (``signals_for`` over all
   100,000 numbers, 10M ``SignalEvent`` objects), and the tilt of every
   customer from them: what a batch scorer would pay (production does not).

Reported: median, min and max per part, the peak RSS after each part, and
the load average before and after (the machine is shared by 3 sessions).
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import machine, write_report  # noqa: E402
from scheduler.rules import RequestFacts  # noqa: E402
from scheduler.signals import signals_for  # noqa: E402
from scheduler.timing.contact_model import SLOTS, cold_start_prior, fit  # noqa: E402
from scheduler.timing.model_keeper import read_attempt_window  # noqa: E402
from scheduler.timing.signal_evidence import SignalSettings, tilt  # noqa: E402
from scheduler.timing.slot_policy import PROPENSITY_DRAWS, model_probabilities  # noqa: E402
from spillway.storage import SqliteStore  # noqa: E402

SEGMENTS = ("it", "consumer", "wholesale", "retail", "public")
INDUSTRY = {s: s for s in SEGMENTS}
KINDS = ("web_visit", "email_open", "inbound_call", "sms_reply")
TIMEZONE = "Europe/Copenhagen"
DAY_S = 86400.0
DRAWS = PROPENSITY_DRAWS + 1  # what SlotPolicy.plan asks of the probabilities
ATTEMPT_SQL = (
    "INSERT INTO callback_attempts (id, request_id, phone, attempt_no, started_at, ended_at, "
    "outcome, local_weekday, local_hour, hours_since_request, segment, policy) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1.0, ?, 'predicted')"
)
SIGNAL_SQL = (
    "INSERT INTO customer_signals (event_id, phone, kind, at, source, received_at) "
    "VALUES (?, ?, ?, ?, 'bench', ?)"
)


def phone_of(customer: int) -> str:
    return f"+452{100_000 + customer:07d}"


def rss_mib() -> dict[str, float]:
    """The process's resident memory now and its peak so far, MiB."""
    now_kib = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rss_mib": round(now_kib / 2**20, 1), "peak_rss_mib": round(peak_kib / 1024, 1)}


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def spread(samples: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(samples), 3),
        "min_s": round(min(samples), 3),
        "max_s": round(max(samples), 3),
    }


# -- the database ------------------------------------------------------------------------------
def build(path: Path, *, customers: int, attempts: int, events: int, spread_days: float) -> float:
    """Create and fill the database at ``path``; seconds it took."""
    started = time.perf_counter()
    store = SqliteStore(path)
    store.migrate()
    store.close()
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")  # 1 GB of page cache while filling
    rng = np.random.default_rng(7)
    now = time.time()
    segment_of = rng.integers(0, len(SEGMENTS), size=customers)
    truth = np.vstack([cold_start_prior(s) for s in SEGMENTS])
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO callback_requests (id, phone, source, created_at, status, segment, timezone) "
        "VALUES (?, ?, 'api', ?, 'pending', ?, ?)",
        (
            (c + 1, phone_of(c), now - 600.0, SEGMENTS[segment_of[c]], TIMEZONE)
            for c in range(customers)
        ),
    )
    conn.execute("COMMIT")
    per_customer = attempts // customers
    chunk = 10_000  # customers per transaction
    for first in range(0, customers, chunk):
        who = np.repeat(np.arange(first, min(first + chunk, customers)), per_customer)
        slot = rng.integers(0, SLOTS, size=len(who))
        answered = rng.random(len(who)) < truth[segment_of[who], slot]
        started_at = now - rng.random(len(who)) * 300 * DAY_S
        conn.execute("BEGIN")
        conn.executemany(
            ATTEMPT_SQL,
            (
                (
                    f"a{n + first * per_customer:09d}",
                    int(c) + 1,
                    phone_of(int(c)),
                    1 + n % 3,
                    float(t),
                    float(t) + 30.0,
                    "answered" if a else "no_answer",
                    int(s) // 24,
                    int(s) % 24,
                    SEGMENTS[segment_of[c]],
                )
                for n, (c, s, a, t) in enumerate(zip(who, slot, answered, started_at, strict=True))
            ),
        )
        conn.execute("COMMIT")
    per_customer = events // customers
    chunk = 5_000
    for first in range(0, customers, chunk):
        who = np.repeat(np.arange(first, min(first + chunk, customers)), per_customer)
        n = len(who)
        # 70% in one of the customer's three favourite hours of the week, the rest anywhere.
        favourite = (who[:, None] * np.array([37, 101, 149]) % SLOTS)[
            np.arange(n), rng.integers(0, 3, size=n)
        ]
        days_back = np.floor(rng.random(n) * (spread_days - 7) / 7) * 7 + 7
        # now - days_back weeks lands on "now"'s own hour of the week; shift to the slot.
        now_slot = int(((now // 3600) + 3 * 24) % SLOTS)
        fav_at = now - days_back * DAY_S + ((favourite - now_slot) % SLOTS - SLOTS) * 3600.0
        any_at = now - rng.random(n) * spread_days * DAY_S
        at = np.where(rng.random(n) < 0.7, fav_at + rng.random(n) * 3600, any_at)
        at = np.clip(at, now - spread_days * DAY_S + 1, now - 1)
        kinds = rng.integers(0, len(KINDS), size=n)
        conn.execute("BEGIN")
        conn.executemany(
            SIGNAL_SQL,
            (
                (f"e{first * per_customer + i:09d}", phone_of(int(c)), KINDS[k], float(t), now)
                for i, (c, k, t) in enumerate(zip(who, kinds, at, strict=True))
            ),
        )
        conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


# -- the parts ---------------------------------------------------------------------------------
def bench_fit(store: SqliteStore, runs: int) -> dict[str, Any]:
    """The keeper's refit: read the attempts, fit both parts (signals are not read)."""
    reads, fits, totals = [], [], []
    model = None
    for _ in range(runs):
        started = time.perf_counter()
        log, _window = read_attempt_window(store, INDUSTRY, timezone=TIMEZONE)
        read = time.perf_counter() - started
        model = fit(log, now=time.time())
        total = time.perf_counter() - started
        reads.append(read)
        fits.append(total - read)
        totals.append(total)
    assert model is not None
    return {
        "attempts": model.attempts,
        "customers": len(model.customers),
        "read_attempts": spread(reads),
        "fit": spread(fits),
        "total": spread(totals),
        "boosted_share": model.gbm_weight,
        "load_after": loadavg(),
        **rss_mib(),
    }


def pending(store: SqliteStore) -> list[RequestFacts]:
    rows = store.query(
        "SELECT phone, timezone, created_at, segment FROM callback_requests "
        "WHERE status = 'pending' ORDER BY id"
    )
    return [
        RequestFacts(r["phone"], r["timezone"], r["created_at"], segment=r["segment"]) for r in rows
    ]


def bench_scoring(
    store: SqliteStore,
    runs: int,
    settings: SignalSettings,
    limit: int | None,
    plain_sample: int,
) -> dict[str, Any]:
    """Every pending request planned as the dialer does: read its signals, then 33 draws."""
    log, _ = read_attempt_window(store, INDUSTRY, timezone=TIMEZONE)
    model = fit(log, now=time.time())
    del log
    now = time.time()
    probabilities = model_probabilities(
        lambda: model, now=lambda: now, max_age_s=3600.0, signals=settings
    )
    requests = pending(store)[:limit]
    reads, models, plain, events = [], [], [], 0
    for run in range(runs):
        rng = np.random.default_rng(run)
        read_s = model_s = 0.0
        events = 0
        for facts in requests:
            # The dialer reads them in the transaction it plans in (claim or finish): that
            # transaction's BEGIN and COMMIT are the dialer's own, not timed here.
            with store.transaction() as tx:
                started = time.perf_counter()
                found = signals_for(
                    tx, [facts.phone], since_s=now - settings.horizon_s, until_s=now
                )
                got = tuple(found[facts.phone])
                mid = time.perf_counter()
            probs = probabilities(replace(facts, signals=got), rng, DRAWS)
            model_s += time.perf_counter() - mid
            read_s += mid - started
            events += len(got)
        assert probs.shape == (DRAWS, SLOTS)
        reads.append(read_s)
        models.append(model_s)
        sample = requests[:plain_sample]
        started = time.perf_counter()
        for facts in sample:
            probabilities(facts, rng, DRAWS)
        plain.append((time.perf_counter() - started) * len(requests) / max(len(sample), 1))
    return {
        "pending": len(requests),
        "events_read_per_run": events,
        "read_signals": spread(reads),
        "tilt_and_draws": spread(models),
        "total": spread([r + m for r, m in zip(reads, models, strict=True)]),
        "draws_without_signals_scaled": spread(plain),
        "without_signals_timed": min(plain_sample, len(requests)),
        "boosted_share": model.gbm_weight,
        "load_after": loadavg(),
        **rss_mib(),
    }


def bench_bulk(store: SqliteStore, runs: int, settings: SignalSettings) -> dict[str, Any]:
    """Every customer's events in one read, and every customer's tilt from them."""
    requests = pending(store)
    model = fit(read_attempt_window(store, INDUSTRY, timezone=TIMEZONE)[0], now=time.time())
    now = time.time()
    reads, tilts, events = [], [], 0
    for _ in range(runs):
        started = time.perf_counter()
        with store.transaction() as tx:
            found = signals_for(
                tx, [f.phone for f in requests], since_s=now - settings.horizon_s, until_s=now
            )
        mid = time.perf_counter()
        for facts in requests:
            tilt(
                found[facts.phone],
                model.segment_mean(facts.segment),
                now_s=now,
                timezone=facts.timezone,
                settings=settings,
            )
        tilts.append(time.perf_counter() - mid)
        reads.append(mid - started)
        events = sum(len(v) for v in found.values())
        del found
    return {
        "customers": len(requests),
        "events": events,
        "read_all": spread(reads),
        "tilt_all": spread(tilts),
        "load_after": loadavg(),
        **rss_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--spread-days", type=float, default=90.0)
    parser.add_argument("--db", type=Path, default=Path("/tmp/spillway-bench-signals/fit.db"))
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument("--pending", type=int, default=None, help="score only the first N")
    parser.add_argument(
        "--plain-sample", type=int, default=20_000, help="requests scored without signals"
    )
    parser.add_argument("--bulk-runs", type=int, default=None, help="default: --runs")
    parser.add_argument("--parts", default="fit,scoring,bulk")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    report: dict[str, Any] = {"machine": machine(), "runs": args.runs, "load_before": loadavg()}
    if args.rebuild and args.db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    if not args.db.exists():
        report["build_s"] = round(
            build(
                args.db,
                customers=args.customers,
                attempts=args.attempts,
                events=args.events,
                spread_days=args.spread_days,
            ),
            1,
        )
    store = SqliteStore(args.db)
    # A database built by older code gets this code's migrations (an index, say) first.
    started = time.perf_counter()
    store.migrate()
    report["migrate_s"] = round(time.perf_counter() - started, 1)
    report["store"] = {
        "signals": store.query("SELECT count(*) AS n FROM customer_signals")[0]["n"],
        "attempts": store.query("SELECT count(*) AS n FROM callback_attempts")[0]["n"],
        "file_mib": round(args.db.stat().st_size / 2**20),
    }
    settings = SignalSettings(horizon_s=90 * DAY_S)
    if "fit" in parts:
        report["fit"] = bench_fit(store, args.runs)
    if "scoring" in parts:
        report["scoring"] = bench_scoring(
            store, args.runs, settings, args.pending, args.plain_sample
        )
    if "bulk" in parts:
        report["bulk"] = bench_bulk(store, args.bulk_runs or args.runs, settings)
    report["load_after"] = loadavg()
    write_report(report, args.json)


if __name__ == "__main__":
    main()
