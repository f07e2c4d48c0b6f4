"""The main job, end to end on this machine: what `spillway demo` runs.

Brings up the sandbox PBX, starts Spillway's FastAGI listener, places one call
through Asterisk into it, and runs the doctor.
"""

from __future__ import annotations

import contextlib

from rich.console import Console

from agi.fastagi import FastAgiServer
from spillway.ami import AmiClient
from spillway.doctor import run_checks
from spillway.pbx_sandbox import Sandbox
from spillway.report import print_checks
from spillway.selftest import SelftestRoute, place_selftest_call
from spillway.settings import Settings


async def run_demo(settings: Settings, sandbox: Sandbox, console: Console) -> bool:
    """Run the demo; return whether everything passed."""
    server = FastAgiServer(max_connections=settings.controller.max_connections)
    route = SelftestRoute()
    route.install(server)
    await server.start(settings.controller.bind_host, settings.controller.fastagi_port)
    console.print(
        f"FastAGI listening on {settings.controller.bind_host}:{settings.controller.fastagi_port}"
    )
    try:
        ami = await AmiClient.connect(sandbox.ami_endpoint())
        try:
            result = await place_selftest_call(ami, route)
        finally:
            await ami.close()
        console.print(
            f"[green]call placed[/]: {result.channel} reached our FastAGI route "
            f"'selftest' (params {result.params}), which read SPILLWAY_SELFTEST="
            f"{result.marker} and answered {result.reply!r}; Asterisk reported "
            f"{result.user_event.get('Reply')!r} back over AMI in {result.elapsed_ms:.0f} ms"
        )
        checks = await run_checks(settings)
        return print_checks(console, checks)
    finally:
        with contextlib.suppress(Exception):
            await server.close()
