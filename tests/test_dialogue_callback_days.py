"""A day named in a callback-time answer is kept and read back (walk-through, item 3).

"På mandag", "i weekenden", "ikke i dag", "on Monday", "not today" were dropped
silently: the bot promised "as soon as a colleague is free", or today. Now a
weekday is the next one, the weekend its days the calling rules allow, and "not
today" any time from tomorrow (from the first day with calling hours); a day the
rules close gets the closed-window refusal (bot/dialogue/window_fit.py). English
and Danish, with a fixed clock and the default rules (weekdays 8-20, Saturdays
10-16, no Sundays).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import TextTurn
from bot.dialogue.machine import Dialogue, DialogueConfig, State
from bot.dialogue.prompts import say, use_language
from bot.dialogue.time_phrases import callback_window
from bot.dialogue.window_fit import Fit, fit_window
from scheduler.rules import CallingRules
from spillway.storage import SqliteStore
from tests.dialogue_fixtures import fallback_nlu

pytestmark = pytest.mark.usefixtures("english_after")

CPH = "Europe/Copenhagen"
RULES = CallingRules()


def _local(day: int, hour: int = 0) -> float:
    return datetime(2026, 12, day, hour, tzinfo=ZoneInfo(CPH)).timestamp()


MONDAY = _local(7, 9)  # Monday 7 December 2026, 09:00
SATURDAY = _local(5, 11)  # Saturday 5 December 2026, 11:00


@pytest.fixture
def demo_now() -> float:
    return MONDAY


def _kept(said: str, now: float, language: str) -> tuple[Fit, float | None, float | None, str]:
    window = callback_window(said, now, CPH, language)
    assert window is not None, said
    fitted = fit_window(window, RULES, now, CPH, language)
    kept = fitted.window
    return (
        fitted.fit,
        kept.not_before if kept else None,
        kept.not_after if kept else None,
        kept.words if kept else "",
    )


@pytest.mark.parametrize(
    ("language", "said", "start", "end", "words"),
    [
        ("en", "on Wednesday", _local(9, 8), _local(9, 20), "on Wednesday"),
        ("da", "på onsdag", _local(9, 8), _local(9, 20), "på onsdag"),
        (
            "en",
            "Tuesday afternoon",
            _local(8, 12),
            _local(8, 17),
            "on Tuesday afternoon, between twelve and five",
        ),
        (
            "da",
            "på fredag eftermiddag",
            _local(11, 12),
            _local(11, 17),
            "på fredag eftermiddag, mellem klokken tolv og fem",
        ),
        ("en", "at the weekend", _local(12, 10), _local(12, 16), "on Saturday"),
        ("da", "i weekenden", _local(12, 10), _local(12, 16), "på lørdag"),
        ("en", "not today", _local(8), None, "from tomorrow"),
        ("da", "ikke i dag", _local(8), None, "fra i morgen"),
    ],
)
def test_a_named_day_is_a_window_on_that_day(
    language: str, said: str, start: float, end: float | None, words: str
) -> None:
    _fit, begin, finish, spoken = _kept(said, MONDAY, language)
    assert (begin, finish, spoken) == (start, end, words)


@pytest.mark.parametrize(("language", "said"), [("en", "on Sunday"), ("da", "på søndag")])
def test_a_closed_day_is_refused(language: str, said: str) -> None:
    assert _kept(said, MONDAY, language)[0] is Fit.CLOSED_DAY


@pytest.mark.parametrize(
    ("language", "words"), [("en", "on Monday after eight"), ("da", "på mandag efter klokken otte")]
)
def test_not_today_on_a_saturday_starts_on_monday(language: str, words: str) -> None:
    said = {"en": "not today", "da": "ikke i dag"}[language]
    # Sunday has no calling hours: the first call can come on Monday morning.
    assert _kept(said, SATURDAY, language)[1:] == (_local(7, 8), None, words)


# -- the dialogue --------------------------------------------------------------------


async def _started(backends: Backends, language: str = "en") -> Dialogue:
    """A call on Monday morning from a caller with a number, greeted."""
    d = Dialogue(
        fallback_nlu(language),
        backends,
        DialogueConfig(language=language, calling_rules=RULES),
        caller_id="20 12 34 56",
        call_id="days1",
        clock=lambda: MONDAY,
    )
    await d.start()
    return d


async def _asked_when(backends: Backends, language: str) -> Dialogue:
    d = await _started(backends, language)
    await d.handle(TextTurn({"en": "can someone call me back", "da": "ring mig op"}[language]))
    await d.handle(TextTurn({"en": "yes", "da": "ja"}[language]))
    assert d.state is State.CONFIRM_CALLBACK
    return d


def _window(store: SqliteStore) -> tuple[float | None, float | None]:
    [row] = store.query("SELECT not_before, not_after FROM callback_requests")
    return row["not_before"], row["not_after"]


@pytest.mark.parametrize(
    ("language", "said", "heard", "window"),
    [
        ("en", "on Tuesday please", "on Tuesday", (_local(8, 8), _local(8, 20))),
        ("da", "på tirsdag", "på tirsdag", (_local(8, 8), _local(8, 20))),
        ("en", "not today", "from tomorrow", (_local(8), None)),
        # The classifier reads "ikke i dag" as a no: the day still answers "when?".
        ("da", "ikke i dag", "fra i morgen", (_local(8), None)),
    ],
)
async def test_a_day_is_read_back_and_recorded(
    demo: Backends,
    store: SqliteStore,
    language: str,
    said: str,
    heard: str,
    window: tuple[float, float | None],
) -> None:
    d = await _asked_when(demo, language)
    reply = await d.handle(TextTurn(said))
    assert reply.action == "callback_recorded" and heard in reply.text, reply.text
    assert _window(store) == window


@pytest.mark.parametrize(
    ("language", "said", "why"),
    [("en", "on Sunday", "we don't make calls on Sundays"), ("da", "på søndag", "om søndagen")],
)
async def test_a_closed_day_gets_the_closed_window_refusal(
    demo: Backends, store: SqliteStore, language: str, said: str, why: str
) -> None:
    d = await _asked_when(demo, language)
    reply = await d.handle(TextTurn(said))
    assert reply.action == "callback_window_closed" and why in reply.text, reply.text
    assert _window(store) == (None, None)


async def test_a_day_named_with_the_request_is_read_back_in_the_proposal(
    demo: Backends, store: SqliteStore
) -> None:
    d = await _started(demo)
    reply = await d.handle(TextTurn("call me back on Tuesday afternoon"))
    assert "on Tuesday afternoon, between twelve and five" in reply.text, reply.text
    reply = await d.handle(TextTurn("yes"))
    assert reply.action == "callback_recorded" and _window(store) == (_local(8, 12), _local(8, 17))


@pytest.mark.parametrize(
    ("language", "said"), [("en", "next week"), ("da", "en anden dag"), ("da", "i næste uge")]
)
async def test_a_time_that_cannot_be_placed_is_said_so(
    demo: Backends, store: SqliteStore, language: str, said: str
) -> None:
    # Never dropped silently: the caller hears it was not booked, and is asked again.
    d = await _asked_when(demo, language)
    reply = await d.handle(TextTurn(said))
    use_language(language)
    assert reply.text.startswith(say("callback_time_unplaced")), reply.text
    assert not d.ended and _window(store) == (None, None)


async def test_a_time_that_cannot_be_placed_with_the_request_is_said_so(demo: Backends) -> None:
    d = await _started(demo)
    reply = await d.handle(TextTurn("call me back next week"))
    assert reply.action == "confirm_callback", reply.text
    assert reply.text.startswith("Sorry, I can't book a callback for that time yet."), reply.text
