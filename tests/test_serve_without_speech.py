"""`spillway serve` without its speech models, without sockets: no "press 1" to silence.

An admin faked a missing Whisper model and called in: the DTMF menu still said
"press 1 to talk to our automated assistant", and key 1 reached the tone-only
MenuBot: one beep, then silence, then back to the queue. Now serve runs without a
bot when the models are missing: an overflow caller stays with the queue, the
menu offers keys 2 and 3 only (``menu_offer_no_bot``), and a caller who presses 1
anyway hears that the key is not in the menu and the choices again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agi.controller import CallController
from agi.overflow import KEY_NOT_OFFERED, menu_offers_bot
from cli.commands import serve
from spillway.console_text import load_console_text
from spillway.errors import ModelError
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from spillway.wording import Wording, say
from tests.conftest import make_settings
from tests.fakes import RecordingSink
from tests.test_workers import _session

MISSING = "whisper-nonexistent"


def _no_models(settings: Settings) -> Any:
    raise ModelError(f"speech model {settings.speech.whisper_model!r} is not installed")


async def _served_bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Wording]:
    """The bot `spillway serve` picks when the recogniser's model will not load."""
    monkeypatch.setattr(serve, "load_speech_models", _no_models)
    settings = make_settings(speech={"whisper_model": MISSING})
    store = SqliteStore(tmp_path / "s.db")
    store.migrate()
    try:
        async with serve.call_bot(settings, AsyncStore(store)) as (bot, description):
            return bot, description
    finally:
        store.close()


@pytest.mark.parametrize(("language", "menu"), [("en", "DTMF menu"), ("da", "tastemenuen")])
async def test_serve_without_models_runs_no_bot_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str, menu: str
) -> None:
    """The admin reads that callers get the queue and the menu, in their own language;
    the model's own error (naming it) and the command that installs models as they are."""
    bot, description = await _served_bot(tmp_path, monkeypatch)
    assert bot is None
    said = say(description, load_console_text(language))
    assert menu in said and MISSING in said and "`spillway models list`" in said
    if language == "da":
        assert say(description, load_console_text("en")) != said
        assert "speech models unavailable" not in said


async def test_the_menu_then_offers_keys_2_and_3_and_key_1_is_not_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot, _ = await _served_bot(tmp_path, monkeypatch)
    # As running_controller builds it, its media server up (bot_ready says so).
    settings = make_settings(queue={"overflow_min_waiting": 0})
    store: Any = None  # no request is recorded here
    controller = CallController(settings, store, RecordingSink(), bot, bot_ready=lambda: True)
    assert not controller.bot_ready
    assert not menu_offers_bot(bot_ready=controller.bot_ready)
    # No agent free, callers waiting: this caller stays with the queue, no bot to go to.
    arrived = _session("c1", "inbound", "0", "3")
    await controller.inbound(arrived)
    assert arrived.set["SPILLWAY_ROUTE"] == "queue"
    assert controller.bot_started == []
    # Past max_wait: the dialplan's menu, without key 1.
    offered = _session("c1", "offer")
    await controller.offer(offered)
    assert (offered.set["SPILLWAY_ROUTE"], offered.set["SPILLWAY_MENU_BOT"]) == ("offer", "no")
    # Key 1 pressed anyway: "that key isn't in the menu", and the menu again; never the bot.
    pressed = _session("c1", "choice", "1", "0", offered.set["SPILLWAY_MENU_BOT"])
    await controller.choice(pressed)
    assert pressed.set["SPILLWAY_ROUTE"] == "menu-again"
    assert pressed.set["SPILLWAY_SAY"] == KEY_NOT_OFFERED
    assert controller.bot_started == []
