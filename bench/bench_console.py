"""The console's speed with a large history: the Overview's time to first byte and the KPI query.

Run:
    ~/.cache/spillway/venv/bin/python bench/bench_console.py --runs 7

Builds a throw-away SQLite database with 100,000 callback requests and
1,000,000 attempts spread over the last 30 days (plus 20,000 bot calls with
their turn events), starts a real `spillway web serve` on it, logs in through
the form, and measures (medians over ``--runs`` runs, after one warm-up):

- the KPI query itself (web.console.compute_kpis, in process) for today, 7 and 30 days;
- the Overview (``GET /?window=...``) over HTTP, time to first byte: the first one of a
  window (it counts the figures) and later ones (they reuse them for a minute);
- ``GET /api/kpis`` (counted on every request) for 7 and 30 days, time to first byte.

Nothing outside the temporary folder is touched (own secrets file, own port).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.console_server import running_console  # noqa: E402
from spillway.storage import SqliteStore  # noqa: E402
from web.console import compute_kpis  # noqa: E402
from web.kpis import window  # noqa: E402

ZONE = "Europe/Copenhagen"
OUTCOMES = ["no_answer"] * 5 + ["answered"] * 3 + ["busy", "machine"]
PASSWORD = "bench password 123"


def build(path: Path, requests: int, attempts: int, calls: int, now: float) -> None:
    rng = random.Random(7)
    store = SqliteStore(path)
    store.migrate()
    conn = store.db.conn
    per_request = attempts // requests
    conn.execute("BEGIN")
    request_rows = []
    attempt_rows = []
    for rid in range(1, requests + 1):
        created = now - rng.uniform(0, 30 * 86400)
        policy = "predicted" if rid % 2 else "traditional"
        answered_at = None
        for no in range(1, per_request + 1):
            started = created + no * 3600
            outcome = rng.choice(OUTCOMES) if answered_at is None else "no_answer"
            if outcome == "answered" and answered_at is None:
                answered_at = started
            attempt_rows.append(
                (
                    f"b{rid}-{no}",
                    rid,
                    f"+45{rid:08d}",
                    no,
                    started,
                    started + 30,
                    outcome,
                    0,
                    10,
                    no,
                    policy,
                )
            )
        status = "done" if answered_at else ("pending" if created > now - 86400 else "unreached")
        request_rows.append(
            (rid, f"+45{rid:08d}", "api", created, status, per_request, policy, "bench")
        )
    conn.executemany(
        "INSERT INTO callback_requests (id, phone, source, created_at, status, attempts, "
        "planned_by, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        request_rows,
    )
    conn.executemany(
        "INSERT INTO callback_attempts (id, request_id, phone, attempt_no, started_at, ended_at, "
        "outcome, local_weekday, local_hour, hours_since_request, policy) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        attempt_rows,
    )
    call_rows, event_rows = [], []
    for i in range(calls):
        start = now - rng.uniform(0, 30 * 86400)
        outcome = rng.choice(["resolved", "resolved", "handoff", "callback", "hangup"])
        call_rows.append(
            (f"call{i}", "+4530000000", start, start + 90, "ended", "order_status", outcome)
        )
        for turn in range(3):
            at = start + 10 + 10 * turn
            event_rows += [
                (f"call{i}", at, "endpoint", "{}"),
                (f"call{i}", at + rng.uniform(0.3, 1.2), "first_audio", "{}"),
            ]
        if outcome == "handoff":
            event_rows.append(
                (
                    f"call{i}",
                    start + 80,
                    "stage",
                    json.dumps({"stage": "handoff", "reason": "asked for a person"}),
                )
            )
    conn.executemany(
        "INSERT INTO calls (call_id, caller, started_at, ended_at, stage, intent, outcome) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        call_rows,
    )
    conn.executemany(
        "INSERT INTO call_events (call_id, at, kind, data) VALUES (?, ?, ?, ?)", event_rows
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    store.close()


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def time_to_first_byte(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    with client.stream("GET", path) as response:
        first = time.perf_counter()
        response.read()
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
    return first - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-console-"))
    db_path = folder / "console.db"
    now = time.time()
    began = time.perf_counter()
    build(db_path, args.requests, args.attempts, args.calls, now)
    print(
        f"database: {args.requests} requests, {args.attempts} attempts, {args.calls} calls "
        f"built in {time.perf_counter() - began:.0f} s ({db_path.stat().st_size >> 20} MiB)"
    )

    store = SqliteStore(db_path)
    results: dict[str, float] = {}
    for key in ("today", "7d", "30d"):
        w = window(key, ZONE, time.time())
        compute_kpis(store, w)  # warm-up
        samples = []
        for _ in range(args.runs):
            started = time.perf_counter()
            compute_kpis(store, w)
            samples.append(time.perf_counter() - started)
        results[f"kpi query {key}"] = median_ms(samples)
    store.close()

    with (
        running_console(folder, db_path, user="bench", password=PASSWORD) as url,
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        client.post(
            "/login",
            data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)},
        )
        for key in ("today", "7d", "30d"):
            # The first Overview of a window counts its figures; later ones within a
            # minute reuse them (web.console.KpiCache).
            results[f"TTFB Overview {key}, counted"] = round(
                time_to_first_byte(client, f"/?window={key}") * 1000, 1
            )
            samples = [time_to_first_byte(client, f"/?window={key}") for _ in range(args.runs)]
            results[f"TTFB Overview {key}, reused"] = median_ms(samples)
        for key in ("7d", "30d"):
            since = datetime.fromtimestamp(time.time() - int(key[:-1]) * 86400).isoformat()
            path = f"/api/kpis?since={since}"
            time_to_first_byte(client, path)  # warm-up
            samples = [time_to_first_byte(client, path) for _ in range(args.runs)]
            results[f"TTFB /api/kpis {key}"] = median_ms(samples)
    for name, value in results.items():
        runs = "one" if name.endswith("counted") else f"median of {args.runs}"
        print(f"{name:34s} {value:8.1f} ms ({runs})")


if __name__ == "__main__":
    main()
