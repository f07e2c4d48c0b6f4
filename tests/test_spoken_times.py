"""Callback times said with their minutes, a part of the day after a day, "as soon as
possible" and the weekend, read into windows (pure; a fixed 'now').

The Danish caller audit of December 2026 heard "i morgen klokken halv tre", "kvart over
ni i morgen", "i morgen sidst på dagen" and "mandag morgen" kept as the whole day (08-20),
"juleaften" read as "i aften", "hurtigst muligt" as "whenever suits the model", and "i
weekenden", said on a Sunday, refused because of the Sunday.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.dialogue.plain_callback import asks_plain_callback
from bot.dialogue.spoken_clock import clock_digits
from bot.dialogue.time_phrases import callback_window, names_unplaced_time
from bot.dialogue.window_fit import Fit
from tests.callback_dialogue_fixtures import CPH, MONDAY, kept, local

SUNDAY = local(6, 9)  # Sunday 6 December 2026, 09:00 (the audit's day)


def at(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, ZoneInfo(CPH)).strftime("%a %H:%M")


# (language, said, start, end, said back): on Monday 7 December 2026 at 09:00.
WINDOWS = [
    ("da", "i morgen ved halv tre-tiden", "Tue 14:15", "Tue 15:15",
     "i morgen omkring klokken fjorten 30"),
    ("da", "i morgen klokken halv tre", "Tue 14:15", "Tue 15:15",
     "i morgen omkring klokken fjorten 30"),
    ("da", "i morgen kl. 14.30", "Tue 14:15", "Tue 15:15", "i morgen omkring klokken fjorten 30"),
    ("da", "kvart over ni i morgen", "Tue 09:00", "Tue 10:00", "i morgen omkring klokken ni 15"),
    ("da", "kvart i ni i morgen", "Tue 08:30", "Tue 09:30", "i morgen omkring klokken otte 45"),
    ("da", "halv et", "Mon 12:15", "Mon 13:15", "i dag omkring klokken tolv 30"),
    ("da", "efter halv fire", "Mon 15:30", None, "i dag efter klokken femten 30"),
    ("da", "i morgen fjorten tredive", "Tue 14:15", "Tue 15:15",
     "i morgen omkring klokken fjorten 30"),
    ("da", "i morgen sidst på dagen", "Tue 15:00", "Tue 17:00",
     "i morgen sidst på eftermiddagen, mellem klokken femten og sytten"),
    ("da", "fredag morgen", "Fri 08:00", "Fri 12:00",
     "på fredag formiddag, mellem klokken otte og tolv"),
    ("da", "i morgen tidlig", "Tue 08:00", "Tue 12:00",
     "i morgen formiddag, mellem klokken otte og tolv"),
    ("da", "over middag", "Mon 12:00", "Mon 17:00", "i eftermiddag, mellem klokken tolv og sytten"),
    ("da", "i aften", "Mon 17:00", "Mon 20:00", "i aften, mellem klokken sytten og tyve"),
    ("en", "tomorrow at half past two", "Tue 14:15", "Tue 15:15", "tomorrow at about two 30"),
    ("en", "tomorrow at 2.30", "Tue 14:15", "Tue 15:15", "tomorrow at about two 30"),
    ("en", "tomorrow 2:30 pm", "Tue 14:15", "Tue 15:15", "tomorrow at about two 30"),
    ("en", "quarter past nine tomorrow", "Tue 09:00", "Tue 10:00", "tomorrow at about nine 15"),
    ("en", "a quarter to nine tomorrow", "Tue 08:30", "Tue 09:30",
     "tomorrow at about eight 45"),
    ("en", "two thirty tomorrow", "Tue 14:15", "Tue 15:15", "tomorrow at about two 30"),
    ("en", "tomorrow late in the afternoon", "Tue 15:00", "Tue 17:00",
     "tomorrow, late in the afternoon, between three and five"),
    ("en", "friday morning", "Fri 08:00", "Fri 12:00",
     "on Friday morning, between eight and twelve"),
    ("en", "this evening", "Mon 17:00", "Mon 20:00", "this evening, between five and eight"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "said", "start", "end", "words"), WINDOWS)
def test_times_with_minutes_and_parts_of_the_day_are_kept(
    language: str, said: str, start: str | None, end: str | None, words: str
) -> None:
    window = callback_window(said, MONDAY, CPH, language)
    assert window is not None, said
    assert (at(window.not_before), at(window.not_after), window.words) == (start, end, words)


@pytest.mark.parametrize(
    ("language", "said", "digits"),
    [
        ("da", "halv tre", "2:30"),
        ("da", "ved halv tre tiden", "ved 2:30 tiden"),
        ("da", "kvart over ni", "9:15"),
        ("da", "kvart i ni", "8:45"),
        ("da", "halv et", "12:30"),
        ("da", "kl. 14.30", "kl. 14:30"),
        ("da", "den 12. december", "den 12. december"),  # a date, not a time
        ("en", "half past two", "2:30"),
        ("en", "quarter to nine", "8:45"),
        ("en", "2.30", "2:30"),
    ],
)
def test_times_with_minutes_are_rewritten_as_digits(language: str, said: str, digits: str) -> None:
    assert clock_digits(said, language) == digits


@pytest.mark.parametrize(
    ("language", "said"),
    [
        # "juleaften" is no "i aften": not this evening (a part of the day is a whole
        # word), but a time the bot says it cannot book.
        ("da", "juleaften"),
        ("da", "nytårsaften"),
        ("en", "christmas eve"),
        ("da", "om to uger"),
        ("da", "til januar"),
        ("da", "i løbet af ugen"),
        ("da", "mellem jul og nytår"),
        ("en", "in two weeks"),
        ("en", "in january"),
        ("en", "during the week"),
    ],
)
def test_times_the_bot_cannot_place_are_named_as_such(language: str, said: str) -> None:
    assert callback_window(said, MONDAY, CPH, language) is None
    assert names_unplaced_time(said, language)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("da", "så hurtigt som muligt"),
        ("da", "hurtigst muligt"),
        ("da", "med det samme"),
        ("da", "ring mig op nu"),
        ("en", "as soon as possible"),
        ("en", "asap please"),
        ("en", "right away"),
    ],
)
def test_as_soon_as_possible_is_a_plain_callback_not_the_model_s_choice(
    language: str, said: str
) -> None:
    # Not "any time" (the model picks when the caller is likely free): the first moment
    # within the calling hours, as a plain callback is.
    window = callback_window(said, MONDAY, CPH, language)
    assert window is None or not window.any_time
    assert asks_plain_callback(said)


@pytest.mark.parametrize(
    ("language", "any_time"), [("da", "når som helst"), ("en", "any time is fine")]
)
def test_any_time_is_still_no_preference(language: str, any_time: str) -> None:
    window = callback_window(any_time, MONDAY, CPH, language)
    assert window is not None and window.any_time
    assert not asks_plain_callback(any_time)


@pytest.mark.parametrize(
    ("language", "said", "words"),
    [("da", "i weekenden", "på lørdag"), ("en", "at the weekend", "on Saturday")],
)
def test_the_weekend_said_on_a_closed_sunday_is_next_saturday(
    language: str, said: str, words: str
) -> None:
    fit, start, end, heard = kept(said, SUNDAY, language)
    # Saturdays 10-16 (no Sundays): next Saturday, not "we don't call on Sundays".
    assert fit is not None and fit is not Fit.CLOSED_DAY
    assert (at(start), at(end), heard) == ("Sat 10:00", "Sat 16:00", words)


def test_the_weekend_said_on_a_weekday_is_this_weekend() -> None:
    _fit, start, end, heard = kept("i weekenden", MONDAY, "da")
    assert (at(start), at(end), heard) == ("Sat 10:00", "Sat 16:00", "på lørdag")
    assert datetime.fromtimestamp(start or 0, ZoneInfo(CPH)).day == 12
