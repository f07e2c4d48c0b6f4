"""One spoken conversation end to end over the real sandbox Asterisk.

A caller voice (Piper) asks where order 10042 is, confirms the number and says
goodbye; the speech bot (Silero VAD, faster-whisper tiny.en, the fallback NLU,
the dialogue on the seeded demo shop, Piper) answers over chan_websocket. The
test listens on the caller's side of Asterisk (see ``tests/voice_caller.py``)
and reads the call record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.assembly import SpeechModels
from bot.voice_bot import SpeechBot
from cli.commands.serve import call_bot
from spillway.call import Bot
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from spillway.wording import Wording
from tests.conftest import PbxHandle
from tests.voice_caller import speech_models, voice_call

__all__ = ["speech_models"]  # the fixture

pytestmark = [
    pytest.mark.asterisk,
    pytest.mark.speech,
    pytest.mark.asyncio(loop_scope="session"),
]
pytest.importorskip("piper")
pytest.importorskip("faster_whisper")


async def test_caller_asks_for_order_10042_and_hears_its_status(
    pbx: PbxHandle, tmp_path: Path, speech_models: SpeechModels
) -> None:
    tts = speech_models.tts
    question = await tts.synthesize("Where is my order? One zero zero four two.")
    yes = await tts.synthesize("Yes, that is right.")
    goodbye = await tts.synthesize("No thank you. Goodbye.")

    # From the number on order 10042 (DEMO_CALLER): its carrier is said only to them.
    async with voice_call(
        pbx, tmp_path / "calls.db", speech_models, transport="websocket", number="4520123456"
    ) as vc:
        caller = vc.caller
        await caller.wait_for_sound(15)  # the greeting
        await caller.wait_for_quiet(1.2, 30)
        caller.say(question)
        await caller.finish_saying()
        await caller.wait_for_sound(15)  # "That's order number 1 0 0 4 2. Is that right?"
        await caller.wait_for_quiet(1.2, 30)
        caller.say(yes)
        await caller.finish_saying()
        status_heard_at = await caller.wait_for_sound(15)
        status_ended_at = await caller.wait_for_quiet(1.2, 60)
        caller.say(goodbye)
        await caller.finish_saying()
        row = await vc.outcome(30)
        turns = vc.turns()
        stages = {e["stage"] for e in vc.events("stage")}

    # The call record: transcript, outcome, and the stages on the way.
    assert row["outcome"] == "resolved", row
    assert row["transport"] == "websocket"
    callers = [t for t in turns if t["speaker"] == "caller"]
    bots = [t for t in turns if t["speaker"] == "bot"]
    assert [t["intent"] for t in callers] == ["order_status", "affirm", "goodbye"], turns
    assert "10042" in re.sub(r"\D", "", callers[0]["text"]), callers[0]
    assert all(t["confidence"] is not None and t["confidence"] > 0.45 for t in callers)
    [status] = [t for t in bots if t["intent"] == "order_status"]
    for words in ("shipped", "GLS", "tomorrow", "1 0 0 4 2"):
        assert words in status["text"], status["text"]
    assert bots[-1]["intent"] == "goodbye"
    assert {"listening", "recognised", "understood", "speaking"} <= stages, stages

    # The caller really heard the answer: several seconds of sound, not silence.
    heard = caller.heard_sound_between(status_heard_at, status_ended_at + 0.1)
    assert len(heard) * 0.02 > 5.0, len(heard)


async def test_serve_falls_back_to_the_dtmf_menu_when_a_model_is_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="cli.commands.serve"):
        async with _serve_bot(tmp_path, piper_voice="en_US-nobody-medium") as (bot, description):
            # No bot: the queue and the menu's keys 2 and 3, never "press 1" to a tone bot.
            assert bot is None
    [line] = [r.getMessage() for r in caplog.records]
    assert "en_US-nobody-medium" in line and "spillway models" in line, line
    assert "DTMF menu" in line and "DTMF menu" in str(description)  # str(): in English


@contextlib.asynccontextmanager
async def _serve_bot(tmp_path: Path, **speech: str) -> AsyncIterator[tuple[Bot | None, Wording]]:
    """`spillway serve`'s bot with its own database and cache under tmp_path."""
    settings = Settings(
        speech=speech,
        paths={"cache_dir": str(tmp_path)},
        storage={"sqlite_path": str(tmp_path / "s.db")},
    )
    store = SqliteStore(tmp_path / "s.db")
    store.migrate()
    astore = AsyncStore(store)
    try:
        async with call_bot(settings, astore) as served:
            yield served
    finally:
        astore.close()
        store.close()


@pytest.mark.speech
async def test_serve_renders_the_fixed_prompts_before_the_first_call(tmp_path: Path) -> None:
    pytest.importorskip("piper")
    pytest.importorskip("faster_whisper")
    async with _serve_bot(tmp_path, asr_engine="whisper") as (bot, _description):
        assert isinstance(bot, SpeechBot)
        texts = await bot.fixed_prompts()
        files = [bot.models.prompts.path_for(t) for t in texts]
        async with asyncio.timeout(120):  # Piper renders six prompts on one thread
            while not all(f.is_file() for f in files):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        renders = bot.models.prompts.renders
        # A caller now gets cached audio: nothing more is rendered.
        assert await bot.models.prompts.get(texts[0]) == files[0].read_bytes()
        assert bot.models.prompts.renders == renders == len(texts)
