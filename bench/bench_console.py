"""The console's speed with a large history: the Overview's time to first byte and the KPI query.

Run:
    ~/.cache/spillway/venv/bin/python bench/bench_console.py --runs 7
    ~/.cache/spillway/venv/bin/python bench/bench_console.py --runs 7 --postgres

Builds a throw-away database (SQLite, or with ``--postgres`` a throw-away
PostgreSQL cluster: initdb and pg_ctl) with 100,000 callback requests and
1,000,000 attempts spread over the last 30 days (plus 20,000 bot calls with
their turn events; SQLite: written through the schema's triggers like the
dialer's and the bot's rows; PostgreSQL: copied as a restore loads it, the
facts then backfilled as the migration does), starts a real `spillway web serve`
on it, logs in through
the form, and measures (median, 90th percentile and worst of ``--runs`` runs,
after one warm-up):

- the KPI query (web.console.compute_kpis, in process) for today, 7 and 30 days (on
  PostgreSQL also with the medians fetched and taken in Python, as before), and
  beside it the scan it replaced (every attempt and turn event counted again in Python,
  web.kpi_rows.scanned_*), so that the two compare as a ratio on a shared machine;
- the Overview (``GET /?window=...``) and the Pilot page (``GET /pilot``) over HTTP,
  time to first byte: the first one (it counts the figures) and later ones (they reuse
  them for a minute, web.figure_cache);
- ``GET /api/kpis`` (counted on every request) for 7 and 30 days, time to first byte.

Nothing outside the temporary folder is touched (own secrets file, own port).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.console_server import running_console  # noqa: E402
from spillway.schema import MIGRATIONS  # noqa: E402
from spillway.storage import SqliteStore, Store  # noqa: E402
from web.console import compute_kpis  # noqa: E402
from web.kpi_rows import scanned_kpis  # noqa: E402
from web.kpis import window  # noqa: E402

ZONE = "Europe/Copenhagen"
OUTCOMES = ["no_answer"] * 5 + ["answered"] * 3 + ["busy", "machine"]
PASSWORD = "bench password 123"


REQUEST_COLUMNS = (
    "id",
    "phone",
    "source",
    "created_at",
    "status",
    "attempts",
    "planned_by",
    "reason",
    "timing",
    "timing_reason",
)
ATTEMPT_COLUMNS = (
    "id", "request_id", "phone", "attempt_no", "started_at", "ended_at", "outcome",
    "local_weekday", "local_hour", "hours_since_request", "policy",
)  # fmt: skip
CALL_COLUMNS = ("call_id", "caller", "started_at", "ended_at", "stage", "intent", "outcome")
EVENT_COLUMNS = ("call_id", "at", "kind", "data")


@dataclass
class History:
    """The rows of the bench's database, per table, in the columns above."""

    requests: list[tuple[Any, ...]] = field(default_factory=list)
    attempts: list[tuple[Any, ...]] = field(default_factory=list)
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)

    def tables(self) -> list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]]:
        return [
            ("callback_requests", REQUEST_COLUMNS, self.requests),
            ("callback_attempts", ATTEMPT_COLUMNS, self.attempts),
            ("calls", CALL_COLUMNS, self.calls),
            ("call_events", EVENT_COLUMNS, self.events),
        ]


def history(requests: int, attempts: int, calls: int, now: float) -> History:
    rng = random.Random(7)
    h = History()
    per_request = attempts // requests
    for rid in range(1, requests + 1):
        created = now - rng.uniform(0, 30 * 86400)
        policy = "predicted" if rid % 2 else "traditional"
        answered_at = None
        for no in range(1, per_request + 1):
            started = created + no * 3600
            outcome = rng.choice(OUTCOMES) if answered_at is None else "no_answer"
            if outcome == "answered" and answered_at is None:
                answered_at = started
            h.attempts.append(
                (f"b{rid}-{no}", rid, f"+45{rid:08d}", no, started, started + 30, outcome,
                 0, 10, no, policy)
            )  # fmt: skip
        status = "done" if answered_at else ("pending" if created > now - 86400 else "unreached")
        # A pilot split the Pilot page counts: the two arms as the policies planned them.
        timing = "predicted" if policy == "predicted" else "conventional"
        h.requests.append(
            (rid, f"+45{rid:08d}", "api", created, status, per_request, policy, "bench",
             timing, "pilot")
        )  # fmt: skip
    for i in range(calls):
        start = now - rng.uniform(0, 30 * 86400)
        outcome = rng.choice(["resolved", "resolved", "handoff", "callback", "hangup"])
        h.calls.append(
            (f"call{i}", "+4530000000", start, start + 90, "ended", "order_status", outcome)
        )
        for turn in range(3):
            at = start + 10 + 10 * turn
            h.events += [
                (f"call{i}", at, "endpoint", "{}"),
                (f"call{i}", at + rng.uniform(0.3, 1.2), "first_audio", "{}"),
            ]
        if outcome == "handoff":
            reason = json.dumps({"stage": "handoff", "reason": "asked for a person"})
            h.events.append((f"call{i}", start + 80, "stage", reason))
    return h


# The backfill statements of the migration that keeps the contact facts.
BACKFILL = next(
    [st for st in m.postgres_statements if st.startswith("UPDATE")]
    for m in MIGRATIONS
    if m.postgres_statements and "contact_attempts" in "".join(m.postgres_statements)
)


def load_sqlite(path: Path, h: History) -> Store:
    """The history in a new SQLite database at ``path`` (migrated, analysed)."""
    store = SqliteStore(path)
    store.migrate()
    conn = store.db.conn
    conn.execute("BEGIN")
    for table, columns, rows in h.tables():
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            rows,
        )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    return store


def load_postgres(dsn: str, h: History) -> Store:
    """The history in the PostgreSQL database ``dsn`` (migrated, analysed)."""
    import psycopg

    from spillway.postgres import PostgresStore

    store = PostgresStore(dsn)
    store.migrate()
    with psycopg.connect(dsn) as conn:
        # As a restore loads it (triggers off), then the facts counted as migration 15's
        # backfill counts them: a million row triggers would take many minutes here.
        conn.execute("SET session_replication_role = replica")
        for table, columns, rows in h.tables():
            with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        conn.execute("SET session_replication_role = DEFAULT")
        for statement in BACKFILL:
            conn.execute(statement)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return store


@contextlib.contextmanager
def database(folder: Path, h: History, postgres: bool) -> Iterator[tuple[Store, str | None]]:
    """The loaded store, and the PostgreSQL DSN when it is PostgreSQL."""
    if not postgres:
        store = load_sqlite(folder / "console.db", h)
        try:
            yield store, None
        finally:
            store.close()
        return
    from bench.pg_cluster import new_database, pg_cluster

    with pg_cluster() as server:
        dsn = new_database(server)
        store = load_postgres(dsn, h)
        try:
            yield store, dsn
        finally:
            store.close()


class FetchingMedians:
    """The PostgreSQL store as the KPIs saw it before: every reached request's hours and
    every turn's latency fetched and their medians taken in Python (web.kpi_rows reads
    ``backend``; everything else is the store's)."""

    backend = "postgres, medians fetched"

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @contextlib.contextmanager
    def reading(self) -> Iterator[FetchingMedians]:
        with self._store.reading() as reader:
            yield FetchingMedians(reader)  # type: ignore[arg-type]


def spread_ms(samples: list[float]) -> str:
    """Median, 90th percentile and worst, in ms."""
    ms = sorted(x * 1000 for x in samples)
    p90 = statistics.quantiles(ms, n=10, method="inclusive")[-1] if len(ms) > 1 else ms[0]
    return f"median {statistics.median(ms):7.1f}  p90 {p90:7.1f}  max {ms[-1]:7.1f} ms"


def timed(f: Callable[[], object], runs: int, cpu: list[float] | None = None) -> list[float]:
    """Wall times of ``runs`` calls after a warm-up; this process's CPU times into ``cpu``."""
    f()  # warm-up
    samples = []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        f()
        samples.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - started_cpu)
    return samples


def time_to_first_byte(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    with client.stream("GET", path) as response:
        first = time.perf_counter()
        response.read()
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
    return first - started


def measure_http(url: str, runs: int) -> dict[str, str]:
    results = {}
    with httpx.Client(base_url=url, timeout=60) as client:
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        client.post(
            "/login",
            data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)},
        )
        for key in ("today", "7d", "30d"):
            # The first Overview of a window counts its figures; later ones within a
            # minute reuse them (web.figure_cache.FigureCache).
            first = time_to_first_byte(client, f"/?window={key}") * 1000
            results[f"TTFB Overview {key}, counted"] = f"once   {first:7.1f} ms"
            samples = [time_to_first_byte(client, f"/?window={key}") for _ in range(runs)]
            results[f"TTFB Overview {key}, reused"] = spread_ms(samples)
        # The Pilot page (the whole pilot up to now): counted once, then reused for a
        # minute from the cache it shares with the Overview (web.figure_cache).
        first = time_to_first_byte(client, "/pilot") * 1000
        results["TTFB Pilot, counted"] = f"once   {first:7.1f} ms"
        samples = [time_to_first_byte(client, "/pilot") for _ in range(runs)]
        results["TTFB Pilot, reused"] = spread_ms(samples)
        for key in ("7d", "30d"):
            since = datetime.fromtimestamp(time.time() - int(key[:-1]) * 86400).isoformat()
            path = f"/api/kpis?since={since}"
            samples = timed(lambda p=path: time_to_first_byte(client, p), runs)  # type: ignore[misc]
            results[f"TTFB /api/kpis {key}"] = spread_ms(samples)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL cluster")
    parser.add_argument("--no-scan", action="store_true", help="skip the scan it replaced")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-console-"))
    now = time.time()
    h = history(args.requests, args.attempts, args.calls, now)
    began = time.perf_counter()
    with database(folder, h, args.postgres) as (store, dsn):
        print(
            f"{'PostgreSQL' if dsn else 'SQLite'}: {args.requests} requests, {args.attempts} "
            f"attempts, {args.calls} calls, loaded in "
            f"{time.perf_counter() - began:.0f} s"
        )
        results: dict[str, str] = {}
        for key in ("today", "7d", "30d"):
            w = window(key, ZONE, time.time())
            cpu: list[float] = []
            kpis = timed(lambda w=w: compute_kpis(store, w), args.runs, cpu)  # type: ignore[misc]
            results[f"kpi query {key}"] = spread_ms(kpis)
            # SQLite works in this process: its CPU time is what a quiet machine would take.
            results[f"kpi query {key}, CPU of this process"] = spread_ms(cpu)
            if dsn:  # the same query with the medians taken here, as before (one run: a ratio)
                fetched = timed(
                    lambda w=w: compute_kpis(FetchingMedians(store), w),  # type: ignore[misc,arg-type]
                    args.runs,
                )
                results[f"kpi query {key}, medians fetched (before)"] = spread_ms(fetched)
                ratio = statistics.median(fetched) / statistics.median(kpis)
                results[f"kpi medians fetched / on server {key}"] = f"{ratio:.2f} x"
            if not args.no_scan:
                scan = timed(lambda w=w: scanned_kpis(store, w), args.runs)  # type: ignore[misc]
                results[f"kpi scan {key} (before)"] = spread_ms(scan)
                ratio = statistics.median(scan) / statistics.median(kpis)
                results[f"kpi scan / query {key}"] = f"{ratio:.1f} x"
        for name, value in results.items():  # before the server: a failed start keeps them
            print(f"{name:42s} {value}", flush=True)
        with running_console(
            folder,
            folder / "console.db",
            user="bench",
            password=PASSWORD,
            postgres_dsn=dsn,
            start_timeout_s=300,
        ) as url:
            served = measure_http(url, args.runs)
    for name, value in served.items():
        print(f"{name:42s} {value}")
    print(f"(runs: {args.runs}, after one warm-up)")


if __name__ == "__main__":
    main()
