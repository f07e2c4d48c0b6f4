"""`spillway call --script FILE`: a spoken test call through Asterisk into the overflow route.

In the sandbox it makes the simulated agents busy (so the call overflows to
the bot), runs Spillway's controller and bot in this process unless
`spillway serve` is already listening, and places the call. Against a real
PBX, ``--dial`` names what to call (``PJSIP/600``, ``Local/600@from-internal``)
and ``--caller-host`` the address the PBX reaches this host's caller on.
The JSON has the shape of `spillway chat --script --json`: one object per
line (said, heard, intent, bot's reply, latency), then the result. ``--menu``
meets the DTMF menu instead of the bot (:mod:`cli.menu_call`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.listener import ListenerConfig
from bot.speech.espeak_tts import EspeakTts
from bot.speech.piper_tts import PiperTts, VoiceFiles
from cli.admin_words import admin_words
from cli.commands.serve import call_bot
from cli.context import app_context
from cli.language import LanguageOption, with_language
from cli.scratch import LiveOption, scratch_settings
from cli.spoken_call import (
    CallerSide,
    CallLine,
    LineTiming,
    call_records,
    parse_call_script,
    render_lines,
    speak_script,
)
from dialplan.ami_users import admin_endpoint
from dialplan.sandbox import Sandbox
from models.discover import require_model
from spillway.ami import AmiClient
from spillway.audio import SLIN8
from spillway.call import Bot
from spillway.console_text import ConsoleText
from spillway.errors import InputError, PbxError
from spillway.language_pack import DEFAULT_LANGUAGE, load_pack
from spillway.settings import Settings
from spillway.storage import AsyncStore, Store, open_store
from spillway.wording import Wording, worded

console = Console(stderr=True)
END_WAIT_S = 20.0  # after the script, for the bot's last reply and its decision
# After our hang-up, for the controller to close the call: the bot first finishes the
# transcript it is working on (at most the listener's recognition timeout).
CLOSE_WAIT_S = ListenerConfig().asr_timeout_s + 10.0
CALLER_VOICE_LENGTH_SCALE = 1.08  # a touch slower than the bot, so the two are told apart
AGENTS_BUSY_S = 10  # for the simulated agents to show busy in the queue


class Transport(StrEnum):
    websocket = "websocket"
    audiosocket = "audiosocket"


def listening(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


@contextlib.asynccontextmanager
async def controller_for(
    settings: Settings, store: Store, bot: Bot | None = None
) -> AsyncIterator[Wording]:
    """`spillway serve` in this process (with ``bot``, or the configured one), unless one
    already listens; yields which, in the packs' words (``cli.call.controller_*``)."""
    from agi.controller import running_controller

    c = settings.controller
    if listening(c.advertise_host, c.fastagi_port):
        yield worded("cli.call.controller_running", port=c.fastagi_port)
        return
    if bot is not None:
        async with running_controller(settings, bot, store=store):
            yield worded("cli.call.controller_given")
        return
    astore = AsyncStore(store)
    try:
        async with (
            call_bot(settings, astore) as (bot, description),
            running_controller(settings, bot, store=store),
        ):
            # The bot's description is serve's (the models by name), said where shown.
            yield worded("cli.call.controller_own", description=description)
    finally:
        astore.close()


async def busy_agents(ami: AmiClient, settings: Settings) -> list[str]:
    """Sandbox: one Local call holding each simulated agent, so the next caller overflows."""
    held = []
    for i in range(1, settings.queue.agents + 1):
        tag = f"busy{i}x{uuid.uuid4().hex[:6]}"
        await ami.action(
            {
                "Action": "Originate",
                "Channel": f"Local/agent{i}@spillway-agents/n",
                "Application": "Wait",
                "Data": "600",
                "ChannelId": tag,
                "OtherChannelId": f"{tag}-2",
                "Async": "true",
            }
        )
        held.append(tag)
    deadline = time.monotonic() + AGENTS_BUSY_S
    while time.monotonic() < deadline:
        out = await ami.command(f"queue show {settings.queue.name}")
        if settings.queue.agents == 0 or "(Not in use)" not in out:
            return held
        await asyncio.sleep(0.2)
    raise PbxError.worded("agents_not_busy", seconds=AGENTS_BUSY_S)


async def hang_up(ami: AmiClient, uniqueids: list[str]) -> None:
    channels = {
        str(m.get("Uniqueid")): str(m.get("Channel"))
        for m in await ami.action({"Action": "CoreShowChannels"}, as_list=True)
    }
    for uid in uniqueids:
        if uid in channels:
            with contextlib.suppress(Exception):
                await ami.action({"Action": "Hangup", "Channel": channels[uid]})


@dataclass(frozen=True, slots=True)
class CallSpec:
    """One spoken call to place: its script and the caller's number."""

    script: str
    source: str
    caller_id: str


@dataclass
class PlacedCall:
    spec: CallSpec
    records: list[dict[str, Any]]
    wav: bytes


async def place_calls(
    settings: Settings,
    specs: list[CallSpec],
    *,
    dial: str | None = None,
    caller_host: str = "127.0.0.1",
    bot: Bot | None = None,
    concurrency: int = 1,
    quiet_s: float = 0.9,
    status: Callable[[Wording], None] | None = None,
    stagger_s: float = 0.0,
    think_s: float = 0.0,
) -> list[PlacedCall]:
    """Place the spoken calls, ``concurrency`` at a time, under one controller.

    ``stagger_s``: the first ``concurrency`` calls start evenly spread over this
    many seconds instead of together (overflow calls arrive one by one); later
    calls start as earlier ones end. ``think_s``: each caller pauses a further
    0 to ``think_s`` seconds (uniform, seeded by the call's place in the list)
    before each line, as people take varying time to answer.
    """
    scripts = [parse_call_script(spec.script, spec.source) for spec in specs]
    if settings.pbx.mode == "sandbox" and dial is None:
        sandbox = Sandbox(settings, ami_secret=settings.require_ami_secret())
        await asyncio.to_thread(sandbox.build)
        await asyncio.to_thread(sandbox.start)
        await sandbox.wait_ready(timeout_s=60)
    tts = await asyncio.to_thread(caller_voice, settings)
    voice = await render_lines(scripts, tts.synthesize)
    store = open_store(settings.storage)
    # The admin AMI user: a test call hangs up channels, plays DTMF and reads the queue.
    ami = await AmiClient.connect(admin_endpoint(settings))
    held: list[str] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int, spec: CallSpec, lines: list[CallLine]) -> PlacedCall:
        async with gate:
            # Inside the gate: the first calls hold their lines while they wait.
            await asyncio.sleep(start_delay_s(index, concurrency, stagger_s))
            caller = CallerSide(host=caller_host)
            try:
                call_id, timings = await _one_call(
                    ami,
                    store,
                    caller,
                    spec,
                    lines,
                    voice,
                    dial=dial,
                    quiet_s=quiet_s,
                    think_s=think_pauses(index, think_s),
                )
            finally:
                await caller.close()
            records = await asyncio.to_thread(call_records, store, call_id, timings)
            return PlacedCall(spec, records, caller.wav())

    try:
        async with controller_for(settings, store, bot) as which:
            if status:
                status(worded("cli.call.controller", which=which))
            if dial is None and settings.pbx.mode == "sandbox":
                held = await busy_agents(ami, settings)
            return list(
                await asyncio.gather(
                    *(
                        one(i, s, lines)
                        for i, (s, lines) in enumerate(zip(specs, scripts, strict=True))
                    )
                )
            )
    finally:
        await hang_up(ami, held)
        await ami.close()
        tts.close()
        store.close()


def start_delay_s(index: int, concurrency: int, stagger_s: float) -> float:
    """When call ``index`` starts once it has a line: the first ``concurrency`` evenly
    over ``stagger_s``; every later one at once (it follows a call that ended)."""
    return index * stagger_s / concurrency if index < concurrency else 0.0


def think_pauses(index: int, think_s: float) -> Callable[[], float] | None:
    """Call ``index``'s pauses before its lines: 0 to ``think_s`` seconds, uniform, the
    same for the same call in every run (None for 0: callers answer at once)."""
    if think_s <= 0:
        return None
    rng = random.Random(index)
    return lambda: rng.uniform(0.0, think_s)


def caller_voice(settings: Settings) -> PiperTts | EspeakTts:
    """The test caller's voice: Piper in English (as always); in another language the
    caller speaks it with espeak-ng (robotic, but the one voice every install has)."""
    language = settings.shop.language
    if language != DEFAULT_LANGUAGE:
        return EspeakTts(load_pack(language).voices["espeak"], output_format=SLIN8)
    voice = require_model(settings.speech.piper_voice, settings.paths.models_dir)
    files = VoiceFiles.from_model(
        voice.path / f"{settings.speech.piper_voice}.onnx", settings.speech.piper_voice
    )
    return PiperTts.load(files, output_format=SLIN8, length_scale=CALLER_VOICE_LENGTH_SCALE)


async def _one_call(
    ami: AmiClient,
    store: Store,
    caller: CallerSide,
    spec: CallSpec,
    lines: list[CallLine],
    voice: Callable[[str], Awaitable[bytes]],
    *,
    dial: str | None,
    quiet_s: float,
    think_s: Callable[[], float] | None = None,
) -> tuple[str, list[LineTiming]]:
    await caller.start("127.0.0.1" if caller.host == "127.0.0.1" else "0.0.0.0")
    tag = f"call{uuid.uuid4().hex[:10]}"
    action = caller.originate_action(spec.caller_id, tag)
    if dial is not None:
        action["Channel"] = dial
    await ami.action(action)
    try:
        await asyncio.wait_for(caller.connected.wait(), 15)
    except TimeoutError as exc:
        raise PbxError.worded("caller_not_reached", host=caller.host, port=caller.port) from exc
    timings = await speak_script(
        ami, caller, lines, voice, caller_uid=f"{tag}-caller", quiet_s=quiet_s, think_s=think_s
    )
    # Until the bot has decided how the call ends (it hangs up after its
    # goodbye, or hands the caller to the queue), then end the call.
    call_id = f"{tag}-in"
    await _wait_for_call(store, call_id, "outcome", END_WAIT_S)
    await hang_up(ami, [f"{tag}-caller"])
    # The record is complete (its length known) once the controller closed it.
    await _wait_for_call(store, call_id, "ended_at", CLOSE_WAIT_S)
    return call_id, timings


async def _wait_for_call(store: Store, call_id: str, column: str, timeout_s: float) -> bool:
    """Whether the controller wrote the call's ``column`` (outcome, ended_at) in time."""
    assert column in {"outcome", "ended_at"}  # a column name, never input
    for _ in range(int(timeout_s / 0.2)):
        rows = await asyncio.to_thread(
            store.query, f"SELECT {column} FROM calls WHERE call_id = :c", {"c": call_id}
        )
        if rows and rows[0][column] is not None:
            return True
        await asyncio.sleep(0.2)
    return False


def call(
    ctx: typer.Context,
    script: Annotated[
        Path,
        typer.Option(
            "--script",
            help="What the caller says, one line each: words (spoken by a Piper voice after the "
            "bot's reply), '<barge> words' (over the bot's reply), <dtmf 1234#>, <silence>.",
            exists=True,
            dir_okay=False,
        ),
    ],
    caller_id: Annotated[str, typer.Option("--caller-id", help="The caller's number.")] = (
        "4520123456"
    ),
    transport: Annotated[
        Transport | None,
        typer.Option("--transport", help="The bot's media transport (default: as configured)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The turns and result as JSON.")] = False,
    wav: Annotated[
        Path | None,
        typer.Option(
            "--wav",
            help="Save the call as a stereo WAV file on its own timeline: left the caller, "
            "right the bot, silence where nobody speaks.",
        ),
    ] = None,
    dial: Annotated[
        str | None,
        typer.Option(
            "--dial",
            help="A real PBX: the channel to call instead of the sandbox's overflow route "
            "(e.g. PJSIP/600, Local/600@from-internal).",
        ),
    ] = None,
    caller_host: Annotated[
        str, typer.Option("--caller-host", help="The address the PBX reaches this caller on.")
    ] = "127.0.0.1",
    menu: Annotated[
        bool,
        typer.Option(
            "--menu",
            help="Meet the DTMF menu instead of the bot, as a caller does when the bot is at "
            "its call limit or not ready: each script line answers one question with "
            "<dtmf N> or <silence>; shows the prompts played, the keys, and the callback "
            "request or the place kept in the queue (sandbox only).",
        ),
    ] = False,
    live: LiveOption = False,
    language: LanguageOption = None,
) -> None:
    """Place a spoken test call through Asterisk into the overflow route, and show each turn
    (said, heard, understood, answered, latency) and the outcome; with --menu, the DTMF
    menu's path."""
    settings = with_language(app_context(ctx).settings, language)
    if transport is not None:
        settings = settings.model_copy(
            update={
                "controller": settings.controller.model_copy(update={"transport": transport.value})
            }
        )
    try:
        text = script.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.worded("script_unreadable", script=script, problem=exc) from exc
    words = admin_words(app_context(ctx).settings)  # the admin's (--language: the call's)
    if menu:
        _menu_call(
            ctx, settings, text, str(script), caller_id, dial, live=live, as_json=as_json, wav=wav
        )
        return
    c = settings.controller
    if not live and listening(c.advertise_host, c.fastagi_port):
        raise InputError.worded("call_serve_running", port=c.fastagi_port)
    with scratch_settings(settings, live=live, say=console.print, words=words) as settings:
        [placed] = asyncio.run(
            place_calls(
                settings,
                [CallSpec(text, str(script), caller_id)],
                dial=dial,
                caller_host=caller_host,
                status=None if as_json else lambda said: console.print(said.said(words)),
            )
        )
    records = placed.records
    if wav is not None:
        wav.write_bytes(placed.wav)
    if as_json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return
    show_turns(records, words, title=words("cli.call.title", caller=caller_id))


def _menu_call(
    ctx: typer.Context,
    settings: Settings,
    text: str,
    source: str,
    caller_id: str,
    dial: str | None,
    *,
    live: bool,
    as_json: bool,
    wav: Path | None,
) -> None:
    # Imported when used: the menu call's module builds on this one's.
    from cli.menu_call import menu_json, menu_report, run_menu_call

    # The admin's words are the configuration's language (--language: the call's).
    words = admin_words(app_context(ctx).settings)
    placed = run_menu_call(
        settings, text, source, caller_id, dial=dial, live=live, text=words, say=console.print
    )
    if wav is not None:
        wav.write_bytes(placed.wav)
        console.print(words("cli.menu_call.wav", file=wav))
    if as_json:
        print(json.dumps(menu_json(placed), indent=2, ensure_ascii=False))
        return
    for line in menu_report(placed, words, caller_id, live=live):
        print(line)


def show_turns(records: list[dict[str, Any]], words: ConsoleText, *, title: str) -> None:
    """The call's turns as a table, then its outcome, in ``words``' language (what was
    said and heard stays as it was, in the call's)."""
    table = Table(title=title)
    for column in ("said", "heard", "intent", "answered", "ms"):
        table.add_column(words(f"cli.call.column.{column}"), overflow="fold")
    for r in records[:-1]:
        intent = f"{r['intent']} {r['confidence']:.2f}" if r["intent"] else "-"
        latency = str(r["latency_ms"]) if r["latency_ms"] is not None else "-"
        table.add_row(r["caller"], r["heard"] or "-", intent, r["bot"] or "-", latency)
    Console().print(table)
    result = records[-1]
    outcome = result["outcome"]
    said = words(
        "cli.call.outcome",
        outcome=words(f"outcome.{outcome}") if f"outcome.{outcome}" in words.strings else outcome,
        case=result["case_id"] or "-",
        callback=result["callback_id"] or "-",
        sms=len(result["sms"]),
    )
    Console().print(said, markup=False)
