"""`spillway call --menu`: a test call that meets the DTMF menu, keys pressed from a script.

A caller meets the menu when the bot cannot take the call (at its call limit, or
not ready) and they have waited past ``queue.max_wait_s``. So this call runs a
controller of its own whose bot takes no calls (as the routing tests'
``bot_ready=False``), tells the dialplan a short wait, and makes the sandbox's
simulated agents busy: the caller joins the queue, and after :data:`MENU_WAIT_S`
the menu makes the offer. Each script line answers the next question the menu
asks (each ``Read``), pressed once the caller has heard the question to its
end, as a person would; what happened is read from Asterisk's events
(:mod:`cli.menu_path`) and the request, if any, from the database in use (the
throw-away copy unless ``--live``). The prompts are rendered first, as
`spillway pbx sandbox up` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from agi.call_log import CallLog
from agi.controller import CallController
from agi.fastagi import FastAgiServer
from cli.commands.call import busy_agents, hang_up, listening
from cli.menu_path import (
    MenuEnd,
    MenuStep,
    StepKind,
    callback_id,
    menu_answers,
    menu_end,
    menu_lines,
    outcome_line,
    step_of,
)
from cli.pbx_sounds import describe, render_sounds, sound_texts, weak_voice
from cli.scratch import scratch_settings
from cli.spoken_call import CallerSide, channel_of, parse_call_script, press
from dialplan.ami_users import admin_endpoint
from dialplan.sandbox import Sandbox
from models.voice import installed_voice
from spillway.ami import AmiClient
from spillway.console_text import ConsoleText
from spillway.errors import InputError, PbxError
from spillway.settings import Settings
from spillway.storage import AsyncStore, Store, open_store
from spillway.workers import as_worker

# The caller's wait in the queue before the offer: the menu comes to a caller who
# waited past max_wait_s; an admin testing it need not wait the configured time.
MENU_WAIT_S = 2
MENU_TIMEOUT_S = 120.0  # the whole menu: the offer twice, the callback step and promise
QUESTION_S = 30.0  # for a question to be heard to its end
QUIET_S = 0.9  # the question has ended: this long without sound
ANSWER_GRACE_S = 1.0  # for a key pressed as the call ended to be counted


@dataclass
class MenuCall:
    """What the call met: its steps, how it ended, the request it made, its sound."""

    call_id: str
    steps: list[MenuStep]
    end: MenuEnd | None
    request: dict[str, Any] | None  # the callback request's row (id, status, timing)
    wav: bytes
    words: dict[str, str]  # what each prompt file says, in the shop's language


def menu_settings(settings: Settings) -> Settings:
    """``settings`` for the menu call's own controller: the caller waits MENU_WAIT_S
    (the dialplan takes the wait from the controller, so the sandbox's files stay)."""
    queue = settings.queue.model_copy(update={"max_wait_s": MENU_WAIT_S})
    return as_worker(settings.model_copy(update={"queue": queue}))


@contextlib.asynccontextmanager
async def menu_controller(settings: Settings, store: Store) -> AsyncIterator[CallController]:
    """FastAGI routing with no bot: every offer is the dialplan's DTMF menu."""
    astore = AsyncStore(store)
    call_log = CallLog(astore)
    controller = CallController(settings, astore, call_log, None, bot_ready=lambda: False)
    server = FastAgiServer()
    controller.install(server)
    await server.start(settings.controller.bind_host, settings.controller.fastagi_port)
    try:
        yield controller
    finally:
        await server.close()
        await call_log.flush()
        astore.close()


async def prompts_ready(settings: Settings, text: ConsoleText, say: Callable[[str], None]) -> None:
    """Render the prompts the menu plays (stale ones only), and say so in ``text``'s
    language; without a voice, say that the caller hears Asterisk's own sounds, and the fix."""
    result = await render_sounds(settings)
    say(describe(result, text))
    warning = weak_voice(result, text)
    if warning is not None:
        say(warning)
    if result.missing:
        choice = installed_voice(settings.shop.language, settings.speech, settings.paths.models_dir)
        say(text("cli.menu_call.sounds_fix", voice=choice.piper or choice.voice))


async def place_menu_call(
    settings: Settings,
    answers: list[str],
    caller_id: str,
    *,
    text: ConsoleText,
    say: Callable[[str], None],
) -> MenuCall:
    """Place the call into the sandbox's menu and answer its questions with ``answers``."""
    sandbox = Sandbox(settings, ami_secret=settings.require_ami_secret())
    await asyncio.to_thread(sandbox.build)
    await asyncio.to_thread(sandbox.start)
    await sandbox.wait_ready(timeout_s=60)
    await prompts_ready(settings, text, say)
    store = open_store(settings.storage)
    ami = await AmiClient.connect(admin_endpoint(settings))
    held: list[str] = []
    caller = CallerSide()
    tag = f"menu{uuid.uuid4().hex[:10]}"
    try:
        async with menu_controller(menu_settings(settings), store):
            held = await busy_agents(ami, settings)
            with ami.subscribe("UserEvent", "Newexten", "QueueCallerJoin", "Hangup") as events:
                await caller.start()
                await ami.action(caller.originate_action(caller_id, tag))
                try:
                    await asyncio.wait_for(caller.connected.wait(), 15)
                except TimeoutError as exc:
                    raise PbxError.worded(
                        "caller_not_reached", host=caller.host, port=caller.port
                    ) from exc
                steps = await walk_menu(ami, caller, answers, events, tag)
            await hang_up(ami, [f"{tag}-caller"])
        request = await asyncio.to_thread(_request, store, callback_id(steps))
    finally:
        await caller.close()
        await hang_up(ami, held)
        await ami.close()
        store.close()
    return MenuCall(
        f"{tag}-in", steps, menu_end(steps), request, caller.wav(), sound_texts(settings)
    )


async def walk_menu(
    ami: AmiClient,
    caller: CallerSide,
    answers: list[str],
    events: asyncio.Queue[Any],
    tag: str,
) -> list[MenuStep]:
    """The call's steps until it ends (:func:`menu_end`), each question answered in turn."""
    call_id, started = f"{tag}-in", caller.connected_at or time.monotonic()
    steps: list[MenuStep] = []
    pending = list(answers)
    # Each answer waits for its question to end while the events go on being read,
    # so every step keeps the time it happened.
    answering: list[asyncio.Task[MenuStep]] = []
    deadline = time.monotonic() + MENU_TIMEOUT_S
    try:
        while menu_end(steps) is None:
            left = deadline - time.monotonic()
            try:
                event = await asyncio.wait_for(events.get(), max(left, 0.0))
            except TimeoutError:
                break
            headers = {str(k): str(v) for k, v in dict(event).items()}
            step = step_of(headers, call_id, time.monotonic() - started)
            if step is None:
                continue
            steps.append(step)
            if step.asks and pending:
                answer = _answer(ami, caller, pending.pop(0), f"{tag}-caller", started)
                answering.append(asyncio.create_task(answer))
        if answering:
            # A key just pressed may end the call before its press returns.
            await asyncio.wait(answering, timeout=ANSWER_GRACE_S)
    finally:
        for task in answering:
            task.cancel()
    given = [t.result() for t in answering if t.done() and not t.cancelled() and not t.exception()]
    return sorted(steps + given, key=lambda s: s.at_s)


async def _answer(
    ami: AmiClient, caller: CallerSide, key: str, caller_uid: str, started: float
) -> MenuStep:
    """Hear the question to its end, then press ``key`` ("": let it pass)."""
    asked = time.monotonic()
    await caller.wait_for_sound(QUESTION_S, after=asked)
    await caller.wait_for_quiet(QUIET_S, QUESTION_S)
    at_s = time.monotonic() - started
    if not key:
        return MenuStep(at_s, StepKind.NO_KEY)
    await press(ami, await channel_of(ami, caller_uid), key)
    return MenuStep(at_s, StepKind.KEY, key)


def _request(store: Store, request_id: int | None) -> dict[str, Any] | None:
    if request_id is None:
        return None
    rows = store.query(
        "SELECT id, status, timing FROM callback_requests WHERE id = :i", {"i": request_id}
    )
    return dict(rows[0]) if rows else None


def run_menu_call(
    settings: Settings,
    script_text: str,
    source: str,
    caller_id: str,
    *,
    dial: str | None,
    live: bool,
    text: ConsoleText,
    say: Callable[[str], None],
) -> MenuCall:
    """`spillway call --menu`: refuse what cannot reach the sandbox's menu, then place the
    call on the throw-away database (the live one with ``live``); ``text``: the admin's
    words (the prompts are the shop's, in the language the call runs in)."""
    if dial is not None:
        raise InputError.worded("menu_with_dial", dial=dial)
    if settings.pbx.mode != "sandbox":
        raise InputError.worded("menu_not_sandbox", mode=settings.pbx.mode)
    c = settings.controller
    if listening(c.advertise_host, c.fastagi_port):
        # Even with --live: its bot, when up, makes the offer itself.
        raise InputError.worded("menu_serve_running", port=c.fastagi_port)
    answers = menu_answers(parse_call_script(script_text, source), source)
    with scratch_settings(settings, live=live, say=say, words=text, shop_hint=False) as in_use:
        return asyncio.run(place_menu_call(in_use, answers, caller_id, text=text, say=say))


def menu_json(call: MenuCall) -> dict[str, Any]:
    """`--json`: the steps by their codes, how the call ended, and the request."""
    return {
        "call_id": call.call_id,
        "steps": [
            {"at_s": round(s.at_s, 2), "kind": s.kind.value, "detail": s.detail, "asks": s.asks}
            for s in call.steps
        ],
        "end": call.end.value if call.end else None,
        "callback": call.request,
    }


def menu_report(call: MenuCall, text: ConsoleText, caller_id: str, *, live: bool) -> list[str]:
    """What the admin reads: how the call reaches the menu, each step, the result."""
    return [
        text("cli.menu_call.title", caller=caller_id),
        text("cli.menu_call.how", seconds=MENU_WAIT_S),
        *menu_lines(call.steps, text, call.words),
        outcome_line(call.end, call.request, text, live=live, waited_s=MENU_TIMEOUT_S),
    ]
