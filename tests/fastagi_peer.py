"""Asterisk's side of the controller's FastAGI, for tests without a PBX.

`controller_serving` starts a `CallController` on a FastAGI port over a test
store; `agi_request` is one dialplan `AGI()` step: the header, then an answer to
each command the controller sends (200 result=1 unless ``answers`` names one by
the command's last word, e.g. the variable it reads).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from agi.call_log import CallLog
from agi.controller import CallController
from agi.fastagi import FastAgiServer
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore


@dataclass(frozen=True)
class Serving:
    """A controller answering FastAGI on ``port``, and the call log it writes through."""

    controller: CallController
    log: CallLog
    port: int


@asynccontextmanager
async def controller_serving(settings: Settings, store: SqliteStore) -> AsyncIterator[Serving]:
    """The controller on a free loopback port; the log flushed and the port closed after."""
    astore = AsyncStore(store)
    log = CallLog(astore)
    controller = CallController(settings, astore, log, None)
    server = FastAgiServer()
    controller.install(server)
    await server.start("127.0.0.1", 0)
    try:
        yield Serving(controller, log, server.port)
    finally:
        await server.close()
        await log.flush()
        astore.close()


async def agi_request(
    port: int,
    script: str,
    uniqueid: str,
    *,
    caller_id: str = "4520123456",
    channel: str = "Local/x",
    answers: Mapping[str, bytes] | None = None,
) -> list[str]:
    """One AGI request to ``agi://.../script``; the commands the controller sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"agi_network_script: {script}\nagi_uniqueid: {uniqueid}\n"
        f"agi_callerid: {caller_id}\nagi_channel: {channel}\n\n".encode()
    )
    commands = []
    while line := await asyncio.wait_for(reader.readline(), 5):
        command = line.decode().strip()
        commands.append(command)
        writer.write((answers or {}).get(command.split(" ")[-1], b"200 result=1\n"))
        await writer.drain()
    writer.close()
    return commands
