"""A simulated caller who talks and listens, for the spoken tests over the sandbox.

The caller's half of an Originate'd Local channel runs ``AudioSocket()`` to a
small server the test owns (:class:`CallerSide`). That gives the test the
caller's ear and mouth: every frame the caller hears (the bot's audio after
Asterisk, the Local channel and the bot's transport) is kept with its arrival
time, and the test decides what the caller says and when. The caller sends a
20 ms frame every 20 ms (silence between sentences), like a phone does and as
app_audiosocket requires (it hangs up after 2 s without traffic).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.assembly import DialogueFactory, SpeechModels, build_nlu, load_speech_models
from bot.backends.demo_data import seed_demo
from bot.voice_bot import SpeechBot, VoiceBotConfig
from cli.spoken_call import CallerSide as _CallerSide
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.call_harness import Harness, SimCall, routing_harness
from tests.conftest import PbxHandle


class CallerSide(_CallerSide):
    """The product's test caller (cli/spoken_call.py); here a sound that never comes, or a
    bot that never stops, fails the test."""

    async def wait_for_sound(self, timeout_s: float, *, after: float | None = None) -> float:
        found = await super().wait_for_sound(timeout_s, after=after)
        if found is None:
            raise AssertionError(f"the caller heard nothing within {timeout_s} s")
        return found

    async def wait_for_quiet(self, quiet_s: float, timeout_s: float) -> float:
        found = await super().wait_for_quiet(quiet_s, timeout_s)
        if found is None:
            raise AssertionError(f"the bot did not stop talking within {timeout_s} s")
        return found


_serial = itertools.count(1)


@pytest.fixture(scope="session")
def speech_models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpeechModels]:
    """The voice bot's models as `spillway serve` loads them, with Whisper tiny.en."""
    pytest.importorskip("piper")
    pytest.importorskip("faster_whisper")
    cache = tmp_path_factory.mktemp("speech-cache")
    settings = Settings(speech={"asr_engine": "whisper"}, paths={"cache_dir": str(cache)})
    models = load_speech_models(settings)
    yield models
    models.close()


@dataclass
class VoiceCall:
    """One spoken call in progress: the harness, the caller's end and the call id."""

    harness: Harness
    caller: CallerSide
    call_id: str

    async def outcome(self, timeout_s: float) -> dict[str, Any]:
        """The calls row once the bot's outcome is written."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            rows = self.harness.rows("SELECT * FROM calls WHERE call_id = ?", (self.call_id,))
            if rows and rows[0]["outcome"]:
                return rows[0]
            await asyncio.sleep(0.1)
        raise AssertionError(f"call {self.call_id} has no outcome after {timeout_s} s")

    def turns(self) -> list[dict[str, Any]]:
        return self.harness.rows(
            "SELECT speaker, text, intent, confidence FROM transcript_turns "
            "WHERE call_id = ? ORDER BY id",
            (self.call_id,),
        )

    def events(self, kind: str) -> list[dict[str, Any]]:
        rows = self.harness.rows(
            "SELECT data FROM call_events WHERE call_id = ? AND kind = ? ORDER BY id",
            (self.call_id, kind),
        )
        return [json.loads(r["data"]) for r in rows]


@contextlib.asynccontextmanager
async def voice_call(
    pbx: PbxHandle,
    db_path: Path,
    models: SpeechModels,
    *,
    transport: str,
    number: str = "4511223344",
    callbacks: dict[str, Any] | None = None,
    **queue: Any,
) -> AsyncIterator[VoiceCall]:
    """The speech bot on the sandbox (demo shop seeded, fallback NLU), and one caller.

    ``queue`` overrides queue settings (by default ``agents=0``), ``callbacks`` the
    callback settings (calling hours, for a test that must not depend on the day).
    """
    if callbacks:
        section = pbx.settings.callbacks.model_copy(update=callbacks)
        pbx = dataclasses.replace(
            pbx, settings=pbx.settings.model_copy(update={"callbacks": section})
        )
    shop = SqliteStore(db_path)
    shop.migrate()
    seed_demo(shop)
    nlu = build_nlu(pbx.settings, use_rasa=False)
    bot = SpeechBot(
        models,
        DialogueFactory.from_settings(pbx.settings, nlu, shop),
        VoiceBotConfig.from_settings(pbx.settings),
    )
    caller = CallerSide()
    await caller.start()
    try:
        # agents=0: no colleague is ever free, so every call overflows to the bot.
        queue = {"agents": 0, **queue}
        async with routing_harness(pbx, db_path, bot=bot, transport=transport, **queue) as h:
            tag = f"voice{next(_serial)}x{int(time.time() * 1000) % 100000}"
            await pbx.ami.action(caller.originate_action(number, tag))
            await asyncio.wait_for(caller.connected.wait(), 10)
            try:
                yield VoiceCall(h, caller, f"{tag}-in")
            finally:
                await h.hangup(SimCall(tag, f"{tag}-in", f"{tag}-caller", number))
    finally:
        await caller.close()
        await nlu.aclose()
        shop.close()
