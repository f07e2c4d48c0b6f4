"""One worker process on both cores against two workers pinned to one core each.

Run: SPILLWAY_SECRETS_FILE=$(mktemp) ~/.cache/spillway/venv/bin/python bench/bench_workers.py \\
         --calls 20,40,80 --hold-s 5 --runs 3

Starts a sandbox instance of its own and, per layout, worker processes
(bench/worker_process.py: `running_controller` with an echo bot, no speech
models) sharing one database:

- ``one``: one worker, not pinned, call limit N;
- ``two``: workers a and b (pbx.workers, asked in that order), pinned with
  ``taskset -c 0`` / ``-c 1``, call limit N/2 each: a fills, then says it is
  full and the dialplan passes the rest on to b.

For each N it originates N callers at once into ``spillway-inbound`` (no
agents: every call overflows to the bot), and measures per call the time
from its Originate to its bot's start (p50, p95), the calls per second that
reached the bot (N over the time from the first Originate to the last bot
start), and, over ``--hold-s`` seconds, how evenly the caller's 20 ms frames
reached the echo. A failure is a call that did not reach its bot within the
deadline, or whose frames came at under 90 % of the 20 ms pace. What this
measures is the routing and media path per worker process (the echo costs
little), not speech: the speech bot's per-call cost is bench_conversations'.
Load average is reported with the figures; on a shared machine they are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_calls import originate_caller  # noqa: E402
from bench.harness import machine, own_sandbox_settings, percentile, write_report  # noqa: E402
from bench.worker_process import WorkerProcess, as_worker_with_limit, local_workers  # noqa: E402
from dialplan.check import reload  # noqa: E402
from dialplan.sandbox import Sandbox  # noqa: E402
from spillway.ami import AmiClient  # noqa: E402
from spillway.errors import AmiError  # noqa: E402
from spillway.settings import Settings  # noqa: E402
from spillway.storage import SqliteStore  # noqa: E402

FRAME_MS = 20.0
HEALTHY_SHARE = 0.9


async def quiet(ami: AmiClient, timeout_s: float = 30.0) -> None:
    """Hang up every channel and wait until none is left."""
    with contextlib.suppress(AmiError):
        await ami.action({"Action": "Hangup", "Channel": "/^(Local|WebSocket|AudioSocket)/"})
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(AmiError):
            if "0 active channels" in await ami.command("core show channels count"):
                return
        await asyncio.sleep(0.2)


async def one_step(
    ami: AmiClient, procs: list[WorkerProcess], n: int, hold_s: float, tag: str
) -> dict[str, Any]:
    """N callers at once; who reached a bot, how fast, and how evenly their audio came."""
    originated: dict[str, float] = {}
    for i in range(n):
        originated[f"{tag}-{i}-in"] = time.monotonic()
        with contextlib.suppress(AmiError):
            await originate_caller(ami, i, f"{tag}-{i}")

    def started() -> dict[str, tuple[float, int]]:
        out = {}
        for k, proc in enumerate(procs):
            for call_id, data in proc.reports("bot").items():
                if call_id in originated:
                    out[call_id] = (float(data["at"]), k)
        return out

    deadline = time.monotonic() + 15 + n * 0.2
    while len(started()) < n and time.monotonic() < deadline:  # noqa: ASYNC110 - child processes
        await asyncio.sleep(0.05)
    reached = started()
    await asyncio.sleep(hold_s)
    hung_up_at = time.monotonic()
    await quiet(ami)
    ends: dict[str, dict[str, Any]] = {}
    end_deadline = time.monotonic() + 10
    while time.monotonic() < end_deadline:
        ends = {c: d for p in procs for c, d in p.reports("end").items() if c in reached}
        if len(ends) >= len(reached):
            break
        await asyncio.sleep(0.1)
    latencies_ms = sorted((at - originated[c]) * 1000 for c, (at, _k) in reached.items())
    healthy = 0
    for call_id, (at, _k) in reached.items():
        expected = (hung_up_at - at) * 1000 / FRAME_MS
        if ends.get(call_id, {}).get("frames", 0) >= HEALTHY_SHARE * expected:
            healthy += 1
    span_s = (max(at for at, _ in reached.values()) - min(originated.values())) if reached else 0
    p95_gaps = [d["gap_p95_ms"] for d in ends.values() if d.get("gap_p95_ms") is not None]
    return {
        "calls": n,
        "reached_bot": len(reached),
        "per_worker": [sum(1 for _at, k in reached.values() if k == i) for i in range(len(procs))],
        "failures": n - healthy,
        "calls_per_s": round(len(reached) / span_s, 1) if span_s > 0 else None,
        "to_bot_p50_ms": round(percentile(latencies_ms, 0.5)) if latencies_ms else None,
        "to_bot_p95_ms": round(percentile(latencies_ms, 0.95)) if latencies_ms else None,
        "frame_gap_p95_ms_median": round(statistics.median(p95_gaps), 1) if p95_gaps else None,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


async def run_layout(
    sandbox: Sandbox,
    ami: AmiClient,
    base: Settings,
    layout: str,
    n: int,
    hold_s: float,
    tag: str,
    db: Path,
) -> dict[str, Any]:
    names = ("a",) if layout == "one" else ("a", "b")
    settings = local_workers(base, names)
    sandbox.settings = settings
    await asyncio.to_thread(sandbox.write_config)
    await ami.command("core reload")
    await reload(ami)
    if layout == "one":
        plan = [("a", n, "")]
    else:
        plan = [("a", (n + 1) // 2, "0"), ("b", n - (n + 1) // 2 or 1, "1")]
    store = SqliteStore(db)  # migrated once: workers migrating together would race
    store.migrate()
    store.close()
    procs = [
        WorkerProcess(as_worker_with_limit(settings, name, limit), db, "echo", cpus)
        for name, limit, cpus in plan
    ]
    try:
        for proc in procs:
            await proc.ready()
        result = await one_step(ami, procs, n, hold_s, tag)
    finally:
        for proc in procs:
            proc.stop()
    result["layout"] = layout
    return result


async def main(args: argparse.Namespace) -> None:
    base = own_sandbox_settings(
        "benchworkers",
        controller={"max_connections": 1000, "transport": args.transport},
        queue={"agents": 0, "overflow_min_waiting": 0, "max_wait_s": 600},
    )
    sandbox = Sandbox(base, ami_secret=base.require_ami_secret())
    await asyncio.to_thread(sandbox.build)
    sandbox.start()
    results: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    try:
        await sandbox.wait_ready(timeout_s=60)
        ami = await AmiClient.connect(sandbox.ami_endpoint())
        try:
            with tempfile.TemporaryDirectory() as tmp:
                for run in range(args.runs):
                    for n in args.calls:
                        # Both layouts back to back at each level: their ratio is one moment's.
                        for layout in ("one", "two"):
                            tag = f"r{run}{layout}{n}x{int(time.time()) % 10000}"
                            db = Path(tmp) / f"{tag}.db"
                            r = await run_layout(
                                sandbox, ami, base, layout, n, args.hold_s, tag, db
                            )
                            r["run"] = run
                            print(r, flush=True)
                            results.append(r)
        finally:
            await ami.close()
    finally:
        sandbox.remove()
    summary = []
    for n in args.calls:
        row: dict[str, Any] = {"calls": n}
        for layout in ("one", "two"):
            rs = [r for r in results if r["calls"] == n and r["layout"] == layout]

            def med(key: str, rs: list[dict[str, Any]] = rs) -> float | None:
                values = [r[key] for r in rs if r[key] is not None]
                return statistics.median(values) if values else None

            row[layout] = {
                "calls_per_s": med("calls_per_s"),
                "to_bot_p50_ms": med("to_bot_p50_ms"),
                "to_bot_p95_ms": med("to_bot_p95_ms"),
                "frame_gap_p95_ms": med("frame_gap_p95_ms_median"),
                "failures": sum(r["failures"] for r in rs),
                "calls_placed": n * len(rs),
            }
        one, two = row["one"], row["two"]
        if one["calls_per_s"] and two["calls_per_s"]:
            row["two_over_one_calls_per_s"] = round(two["calls_per_s"] / one["calls_per_s"], 2)
        summary.append(row)
    write_report(
        {
            "machine": machine(),
            "transport": args.transport,
            "hold_s": args.hold_s,
            "runs": args.runs,
            "load_avg_before": [round(x, 2) for x in load_before],
            "load_avg_after": [round(x, 2) for x in os.getloadavg()],
            "summary": summary,
            "steps": results,
        },
        args.out,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=lambda s: [int(x) for x in s.split(",")], default=[20, 40])
    parser.add_argument("--hold-s", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--transport", choices=("websocket", "audiosocket"), default="websocket")
    parser.add_argument("--out", type=Path, default=None)
    asyncio.run(main(parser.parse_args()))
