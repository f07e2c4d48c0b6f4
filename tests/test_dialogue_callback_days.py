"""A day named in a callback-time answer is kept and read back (walk-through, item 3).

"På mandag", "i weekenden", "ikke i dag", "on Monday", "not today" were dropped
silently: the bot promised "as soon as a colleague is free", or today. Now a
weekday is the next one, the weekend its days the calling rules allow, and "not
today" any time from tomorrow (from the first day with calling hours); a day the
rules close gets the closed-window refusal (bot/dialogue/window_fit.py). English
and Danish, with a fixed clock and the default rules (weekdays 8-20, Saturdays
10-16, no Sundays).

"On Monday" said on a Monday is today while the calling hours leave half an hour
of the window, else next Monday; the bot says which ("today, Monday", "on Monday
14 December") and asks before it keeps it. A day with a part of the day reads
naturally ("at the weekend, in the afternoon", "on Saturday afternoon").
"Next week" alone, and "not today, in the morning" when tomorrow is closed:
tests/test_dialogue_callback_weeks.py. The set-up is shared with the dates' tests
(tests/callback_dialogue_fixtures.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import TextTurn
from bot.dialogue.prompts import say, use_language
from bot.dialogue.time_phrases import callback_window
from bot.dialogue.window_fit import Fit
from scheduler.rules import CallingRules
from spillway.storage import SqliteStore
from tests import callback_dialogue_fixtures as fx
from tests.callback_dialogue_fixtures import CPH, MONDAY, RULES, SATURDAY, demo_now, demo_rules  # noqa: F401
from tests.callback_dialogue_fixtures import local as _local

pytestmark = pytest.mark.usefixtures("english_after")

SUNDAYS_OPEN = replace(RULES, windows=(*RULES.windows[:6], (10.0, 16.0)))


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
            "på fredag eftermiddag, mellem klokken tolv og sytten",
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
    _fit, begin, finish, spoken = fx.kept(said, MONDAY, language)
    assert (begin, finish, spoken) == (start, end, words)


@pytest.mark.parametrize(("language", "said"), [("en", "on Sunday"), ("da", "på søndag")])
def test_a_closed_day_is_refused(language: str, said: str) -> None:
    assert fx.kept(said, MONDAY, language)[0] is Fit.CLOSED_DAY


@pytest.mark.parametrize(
    ("language", "words"), [("en", "on Monday after eight"), ("da", "på mandag efter klokken otte")]
)
def test_not_today_on_a_saturday_starts_on_monday(language: str, words: str) -> None:
    said = {"en": "not today", "da": "ikke i dag"}[language]
    # Sunday has no calling hours: the first call can come on Monday morning.
    assert fx.kept(said, SATURDAY, language)[1:] == (_local(7, 8), None, words)


# -- a weekday named on that weekday --------------------------------------------------

ON_MONDAY = {"en": "on Monday", "da": "på mandag"}
TODAY_MONDAY = {"en": "today, Monday", "da": "i dag, mandag"}
NEXT_MONDAY = {"en": "on Monday 14 December", "da": "mandag den 14. december"}
QUARTER_TO_EIGHT = datetime(2026, 12, 7, 19, 45, tzinfo=ZoneInfo(CPH)).timestamp()


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_weekday_said_that_morning_is_today_said_as_today(language: str) -> None:
    window = callback_window(ON_MONDAY[language], MONDAY, CPH, language)
    assert window is not None and window.check  # a guess: asked about before it is kept
    assert fx.kept(ON_MONDAY[language], MONDAY, language)[1:] == (
        None,
        _local(7, 20),
        TODAY_MONDAY[language],
    )


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize(
    "now", [_local(7, 21), QUARTER_TO_EIGHT], ids=["after hours", "a quarter of an hour left"]
)
def test_a_weekday_said_when_its_calling_time_is_over_is_next_week_said_with_its_date(
    language: str, now: float
) -> None:
    assert fx.kept(ON_MONDAY[language], now, language)[1:] == (
        _local(14, 8),
        _local(14, 20),
        NEXT_MONDAY[language],
    )


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_weekday_said_on_that_weekday_when_it_is_a_holiday_is_next_week(language: str) -> None:
    closed = replace(RULES, extra_holidays=frozenset({date(2026, 12, 7)}))
    assert fx.kept(ON_MONDAY[language], MONDAY, language, closed)[1:] == (
        _local(14, 8),
        _local(14, 20),
        NEXT_MONDAY[language],
    )


@pytest.mark.parametrize(
    ("language", "said", "words"),
    [
        ("en", "Monday morning", "on Monday 14 December, in the morning, between eight and twelve"),
        (
            "da",
            "mandag formiddag",
            "mandag den 14. december om formiddagen, mellem klokken otte og tolv",
        ),
    ],
)
def test_a_part_of_the_day_already_past_is_next_week(language: str, said: str, words: str) -> None:
    one_pm = _local(7, 13)
    assert fx.kept(said, one_pm, language) == (Fit.FITS, _local(14, 8), _local(14, 12), words)


@pytest.mark.parametrize(
    ("language", "said", "words"),
    [
        ("en", "Monday afternoon", "today, Monday, in the afternoon, between twelve and five"),
        (
            "da",
            "mandag eftermiddag",
            "i dag, mandag om eftermiddagen, mellem klokken tolv og sytten",
        ),
    ],
)
def test_a_part_of_the_day_still_ahead_is_today(language: str, said: str, words: str) -> None:
    assert fx.kept(said, MONDAY, language) == (Fit.FITS, _local(7, 12), _local(7, 17), words)


def test_without_calling_rules_today_lasts_until_half_an_hour_before_midnight() -> None:
    late = datetime(2026, 12, 7, 23, 45, tzinfo=ZoneInfo(CPH)).timestamp()
    assert fx.kept("on Monday", _local(7, 21), "en", None)[1:] == (None, _local(8), "today, Monday")
    assert fx.kept("on Monday", late, "en", None)[1:] == (_local(14), _local(15), NEXT_MONDAY["en"])


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "next Monday"),
        ("en", "Monday next week"),
        ("da", "næste mandag"),
        ("da", "mandag i næste uge"),
    ],
)
def test_next_monday_said_on_a_monday_is_next_week(language: str, said: str) -> None:
    window = callback_window(said, MONDAY, CPH, language)
    assert window is not None and not window.check
    assert fx.kept(said, MONDAY, language)[1:] == (
        _local(14, 8),
        _local(14, 20),
        NEXT_MONDAY[language],
    )


# -- a day and a part of the day -------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "said", "rules", "words"),
    [
        (
            "en",
            "weekend afternoon",
            SUNDAYS_OPEN,
            "at the weekend, in the afternoon, between twelve and five",
        ),
        (
            "da",
            "i weekenden om eftermiddagen",
            SUNDAYS_OPEN,
            "i weekenden om eftermiddagen, mellem klokken tolv og sytten",
        ),
        # Sundays closed: the Saturday is kept, and said as a Saturday afternoon.
        ("en", "weekend afternoon", RULES, "on Saturday afternoon, between twelve and four"),
        (
            "da",
            "weekend eftermiddag",
            RULES,
            "på lørdag eftermiddag, mellem klokken tolv og seksten",
        ),
        ("en", "Saturday afternoon", RULES, "on Saturday afternoon, between twelve and four"),
        (
            "da",
            "lørdag eftermiddag",
            RULES,
            "på lørdag eftermiddag, mellem klokken tolv og seksten",
        ),
        ("en", "tomorrow at lunch", RULES, "tomorrow at lunchtime, between eleven and one"),
        (
            "da",
            "i morgen ved frokost",
            RULES,
            "i morgen ved frokosttid, mellem klokken elleve og tretten",
        ),
        ("en", "around lunch", RULES, "today at lunchtime, between eleven and one"),
        # "After lunch" is the afternoon, not lunchtime ("lunch" is in both).
        ("en", "on Friday after lunch", RULES, "on Friday afternoon, between twelve and five"),
        (
            "da",
            "på fredag efter frokost",
            RULES,
            "på fredag eftermiddag, mellem klokken tolv og sytten",
        ),
    ],
)
def test_a_day_and_a_part_of_the_day_read_naturally(
    language: str, said: str, rules: CallingRules, words: str
) -> None:
    assert fx.kept(said, MONDAY, language, rules)[3] == words


@pytest.mark.parametrize(
    ("language", "said", "words"),
    [
        ("en", "Saturday afternoon", "today, Saturday, in the afternoon, between twelve and four"),
        (
            "da",
            "lørdag eftermiddag",
            "i dag, lørdag om eftermiddagen, mellem klokken tolv og seksten",
        ),
        ("en", "at the weekend in the afternoon", "this afternoon, between twelve and four"),
        ("da", "i weekenden om eftermiddagen", "i eftermiddag, mellem klokken tolv og seksten"),
    ],
)
def test_a_day_and_a_part_of_the_day_said_on_that_day(language: str, said: str, words: str) -> None:
    assert fx.kept(said, SATURDAY, language) == (Fit.CLIPPED, _local(5, 12), _local(5, 16), words)


# -- the dialogue --------------------------------------------------------------------


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
    d = await fx.asked_when(demo, language)
    reply = await d.handle(TextTurn(said))
    assert reply.action == "callback_recorded" and heard in reply.text, reply.text
    assert fx.stored_window(store) == window


@pytest.mark.parametrize(
    ("language", "said", "why"),
    [("en", "on Sunday", "we don't make calls on Sundays"), ("da", "på søndag", "om søndagen")],
)
async def test_a_closed_day_gets_the_closed_window_refusal(
    demo: Backends, store: SqliteStore, language: str, said: str, why: str
) -> None:
    d = await fx.asked_when(demo, language)
    reply = await d.handle(TextTurn(said))
    assert reply.action == "callback_window_closed" and why in reply.text, reply.text
    assert fx.stored_window(store) == (None, None)


async def test_a_day_named_with_the_request_is_read_back_in_the_proposal(
    demo: Backends, store: SqliteStore
) -> None:
    d = await fx.started(demo)
    reply = await d.handle(TextTurn("call me back on Tuesday afternoon"))
    assert "on Tuesday afternoon, between twelve and five" in reply.text, reply.text
    reply = await d.handle(TextTurn("yes"))
    assert reply.action == "callback_recorded" and fx.stored_window(store) == (
        _local(8, 12),
        _local(8, 17),
    )


@pytest.mark.parametrize(
    ("language", "said"), [("en", "next month"), ("da", "en anden dag"), ("da", "næste måned")]
)
async def test_a_time_that_cannot_be_placed_is_said_so(
    demo: Backends, store: SqliteStore, language: str, said: str
) -> None:
    # Never dropped silently: the caller hears it was not booked, and is asked again.
    d = await fx.asked_when(demo, language)
    reply = await d.handle(TextTurn(said))
    use_language(language)
    assert reply.text.startswith(say("callback_time_unplaced")), reply.text
    assert not d.ended and fx.stored_window(store) == (None, None)


async def test_a_time_that_cannot_be_placed_with_the_request_is_said_so(demo: Backends) -> None:
    d = await fx.started(demo)
    reply = await d.handle(TextTurn("call me back next month"))
    assert reply.action == "confirm_callback", reply.text
    assert reply.text.startswith("Sorry, I can't book a callback for that time yet."), reply.text


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_weekday_said_on_that_weekday_is_read_back_as_today_and_asked(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await fx.asked_when(demo, language)
    reply = await d.handle(TextTurn(ON_MONDAY[language]))
    assert reply.action == "callback_check_when", reply.text
    assert TODAY_MONDAY[language] in reply.text and not d.ended
    assert fx.stored_window(store) == (None, None)  # not kept before the yes
    reply = await d.handle(TextTurn(fx.YES[language]))
    assert reply.action == "callback_recorded" and TODAY_MONDAY[language] in reply.text
    assert fx.stored_window(store) == (None, _local(7, 20))


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_no_to_today_offers_next_week(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await fx.asked_when(demo, language)
    await d.handle(TextTurn(ON_MONDAY[language]))
    reply = await d.handle(TextTurn(fx.NO[language]))
    use_language(language)
    assert reply.text == say(
        "callback_check_other", phone="20 12 34 56", when=NEXT_MONDAY[language]
    )
    assert fx.stored_window(store) == (None, None)
    reply = await d.handle(TextTurn(fx.YES[language]))
    assert reply.action == "callback_recorded" and NEXT_MONDAY[language] in reply.text
    assert fx.stored_window(store) == (_local(14, 8), _local(14, 20))


@pytest.mark.parametrize(
    ("language", "instead"), [("en", "next Monday"), ("da", "på mandag i næste uge")]
)
async def test_a_caller_who_meant_neither_day_is_asked_when(
    demo: Backends, store: SqliteStore, language: str, instead: str
) -> None:
    d = await fx.asked_when(demo, language)
    await d.handle(TextTurn(ON_MONDAY[language]))
    await d.handle(TextTurn(fx.NO[language]))
    reply = await d.handle(TextTurn(fx.NO[language]))
    assert reply.action == "callback_ask_when" and fx.stored_window(store) == (None, None), (
        reply.text
    )
    reply = await d.handle(TextTurn(instead))
    assert reply.action == "callback_recorded" and NEXT_MONDAY[language] in reply.text
    assert fx.stored_window(store) == (_local(14, 8), _local(14, 20))


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_weekday_said_that_evening_is_read_back_with_next_weeks_date(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await fx.asked_when(demo, language, now=_local(7, 21))
    reply = await d.handle(TextTurn(ON_MONDAY[language]))
    assert reply.action == "callback_check_when" and NEXT_MONDAY[language] in reply.text
    await d.handle(TextTurn(fx.YES[language]))
    assert fx.stored_window(store) == (_local(14, 8), _local(14, 20))


async def test_a_weekend_afternoon_named_with_the_request_reads_naturally(
    demo: Backends, store: SqliteStore
) -> None:
    d = await fx.started(demo)
    reply = await d.handle(TextTurn("call me back at the weekend in the afternoon"))
    assert "on Saturday afternoon, between twelve and four" in reply.text, reply.text
    await d.handle(TextTurn("yes"))
    assert fx.stored_window(store) == (_local(12, 12), _local(12, 16))
