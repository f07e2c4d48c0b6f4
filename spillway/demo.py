"""The main job, end to end on this machine: what `spillway demo` runs.

Brings up the sandbox PBX, starts Spillway's FastAGI listener, places one call
through Asterisk into it, and runs the doctor.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time

from rich.console import Console

from agi.fastagi import FastAgiServer
from spillway.ami import AmiClient
from spillway.doctor import check_nlu, run_checks
from spillway.errors import NluError
from spillway.pbx_sandbox import Sandbox
from spillway.report import print_checks
from spillway.selftest import SelftestRoute, place_selftest_call
from spillway.settings import Settings


async def ensure_nlu_service(settings: Settings, console: Console, timeout_s: float = 300) -> None:
    """Start `spillway nlu serve` in the background unless Rasa already answers.

    Like the sandbox PBX, it keeps running after the demo (stop it with
    ``kill $(cat ~/.cache/spillway/nlu-serve.pid)``). The first start trains
    the model, about a minute; Rasa itself takes up to a minute to load.
    """
    if (await check_nlu(settings)).ok:
        return
    log_path = settings.paths.cache_dir / "nlu-serve.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "spillway",
            "nlu",
            "serve",
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "SPILLWAY_NLU__RASA_URL": settings.nlu.rasa_url},
            start_new_session=True,
        )
    (settings.paths.cache_dir / "nlu-serve.pid").write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout_s
    with console.status(f"starting the Rasa NLU service (log: {log_path})"):
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise NluError(
                    f"`spillway nlu serve` exited with {process.returncode}", hint=f"see {log_path}"
                )
            if (await check_nlu(settings)).ok:
                console.print(f"[green]Rasa NLU service up[/] on {settings.nlu.rasa_url}")
                return
            await asyncio.sleep(1.0)
    raise NluError(f"Rasa did not answer within {timeout_s:g} s", hint=f"see {log_path}")


async def run_demo(settings: Settings, sandbox: Sandbox, console: Console) -> bool:
    """Run the demo; return whether everything passed."""
    await ensure_nlu_service(settings, console)
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
