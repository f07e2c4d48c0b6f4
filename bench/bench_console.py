"""The console's speed with a large history: the Overview's time to first byte and the KPI query.

Run:
    ~/.cache/spillway/venv/bin/python bench/bench_console.py --runs 7

Builds a throw-away SQLite database with 100,000 callback requests and
1,000,000 attempts spread over the last 30 days (plus 20,000 bot calls with
their turn events), starts a real `spillway web serve` on it, logs in through
the form, and measures (medians over ``--runs`` runs, after one warm-up):

- the KPI query itself (web.console.compute_kpis, in process) for today, 7 and 30 days;
- ``GET /?window=...`` (the Overview) and ``GET /api/kpis``: time to first byte over HTTP.

Nothing outside the temporary folder is touched (own secrets file, own port).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from dialplan.sandbox import free_port  # noqa: E402
from spillway.storage import SqliteStore  # noqa: E402
from web.console import compute_kpis  # noqa: E402
from web.kpis import window  # noqa: E402
from web.users import Role, entry, secret_name  # noqa: E402

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

    secrets = folder / "secrets.env"
    secrets.write_text(
        f"{secret_name('bench')}={entry(Role.VIEWER, PASSWORD)}\n"
        f"SPILLWAY_WEB__SESSION_SECRET={'b' * 40}\n"
    )
    secrets.chmod(0o600)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SPILLWAY_")},
        "SPILLWAY_SECRETS_FILE": str(secrets),
        "SPILLWAY_DATA": str(folder / "data"),
        "SPILLWAY_STORAGE__SQLITE_PATH": str(db_path),
        "SPILLWAY_WEB__PORT": str(port),
        "SPILLWAY_WEB__API_TOKEN": "bench-token-0123456789abcdef",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "web", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    form = client.get("/login")
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token is not None
            client.post(
                "/login",
                data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)},
            )
            for path in ("/?window=today", "/?window=7d", "/?window=30d", "/api/kpis"):
                time_to_first_byte(client, path)  # warm-up
                samples = [time_to_first_byte(client, path) for _ in range(args.runs)]
                results[f"TTFB {path}"] = median_ms(samples)
    finally:
        server.terminate()
        server.wait(10)
    for name, value in results.items():
        print(f"{name:28s} {value:8.1f} ms (median of {args.runs})")


if __name__ == "__main__":
    main()
