"""One Spillway worker as its own process, for the several-workers test and benchmark.

`spillway serve` without the speech models: :func:`agi.controller.running_controller`
(FastAGI and both media listeners) with a bot that needs none, so a test can
kill -9 a real process mid-call. Run as::

    SPILLWAY_WORKER_SETTINGS='<Settings JSON>' python -m bench.worker_process DB BOT

BOT is ``menu`` (beeps, waits a minute for a key) or ``echo`` (plays the caller
back until hung up). It prints ``READY`` once listening, then one JSON line per
bot call as it starts (``{"bot": call_id, "at": monotonic seconds}``) and, for
the echo, one as it ends (``{"end": call_id, "frames": n, "gap_p95_ms": ...}``:
how evenly the caller's 20 ms frames arrived), and stops when its stdin closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from agi.controller import running_controller  # noqa: E402
from agi.menu_bot import MenuBot  # noqa: E402
from spillway.call import BotOutcome, CallContext, EventSink, Route  # noqa: E402
from spillway.media import MediaSession  # noqa: E402
from spillway.settings import Settings  # noqa: E402
from spillway.storage import SqliteStore  # noqa: E402
from spillway.worker_settings import WorkerSettings  # noqa: E402


class TimedEcho:
    """Plays the caller back; at the end, how many frames came and how evenly."""

    async def run(self, media: MediaSession, call: CallContext, sink: EventSink) -> BotOutcome:
        gaps_ms: list[float] = []
        last: float | None = None
        try:
            async for frame in media.frames():
                now = time.perf_counter()
                if last is not None:
                    gaps_ms.append((now - last) * 1000)
                last = now
                await media.play(frame)
        finally:
            gaps_ms.sort()
            p95 = gaps_ms[int(0.95 * (len(gaps_ms) - 1))] if gaps_ms else None
            line = {"end": call.call_id, "frames": len(gaps_ms) + (last is not None),
                    "gap_p95_ms": p95, "gap_max_ms": gaps_ms[-1] if gaps_ms else None}  # fmt: skip
            print(json.dumps(line), flush=True)
        return BotOutcome(Route.DONE, reason="bench")


class ReportingBot:
    """A bot that says on stdout when each call reaches it (time.monotonic is machine-wide)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.speaks_offer = bool(getattr(inner, "speaks_offer", False))

    async def run(self, media: MediaSession, call: CallContext, sink: EventSink) -> BotOutcome:
        print(json.dumps({"bot": call.call_id, "at": time.monotonic()}), flush=True)
        outcome: BotOutcome = await self.inner.run(media, call, sink)
        return outcome


async def serve(settings: Settings, db_path: Path, bot_kind: str) -> None:
    inner = MenuBot(choice_timeout_s=60) if bot_kind == "menu" else TimedEcho()
    store = SqliteStore(db_path)
    store.migrate()
    try:
        async with running_controller(settings, ReportingBot(inner), store=store):
            print("READY", flush=True)
            await asyncio.to_thread(sys.stdin.read)
    finally:
        store.close()


def local_workers(base: Settings, names: tuple[str, ...]) -> Settings:
    """``base`` with ``pbx.workers`` listing ``names`` on this machine's free ports."""
    from dialplan.sandbox import free_port

    workers = tuple(
        WorkerSettings(
            name=name,
            fastagi=f"127.0.0.1:{free_port()}",
            websocket_port=free_port(),
            audiosocket_port=free_port(),
        )
        for name in names
    )
    return base.model_copy(update={"pbx": base.pbx.model_copy(update={"workers": workers})})


def as_worker_with_limit(settings: Settings, name: str, max_bot_calls: int) -> Settings:
    """The settings worker ``name`` runs with, taking at most ``max_bot_calls`` bot calls."""
    controller = settings.controller.model_copy(
        update={"worker": name, "max_bot_calls": max_bot_calls}
    )
    return settings.model_copy(update={"controller": controller})


class WorkerProcess:
    """This module run as a child process, for one worker; its stdout lines as they come.

    ``cpus`` pins it (``taskset -c``), e.g. "0" for the first core.
    """

    def __init__(self, settings: Settings, db: Path, bot: str = "menu", cpus: str = "") -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "SPILLWAY_WORKER_SETTINGS": settings.model_dump_json(),
        }
        pin = ["taskset", "-c", cpus] if cpus else []
        self.proc = subprocess.Popen(
            [*pin, sys.executable, "-m", "bench.worker_process", str(db), bot],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.strip())

    async def wait_line(self, match: Callable[[str], bool], timeout_s: float = 15.0) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match(line):
                    return line
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited ({self.proc.returncode}): {self.lines}")
            await asyncio.sleep(0.05)
        raise TimeoutError(f"no such line within {timeout_s} s: {self.lines[-5:]}")

    async def ready(self) -> None:
        await self.wait_line(lambda ln: ln == "READY")

    def reports(self, key: str) -> dict[str, dict[str, Any]]:
        """The JSON lines with ``key`` ("bot": starts, "end": echo ends), by call id."""
        out = {}
        for line in list(self.lines):
            if line.startswith("{"):
                data = json.loads(line)
                if key in data:
                    out[data[key]] = data
        return out

    async def reached_bot(self, call_id: str, timeout_s: float = 15.0) -> None:
        await self.wait_line(lambda ln: ln.startswith("{") and json.loads(ln).get("bot") == call_id,
                             timeout_s)  # fmt: skip

    def kill(self) -> None:
        """kill -9: no goodbye on any socket."""
        self.proc.kill()
        self.proc.wait(5)

    def stop(self) -> None:
        """Close its stdin (it stops), or kill it when it does not within 10 s."""
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def main() -> None:
    settings = Settings.model_validate_json(os.environ["SPILLWAY_WORKER_SETTINGS"])
    asyncio.run(serve(settings, Path(sys.argv[1]), sys.argv[2]))


if __name__ == "__main__":
    main()
