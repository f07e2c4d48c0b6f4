"""The days the bot offers as examples of "which day next week suits you?" are ones it
then accepts.

After a no to "next week, on Monday 14 December" the bot asked "Which day next week
suits you best? For example Tuesday, or Thursday afternoon", whatever the shop's
hours: a shop that calls on Mondays and Wednesdays only, or a week with a holiday, was
offered a day it then refused. The days are now chosen from the calling rules
(:func:`bot.dialogue.time_examples.week_examples`), each parsed back as the bot parses
the caller's answer (a weekday alone falls in the week asked about) and fitted to the
rules, the refused day left out; in English and Danish.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.dialogue import prompts
from bot.dialogue.time_examples import MIN_OPEN_S, week_examples, week_examples_sentence
from bot.dialogue.time_phrases import callback_window
from bot.dialogue.window_fit import fit_window
from scheduler.rules import CallingRules, is_holiday
from spillway.language_pack import load_pack

pytestmark = pytest.mark.usefixtures("english_after")

CPH = "Europe/Copenhagen"
RULES = CallingRules()  # weekdays 8-20, Saturdays 10-16, no Sundays, Danish holidays
LANGUAGES = ("en", "da")
MONDAY_7 = datetime(2026, 12, 7, 9, tzinfo=ZoneInfo(CPH)).timestamp()
WEEK_14 = date(2026, 12, 14)  # next week's Monday, offered and refused
WEEK_21 = date(2026, 12, 21)  # Christmas week: the 24th closed below, 25th-26th holidays
MON_WED = CallingRules(windows=((9.0, 16.0), None, (9.0, 16.0), None, None, None, None))


def said_day(said: str, now: float, rules: CallingRules, week: date, language: str) -> date:
    """The day ``said`` (an example) names when a caller answers it: it must parse, in
    the week asked about, to a window the rules allow with an hour of calling in it."""
    window = callback_window(said, now, CPH, language, week=week)
    assert window is not None, f"{said!r} does not parse in {language}"
    kept = fit_window(window, rules, now, CPH, language).window
    assert kept is not None, f"{said!r} is refused"
    assert kept.not_before is not None and kept.not_before >= now, said
    assert kept.not_after is not None and kept.not_after - kept.not_before >= MIN_OPEN_S, said
    day = datetime.fromtimestamp(kept.not_before, ZoneInfo(CPH)).date()
    assert rules.window(day) is not None and not is_holiday(rules, day), said
    assert week <= day < date.fromordinal(week.toordinal() + 7), said
    return day


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_ordinary_week_offers_two_days_apart_not_the_refused_monday(language: str) -> None:
    found = week_examples(MONDAY_7, RULES, CPH, WEEK_14, language, refused=WEEK_14)
    days = [said_day(s, MONDAY_7, RULES, WEEK_14, language) for s in found]
    assert days == [date(2026, 12, 15), date(2026, 12, 17)]  # Tuesday, Thursday


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_shop_calling_on_mondays_and_wednesdays_offers_only_those(language: str) -> None:
    # Monday refused: Wednesday is the one day left that week.
    found = week_examples(MONDAY_7, MON_WED, CPH, WEEK_14, language, refused=WEEK_14)
    assert [said_day(s, MONDAY_7, MON_WED, WEEK_14, language) for s in found] == [
        date(2026, 12, 16)
    ]
    # Nothing refused (or another day): both its days, Monday and Wednesday.
    both = week_examples(MONDAY_7, MON_WED, CPH, WEEK_14, language)
    days = [said_day(s, MONDAY_7, MON_WED, WEEK_14, language) for s in both]
    assert [d.weekday() for d in days] == [0, 2]
    prompts.use_language(language)  # the sentence is the active pack's, as in a call
    sentence = week_examples_sentence(MONDAY_7, MON_WED, CPH, WEEK_14, language)
    assert sentence == load_pack(language).say(
        "callback_day_examples_two", first=both[0], second=both[1]
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_week_with_holidays_offers_none_of_them(language: str) -> None:
    closed_24 = CallingRules(extra_holidays=frozenset({date(2026, 12, 24)}))
    for rules, second in ((RULES, 24), (closed_24, 23)):
        found = week_examples(MONDAY_7, rules, CPH, WEEK_21, language, refused=WEEK_21)
        days = [said_day(s, MONDAY_7, rules, WEEK_21, language) for s in found]
        # Tuesday 22nd, then Thursday 24th when the shop calls on it, else Wednesday 23rd:
        # never Christmas Day, Boxing Day (a Saturday) or the Sunday.
        assert days == [date(2026, 12, 22), date(2026, 12, second)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_week_with_no_open_day_says_so_from_the_pack(language: str) -> None:
    only_monday = CallingRules(windows=((9.0, 16.0),) + (None,) * 6)
    assert week_examples(MONDAY_7, only_monday, CPH, WEEK_14, language, refused=WEEK_14) == ()
    prompts.use_language(language)
    said = week_examples_sentence(MONDAY_7, only_monday, CPH, WEEK_14, language, refused=WEEK_14)
    assert said == load_pack(language).say("callback_day_examples_none")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_question_names_no_fixed_day(language: str) -> None:
    prompt = load_pack(language).prompts["callback_which_day_next_week"]
    assert "{examples}" in prompt.text and not prompt.fixed
    for day in load_pack(language).reading.weekdays:
        assert day.lower() not in prompt.text.lower(), day
