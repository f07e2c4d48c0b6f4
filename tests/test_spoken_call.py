"""`spillway call --script`: every scripted flow in tests/scripts, spoken by a Piper caller
voice through the sandbox Asterisk into the overflow route, over both media transports.

The real path: Asterisk, the transport, VAD and endpointing, Whisper tiny.en
(the English default), the fallback NLU, the dialogue, Piper. Calls run four
at a time under one controller (outcomes, not latency, are asserted here; the
latency is measured in bench/bench_conversations.py). The outcome each flow
must reach is the one its text replay reaches in tests/test_chat_script.py, in
the same words (`call --json` and `chat --json` share spillway.call.CallOutcome).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.assembly import DialogueFactory, SpeechModels, build_nlu
from bot.backends.demo_data import seed_demo
from bot.nlu.engine import NluEngine
from bot.voice_bot import SpeechBot, VoiceBotConfig
from cli.commands.call import CallSpec, PlacedCall, place_calls
from spillway.storage import SqliteStore
from tests.call_harness import calls_any_time, routing_settings
from tests.conftest import PbxHandle
from tests.test_chat_script import CALLER, EXPECTED, SCRIPTS, SMS_GATEWAY
from tests.voice_caller import speech_models

__all__ = ["speech_models"]  # the fixture
pytestmark = [pytest.mark.asterisk, pytest.mark.speech, pytest.mark.asyncio(loop_scope="session")]

OTHER_CALLER = "4599887766"  # not a customer of the demo shop


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "spoken.db")
    store.migrate()
    seed_demo(store)
    yield store
    store.close()


async def place_spoken(
    pbx: PbxHandle,
    shop: SqliteStore,
    models: SpeechModels,
    transport: str,
    specs: list[CallSpec],
    concurrency: int = 1,
) -> list[PlacedCall]:
    """`spillway call`'s path for ``specs``, with the speech bot on the seeded ``shop``."""
    settings = calls_any_time(routing_settings(pbx.settings, transport, agents=0))
    settings = settings.model_copy(
        update={
            "storage": settings.storage.model_copy(update={"sqlite_path": shop.path}),
            # A gateway (never reached: the bot only queues), as the chat scripts have:
            # without one the bot offers no text message and the SMS counts would differ.
            "sms": settings.sms.model_copy(update={"gateway_url": SMS_GATEWAY}),
        }
    )
    nlu = build_nlu(settings, use_rasa=False)
    bot = SpeechBot(
        models,
        DialogueFactory.from_settings(settings, nlu, shop),
        VoiceBotConfig.from_settings(settings),
    )
    try:
        return await place_calls(settings, specs, bot=bot, concurrency=concurrency, quiet_s=1.2)
    finally:
        await nlu.aclose()


async def _place_all(
    pbx: PbxHandle,
    shop: SqliteStore,
    models: SpeechModels,
    transport: str,
    only: list[str] | None = None,
) -> dict[str, PlacedCall]:
    specs = [
        CallSpec(
            (SCRIPTS / f"{name}.txt").read_text(),
            name,
            (CALLER if EXPECTED[name][0] else OTHER_CALLER).lstrip("+"),
        )
        for name in only or sorted(EXPECTED)
    ]
    placed = await place_spoken(pbx, shop, models, transport, specs, concurrency=4)
    return {p.spec.source: p for p in placed}


MAX_MISHEARD = 2  # scripts per transport whose caller the recogniser misheard, of 14


async def _meaning(nlu: NluEngine, text: str) -> tuple[str, list[tuple[str, str]]]:
    """What a line means to the bot out of context: its intent and entities."""
    parsed = await nlu.parse(text)
    return parsed.name, sorted(parsed.entities.items())


async def _misheard(nlu: NluEngine, turns: list[dict[str, Any]]) -> list[str]:
    """The spoken lines whose transcript means something else than what was said.

    Whisper tiny.en is not deterministic across machines: the same rendered line,
    shifted by a few milliseconds, is now and then heard as another word ("bye" as
    "Right.") or another number ("10044" as "100 4044"). The dialogue cannot reach
    the script's outcome from a line it was not told; that is the recogniser's error
    (measured in bench/bench_speech.py), not the call's.
    """
    found = []
    for turn in turns:
        said, heard = turn["caller"], turn["heard"] or ""
        if said.startswith("<"):
            continue
        if await _meaning(nlu, said) != await _meaning(nlu, heard):
            found.append(f"{said!r} heard as {heard!r}")
    return found


def _check(name: str, placed: PlacedCall) -> str | None:
    """What is wrong with a call against its script's expected outcome, or None."""
    _caller, outcome, actions, sms_texts = EXPECTED[name]
    *turns, result = placed.records
    # A spoken call always has a caller id: a complaint's photo link goes to it by SMS
    # (in the text replay of bad_input there is no number to send it to).
    # The call record says what the chat replay says, in the same words.
    expected = (outcome, len(sms_texts) or int(name == "bad_input"))
    got = (result["outcome"], len(result["sms"]))
    if got != expected:
        heard = [(t["caller"], t["heard"], t["intent"]) for t in turns]
        return f"{name}: {got}, expected {expected}: {heard}"
    # A callback booked before a hand-over stays with the call (closed only when an agent
    # takes it): the call record keeps its id beside the outcome handoff.
    booked = outcome == "callback" or (outcome == "handoff" and "callback_confirm" in actions)
    assert (result["callback_id"] is not None) == booked, name
    if name == "complaint":
        assert result["case_id"] and "upload photos" in result["sms"][0]["body"]
    for turn in turns:
        if not turn["caller"].startswith("<"):
            # Every spoken line was heard, and answered.
            assert turn["heard"], (name, turn)
    assert len(placed.wav) > 8000  # the caller heard the bot
    return None


@pytest.mark.parametrize("transport", ["websocket", "audiosocket"])
@pytest.mark.timeout(600)  # 14 calls four at a time, and the misheard ones once more
async def test_every_script_reaches_its_outcome_spoken(
    pbx: PbxHandle,
    shop: SqliteStore,
    speech_models: SpeechModels,
    transport: str,
    tmp_path: Path,
) -> None:
    calls = await _place_all(pbx, shop, speech_models, transport)
    wrong = {name: _check(name, calls[name]) for name in sorted(EXPECTED)}
    nlu = build_nlu(pbx.settings, use_rasa=False)
    try:
        misheard = {
            name: found
            for name, problem in wrong.items()
            if problem is not None and (found := await _misheard(nlu, calls[name].records[:-1]))
        }
        # A call the recogniser misheard is placed once more; any other wrong outcome fails.
        assert len(misheard) <= MAX_MISHEARD, misheard
        twice: dict[str, list[str]] = {}
        if misheard:
            # On a shop as it was before the first calls (a callback would otherwise join
            # the first).
            fresh = SqliteStore(tmp_path / "again.db")
            try:
                fresh.migrate()
                seed_demo(fresh)
                again = await _place_all(
                    pbx, fresh, speech_models, transport, only=sorted(misheard)
                )
            finally:
                fresh.close()
            for name in misheard:
                wrong[name] = _check(name, again[name])
                # Misheard again (on a loaded CI machine "order one zero zero four four"
                # was heard as "Order 100 4044" twice): the recogniser's error, counted
                # within MAX_MISHEARD above, not the dialogue's. Heard right, the call
                # must reach its outcome.
                if wrong[name] is not None and (
                    found := await _misheard(nlu, again[name].records[:-1])
                ):
                    twice[name] = found
                    wrong[name] = None
    finally:
        await nlu.aclose()
    if twice:
        print(f"misheard twice (the recogniser, not the dialogue): {twice}")
    problems = [problem for problem in wrong.values() if problem is not None]
    assert not problems, "\n".join(problems) + f"\nmisheard the first time: {misheard}"
