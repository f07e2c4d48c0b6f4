"""Shared helpers for the routing tests: a controller on the test sandbox, and simulated calls.

Simulated callers are Originate'd Local channels: the ``;2`` half runs
``spillway-inbound`` like a real incoming call, the ``;1`` half runs
``spillway-sim-caller`` (plays audio) and is where the test presses keys
(AMI ``PlayDTMF``). Simulated agents are the sandbox queue's Local members.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import struct
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agi.call_log import CallLog
from agi.controller import CallController, running_controller
from agi.fastagi import FastAgiServer
from agi.media_server import MediaServer
from cli.spoken_call import channel_of, press
from dialplan.check import reload
from dialplan.sandbox import Sandbox
from dialplan.sounds import sound_dirs, wav_bytes
from spillway.call import Bot
from spillway.errors import AmiError
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.conftest import PbxHandle

_serial = itertools.count(1)


def routing_settings(base: Settings, transport: str = "", **queue: Any) -> Settings:
    """The session's sandbox settings with a different queue section (and transport)."""
    merged = base.queue.model_copy(update=queue)
    controller = base.controller.model_copy(
        update={"transport": transport or base.controller.transport}
    )
    return base.model_copy(update={"queue": merged, "controller": controller})


def calls_any_time(settings: Settings) -> Settings:
    """``settings`` with calls allowed at every hour of every day, holidays included.

    A script's "this afternoon" is checked against the calling rules on the real
    clock; with the shop's own hours a run on a Sunday, or on a Saturday evening, is
    rightly asked for another time, and the scripted caller has none to give.
    """
    every_hour = (0.0, 24.0)
    callbacks = settings.callbacks.model_copy(
        update={
            "weekdays": every_hour,
            "saturday": every_hour,
            "sunday": every_hour,
            "holidays": None,
            "extra_holidays": (),
        }
    )
    return settings.model_copy(update={"callbacks": callbacks})


async def _cli(pbx: PbxHandle, command: str) -> str:
    """CLI output, or "" while the command fails (module or queue still loading)."""
    try:
        return await pbx.ami.command(command)
    except AmiError:  # a failing CLI command comes back as an AMI error
        return ""


async def apply_settings(pbx: PbxHandle, settings: Settings) -> None:
    """Render ``settings`` into the running test sandbox and reload it."""
    # A sandbox that has just booted may still be loading app_queue and
    # pbx_config, whose CLI commands the reloads below use.
    deadline = time.monotonic() + 10
    for command in ("queue show", "dialplan reload"):
        while command not in await _cli(pbx, f"core show help {command}"):
            assert time.monotonic() < deadline, f"`{command}` is not available yet"
            await asyncio.sleep(0.2)
    sandbox = Sandbox(settings, ami_secret=pbx.sandbox.ami_secret)
    await asyncio.to_thread(sandbox.write_config)
    await pbx.ami.command("core reload")
    # The queue again, after the dialplan: a Local member's state is read
    # when it is added, and reads Invalid while its extension is not loaded.
    await reload(pbx.ami)
    # app_queue reloads members asynchronously; wait until they are listed.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        out = await _cli(pbx, f"queue show {settings.queue.name}")
        if out.count("Local/agent") == settings.queue.agents and "(Invalid)" not in out:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"queue members did not reload: {out}")


@dataclass
class SimCall:
    """One simulated caller."""

    tag: str
    call_id: str  # UNIQUEID of the inbound (;2) channel
    caller_uid: str  # UNIQUEID of the caller's (;1) channel
    number: str
    started: float = field(default_factory=time.monotonic)


@dataclass
class Harness:
    pbx: PbxHandle
    settings: Settings
    controller: CallController
    store: SqliteStore
    server: FastAgiServer
    media: MediaServer | None = None

    async def call(self, number: str = "4520123456", audio: str = "") -> SimCall:
        tag = f"sim{next(_serial)}x{int(time.time() * 1000) % 100000}"
        action: dict[str, Any] = {
            "Action": "Originate",
            "Channel": "Local/s@spillway-inbound/n",
            "Context": "spillway-sim-caller",
            "Exten": "s",
            "Priority": "1",
            "CallerID": f"Sim Caller <{number}>",
            "ChannelId": f"{tag}-caller",
            "OtherChannelId": f"{tag}-in",
            "Async": "true",
        }
        if audio:
            action["Variable"] = f"SIM_AUDIO={audio}"
        await self.pbx.ami.action(action)
        return SimCall(tag, f"{tag}-in", f"{tag}-caller", number)

    async def channel_of(self, uniqueid: str, timeout_s: float = 5.0) -> str:
        """The channel name for a uniqueid (AMI actions want names)."""
        return await channel_of(self.pbx.ami, uniqueid, timeout_s)

    async def press(self, call: SimCall, digit: str) -> None:
        """The caller presses a key (DTMF sent from the caller's side)."""
        await press(self.pbx.ami, await self.channel_of(call.caller_uid), digit)

    async def hangup(self, call: SimCall) -> None:
        with contextlib.suppress(Exception):
            channel = await self.channel_of(call.caller_uid, timeout_s=0.5)
            await self.pbx.ami.action({"Action": "Hangup", "Channel": channel})

    async def queue_entries(self) -> list[dict[str, str]]:
        """Callers waiting in the queue, with their priority (QueueStatus)."""
        response = await self.pbx.ami.action(
            {"Action": "QueueStatus", "Queue": self.settings.queue.name}, as_list=True
        )
        return [
            {str(k): str(v) for k, v in dict(m).items()}
            for m in response
            if m.get("Event") == "QueueEntry"
        ]

    async def bot_started(self, call_id: str, timeout_s: float = 5.0) -> float:
        """When (``time.monotonic()``) the bot's media session for ``call_id`` started."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            live = self.controller.calls.get(call_id)
            if live is not None and live.bot_started_at is not None:
                return live.bot_started_at
            await asyncio.sleep(0.01)
        raise AssertionError(f"call {call_id} did not reach the bot within {timeout_s} s")

    async def kill_controller(self) -> None:
        """What ``kill -9`` of `spillway serve` does to Asterisk's side of our sockets.

        The FastAGI listener goes away, and every media connection is reset
        (RST, no goodbye), as the kernel does for a process that died.
        """
        await self.server.close()
        for session in list(self.media.sessions if self.media else ()):
            transport = getattr(session, "_writer", None) or getattr(session, "ws", None)
            transport = getattr(transport, "transport", None)
            sock = transport.get_extra_info("socket") if transport is not None else None
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            if transport is not None:
                transport.abort()
        for task in asyncio.all_tasks():
            if task.get_name().startswith(("media-handler-", "media-io-")):
                task.cancel()

    def rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return self.store.query(sql, params)


@contextlib.contextmanager
def silent_prompts(pbx: PbxHandle, *keys: str) -> Iterator[list[str]]:
    """Our prompts ``keys`` installed in the sandbox, a tenth of a second of silence each
    where none is rendered there (removed after); what Playback plays for each."""
    folder = sound_dirs(pbx.settings)
    folder.local.mkdir(parents=True, exist_ok=True)
    added = [folder.local / f"{k}.wav" for k in keys if not (folder.local / f"{k}.wav").exists()]
    for path in added:
        path.write_bytes(wav_bytes(b"\0\0" * 800))
    try:
        yield [f"{folder.pbx}/{k}" for k in keys]
    finally:
        for path in added:
            path.unlink(missing_ok=True)


async def wait_event(events: asyncio.Queue[Any], timeout_s: float, **match: str) -> dict[str, str]:
    """The first event whose headers include all of ``match``."""
    async with asyncio.timeout(timeout_s):
        while True:
            event = {str(k): str(v) for k, v in dict(await events.get()).items()}
            if all(event.get(k) == v for k, v in match.items()):
                return event


async def clear_channels(pbx: PbxHandle, timeout_s: float = 5.0) -> None:
    """Hang up every channel and wait until none is left."""
    with contextlib.suppress(Exception):
        await pbx.ami.action({"Action": "Hangup", "Channel": "/^(Local|WebSocket|AudioSocket)/"})
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        out = await pbx.ami.command("core show channels count")
        if "0 active channels" in out:
            return
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def routing_harness(
    pbx: PbxHandle,
    db_path: Path,
    *,
    bot: Bot | None = None,
    bot_ready: bool = True,
    transport: str = "",
    **queue: Any,
) -> AsyncIterator[Harness]:
    """A controller on the test ports, with the sandbox rendered for ``queue``.

    With a ``bot`` the full `spillway serve` stack runs (FastAGI and both media
    listeners); without one, only FastAGI, and the bot counts as not ready.
    """
    settings = routing_settings(pbx.settings, transport, **queue)
    await apply_settings(pbx, settings)
    store = SqliteStore(db_path)
    store.migrate()
    try:
        if bot is not None:
            async with running_controller(settings, bot, store=store, bot_time_limit_s=60) as (
                controller,
                server,
                media,
            ):
                try:
                    yield Harness(pbx, settings, controller, store, server, media)
                finally:
                    await clear_channels(pbx)
            return
        astore = AsyncStore(store)
        call_log = CallLog(astore)
        controller = CallController(settings, astore, call_log, None, bot_ready=lambda: bot_ready)
        server = FastAgiServer()
        controller.install(server)
        await server.start("127.0.0.1", settings.controller.fastagi_port)
        try:
            yield Harness(pbx, settings, controller, store, server)
        finally:
            await clear_channels(pbx)
            await server.close()
            await call_log.flush()
            astore.close()
    finally:
        store.close()
