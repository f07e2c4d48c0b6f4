"""Sandbox start-up and self-test call latency, over several runs.

Run:
    SPILLWAY_SECRETS_FILE=$(mktemp) ~/.cache/spillway/venv/bin/python \
        bench/bench_sandbox.py --starts 5 --calls 50

Starts a sandbox instance of its own (instance "bench-<pid>", free ports), measures
Asterisk start to AMI login, then the round trip of self-test calls
(originate -> dialplan -> FastAGI -> UserEvent back), and prints percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from agi.fastagi import FastAgiServer  # noqa: E402
from bench.harness import own_sandbox_settings, percentile  # noqa: E402
from cli.selftest import SelftestRoute, place_selftest_call  # noqa: E402
from dialplan.sandbox import Sandbox  # noqa: E402
from spillway.ami import AmiClient  # noqa: E402


async def main(starts: int, calls: int) -> None:
    settings = own_sandbox_settings("bench")
    sandbox = Sandbox(settings, ami_secret=settings.require_ami_secret())
    sandbox.build()
    start_s: list[float] = []
    try:
        for _ in range(starts):
            sandbox.stop()
            t0 = time.perf_counter()
            sandbox.start()
            await sandbox.wait_ready(timeout_s=60)
            start_s.append(time.perf_counter() - t0)
        server = FastAgiServer()
        route = SelftestRoute()
        route.install(server)
        await server.start("127.0.0.1", settings.controller.fastagi_port)
        ami = await AmiClient.connect(sandbox.ami_endpoint())
        call_ms = []
        for _ in range(calls):
            result = await place_selftest_call(ami, route)
            call_ms.append(result.elapsed_ms)
        await ami.close()
        await server.close()
    finally:
        sandbox.remove()
    print(
        f"start to AMI login over {starts} starts: median {statistics.median(start_s):.2f} s, "
        f"max {max(start_s):.2f} s"
    )
    print(
        f"self-test call round trip over {calls} calls: p50 {percentile(call_ms, 0.5):.1f} ms, "
        f"p95 {percentile(call_ms, 0.95):.1f} ms, max {max(call_ms):.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.starts, args.calls))
