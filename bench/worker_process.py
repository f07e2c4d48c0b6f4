"""One Spillway worker as its own process, for the several-workers test and benchmark.

`spillway serve` without the speech models: :func:`agi.controller.running_controller`
(FastAGI and both media listeners) with a bot that needs none, so a test can
kill -9 a real process mid-call. Run as::

    SPILLWAY_WORKER_SETTINGS='<Settings JSON>' python -m bench.worker_process DB BOT

BOT is ``menu`` (beeps, waits a minute for a key) or ``echo`` (plays the caller
back until hung up). It prints ``READY`` once listening, then one JSON line per
bot call as it starts (``{"bot": call_id, "at": monotonic seconds}``), and
stops when its stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from agi.controller import running_controller  # noqa: E402
from agi.menu_bot import EchoBot, MenuBot  # noqa: E402
from spillway.call import BotOutcome, CallContext, EventSink  # noqa: E402
from spillway.media import MediaSession  # noqa: E402
from spillway.settings import Settings  # noqa: E402
from spillway.storage import SqliteStore  # noqa: E402


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
    inner = MenuBot(choice_timeout_s=60) if bot_kind == "menu" else EchoBot(max_s=600)
    store = SqliteStore(db_path)
    store.migrate()
    try:
        async with running_controller(settings, ReportingBot(inner), store=store):
            print("READY", flush=True)
            await asyncio.to_thread(sys.stdin.read)
    finally:
        store.close()


def main() -> None:
    settings = Settings.model_validate_json(os.environ["SPILLWAY_WORKER_SETTINGS"])
    asyncio.run(serve(settings, Path(sys.argv[1]), sys.argv[2]))


if __name__ == "__main__":
    main()
