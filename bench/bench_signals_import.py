"""Signals intake: 1,000,000 events by CSV (`spillway signals import`) and by the API
(`POST /signals` on a real `spillway web serve`), events per second.

Run:
    ~/.cache/spillway/venv/bin/python bench/bench_signals_import.py --runs 3 \
        --json /tmp/signals.json

The events: ``--events`` (1,000,000) for ``--customers`` (100,000) numbers,
four kinds, times over the past 28 days, each with its own id. Each run
starts from an empty database in a temporary folder (migrated first, not
timed):

- csv: the whole `spillway signals import FILE` as a user runs it (a new
  process: start-up, reading and decoding the file, checking each row, the
  bulk inserts in their short transactions with pauses between them);
- api: batches of ``--batch`` (10,000) events, each a `POST /signals` over
  loopback HTTP to a `spillway web serve` started beforehand, ``--clients``
  (1) at a time; from the first request to the last answer.

Reported: events/s per run, their median, min and max (for the CSV also per
second of the import's own CPU time); failures (a refused
batch, a non-zero exit, fewer rows stored than sent) are counted, and the
load average before and after, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.console_server import API_TOKEN, running_console  # noqa: E402
from bench.harness import machine, write_report  # noqa: E402
from spillway.storage import SqliteStore  # noqa: E402

KINDS = ("web_visit", "email_open", "inbound_call", "sms_reply")


def make_events(n: int, customers: int, seed: int) -> list[tuple[str, str, str, int]]:
    """(id, phone, kind, at) for ``n`` events of ``customers`` Danish mobile numbers."""
    rng = random.Random(seed)
    now = int(time.time())
    # 20 10 00 00 onwards: numbers phonenumbers knows as Danish mobiles.
    phones = [f"+452{100_000 + i:07d}" for i in range(customers)]
    return [
        (f"evt-{i:08d}", rng.choice(phones), rng.choice(KINDS), now - rng.randrange(28 * 86400))
        for i in range(n)
    ]


def write_csv(events: list[tuple[str, str, str, int]], path: Path) -> None:
    with path.open("w") as f:
        f.write("id,phone,kind,at\n")
        f.writelines(f"{i},{p},{k},{a}\n" for i, p, k, a in events)


def _fresh_db(folder: Path, name: str) -> Path:
    path = folder / f"{name}.db"
    store = SqliteStore(path)
    store.migrate()
    store.close()
    return path


def _rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM customer_signals").fetchone()[0])


def run_csv(folder: Path, csv_path: Path, n: int, run: int) -> dict[str, Any]:
    db = _fresh_db(folder, f"csv-{run}")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SPILLWAY_SECRETS_FILE": str(folder / "none.env"),
        "SPILLWAY_DATA": str(folder / "data"),
        "SPILLWAY_STORAGE__SQLITE_PATH": str(db),
    }
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli", "signals", "import", str(csv_path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The import's own CPU time: on a shared machine, wall time mostly measures the others.
    cpu_s = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    stored = _rows(db)
    failed = done.returncode != 0 or stored != n
    if failed:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
    db.unlink()
    return {
        "seconds": elapsed,
        "events_per_s": n / elapsed,
        "cpu_s": cpu_s,
        "events_per_cpu_s": n / cpu_s,
        "stored": stored,
        "failed": failed,
    }


def run_api(
    folder: Path,
    events: list[tuple[str, str, str, int]],
    batch: int,
    clients: int,
    run: int,
) -> dict[str, Any]:
    db = _fresh_db(folder, f"api-{run}")
    bodies = [
        json.dumps(
            [{"id": i, "phone": p, "kind": k, "at": a} for i, p, k, a in events[s : s + batch]]
        ).encode()
        for s in range(0, len(events), batch)
    ]
    server_dir = folder / f"server-{run}"
    server_dir.mkdir()
    refused = 0
    with running_console(server_dir, db, user="bench", password="bench-password-0123") as url:
        headers = {"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"}
        with httpx.Client(base_url=url, timeout=120) as client:

            def post(body: bytes) -> bool:
                answer = client.post("/signals", content=body, headers=headers)
                return answer.status_code == 200

            started = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                refused = sum(not ok for ok in pool.map(post, bodies))
            elapsed = time.perf_counter() - started
    stored = _rows(db)
    db.unlink()
    n = len(events)
    return {
        "seconds": elapsed,
        "events_per_s": n / elapsed,
        "stored": stored,
        "refused_batches": refused,
        "failed": refused > 0 or stored != n,
    }


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    rates = [r["events_per_s"] for r in runs]
    per_cpu = [r["events_per_cpu_s"] for r in runs if "events_per_cpu_s" in r]
    return {
        **({"median_events_per_cpu_s": round(statistics.median(per_cpu))} if per_cpu else {}),
        "median_events_per_s": round(statistics.median(rates)),
        "min_events_per_s": round(min(rates)),
        "max_events_per_s": round(max(rates)),
        "failures": sum(r["failed"] for r in runs),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=10_000, help="events per POST")
    parser.add_argument("--clients", type=int, default=1, help="POSTs in flight at once")
    parser.add_argument("--only", choices=("csv", "api"), default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-signals-") as tmp:
        folder = Path(tmp)
        events = make_events(args.events, args.customers, seed=7)
        csv_path = folder / "events.csv"
        write_csv(events, csv_path)
        report: dict[str, Any] = {
            "events": args.events,
            "customers": args.customers,
            "csv_bytes": csv_path.stat().st_size,
            "batch": args.batch,
            "clients": args.clients,
            "machine": machine(),
            "load_before": load_before,
        }
        if args.only in (None, "csv"):
            report["csv"] = _summary(
                [run_csv(folder, csv_path, args.events, r) for r in range(args.runs)]
            )
        if args.only in (None, "api"):
            report["api"] = _summary(
                [run_api(folder, events, args.batch, args.clients, r) for r in range(args.runs)]
            )
    report["load_after"] = os.getloadavg()
    write_report(report, args.json)


if __name__ == "__main__":
    main()
