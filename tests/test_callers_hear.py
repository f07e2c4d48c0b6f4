"""Over the real sandbox: what callers and called-back customers hear, and what agents get.

The prompts Asterisk plays itself are rendered with the bot's Piper voice
(`cli/pbx_sounds.py`, as `spillway pbx sandbox up` does) into the test
instance. The caller's or customer's ear is an AudioSocket server the test
owns (:class:`tests.voice_caller.CallerSide`); what it heard is cut at its
pauses and read back with Whisper tiny.en.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from agi.menu_bot import MenuBot
from bot.speech.asr import chunks_from_pcm, transcribe
from bot.speech.whisper_asr import WhisperEngine, load_whisper_model
from cli.pbx_sounds import render_sounds
from cli.spoken_call import HEARD_RMS, press, rms
from dialplan.sounds import sound_dirs
from dialplan.spool import callback_spool
from models.discover import require_model
from scheduler import intake
from scheduler.dialer import Dialer, DialerConfig
from scheduler.intake import NewRequest
from scheduler.originate import AmiOriginator
from scheduler.requests import RequestSource
from scheduler.rules import CallingRules
from scheduler.spool import import_spool
from spillway.audio import SLIN8
from spillway.handover_words import agent_words
from spillway.storage import AsyncStore, SqliteStore
from tests.call_harness import (
    SimCall,
    apply_settings,
    clear_channels,
    routing_harness,
    routing_settings,
)
from tests.conftest import PbxHandle
from tests.test_pbx_sounds import ORDER_CONTEXT
from tests.voice_caller import CallerSide

pytestmark = [pytest.mark.asterisk, pytest.mark.speech, pytest.mark.asyncio(loop_scope="session")]
pytest.importorskip("piper")
pytest.importorskip("faster_whisper")

ALWAYS = CallingRules(windows=((0.0, 24.0),) * 7, holiday_country=None, min_gap_s=0, expiry_s=3600)
FRAME_BYTES = SLIN8.frame_bytes(20)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sounds(pbx: PbxHandle) -> Path:
    """The prompts rendered into the test sandbox, as `spillway pbx sandbox up` does."""
    result = await render_sounds(pbx.settings)
    assert result.missing is None, result.missing
    return result.folder


@pytest.fixture(scope="module")
def whisper() -> Iterator[WhisperEngine]:
    model = load_whisper_model(require_model("whisper-tiny.en").path, cpu_threads=2)
    engine = WhisperEngine(model, max_workers=1, language="en")
    yield engine
    engine.close()


def utterances(frames: list[bytes], *, pause_frames: int = 20) -> list[bytes]:
    """What was heard, cut at pauses of ``pause_frames`` x 20 ms (each piece < 14 s)."""
    pieces: list[bytes] = []
    current: list[bytes] = []
    quiet = 0
    for frame in frames:
        loud = rms(frame) >= HEARD_RMS
        if loud:
            current.append(frame)
            quiet = 0
        elif current:
            current.append(frame)
            quiet += 1
            if quiet >= pause_frames or len(current) >= 700:
                pieces.append(b"".join(current))
                current, quiet = [], 0
    if current:
        pieces.append(b"".join(current))
    return pieces


async def heard_text(whisper: WhisperEngine, frames: list[bytes]) -> str:
    """Everything the ear heard, as Whisper reads it (lower case, digits as words kept)."""
    texts = []
    for piece in utterances(frames):
        stream = whisper.open_stream(SLIN8)
        pad = bytes(SLIN8.frame_bytes(300))
        async for result in transcribe(stream, chunks_from_pcm(pad + piece + pad, SLIN8)):
            if result.is_final:
                texts.append(result.text)
        await stream.aclose()
    return " ".join(texts).lower()


def said(text: str, *phrases: str) -> list[str]:
    """The phrases (regular expressions) that ``text`` does not contain."""
    return [p for p in phrases if not re.search(p, text)]


async def wait_event(events: asyncio.Queue[Any], timeout_s: float, **match: str) -> dict[str, str]:
    async with asyncio.timeout(timeout_s):
        while True:
            event = {str(k): str(v) for k, v in dict(await events.get()).items()}
            if all(event.get(k) == v for k, v in match.items()):
                return event


async def collect(
    events: asyncio.Queue[Any], timeout_s: float, *names: str
) -> dict[str, dict[str, str]]:
    """The first UserEvent of each name, in whatever order they come."""
    found: dict[str, dict[str, str]] = {}
    async with asyncio.timeout(timeout_s):
        while len(found) < len(names):
            event = {str(k): str(v) for k, v in dict(await events.get()).items()}
            name = event.get("UserEvent", "")
            if name in names and name not in found:
                found[name] = event
    return found


# -- 1. the DTMF menu --------------------------------------------------------------


async def test_the_dtmf_menu_says_which_key_does_what_repeats_and_keeps_the_caller(
    pbx: PbxHandle, sounds: Path, whisper: WhisperEngine, tmp_path: Path
) -> None:
    ear = CallerSide()
    await ear.start()
    try:
        async with routing_harness(
            pbx, tmp_path / "calls.db", agents=0, max_wait_s=1, bot_ready=False
        ) as h:
            with pbx.ami.subscribe("UserEvent") as events:
                await pbx.ami.action(ear.originate_action("4512121212", "menu1"))
                offer = await wait_event(events, 10, UserEvent="SpillwayOffer")
                assert offer["By"] == "menu"
                # The caller presses nothing: the menu, "no key", the menu again, then
                # they keep their place in the queue.
                requeue = await wait_event(events, 60, UserEvent="SpillwayRequeue")
            assert requeue["CallId"] == "menu1-in"
            assert not ear.ended.is_set()  # still on the line, in the queue
            await h.hangup(SimCall("menu1", "menu1-in", "menu1-caller", "4512121212"))
    finally:
        await ear.close()
    text = await heard_text(whisper, ear.audio)
    print(f"\nthe caller heard: {text}")
    # The bot is not ready, so key 1 is not offered; 2 and 3 are, twice.
    assert not said(
        text,
        r"press (2|two) to keep your place",
        r"(3|three) to be called back",
        r"didn't hear a key",
        r"keep your place in the queue\. a colleague",
    ), text
    assert len(re.findall(r"called back", text)) == 2, text
    assert "assistant" not in text and "telemarketer" not in text, text


async def test_without_speech_models_key_1_is_not_offered(
    pbx: PbxHandle, sounds: Path, tmp_path: Path
) -> None:
    # `spillway serve` whose speech models are missing runs no bot (cli/commands/serve.py),
    # its media server up: "press 1 to talk to our automated assistant" led to the
    # tone-only MenuBot, one beep and silence. The menu offers 2 and 3 only.
    async with routing_harness(
        pbx, tmp_path / "calls.db", agents=0, overflow_min_waiting=100, max_wait_s=1
    ) as h:
        assert not h.controller.bot_ready
        with pbx.ami.subscribe("Newexten") as events:
            call = await h.call("4513131313")
            read = await wait_event(events, 10, Application="Read", Uniqueid=call.call_id)
    menu = f"SPILLWAY_CHOICE,{sound_dirs(pbx.settings).pbx}/menu_offer_no_bot,"
    assert read["AppData"].startswith(menu), read["AppData"]
    assert h.controller.bot_started == []


async def test_without_the_rendered_prompts_the_menu_says_only_what_is_true(
    pbx: PbxHandle, sounds: Path, tmp_path: Path
) -> None:
    aside = sounds.with_name(sounds.name + ".aside")
    await asyncio.to_thread(sounds.rename, aside)
    try:
        async with routing_harness(
            pbx, tmp_path / "calls.db", agents=0, max_wait_s=1, bot_ready=False
        ) as h:
            with pbx.ami.subscribe("Newexten", "UserEvent") as events:
                call = await h.call("4514141414")
                read = await wait_event(events, 10, Application="Read", Uniqueid=call.call_id)
                # Asterisk's "all of our representatives are busy, please stay on the
                # line"; then the caller stays in the queue.
                assert read["AppData"].startswith("SPILLWAY_CHOICE,queue-periodic-announce,")
                await wait_event(events, 20, UserEvent="SpillwayRequeue", CallId=call.call_id)
    finally:
        shutil.rmtree(sounds, ignore_errors=True)
        aside.rename(sounds)


# What the caller hears after the bot call breaks off: our prompt, or without its file
# Asterisk's own "I'm sorry. Thank you for your patience."
LOST = (r"lost the connection", r"keep your place in the queue")
LOST_UNRENDERED = (r"sorry", r"thank you for your patience")


@pytest.mark.parametrize(
    ("death", "words"),
    [("media", LOST), ("killed", LOST), ("unrendered", LOST_UNRENDERED)],
)
async def test_a_caller_whose_bot_call_breaks_off_is_told_before_the_queue(
    pbx: PbxHandle,
    sounds: Path,
    whisper: WhisperEngine,
    tmp_path: Path,
    death: str,
    words: tuple[str, ...],
) -> None:
    # media: the bot's media connection ends with the controller up (it answers
    # after-bot with the lost bot's words); killed: the worker dies with its bot (the
    # dialplan, unable to ask, says the same); unrendered: the prompt's file is not
    # installed. All used to go from the bot's voice to hold music without a word.
    # chan_websocket (the default transport): after it, STAT() finds no file, so the
    # dialplan's check that a prompt is installed must not rely on it.
    ear = CallerSide()
    await ear.start()
    tag = f"lost-{death}"
    prompt = sounds / "bot_lost.wav"
    aside = sounds / "bot_lost.wav.aside"
    if death == "unrendered":
        prompt.rename(aside)
    try:
        async with routing_harness(
            pbx, tmp_path / "calls.db", bot=MenuBot(choice_timeout_s=30), agents=0,
            overflow_min_waiting=0,
        ) as h:  # fmt: skip
            with pbx.ami.subscribe("UserEvent") as events:
                await pbx.ami.action(ear.originate_action("4517171717", tag))
                await h.bot_started(f"{tag}-in", timeout_s=10)
                await asyncio.sleep(1.0)  # the bot's call is under way
                broke_at = len(ear.audio)
                if death == "killed":
                    await h.kill_controller()
                else:
                    for task in asyncio.all_tasks():
                        if task.get_name().startswith(("media-handler-", "media-io-")):
                            task.cancel()
                # The requeue comes once the prompt has been played.
                await wait_event(events, 30, UserEvent="SpillwayRequeue", CallId=f"{tag}-in")
            assert not ear.ended.is_set()  # still on the line, in the queue
            await h.hangup(SimCall(tag, f"{tag}-in", f"{tag}-caller", "4517171717"))
    finally:
        await ear.close()
        if aside.exists():
            aside.rename(prompt)
    text = await heard_text(whisper, ear.audio[broke_at:])
    print(f"\nthe caller heard: {text}")
    assert not said(text, *words), text


# -- 2. and 3. the called-back customer, and the agent who takes the callback ----------


async def _customer(pbx: PbxHandle, phone: str, mode: str, value: str = "") -> None:
    digits = phone.lstrip("+")
    await pbx.ami.action({"Action": "DBPut", "Family": "spillway-sim", "Key": digits, "Val": mode})
    await pbx.ami.action(
        {"Action": "DBPut", "Family": "spillway-sim-hold", "Key": digits, "Val": "20"}
    )
    if value:
        await pbx.ami.action(
            {"Action": "DBPut", "Family": "spillway-sim-ear", "Key": digits, "Val": value}
        )


@pytest_asyncio.fixture(loop_scope="session")
async def callback_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "cb.db")
    store.migrate()
    try:
        yield store
    finally:
        store.close()


def _add(store: SqliteStore, phone: str, reason: str, context: dict[str, Any]) -> int:
    with store.transaction() as tx:
        return intake.record(
            tx,
            NewRequest(phone, RequestSource.BOT, reason, call_id="orig-1", context=context),
            region="DK",
            now=time.time(),
        ).id


def _dialer(pbx: PbxHandle, store: SqliteStore, **config: Any) -> Dialer:
    cfg = DialerConfig(
        queue=pbx.settings.queue.name,
        ring_s=10,
        poll_interval_s=0.2,
        retry_backoff_s=600,
        node="test",
        **config,
    )
    return Dialer(AsyncStore(store), AmiOriginator(pbx.ami), ALWAYS, cfg)


async def test_a_called_back_customer_hears_who_calls_and_why_within_2_s_then_a_new_request(
    pbx: PbxHandle, sounds: Path, whisper: WhisperEngine, callback_store: SqliteStore
) -> None:
    await apply_settings(pbx, routing_settings(pbx.settings, agents=0))
    spool = callback_spool(pbx.settings).local
    shutil.rmtree(spool / "new", ignore_errors=True)
    ear = CallerSide()
    await ear.start()
    phone = "+4520127001"
    await _customer(pbx, phone, "ear", f"{ear.call_uuid},127.0.0.1:{ear.port}")
    request_id = _add(callback_store, phone, "callback_request", ORDER_CONTEXT)
    try:
        with pbx.ami.subscribe("Newstate", "UserEvent") as events:
            # No agent is free: pacing 1 dials anyway, and 5 s later nobody has come.
            dialer = _dialer(pbx, callback_store, agent_wait_s=5, pacing=1)
            assert await dialer.tick() == 1
            dialled = await wait_event(events, 10, UserEvent="SpillwayCustomerDialled")
            up = await wait_event(
                events, 10, Event="Newstate", ChannelStateDesc="Up", Channel=dialled["Channel"]
            )
            # The answer: Asterisk's word for it, or the ear's first frame (the customer's
            # AudioSocket connects right after Answer()), whichever came first.
            answered_at = min([time.monotonic()] + [h.at for h in ear.heard[:1]])
            first_audio = await ear.wait_for_sound(5, after=answered_at - 0.5)
            answer_to_audio_s = first_audio - answered_at
            print(f"\nanswer-to-first-audio: {answer_to_audio_s * 1000:.0f} ms")
            assert answer_to_audio_s < 2.0
            intro_frames = len(ear.audio)
            await wait_event(events, 30, UserEvent="SpillwayCallbackNoAgent")
            await asyncio.sleep(4)  # the apology and the keys, then the customer presses 1
            await press(pbx.ami, up["Channel"], "1")
            done = await wait_event(events, 15, UserEvent="SpillwayCallback")
            await asyncio.wait_for(ear.ended.wait(), 15)  # thanked, then hung up: not dropped
        await dialer.wait_idle(30)
    finally:
        await ear.close()
        await clear_channels(pbx)
    text = await heard_text(whisper, ear.audio)
    intro = await heard_text(whisper, ear.audio[: intro_frames + 300])
    print(f"\nthe customer heard: {text}")
    assert not said(intro, r"returning your call about your order"), intro
    assert not said(text, r"sorry", r"call you back", r"goodbye"), text
    # The new request, through the callback spool, keeps what the call was about.
    assert done["CallbackId"].startswith("spool:cb-")
    report = import_spool(
        callback_store, spool, region="DK", default_timezone="Europe/Copenhagen", now=time.time()
    )
    assert report.bad == [] and len(report.imported) == 1
    [row] = callback_store.query(
        "SELECT * FROM callback_requests WHERE id = ?", (report.imported[0],)
    )
    assert row["phone"] == phone and row["status"] == "pending" and row["id"] != request_id
    assert row["reason"] == "no agent was free for the callback"
    assert '"topic": "order_status"' in row["context"]
    assert f'"after_request": {request_id}' in row["context"]


async def test_the_agent_who_takes_a_callback_gets_its_context_and_a_whisper(
    pbx: PbxHandle, sounds: Path, callback_store: SqliteStore
) -> None:
    base = routing_settings(pbx.settings, agents=1)
    settings = base.model_copy(
        update={"callbacks": base.callbacks.model_copy(update={"agent_whisper": True})}
    )
    await apply_settings(pbx, settings)
    phone = "+4520127002"
    await _customer(pbx, phone, "answer")
    context = {**ORDER_CONTEXT, "case_id": "C-77"}
    request_id = _add(callback_store, phone, "callback_request", context)
    try:
        with pbx.ami.subscribe("UserEvent") as events:
            dialer = _dialer(pbx, callback_store, agent_wait_s=20)
            assert await dialer.tick() == 1
            seen = await collect(
                events, 30, "SpillwayHandoff", "SpillwayAgentAnswered", "SpillwayAgentWhisper"
            )
            handoff, agent, whisper = (
                seen["SpillwayHandoff"],
                seen["SpillwayAgentAnswered"],
                seen["SpillwayAgentWhisper"],
            )
        await dialer.wait_idle(40)
    finally:
        await clear_channels(pbx)
        await apply_settings(pbx, routing_settings(pbx.settings))
    words = agent_words(DialerConfig().language)
    for event in (handoff, agent):
        assert event["Intent"] == "order_status", event
        assert event["CaseId"] == "C-77", event
        assert event["Caller"] == phone, event
        # The summary in the dialler's language (DialerConfig's default: English).
        assert words.say("callback_request", callback=request_id) in event["Summary"], event
        assert words.say("order", order="10043") in event["Summary"], event
    assert handoff["Source"] == "callback" and handoff["RequestId"] == str(request_id)
    assert whisper["Topic"] == "order" and whisper["Played"] == "SUCCESS", whisper
