"""The set-up shared by the callback-time tests (the days and the dates a caller names).

A fixed clock (Monday 7 December 2026, 09:00, Copenhagen), the default calling
rules (weekdays 8-20, Saturdays 10-16, no Sundays, Danish public holidays), the
pure check of a window (:func:`kept`), a dialogue asked "when suits you?"
(:func:`asked_when`) and the window the request was stored with
(:func:`stored_window`).

The demo shop's back-ends (``demo``, tests/dialogue_fixtures.py) run at
``MONDAY`` with these rules when a test module imports the two fixtures that say
so::

    from tests.callback_dialogue_fixtures import demo_now, demo_rules  # noqa: F401
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import TextTurn
from bot.dialogue.machine import Dialogue, DialogueConfig, State
from bot.dialogue.time_phrases import callback_window
from bot.dialogue.window_fit import Fit, fit_window
from bot.types import Reply
from scheduler.rules import CallingRules
from spillway.storage import SqliteStore
from tests.dialogue_fixtures import fallback_nlu

CPH = "Europe/Copenhagen"
RULES = CallingRules()  # weekdays 8-20, Saturdays 10-16, no Sundays, Danish holidays
PHONE = "20 12 34 56"
Window = tuple[float | None, float | None]  # a request's not_before, not_after
YES = {"en": "yes", "da": "ja"}
NO = {"en": "no", "da": "nej"}
ASK_CALLBACK = {"en": "can someone call me back", "da": "ring mig op"}


def local(day: int, hour: int = 0, month: int = 12, year: int = 2026) -> float:
    """That local moment in Copenhagen (UNIX seconds)."""
    return datetime(year, month, day, hour, tzinfo=ZoneInfo(CPH)).timestamp()


MONDAY = local(7, 9)  # Monday 7 December 2026, 09:00
SATURDAY = local(5, 11)  # Saturday 5 December 2026, 11:00


@pytest.fixture
def demo_now() -> float:
    """The demo shop is seeded, and its back-ends read the clock, on ``MONDAY``."""
    return MONDAY


@pytest.fixture
def demo_rules() -> CallingRules:
    """The demo shop's back-ends know the calling rules (as the bot builds them:
    bot.backends.choice.build_backends): a request's promise follows its window."""
    return RULES


def kept(
    said: str, now: float, language: str, rules: CallingRules | None = RULES
) -> tuple[Fit, float | None, float | None, str]:
    """The verdict on ``said`` at ``now``, and the window kept: its ends and words."""
    window = callback_window(said, now, CPH, language)
    assert window is not None, said
    fitted = fit_window(window, rules, now, CPH, language)
    window = fitted.window
    return (
        fitted.fit,
        window.not_before if window else None,
        window.not_after if window else None,
        window.words if window else "",
    )


async def started(backends: Backends, language: str = "en", now: float = MONDAY) -> Dialogue:
    """A call from a caller with a number, greeted (the dialogue's clock at ``now``)."""
    d = Dialogue(
        fallback_nlu(language),
        backends,
        DialogueConfig(language=language, calling_rules=RULES),
        caller_id=PHONE,
        call_id="days1",
        clock=lambda: now,
    )
    await d.start()
    return d


async def asked_when(backends: Backends, language: str, now: float = MONDAY) -> Dialogue:
    """A call that asked for a callback, said yes to its number, and is asked when."""
    d = await started(backends, language, now)
    await d.handle(TextTurn(ASK_CALLBACK[language]))
    await d.handle(TextTurn(YES[language]))
    assert d.state is State.CONFIRM_CALLBACK
    return d


async def no_preference_kept(d: Dialogue, language: str) -> Reply:
    """A bare yes to "when suits you?" (read back as no preference) and a yes to that:
    the goodbye."""
    check = await d.handle(TextTurn(YES[language]))
    assert check.action == "callback_check_when" and not d.ended, check.text
    return await d.handle(TextTurn(YES[language]))


def stored_window(store: SqliteStore) -> Window:
    """The one request's window as stored (``not_before``, ``not_after``)."""
    [row] = store.query("SELECT not_before, not_after FROM callback_requests")
    return row["not_before"], row["not_after"]


async def asked(d: Dialogue, store: SqliteStore, said: str, action: str) -> Reply:
    """The reply to ``said``: a question (``action``); the call goes on, no time stored."""
    reply = await d.handle(TextTurn(said))
    assert reply.action == action and not d.ended, reply.text
    assert stored_window(store) == (None, None)
    return reply


async def recorded(d: Dialogue, store: SqliteStore, said: str, heard: str, window: Window) -> None:
    """``said`` ends the call: ``heard`` in the goodbye, and ``window`` stored."""
    reply = await d.handle(TextTurn(said))
    assert reply.action == "callback_recorded" and heard in reply.text, reply.text
    assert stored_window(store) == window
