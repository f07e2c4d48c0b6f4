"""The first day with calling hours, when the caller names a span of days.

"Next week" (in Danish "i næste uge") on its own was refused as a time the bot
could not place. A good agent offers the first day of next week with its date
rather than an open "which day?", so the bot does the same: next week's Monday
(or, when the calling rules close it, the first day of that week they open),
read back with the date for a yes or a no; a no asks which day next week, and a
weekday in the answer falls in that week ("Tuesday" is not tomorrow then).

"Not today, in the morning" ("ikke i dag, om morgenen") said on a Saturday was a
Sunday morning, and refused: now it is the first morning with calling hours,
Monday's, and the bot says the day ("on Monday morning, between eight and
twelve"). English and Danish, on the shared set-up
(tests/callback_dialogue_fixtures.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import TextTurn
from bot.dialogue.prompts import say, use_language
from bot.dialogue.time_examples import week_examples_sentence
from bot.dialogue.time_phrases import callback_window
from scheduler.rules import CallingRules
from spillway.storage import SqliteStore
from tests import callback_dialogue_fixtures as fx
from tests.callback_dialogue_fixtures import CPH, MONDAY, RULES, SATURDAY, demo_now, demo_rules  # noqa: F401
from tests.callback_dialogue_fixtures import local as _local

pytestmark = pytest.mark.usefixtures("english_after")


# -- "next week" alone ----------------------------------------------------------------

NEXT_WEEK = {"en": "next week", "da": "i næste uge"}
ON_THE_14TH = (_local(14, 8), _local(14, 20))
NEXT_WEEK_MONDAY = {
    "en": "next week, on Monday 14 December",
    "da": "i næste uge, mandag den 14. december",
}


@pytest.mark.parametrize(
    ("language", "said", "rules", "start", "end", "words"),
    [
        ("en", "next week", RULES, _local(14, 8), _local(14, 20), NEXT_WEEK_MONDAY["en"]),
        ("da", "i næste uge", RULES, _local(14, 8), _local(14, 20), NEXT_WEEK_MONDAY["da"]),
        # The Monday closed (a holiday here): the first day of that week with calling hours.
        (
            "en",
            "next week",
            replace(RULES, extra_holidays=frozenset({date(2026, 12, 14)})),
            _local(15, 8),
            _local(15, 20),
            "next week, on Tuesday 15 December",
        ),
        (
            "da",
            "næste uge",
            replace(RULES, extra_holidays=frozenset({date(2026, 12, 14)})),
            _local(15, 8),
            _local(15, 20),
            "i næste uge, tirsdag den 15. december",
        ),
        (
            "en",
            "next week in the afternoon",
            RULES,
            _local(14, 12),
            _local(14, 17),
            "next week, on Monday 14 December, in the afternoon, between twelve and five",
        ),
        (
            "da",
            "i næste uge om eftermiddagen",
            RULES,
            _local(14, 12),
            _local(14, 17),
            "i næste uge, mandag den 14. december om eftermiddagen, mellem klokken tolv og sytten",
        ),
    ],
)
def test_next_week_is_its_first_day_with_calling_hours(
    language: str, said: str, rules: CallingRules, start: float, end: float, words: str
) -> None:
    window = callback_window(said, MONDAY, CPH, language)
    assert window is not None and window.check  # offered, and asked about before it is kept
    assert fx.kept(said, MONDAY, language, rules)[1:] == (start, end, words)


@pytest.mark.parametrize("language", ["en", "da"])
async def test_next_week_is_offered_with_its_date_and_kept_after_a_yes(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await fx.asked_when(demo, language)
    reply = await fx.asked(d, store, NEXT_WEEK[language], "callback_check_when")
    use_language(language)
    assert reply.text == say("callback_check_when", phone=fx.PHONE, when=NEXT_WEEK_MONDAY[language])
    await fx.recorded(d, store, fx.YES[language], NEXT_WEEK_MONDAY[language], ON_THE_14TH)


TUESDAY_AFTERNOON = (_local(15, 12), _local(15, 17))
ON_THE_17TH = (_local(17, 8), _local(17, 20))


@pytest.mark.parametrize(
    ("language", "answer", "heard", "window"),
    [
        pytest.param("en", "Thursday", "on Thursday 17 December", ON_THE_17TH, id="en"),
        pytest.param("da", "torsdag", "torsdag den 17. december", ON_THE_17TH, id="da"),
        # Tuesday, said on a Monday, is tomorrow; asked about next week, it is next week's.
        ("en", "Tuesday afternoon", "on Tuesday 15 December, in the af", TUESDAY_AFTERNOON),
        ("da", "tirsdag eftermiddag", "tirsdag den 15. december om efterm", TUESDAY_AFTERNOON),
    ],
)
async def test_a_no_to_next_weeks_monday_asks_which_day_of_that_week(
    demo: Backends, store: SqliteStore, language: str, answer: str, heard: str, window: fx.Window
) -> None:
    """The weekday in the answer falls in the week asked about."""
    d = await fx.asked_when(demo, language)
    await d.handle(TextTurn(NEXT_WEEK[language]))
    reply = await fx.asked(d, store, fx.NO[language], "callback_which_day")
    use_language(language)
    # The examples are days of that week the shop calls on, Monday (refused) left out.
    week = date(2026, 12, 14)
    examples = week_examples_sentence(MONDAY, RULES, CPH, week, language, refused=week)
    assert reply.text == say("callback_which_day_next_week", examples=examples)
    assert ("Tuesday" if language == "en" else "tirsdag") in examples
    await fx.recorded(d, store, answer, heard, window)


@pytest.mark.parametrize("language", ["en", "da"])
async def test_next_week_named_with_the_request_is_read_back_with_its_date(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await fx.started(demo, language)
    said = {"en": "can someone call me back next week", "da": "ring mig op i næste uge"}
    reply = await d.handle(TextTurn(said[language]))
    assert NEXT_WEEK_MONDAY[language] in reply.text, reply.text
    await fx.recorded(d, store, fx.YES[language], NEXT_WEEK_MONDAY[language], ON_THE_14TH)


# -- "not today" with a part of the day, when tomorrow is closed -------------------------

NOT_TODAY_MORNING = {"en": "not today, in the morning", "da": "ikke i dag, om morgenen"}
MONDAY_MORNING = {
    "en": "on Monday morning, between eight and twelve",
    "da": "på mandag formiddag, mellem klokken otte og tolv",
}
MORNING_7TH = (_local(7, 8), _local(7, 12))
MORNING_28TH = (_local(28, 8), _local(28, 12))
EVENING_7TH = (_local(7, 17), _local(7, 20))
FRIDAY = _local(4, 11)  # Friday 4 December 2026, 11:00: Saturday's calls end at four
CHRISTMAS_EVE = _local(24, 9)  # then Christmas Day and Boxing Day (holidays), a Sunday


@pytest.mark.parametrize(
    ("language", "said", "now", "window", "words"),
    [
        # Said on a Saturday: Sunday has no calling hours, Monday morning has.
        ("en", NOT_TODAY_MORNING["en"], SATURDAY, MORNING_7TH, MONDAY_MORNING["en"]),
        ("da", NOT_TODAY_MORNING["da"], SATURDAY, MORNING_7TH, MONDAY_MORNING["da"]),
        ("da", "ikke i dag om formiddagen", SATURDAY, MORNING_7TH, MONDAY_MORNING["da"]),
        ("en", "not today, in the evening", FRIDAY, EVENING_7TH, "on Monday evening, between"),
        ("da", "ikke i dag, om aftenen", FRIDAY, EVENING_7TH, "på mandag aften, mellem klokken"),
        (
            "en",
            NOT_TODAY_MORNING["en"],
            CHRISTMAS_EVE,
            (_local(28, 8), _local(28, 12)),
            "on Monday",
        ),
        # Tomorrow open: tomorrow morning, as before.
        ("en", NOT_TODAY_MORNING["en"], MONDAY, (_local(8, 8), _local(8, 12)), "tomorrow morn"),
    ],
)
def test_not_today_with_a_part_of_the_day_is_the_next_open_one(
    language: str, said: str, now: float, window: fx.Window, words: str
) -> None:
    _fit, start, end, spoken = fx.kept(said, now, language)
    assert (start, end) == window and spoken.startswith(words), spoken


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize("demo_now", [SATURDAY])  # the demo shop's clock too
async def test_not_today_in_the_morning_said_on_a_saturday_is_recorded_for_monday(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await fx.asked_when(demo, language, now=SATURDAY)
    await fx.recorded(d, store, NOT_TODAY_MORNING[language], MONDAY_MORNING[language], MORNING_7TH)
