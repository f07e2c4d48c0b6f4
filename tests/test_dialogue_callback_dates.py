"""A date named in a callback-time answer is a window on that date (walk-through, item 3).

"The day after tomorrow", "the 12th", "December 12", "i overmorgen", "den 12.",
"12. december" were refused as times the bot could not place. Now each is a
window on its date, fitted to the calling rules like a named weekday, and read
back with the date ("the day after tomorrow, Wednesday 9 December"). A day of
the month already past this month is next month's; "next month" is still
refused, with why. A date said with a weekday it is not ("Monday the 12th", the
12th a Saturday) is pointed out, and the caller asked which of the two days
they meant. English and Danish, with a fixed clock (Monday 7 December 2026,
09:00) and the default rules (weekdays 8-20, Saturdays 10-16, no Sundays, Danish
public holidays): tests/callback_dialogue_fixtures.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.backends import Backends
from bot.dialogue.clock_time import clock_hour
from bot.dialogue.inputs import TextTurn
from bot.dialogue.named_days import named_day
from bot.dialogue.time_phrases import callback_window, names_unplaced_time
from bot.dialogue.window_fit import Fit
from scheduler.rule_facts import row_facts
from scheduler.rules import next_allowed
from spillway.storage import SqliteStore
from tests import callback_dialogue_fixtures as fx
from tests.callback_dialogue_fixtures import CPH, MONDAY, RULES, demo_now, demo_rules  # noqa: F401
from tests.callback_dialogue_fixtures import local as _local

pytestmark = pytest.mark.usefixtures("english_after")


# -- the day named, a pure function of the words and today ---------------------------


@pytest.mark.parametrize(
    ("language", "said", "day"),
    [
        ("en", "the day after tomorrow", date(2026, 12, 9)),
        ("da", "i overmorgen", date(2026, 12, 9)),
        ("en", "the 12th", date(2026, 12, 12)),
        ("en", "on the twelfth", date(2026, 12, 12)),
        ("en", "december 12", date(2026, 12, 12)),
        ("en", "12 december", date(2026, 12, 12)),
        ("en", "the 12th of december", date(2026, 12, 12)),
        ("da", "den 12.", date(2026, 12, 12)),
        ("da", "den tolvte", date(2026, 12, 12)),
        ("da", "12. december", date(2026, 12, 12)),
        ("da", "den 12. december", date(2026, 12, 12)),
        # Already past this month: next month; past this year: next year.
        ("en", "the 4th", date(2027, 1, 4)),
        ("da", "den 4.", date(2027, 1, 4)),
        ("en", "march 3", date(2027, 3, 3)),
        ("en", "december 3", date(2027, 12, 3)),
        ("da", "3. december", date(2027, 12, 3)),
        ("en", "the 7th", date(2026, 12, 7)),  # today
    ],
)
def test_the_date_named(language: str, said: str, day: date) -> None:
    named, _rest = named_day(said, date(2026, 12, 7), language)
    assert (named.first, named.last) == (day, day)


def test_the_31st_in_a_month_without_one_is_the_next_month_with_one() -> None:
    named, _rest = named_day("the 31st", date(2026, 11, 5), "en")
    assert named.first == date(2026, 12, 31)


def test_the_first_thing_in_the_morning_is_no_date() -> None:
    window = callback_window("call me the first thing in the morning", MONDAY, CPH, "en")
    assert window is not None and window.words == "this morning, between eight and twelve"


@pytest.mark.parametrize(("language", "said"), [("en", "the 12th"), ("da", "den 12.")])
def test_a_date_is_no_clock_time(language: str, said: str) -> None:
    # "12th" is no "at 12", and "den 12." no "klokken 12": the whole day is meant.
    window = callback_window(said, MONDAY, CPH, language)
    assert window is not None and window.start_hour is None and window.end_hour is None
    assert clock_hour(said, language) is None


# -- the window kept and said back -----------------------------------------------------


@pytest.mark.parametrize(
    ("language", "said", "start", "end", "words"),
    [
        (
            "en",
            "the day after tomorrow",
            _local(9, 8),
            _local(9, 20),
            "the day after tomorrow, Wednesday 9 December",
        ),
        ("da", "i overmorgen", _local(9, 8), _local(9, 20), "i overmorgen, onsdag den 9. december"),
        ("en", "the 10th", _local(10, 8), _local(10, 20), "on Thursday 10 December"),
        ("da", "den 10.", _local(10, 8), _local(10, 20), "torsdag den 10. december"),
        ("en", "December 10", _local(10, 8), _local(10, 20), "on Thursday 10 December"),
        ("da", "10. december", _local(10, 8), _local(10, 20), "torsdag den 10. december"),
        # A Saturday: its calling hours.
        ("en", "the 12th", _local(12, 10), _local(12, 16), "on Saturday 12 December"),
        ("da", "den 12.", _local(12, 10), _local(12, 16), "lørdag den 12. december"),
        ("en", "the 8th", _local(8, 8), _local(8, 20), "tomorrow, Tuesday 8 December"),
        ("da", "den 8.", _local(8, 8), _local(8, 20), "i morgen, tirsdag den 8. december"),
        ("en", "the 7th", None, _local(7, 20), "today, Monday 7 December"),
        ("da", "den 7.", None, _local(7, 20), "i dag, mandag den 7. december"),
        (
            "en",
            "the 4th",
            _local(4, 8, 1, 2027),
            _local(4, 20, 1, 2027),
            "on Monday 4 January",
        ),
        (
            "da",
            "den 4.",
            _local(4, 8, 1, 2027),
            _local(4, 20, 1, 2027),
            "mandag den 4. januar",
        ),
        # A date with a part of the day or an hour.
        (
            "en",
            "the day after tomorrow in the afternoon",
            _local(9, 12),
            _local(9, 17),
            "the day after tomorrow, Wednesday 9 December, in the afternoon, "
            "between twelve and five",
        ),
        (
            "da",
            "i overmorgen eftermiddag",
            _local(9, 12),
            _local(9, 17),
            "i overmorgen, onsdag den 9. december om eftermiddagen, mellem klokken tolv og sytten",
        ),
        (
            "en",
            "the 12th in the afternoon",
            _local(12, 12),
            _local(12, 16),
            "on Saturday 12 December, in the afternoon, between twelve and four",
        ),
        (
            "da",
            "den 12. om eftermiddagen",
            _local(12, 12),
            _local(12, 16),
            "lørdag den 12. december om eftermiddagen, mellem klokken tolv og seksten",
        ),
    ],
)
def test_a_date_is_a_window_on_that_date(
    language: str, said: str, start: float | None, end: float, words: str
) -> None:
    assert fx.kept(said, MONDAY, language)[1:] == (start, end, words)


@pytest.mark.parametrize(
    ("language", "said", "fit"),
    [
        ("en", "the 13th", Fit.CLOSED_DAY),  # a Sunday
        ("da", "den 13.", Fit.CLOSED_DAY),
        ("en", "December 25", Fit.HOLIDAY),  # Christmas Day
        ("da", "25. december", Fit.HOLIDAY),
        # Already past this year, so next year's: more than 30 days ahead.
        ("en", "December 3", Fit.TOO_FAR),
        ("da", "3. december", Fit.TOO_FAR),
    ],
)
def test_a_date_the_rules_close_is_refused(language: str, said: str, fit: Fit) -> None:
    assert fx.kept(said, MONDAY, language)[0] is fit


@pytest.mark.parametrize(
    ("language", "said", "placed"),
    [
        ("en", "the day after tomorrow", False),
        ("da", "i overmorgen", False),
        ("en", "next week", False),  # its first day (tests/test_dialogue_callback_days.py)
        ("da", "i næste uge", False),
        ("en", "next month", True),
        ("da", "næste måned", True),
    ],
)
def test_only_times_with_no_day_are_unplaced(language: str, said: str, placed: bool) -> None:
    assert names_unplaced_time(said, language) is placed
    assert (callback_window(said, MONDAY, CPH, language) is None) is placed


# -- the dialogue --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "said", "heard", "window"),
    [
        (
            "en",
            "the day after tomorrow",
            "the day after tomorrow, Wednesday 9 December",
            (_local(9, 8), _local(9, 20)),
        ),
        (
            "da",
            "i overmorgen",
            "i overmorgen, onsdag den 9. december",
            (_local(9, 8), _local(9, 20)),
        ),
        ("en", "on the 12th", "on Saturday 12 December", (_local(12, 10), _local(12, 16))),
        ("da", "den 12.", "lørdag den 12. december", (_local(12, 10), _local(12, 16))),
    ],
)
async def test_a_date_is_read_back_and_recorded(
    demo: Backends,
    store: SqliteStore,
    language: str,
    said: str,
    heard: str,
    window: tuple[float, float],
) -> None:
    d = await fx.asked_when(demo, language)
    reply = await d.handle(TextTurn(said))
    assert reply.action == "callback_recorded" and heard in reply.text, reply.text
    assert fx.stored_window(store) == window
    # Days ahead, and still callable when the window opens: the request's expiry
    # covers its window (the usual one, three days from the call, would not).
    [row] = store.query("SELECT * FROM callback_requests")
    assert next_allowed(RULES, row_facts(row, default_timezone=CPH), window[0]) == window[0]


@pytest.mark.parametrize(("language", "said"), [("en", "the 13th"), ("da", "den 13.")])
async def test_a_closed_date_gets_the_closed_window_refusal(
    demo: Backends, store: SqliteStore, language: str, said: str
) -> None:
    d = await fx.asked_when(demo, language)
    reply = await d.handle(TextTurn(said))
    assert reply.action == "callback_window_closed" and not d.ended, reply.text
    assert fx.stored_window(store) == (None, None)


@pytest.mark.parametrize(
    ("language", "said", "why"),
    [
        ("en", "December 3", "we can only book a callback up to 30 days ahead"),
        ("da", "3. december", "vi kan kun bestille et opkald op til 30 dage frem"),
    ],
)
async def test_a_date_too_far_ahead_is_refused_with_why(
    demo: Backends, store: SqliteStore, language: str, said: str, why: str
) -> None:
    d = await fx.asked_when(demo, language)
    reply = await d.handle(TextTurn(said))
    assert reply.action == "callback_window_closed" and why in reply.text, reply.text
    assert fx.stored_window(store) == (None, None)


# -- a date said with a weekday it is not ----------------------------------------------


@pytest.mark.parametrize(
    ("language", "said", "day", "other"),
    [
        ("en", "monday the 12th", date(2026, 12, 12), date(2026, 12, 14)),
        ("da", "mandag den 12.", date(2026, 12, 12), date(2026, 12, 14)),
        ("en", "tuesday 12 december", date(2026, 12, 12), date(2026, 12, 15)),
        ("da", "fredag den 12. december", date(2026, 12, 12), date(2026, 12, 11)),
        # The weekday nearest the date is past: the one a week on.
        ("en", "sunday the 7th", date(2026, 12, 7), date(2026, 12, 13)),
    ],
)
def test_a_date_with_another_weekday_names_both_days(
    language: str, said: str, day: date, other: date
) -> None:
    named, _rest = named_day(said, date(2026, 12, 7), language)
    assert named.first == day and named.clash is not None and named.clash.first == other


@pytest.mark.parametrize(
    ("language", "said"), [("en", "saturday the 12th"), ("da", "lørdag den 12.")]
)
def test_a_date_with_its_own_weekday_is_one_day(language: str, said: str) -> None:
    named, rest = named_day(said, date(2026, 12, 7), language)
    assert named.first == date(2026, 12, 12) and named.clash is None
    assert rest.split() == []  # the weekday is the date's own, not left for the hours


CLASH = {
    "en": "Sorry, 12 December is a Saturday, not a Monday. Shall we call you back on "
    "Saturday 12 December or on Monday 14 December? Please say Saturday or Monday.",
    "da": "Undskyld, den 12. december er en lørdag, ikke en mandag. Skal vi ringe dig op "
    "lørdag den 12. december eller mandag den 14. december? Sig lørdag eller mandag.",
}
UNCLEAR = {
    "en": "Sorry, I didn't catch which day. Shall we call you back on Saturday 12 December "
    "or on Monday 14 December? Please say Saturday or Monday.",
    "da": "Beklager, jeg hørte ikke, hvilken dag du mente. Skal vi ringe dig op lørdag den 12. "
    "december eller mandag den 14. december? Sig lørdag eller mandag.",
}
MONDAY_THE_12TH = {"en": "Monday the 12th", "da": "mandag den 12."}
ON_THE_12TH = (_local(12, 10), _local(12, 16))  # a Saturday: its calling hours
ON_THE_14TH = (_local(14, 8), _local(14, 20))


@pytest.mark.parametrize(
    ("language", "answer", "heard", "window"),
    [
        ("en", "Monday", "on Monday 14 December", ON_THE_14TH),
        ("da", "mandag", "mandag den 14. december", ON_THE_14TH),
        ("en", "the 12th please", "on Saturday 12 December", ON_THE_12TH),
        ("da", "lørdag", "lørdag den 12. december", ON_THE_12TH),
    ],
)
async def test_a_date_with_another_weekday_is_asked_about_never_picked(
    demo: Backends, store: SqliteStore, language: str, answer: str, heard: str, window: fx.Window
) -> None:
    """Both days read back, neither kept; the day the answer names is."""
    d = await fx.asked_when(demo, language)
    reply = await fx.asked(d, store, MONDAY_THE_12TH[language], "callback_day_clash")
    assert reply.text == CLASH[language]  # neither day kept before the answer
    await fx.recorded(d, store, answer, heard, window)


@pytest.mark.parametrize("language", ["en", "da"])
async def test_an_answer_naming_neither_day_is_asked_again_then_no_day_is_kept(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    """Never a day the caller did not choose: asked once more, then none is kept."""
    d = await fx.asked_when(demo, language)
    await d.handle(TextTurn(MONDAY_THE_12TH[language]))
    # A yes chooses neither day: asked again, once.
    reply = await fx.asked(d, store, fx.YES[language], "callback_day_clash")
    assert reply.text == UNCLEAR[language]
    reply = await d.handle(TextTurn(fx.YES[language]))
    assert reply.action == "callback_recorded" and fx.stored_window(store) == (None, None)


CLOSED_13TH = {
    "en": "Sorry, 13 December is a Sunday, not a Monday. We can call you back on "
    "20 12 34 56 on Monday 14 December. Is that right? Please say yes or no.",
    "da": "Undskyld, den 13. december er en søndag, ikke en mandag. Vi kan ringe dig op på "
    "20 12 34 56 mandag den 14. december. Er det rigtigt? Sig ja eller nej.",
}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_date_with_another_weekday_on_a_closed_day_offers_the_open_one(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    """The 13th is a Sunday, with no calls: only the Monday is offered, for a yes."""
    d = await fx.asked_when(demo, language)
    said = {"en": "Monday the 13th", "da": "mandag den 13."}[language]
    reply = await fx.asked(d, store, said, "callback_day_clash")
    assert reply.text == CLOSED_13TH[language]
    await fx.recorded(d, store, fx.YES[language], "14", ON_THE_14TH)


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_date_with_another_weekday_named_with_the_request_is_asked_about(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await fx.started(demo, language)
    said = {"en": "can someone call me back on Monday the 12th", "da": "ring mig op mandag den 12."}
    reply = await d.handle(TextTurn(said[language]))
    assert CLASH[language] not in reply.text  # the number first: no day said back yet
    reply = await d.handle(TextTurn(fx.YES[language]))
    assert reply.text.startswith(CLASH[language]), reply.text
    await fx.recorded(d, store, {"en": "Saturday", "da": "lørdag"}[language], "12", ON_THE_12TH)
