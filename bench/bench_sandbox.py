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
import os
import shutil
import socket
import statistics
import time
import uuid

from agi.fastagi import FastAgiServer
from spillway.ami import AmiClient
from spillway.pbx_sandbox import Sandbox
from spillway.selftest import SelftestRoute, place_selftest_call
from spillway.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(starts: int, calls: int) -> None:
    settings = Settings(
        pbx={
            "ami_port": free_port(),
            "sip_port": free_port(),
            "http_port": free_port(),
            "ami_secret": uuid.uuid4().hex,
            "sandbox_instance": f"bench-{os.getpid()}",  # concurrent runs must not share one
        },
        controller={"fastagi_port": free_port()},
    )
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
        sandbox.stop()
        shutil.rmtree(sandbox.base, ignore_errors=True)
        sandbox.console_log.unlink(missing_ok=True)  # per-run name: do not pile up
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
