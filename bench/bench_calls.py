"""Concurrent bot calls through FastAGI and each media transport, with an echo bot.

Run: SPILLWAY_SECRETS_FILE=$(mktemp) ~/.cache/spillway/venv/bin/python bench/bench_calls.py \
         --steps 10,25,50,100,150,200 --hold-s 5 --runs 3

Starts a sandbox instance of its own ("benchcalls-<pid>", free ports) and the full
`spillway serve` stack (FastAGI controller + media server) with an echo bot.
For each transport and each step N, it originates N simulated callers into
``spillway-inbound`` (no agents, so every call overflows to the bot through
the FastAGI ``inbound`` route), waits until all N bot sessions run, then holds
them for ``--hold-s`` seconds while recording, for every call, the gap between
consecutive caller frames delivered to the bot (20 ms when nothing lags).
A step is "held" when all N calls reached the bot and every one of them kept
receiving at least 90 % of its frames during the hold. It stops a transport
at the first step not held. Prints one line per step and a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from agi.controller import running_controller  # noqa: E402
from bench.harness import own_sandbox_settings, percentile, proc_cpu_s  # noqa: E402
from dialplan.check import reload  # noqa: E402
from dialplan.sandbox import Sandbox  # noqa: E402
from spillway.ami import AmiClient  # noqa: E402
from spillway.call import BotOutcome, CallContext, EventSink, Route  # noqa: E402
from spillway.errors import AmiError  # noqa: E402
from spillway.media import MediaSession  # noqa: E402
from spillway.settings import Settings  # noqa: E402
from spillway.storage import SqliteStore  # noqa: E402

FRAME_MS = 20.0


@dataclass
class TimingEchoBot:
    """Echoes the caller; records frame arrival gaps while ``recording``."""

    recording: bool = False
    active: int = 0
    gaps_ms: list[float] = field(default_factory=list)
    frames: dict[str, int] = field(default_factory=dict)

    async def run(self, media: MediaSession, call: CallContext, sink: EventSink) -> BotOutcome:
        self.active += 1
        last: float | None = None
        try:
            async for frame in media.frames():
                now = time.perf_counter()
                if self.recording:
                    self.frames[call.call_id] = self.frames.get(call.call_id, 0) + 1
                    if last is not None:
                        self.gaps_ms.append((now - last) * 1000)
                last = now
                await media.play(frame)
        finally:
            self.active -= 1
        return BotOutcome(Route.DONE, reason="bench")


async def originate_caller(ami: AmiClient, i: int, tag: str) -> None:
    """Simulated caller ``i`` (number 45 and ``i``) into ``spillway-inbound``, without waiting.

    The caller's side runs the sandbox's ``spillway-sim-caller``; its channel
    ids are ``<tag>-caller`` and ``<tag>-in`` (the inbound side, the call id
    the bot sees). Raises AmiError when Asterisk refuses or stops answering.
    """
    await ami.action(
        {
            "Action": "Originate",
            "Channel": "Local/s@spillway-inbound/n",
            "Context": "spillway-sim-caller",
            "Exten": "s",
            "Priority": "1",
            "CallerID": f"Bench <45{i:08d}>",
            "ChannelId": f"{tag}-caller",
            "OtherChannelId": f"{tag}-in",
            "Async": "true",
        }
    )


async def hangup_all(ami: AmiClient, bot: TimingEchoBot) -> None:
    with contextlib.suppress(Exception):
        await ami.action({"Action": "Hangup", "Channel": "/^(Local|WebSocket|AudioSocket)/"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            out = await ami.command("core show channels count")
        except AmiError:
            out = ""
        if "0 active channels" in out and bot.active == 0:
            return
        await asyncio.sleep(0.2)


async def step(
    ami: AmiClient,
    bot: TimingEchoBot,
    n: int,
    hold_s: float,
    run_tag: str,
    asterisk_pid: int | None = None,
) -> dict[str, Any]:
    bot.gaps_ms.clear()
    bot.frames.clear()
    t0 = time.perf_counter()
    originate_error = ""
    for i in range(n):
        try:
            await originate_caller(ami, i, f"{run_tag}-{n}-{i}")
        except AmiError as exc:  # an overloaded Asterisk stops answering AMI
            originate_error = f"call {i + 1}: {exc}"
            break
    deadline = time.monotonic() + 10 + n * 0.1
    while bot.active < n and time.monotonic() < deadline:  # noqa: ASYNC110 - a plain counter
        await asyncio.sleep(0.05)
    reached = bot.active
    setup_s = time.perf_counter() - t0
    bot.recording = True
    # Who spends the CPU while the calls are held: Asterisk or our controller.
    cpu0 = (proc_cpu_s(asterisk_pid), time.process_time(), time.monotonic())
    await asyncio.sleep(hold_s)
    elapsed_s = time.monotonic() - cpu0[2]
    asterisk_cores = (proc_cpu_s(asterisk_pid) - cpu0[0]) / elapsed_s
    controller_cores = (time.process_time() - cpu0[1]) / elapsed_s
    bot.recording = False
    still = bot.active
    expected = hold_s * 1000 / FRAME_MS
    healthy = sum(1 for count in bot.frames.values() if count >= 0.9 * expected)
    gaps = list(bot.gaps_ms)
    await hangup_all(ami, bot)
    return {
        "calls": n,
        "reached_bot": reached,
        "still_up": still,
        "healthy_calls": healthy,
        "held": reached == n and still == n and healthy == n and not originate_error,
        "originate_error": originate_error,
        "setup_s": round(setup_s, 2),
        "gap_p50_ms": round(percentile(gaps, 0.5), 1) if gaps else None,
        "gap_p99_ms": round(percentile(gaps, 0.99), 1) if gaps else None,
        "gap_max_ms": round(max(gaps), 1) if gaps else None,
        "asterisk_cores": round(asterisk_cores, 2),
        "controller_cores": round(controller_cores, 2),
    }


async def run_transport(
    sandbox: Sandbox, ami: AmiClient, settings: Settings, steps: list[int], hold_s: float, tag: str
) -> list[dict[str, Any]]:
    sandbox.settings = settings
    await asyncio.to_thread(sandbox.write_config)
    await ami.command("core reload")
    await reload(ami)
    bot = TimingEchoBot()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "bench.db")
        store.migrate()
        try:
            async with running_controller(settings, bot, store=store, bot_time_limit_s=600):
                for n in steps:
                    result = await step(ami, bot, n, hold_s, tag, sandbox.pid())
                    result["transport"] = settings.controller.transport
                    print(json.dumps(result), flush=True)
                    results.append(result)
                    if not result["held"]:
                        break
        finally:
            store.close()
    return results


async def main(steps: list[int], hold_s: float, runs: int) -> None:
    base = own_sandbox_settings(
        "benchcalls",
        controller={"max_connections": 1000},
        queue={"agents": 0, "overflow_min_waiting": 0, "max_wait_s": 600},
    )
    sandbox = Sandbox(base, ami_secret=base.require_ami_secret())
    await asyncio.to_thread(sandbox.build)
    sandbox.start()
    summary: dict[str, list[dict[str, Any]]] = {"audiosocket": [], "websocket": []}
    try:
        await sandbox.wait_ready(timeout_s=60)
        ami = await AmiClient.connect(sandbox.ami_endpoint())
        try:
            for run in range(runs):
                for transport in ("audiosocket", "websocket"):
                    controller = base.controller.model_copy(update={"transport": transport})
                    settings = base.model_copy(update={"controller": controller})
                    results = await run_transport(
                        sandbox, ami, settings, steps, hold_s, f"r{run}{transport[:2]}"
                    )
                    held = [r["calls"] for r in results if r["held"]]
                    summary[transport].append(
                        {
                            "run": run,
                            "max_held": max(held) if held else 0,
                            "steps": results,
                        }
                    )
        finally:
            await ami.close()
    finally:
        sandbox.remove()
    print("SUMMARY")
    for transport, per_run in summary.items():
        maxima = [r["max_held"] for r in per_run]
        by_n: dict[int, list[float]] = {}
        cores: dict[int, list[tuple[float, float]]] = {}
        for r in per_run:
            for s in r["steps"]:
                if s["gap_p99_ms"] is not None:
                    by_n.setdefault(s["calls"], []).append(s["gap_p99_ms"])
                cores.setdefault(s["calls"], []).append(
                    (s["asterisk_cores"], s["controller_cores"])
                )
        print(
            json.dumps(
                {
                    "transport": transport,
                    "max_held_per_run": maxima,
                    "median_max_held": statistics.median(maxima),
                    "median_gap_p99_ms_by_calls": {
                        n: statistics.median(v) for n, v in sorted(by_n.items())
                    },
                    "median_cores_asterisk_controller_by_calls": {
                        n: [statistics.median(c[0] for c in v), statistics.median(c[1] for c in v)]
                        for n, v in sorted(cores.items())
                    },
                }
            )
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="10,25,50,100,150,200")
    parser.add_argument("--hold-s", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.steps.split(",")], args.hold_s, args.runs))
