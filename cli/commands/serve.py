"""`spillway serve`: the call controller (FastAGI), the media server and the SMS sender.

The speech models are loaded once at start-up and shared by every call. When
one is missing or corrupt, serve still runs without a bot: callers stay with the
human queue, and one who waits past max_wait gets the dialplan's DTMF menu with
keys 2 (keep waiting) and 3 (call me back) only, never "press 1 for our
automated assistant" (no bot could hold that conversation). One log line names
the model and how to install it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import typer

from agi.controller import running_controller
from bot.assembly import DialogueFactory, build_nlu, load_speech_models
from bot.backends.sms_sender import running_sms_sender
from bot.voice_bot import SpeechBot, VoiceBotConfig
from bot.warm_up import warm_up as warm_speech
from cli.admin_words import admin_words
from cli.context import app_context
from spillway.call import Bot
from spillway.errors import ModelError
from spillway.logs import setup_logging
from spillway.settings import Settings
from spillway.storage import AsyncStore, open_store
from spillway.tasks import cancel_and_wait
from spillway.wording import Wording, say, worded
from spillway.workers import own_worker

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def call_bot(
    settings: Settings, store: AsyncStore
) -> AsyncIterator[tuple[Bot | None, Wording]]:
    """The speech bot when its models load, else no bot (the queue and the dialplan's DTMF
    menu without key 1); and a one-line description, said in the admin's language where it
    is shown (``cli.serve.bot_*``; the models' names and a model's error as they are).

    Not the tone-only ``MenuBot``: offered as "our automated assistant", it gave a
    caller one beep and silence, and took overflow calls from the queue to do so."""
    try:
        models = await asyncio.to_thread(load_speech_models, settings)
    except ModelError as exc:
        line = str(exc)  # names the model and, as its hint, the command that installs it
        problem: str | Wording = line
        if "spillway models fetch" not in line:
            problem = worded("cli.serve.install_models", problem=line)
        log.error(
            "speech bot disabled: callers get the queue and the DTMF menu (keys 2 and 3): %s",
            problem,  # the log in English, as the other log lines
        )
        yield None, worded("cli.serve.bot_none", problem=problem)
        return
    nlu = build_nlu(settings)
    dialogues = DialogueFactory.from_settings(settings, nlu, store)
    warm_up: asyncio.Task[None] | None = None
    try:
        bot = SpeechBot(models, dialogues, VoiceBotConfig.from_settings(settings))
        # The first caller should not wait for Piper to render the greeting or
        # the offer, nor decode with a cold recogniser; calls that come sooner
        # render on demand (the cache locks) and take a fresh recogniser.
        warm_up = asyncio.create_task(
            warm_speech(bot, models, recognizers=settings.speech.vosk_prewarm)
        )
        yield bot, worded("cli.serve.bot_speech", models=models.describe())
    finally:
        if warm_up is not None:
            await cancel_and_wait(warm_up)
        await dialogues.backends.aclose()
        await nlu.aclose()
        models.close()


async def serve_forever(settings: Settings) -> None:
    """Run until cancelled (Ctrl-C)."""
    words = admin_words(settings)
    db = open_store(settings.storage)
    astore = AsyncStore(db)
    try:
        async with (
            call_bot(settings, astore) as (bot, description),
            running_controller(settings, bot, store=db) as (_controller, fastagi, media),
            running_sms_sender(settings, astore),
        ):
            c = settings.controller
            log.info(
                "serving: FastAGI %s:%s, AudioSocket %s, WebSocket %s (transport %s), bot: %s",
                c.bind_host,
                fastagi.port,
                media.audiosocket_port,
                media.websocket_port,
                c.transport,
                description,
            )
            typer.echo(
                words(
                    "cli.serve.listening",
                    host=c.bind_host,
                    port=fastagi.port,
                    audiosocket=media.audiosocket_port,
                    websocket=media.websocket_port,
                    bot=say(description, words),
                )
            )
            await asyncio.Event().wait()
    finally:
        astore.close()
        db.close()


def serve(ctx: typer.Context) -> None:
    """Run the call controller: FastAGI routing and the bot's media server."""
    state = app_context(ctx)
    settings = state.settings
    # Before the models load: workers listed and no name of this one is refused.
    worker = own_worker(settings)
    state.announce_config()
    words = admin_words(settings)
    if worker.name:
        typer.echo(words("cli.serve.worker", name=worker.name, url=worker.agi_url))
    # One line per routing decision and per outcome (INFO), numbers masked.
    setup_logging(settings.logging, verbose=state.verbose)
    try:
        asyncio.run(serve_forever(settings))
    except KeyboardInterrupt:
        typer.echo(words("cli.serve.stopped"))
