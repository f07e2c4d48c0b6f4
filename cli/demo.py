"""The main job, end to end on this machine: what `spillway demo` runs.

Brings up the sandbox PBX, starts Spillway's FastAGI listener, places one call
through Asterisk into it, loads the demo shop and has the bot's dialogue (with
the Rasa service) answer a known customer's question; then places the spoken
overflow call (the agents busy, a Piper caller voice asking about an order
through the real media path), runs the doctor, and ends with a simulated
pilot month in a console database of its own (:mod:`cli.demo_console`),
printing the command, URL and login that open it.

It narrates in the admin's language (:func:`cli.admin_words.admin_words`, the
``cli.demo`` words), as the doctor's table in it; the caller and the bot speak
the shop's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agi.fastagi import FastAgiServer
from bot.backends.demo_data import DEMO_CALLER, seed_demo
from bot.nlu.data import project_dir
from bot.nlu.rasa_service import model_path_for
from cli import demo_screenshot as screenshot
from cli.admin_words import admin_words
from cli.demo_console import DemoConsole, prepare_demo_console
from cli.doctor import check_nlu, run_checks, served_nlu_model
from cli.report import print_checks
from cli.selftest import SelftestRoute, place_selftest_call
from dialplan.sandbox import Sandbox
from spillway import paths
from spillway.ami import AmiClient
from spillway.call import CallOutcome
from spillway.console_text import ConsoleText
from spillway.errors import NluError
from spillway.language_pack import DEFAULT_LANGUAGE, load_pack
from spillway.settings import Settings
from spillway.storage import open_store

# How a spoken call may end with the caller kept: answered, with a colleague, or called back.
SPOKEN_KEPT = frozenset({CallOutcome.RESOLVED, CallOutcome.HANDOFF, CallOutcome.CALLBACK})


def demo_conversation_script(language: str) -> str:
    """What the demo's caller says in ``language`` (the pack's ``demo_conversation``): a
    known customer asks about their parcel, and would rather hear the tracking number
    (read in groups) than get it by SMS."""
    return "".join(f"{line}\n" for line in load_pack(language).demo_conversation)


async def ensure_nlu_service(settings: Settings, console: Console, timeout_s: float = 300) -> bool:
    """Start `spillway nlu serve` for the shop's language in the background unless Rasa
    already answers; False when it answers with another language's model (the demo's
    conversation is then understood by the language's fallback classifier, and says so).

    Like the sandbox PBX, it keeps running after the demo (`spillway nlu stop` stops
    it, found by ``<cache_dir>/nlu-serve.pid``). The first start trains
    the model, about a minute; Rasa itself takes up to a minute to load.
    """
    language = settings.shop.language
    words = admin_words(settings)
    if not settings.nlu.uses_rasa:
        return False  # nlu.rasa_url is empty: the fallback classifier alone, as configured
    try:
        model: str | None = await served_nlu_model(settings)
    except (httpx.HTTPError, ValueError):
        model = None  # not answering: started below
    if model is not None:
        wanted = model_path_for(project_dir(language), settings.paths.cache_dir).name
        if wanted in model:
            return True
        if language == DEFAULT_LANGUAGE:
            return True  # an English service the admin trained from a project of their own
        said = words(
            "cli.demo.other_model",
            url=settings.nlu.rasa_url,
            model=model,
            language=words.language_name(language),
        )
        fix = words("cli.demo.other_model_fix", code=language)
        console.print(f"[yellow]{escape(said)}[/] ({escape(fix)})")
        return False
    log_path = settings.paths.cache_dir / "nlu-serve.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cli",
            "nlu",
            "serve",
            "--language",
            language,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "SPILLWAY_NLU__RASA_URL": settings.nlu.rasa_url},
            start_new_session=True,
        )
    (settings.paths.cache_dir / "nlu-serve.pid").write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout_s
    with console.status(escape(words("cli.demo.nlu_starting", log=log_path))):
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise NluError.worded("serve_exited", exit=process.returncode, log=log_path)
            answered = await check_nlu(settings)
            if answered.ok and not answered.warning:  # a warning: only the fallback answers
                console.print(
                    f"[green]{escape(words('cli.demo.nlu_up', url=settings.nlu.rasa_url))}[/]"
                )
                return True
            await asyncio.sleep(1.0)
    raise NluError.worded("no_answer", seconds=f"{timeout_s:g}", log=log_path)


async def run_demo(
    settings: Settings, sandbox: Sandbox, console: Console, *, config_path: Path | None = None
) -> bool:
    """Run the demo in ``shop.language``; return whether everything passed."""
    words = admin_words(settings)
    rasa = await ensure_nlu_service(settings, console)
    server = FastAgiServer(max_connections=settings.controller.max_connections)
    route = SelftestRoute()
    route.install(server)
    await server.start(settings.controller.bind_host, settings.controller.fastagi_port)
    address = f"{settings.controller.bind_host}:{settings.controller.fastagi_port}"
    console.print(words("cli.demo.fastagi", address=address), markup=False)
    try:
        ami = await AmiClient.connect(sandbox.ami_endpoint())
        try:
            result = await place_selftest_call(ami, route)
        finally:
            await ami.close()
        placed = words(
            "cli.demo.call_placed",
            channel=result.channel,
            params=result.params,
            marker=result.marker,
            reply=repr(result.reply),
            reported=repr(result.user_event.get("Reply")),
            ms=words.number(result.elapsed_ms),
        )
        console.print(f"[green]{escape(placed)}[/]")
        conversation_ok = await demo_conversation(settings, console, rasa=rasa)
    finally:
        with contextlib.suppress(Exception):
            await server.close()
    spoken_ok = await demo_spoken_call(settings, console)
    # The demo runs the controller and no scheduler only for its own calls.
    checks = await run_checks(settings, services=False)
    checks_ok = print_checks(console, checks, words)
    # Last: a simulated month to look at in the console (its own database and secrets).
    demo = await asyncio.to_thread(prepare_demo_console, settings, console, config_path=config_path)
    await asyncio.to_thread(demo_screenshot, demo, console, config_path, words)
    console.print(left_behind(settings), markup=False)
    return checks_ok and conversation_ok and spoken_ok


def left_behind(settings: Settings) -> str:
    """The demo's last words: the services it leaves running and how to stop them, and
    the secrets file and database it wrote to (the admin's defaults unless redirected),
    so a try of one's own can keep apart from them. In the admin's language, as the
    doctor's table above it."""
    return admin_words(settings)(
        "cli.demo_end.left", secrets=paths.secrets_file(), database=settings.storage.sqlite_path
    )


def demo_screenshot(
    demo: DemoConsole, console: Console, config_path: Path | None, words: ConsoleText
) -> None:
    """The Overview of the demo's month in headless Chromium, saved to a path it prints."""
    why_not = screenshot.missing()
    if why_not is not None:
        console.print(
            f"[yellow]{escape(words('cli.demo.no_screenshot', why=why_not.said(words)))}[/]"
        )
        return
    with console.status(escape(words("cli.demo.screenshot_taking"))):
        shot = screenshot.screenshot_overview(
            demo,
            demo.folder / "overview.png",
            data_dir=demo.folder / "data",
            config_path=config_path,
        )
    console.print(words("cli.demo.screenshot", path=shot), markup=False)


async def demo_spoken_call(settings: Settings, console: Console) -> bool:
    """The overflow call, spoken: the agents are busy, so the caller reaches the bot.

    A caller voice (Piper in English, espeak-ng in another language) asks
    about their parcel through the sandbox Asterisk and the real media path;
    the bot (the language's recogniser) answers. Shows the turn table with
    timings; saves the call as a stereo WAV file (left the caller, right the
    bot, with its pauses). Where the language pack says its recogniser is
    weak here (Danish: Whisper base hearing espeak-ng), a call that is not
    resolved passes when the caller was answered in the language and never
    dropped, and the demo says so.
    """
    from cli.commands.call import CallSpec, place_calls, show_turns

    words = admin_words(settings)

    agents = settings.queue.agents
    language = settings.shop.language
    busy = words.count("cli.demo.agents_busy", agents)
    console.print(words("cli.demo.spoken_placing", busy=busy, call=agents + 1), markup=False)
    [placed] = await place_calls(
        settings,
        [CallSpec(demo_conversation_script(language), "demo", DEMO_CALLER.lstrip("+"))],
        status=lambda said: console.print(said.said(words)),
    )
    wav = settings.paths.cache_dir / "demo-call.wav"
    wav.write_bytes(placed.wav)
    show_turns(placed.records, words, title=words("cli.call.title", caller=DEMO_CALLER))
    *turns, result = placed.records
    answered = any(t["intent"] == "order_status" for t in turns) and any(
        "10042" in (t["bot"] or "").replace(" ", "") for t in turns
    )
    ok = answered and result["outcome"] == CallOutcome.RESOLVED
    pack = load_pack(language)
    if not ok and pack.recogniser_weak:
        kept = result["outcome"] in SPOKEN_KEPT
        weak = words(
            "cli.demo.weak",
            language=words.language_name(language),
            note=words(f"cli.doctor.recogniser_weak_note.{language}"),
            kept=words("cli.demo.kept" if kept else "cli.demo.dropped"),
            outcome=outcome_words(result["outcome"], words),
        )
        console.print(f"[yellow]{escape(weak)}[/]")
        ok = kept and any(t["heard"] for t in turns)
    colour = "green" if ok else "red"
    said = words(
        "cli.demo.spoken_outcome",
        outcome=outcome_words(result["outcome"], words),
        answered=words("cli.demo.answered" if answered else "cli.demo.not_answered"),
        wav=wav,
    )
    console.print(f"[{colour}]{escape(said)}[/]")
    return ok


def outcome_words(outcome: object, words: ConsoleText) -> str:
    """A call's stored outcome in the admin's words (``outcome.resolved``: "løst"); one the
    pack does not name as stored."""
    return words.strings.get(f"outcome.{outcome}", str(outcome))


async def demo_conversation(settings: Settings, console: Console, *, rasa: bool = True) -> bool:
    """Seed the demo shop and replay a short conversation in ``shop.language``; True when
    it resolved. ``rasa``: False when the Rasa service serves another language."""
    from cli.commands.chat import NluChoice, parse_script, run_script

    store = open_store(settings.storage)
    try:
        await asyncio.to_thread(seed_demo, store)
    finally:
        store.close()
    records = await run_script(
        settings,
        parse_script(demo_conversation_script(settings.shop.language), "demo"),
        caller_id=DEMO_CALLER,
        nlu_choice=NluChoice.auto if rasa else NluChoice.fallback,
        source="demo",
    )
    *turns, result = records
    words = admin_words(settings)
    table = Table(title=escape(words("cli.demo.dialogue_title", caller=DEMO_CALLER)))
    for column in ("caller_says", "understood_as", "bot_says"):
        table.add_column(escape(words(f"cli.demo.{column}")), overflow="fold")
    for turn in turns:
        understood = f"{turn['intent']} {turn['confidence']:.2f} ({turn['engine']})"
        table.add_row(turn["caller"], understood, turn["bot"])
    console.print(table)
    resolved = result.get("outcome") == CallOutcome.RESOLVED
    colour = "green" if resolved else "red"
    said = words(
        "cli.demo.conversation_outcome", outcome=outcome_words(result.get("outcome"), words)
    )
    console.print(f"[{colour}]{escape(said)}[/]")
    return resolved
