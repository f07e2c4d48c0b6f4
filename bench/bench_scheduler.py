"""Callback scheduler benchmarks: planning through the rules, lease throughput, originate rate.

Run:
    SPILLWAY_SECRETS_FILE=$(mktemp) ~/.cache/spillway/venv/bin/python \
        bench/bench_scheduler.py --plan --leases --originate --runs 5

- ``--plan``: 100,000 pending callbacks (customers in four time zones, a few
  attempts each) through the hard rules: is each one allowed now, and if not,
  its next allowed time. Goal: under 1 s.
- ``--leases``: claim, record an attempt, and close requests as fast as
  1, 2 and 4 dialer processes can, on SQLite and on a throw-away PostgreSQL
  cluster (no PBX: the dial itself is left out, this is the database's share).
- ``--originate``: AMI Originates into the sandbox at rising rates (customers
  that answer and hang up at once); the rate at which every OriginateResponse
  still arrives, counting a missing one as a failure.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import own_sandbox_settings, percentile  # noqa: E402
from dialplan.sandbox import Sandbox  # noqa: E402
from scheduler import intake, requests  # noqa: E402
from scheduler.intake import NewRequest  # noqa: E402
from scheduler.requests import RequestSource, RequestStatus  # noqa: E402
from scheduler.rules import CallingRules, RequestFacts, plan_pending  # noqa: E402
from spillway.ami import AmiClient  # noqa: E402
from spillway.settings import StorageSettings  # noqa: E402
from spillway.storage import Store, open_store  # noqa: E402

ZONES = ("Europe/Copenhagen", "Europe/London", "America/New_York", "Asia/Tokyo")


def plan_once(n: int, seed: int) -> tuple[float, int]:
    """Seconds to plan ``n`` pending callbacks; how many may be dialled now."""
    rng = random.Random(seed)
    now = time.time()
    rules = CallingRules()
    facts = [
        RequestFacts(
            phone=f"+4520{i:06d}",
            timezone=ZONES[i % len(ZONES)],
            created_at=now - rng.uniform(0, 48 * 3600),
            attempts=rng.randint(0, 4),
            last_attempt_at=now - rng.uniform(0, 4 * 3600) if rng.random() < 0.5 else None,
        )
        for i in range(n)
    ]
    t0 = time.perf_counter()
    planned = plan_pending(rules, facts, now)
    elapsed = time.perf_counter() - t0
    return elapsed, sum(p.now_allowed for p in planned)


def _seed(store: Store, n: int) -> None:
    with store.transaction() as tx:
        for i in range(n):
            request = NewRequest(f"+45{20_100_000 + i}", RequestSource.API, "bench")
            intake.record(tx, request, region="DK", now=1.0)


def _worker(settings: dict[str, Any], stop_at: float, out: Any) -> None:
    store = open_store(StorageSettings(**settings), migrate=False)
    done = 0
    started = time.time()
    while time.time() < stop_at:
        with store.transaction() as tx:
            row = requests.claim_due(tx, now=time.time())
            if row is None:
                break
            tx.insert(
                "callback_attempts",
                {
                    "id": f"cb-bench-{row['id']}",
                    "request_id": row["id"],
                    "phone": row["phone"],
                    "attempt_no": 1,
                    "started_at": time.time(),
                    "ended_at": time.time(),
                    "outcome": "answered",
                    "local_weekday": 0,
                    "local_hour": 10,
                    "hours_since_request": 0.0,
                    "policy": "traditional",
                },
            )
            requests.close(tx, row["id"], RequestStatus.DONE, now=time.time())
        done += 1
    out.put((done, time.time() - started))
    store.close()


def leases_once(settings: dict[str, Any], workers: int, rows: int, seconds: float) -> float:
    """Requests claimed, attempted and closed per second by ``workers`` processes."""
    store = open_store(StorageSettings(**settings))
    _seed(store, rows)
    store.close()
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start = time.time() + 2.0  # let every process start first
    procs = [
        ctx.Process(target=_delayed_worker, args=(settings, start, start + seconds, out))
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 60) for _ in procs]
    for p in procs:
        p.join(30)
    # Until the last worker stopped (time up, or no request left).
    return sum(done for done, _ in results) / max(elapsed for _, elapsed in results)


def _delayed_worker(settings: dict[str, Any], start: float, stop_at: float, out: Any) -> None:
    time.sleep(max(0.0, start - time.time()))
    _worker(settings, stop_at, out)


async def originate_rates(rates: list[int], seconds: float) -> list[tuple[int, int, int, float]]:
    """(rate, sent, responses, p95 ms to the response) per rate."""
    settings = own_sandbox_settings("bench-cb")
    sandbox = Sandbox(settings, ami_secret=settings.require_ami_secret())
    sandbox.build()
    sandbox.start()
    results = []
    try:
        await sandbox.wait_ready(timeout_s=60)
        ami = await AmiClient.connect(sandbox.ami_endpoint())
        for rate in rates:
            sent: dict[str, float] = {}
            answered: dict[str, float] = {}
            with ami.subscribe("OriginateResponse") as events:
                t0 = time.monotonic()
                i = 0
                while time.monotonic() - t0 < seconds:
                    uid = f"cb-bench-{rate}-{i}"
                    action = {
                        "Action": "Originate",
                        "Channel": "Local/4520123456@spillway-sim-customer",
                        "Application": "Hangup",
                        "ChannelId": uid,
                        "Async": "true",
                    }
                    sent[uid] = time.monotonic()
                    await ami.manager.send_action(action, as_list=False)
                    i += 1
                    await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
                deadline = time.monotonic() + 15
                while len(answered) < len(sent) and time.monotonic() < deadline:
                    try:
                        event = await asyncio.wait_for(events.get(), 1.0)
                    except TimeoutError:
                        continue
                    uid = str(event.get("Uniqueid", ""))
                    if uid in sent:
                        answered[uid] = time.monotonic() - sent[uid]
            lat = [v * 1000 for v in answered.values()] or [float("nan")]
            results.append((rate, len(sent), len(answered), percentile(lat, 0.95)))
            await ami.command("channel request hangup all")
            await asyncio.sleep(2.0)
        await ami.close()
    finally:
        sandbox.remove()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plan", action="store_true")
    parser.add_argument("--leases", action="store_true")
    parser.add_argument("--originate", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--lease-seconds", type=float, default=5.0)
    parser.add_argument("--rates", default="10,25,50,100,200")
    args = parser.parse_args()
    if args.plan:
        times = []
        for run in range(args.runs):
            elapsed, allowed = plan_once(args.pending, seed=run)
            times.append(elapsed)
        print(
            f"plan {args.pending} pending callbacks through the rules, {args.runs} runs: "
            f"median {statistics.median(times):.3f} s, max {max(times):.3f} s "
            f"({allowed} allowed now in the last run)"
        )
    if args.leases:
        from bench.pg_cluster import new_database, pg_cluster

        with pg_cluster() as server, tempfile.TemporaryDirectory() as tmp:
            for workers in (1, 2, 4):
                for backend in ("sqlite", "postgres"):
                    per_s: list[float] = []
                    for run in range(args.runs):
                        if backend == "sqlite":
                            settings = {"sqlite_path": f"{tmp}/l{workers}-{run}.db"}
                        else:
                            settings = {"backend": "postgres", "postgres_dsn": new_database(server)}
                        per_s.append(leases_once(settings, workers, 20_000, args.lease_seconds))
                    print(
                        f"leases, {workers} dialer(s), {backend}: median "
                        f"{statistics.median(per_s):.0f}/s, min {min(per_s):.0f}/s "
                        f"over {args.runs} runs of {args.lease_seconds:g} s"
                    )
    if args.originate:
        steps = [int(r) for r in args.rates.split(",")]
        for rate, sent, got, p95 in asyncio.run(originate_rates(steps, 5.0)):
            lost = sent - got
            print(
                f"originate {rate}/s for 5 s: {sent} sent, {got} OriginateResponses "
                f"({lost} missing), p95 {p95:.0f} ms"
            )


if __name__ == "__main__":
    main()
