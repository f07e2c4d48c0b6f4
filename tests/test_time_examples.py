"""The times the bot offers as examples of "when suits you best?" are ones it then accepts.

On a Saturday at 19:25 the bot offered "tomorrow morning" and refused it when the
caller said it back ("we don't make calls on Sundays"). The examples are now chosen
from the calling rules (:func:`bot.dialogue.time_examples.open_examples`): the pure
choice, in English and Danish, each example parsed back with the bot's own window
parser and fitted to the rules; the wording (``{examples}``) in both packs.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.dialogue import prompts
from bot.dialogue.time_examples import MIN_OPEN_S, examples_sentence, open_examples
from bot.dialogue.time_phrases import callback_window
from bot.dialogue.window_fit import fit_window
from scheduler.rules import CallingRules, is_holiday
from spillway.language_pack import load_pack

pytestmark = pytest.mark.usefixtures("english_after")

CPH = "Europe/Copenhagen"
RULES = CallingRules()  # weekdays 8-20, Saturdays 10-16, no Sundays, Danish holidays
LANGUAGES = ("en", "da")


def local(month: int, day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(CPH)).timestamp()


SATURDAY_EVENING = local(12, 5, 19, 25)  # the admin's call
WEEKDAY_MORNING = local(12, 7, 10)  # Monday
WEEKDAY_EVENING = local(12, 7, 19, 30)
CHRISTMAS_EVE = local(12, 24, 19)  # Thursday; 25 and 26 December holidays, 27th a Sunday
DEC_23 = local(12, 23, 19)  # Wednesday
CLOSED_XMAS_EVE = CallingRules(extra_holidays=frozenset({date(2026, 12, 24)}))
# A shop of its own: weekdays 9-15 only.
SHORT_WEEK = CallingRules(windows=((9.0, 15.0),) * 5 + (None, None))
FRIDAY_LUNCH = local(12, 4, 13)


def allowed_day(said: str, now: float, rules: CallingRules, language: str) -> date:
    """The day ``said`` (an example) names when a caller says it back at ``now``: it must
    parse to a window the rules allow, not yet begun, with an hour of calling in it."""
    window = callback_window(said, now, CPH, language)
    assert window is not None, f"{said!r} does not parse in {language}"
    kept = fit_window(window, rules, now, CPH, language).window
    assert kept is not None, f"{said!r} is refused at {datetime.fromtimestamp(now)}"
    assert kept.not_before is not None and kept.not_before >= now, said
    assert kept.not_after is not None and kept.not_after - kept.not_before >= MIN_OPEN_S, said
    day = datetime.fromtimestamp(kept.not_before, ZoneInfo(CPH)).date()
    assert rules.window(day) is not None and not is_holiday(rules, day), said
    return day


MONDAY = {"en": ("on Monday morning", "on Monday afternoon"),
          "da": ("på mandag formiddag", "på mandag eftermiddag")}  # fmt: skip


@pytest.mark.parametrize(
    ("now", "rules", "expected", "day"),
    [
        (SATURDAY_EVENING, RULES, MONDAY, 7),
        (WEEKDAY_MORNING, RULES, {"en": ("this afternoon", "tomorrow morning"),
                                  "da": ("i eftermiddag", "i morgen formiddag")}, None),
        (WEEKDAY_EVENING, RULES, {"en": ("tomorrow morning", "tomorrow afternoon"),
                                  "da": ("i morgen formiddag", "i morgen eftermiddag")}, 8),
        (CHRISTMAS_EVE, RULES, MONDAY, 28),
        (DEC_23, CLOSED_XMAS_EVE, MONDAY, 28),
        (FRIDAY_LUNCH, SHORT_WEEK, MONDAY, 7),
    ],
    ids=["saturday-evening", "weekday-10", "weekday-19:30", "christmas-eve",
         "dec-23-shop-closed-24", "custom-hours-friday"],
)  # fmt: skip
def test_the_examples_are_the_first_open_parts_of_the_day(
    now: float, rules: CallingRules, expected: dict[str, tuple[str, str]], day: int | None
) -> None:
    for language in LANGUAGES:
        found = open_examples(now, rules, CPH, language)
        assert found == expected[language], language
        days = [allowed_day(said, now, rules, language) for said in found]
        assert days == sorted(days)
        if day is not None:  # both on the first day the rules open
            assert days == [date(2026, 12, day)] * 2


def test_a_day_before_a_holiday_the_holidays_and_sunday_are_skipped() -> None:
    # 23 December, 19:00: the 24th still open by default, closed by a shop that says so.
    assert open_examples(DEC_23, RULES, CPH) == ("tomorrow morning", "tomorrow afternoon")
    days = {
        allowed_day(s, DEC_23, CLOSED_XMAS_EVE, "en")
        for s in open_examples(DEC_23, CLOSED_XMAS_EVE, CPH)
    }
    assert days == {date(2026, 12, 28)}  # not the 24th-27th


def test_custom_hours_leave_out_the_parts_they_close() -> None:
    # Weekdays 13-19: never a morning; this afternoon (from 13) and tomorrow afternoon.
    afternoons = CallingRules(windows=((13.0, 19.0),) * 5 + (None, None))
    found = open_examples(WEEKDAY_MORNING, afternoons, CPH)
    assert found == ("this afternoon", "tomorrow afternoon")
    window = callback_window(found[0], WEEKDAY_MORNING, CPH)
    assert window is not None
    kept = fit_window(window, afternoons, WEEKDAY_MORNING, CPH).window
    assert kept is not None and kept.not_before == local(12, 7, 13)


def test_a_part_already_under_way_or_nearly_over_is_not_offered() -> None:
    # 16:30: the afternoon is under way; the evening (17-20) is next, then tomorrow.
    assert open_examples(local(12, 7, 16, 30), RULES, CPH) == ("this evening", "tomorrow morning")
    # Saturday 9:00: the morning has not begun for calls (they start at ten).
    assert open_examples(local(12, 5, 9), RULES, CPH)[0] == "this morning"
    # Calls till 17:30 on weekdays: this evening's half hour is no example.
    late = CallingRules(windows=((8.0, 17.5),) * 5 + (None, None))
    assert open_examples(local(12, 7, 16, 30), late, CPH)[0] == "tomorrow morning"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_example_at_every_hour_of_a_week_parses_back_allowed(language: str) -> None:
    for rules in (RULES, SHORT_WEEK, CLOSED_XMAS_EVE):
        for day in (5, 6, 7, 23, 24, 25):
            for hour in range(0, 24, 1):
                now = local(12, day, hour, 30)
                found = open_examples(now, rules, CPH, language)
                assert len(found) == 2, (day, hour)
                for said in found:
                    allowed_day(said, now, rules, language)


def test_no_rules_no_calls_and_far_examples() -> None:
    # No calling rules configured: every part is open; the one under way is not offered.
    assert open_examples(WEEKDAY_MORNING, None, CPH) == ("this afternoon", "tomorrow morning")
    # A shop that calls on Mondays only, asked on a Monday after its hours: dates beyond a week.
    mondays = CallingRules(windows=((9.0, 12.0),) + (None,) * 6)
    found = open_examples(local(12, 7, 13), mondays, CPH, "da")
    assert found == (
        "mandag den 14. december om formiddagen",
        "mandag den 21. december om formiddagen",
    )
    for said in found:
        allowed_day(said, local(12, 7, 13), mondays, "da")
    # A shop that never calls: no day-part, only "any time".
    never = CallingRules(windows=(None,) * 7)
    assert open_examples(WEEKDAY_MORNING, never, CPH) == ()


@pytest.mark.parametrize(
    ("language", "two", "none"),
    [
        ("en", "For example on Monday morning, on Monday afternoon, or any time.",
         "For example, say any time."),
        ("da", "For eksempel på mandag formiddag, på mandag eftermiddag eller når som helst.",
         "Sig for eksempel når som helst."),
    ],
)  # fmt: skip
def test_the_sentence_is_the_packs(language: str, two: str, none: str) -> None:
    prompts.use_language(language)
    assert examples_sentence(SATURDAY_EVENING, RULES, CPH, language) == two
    never = CallingRules(windows=(None,) * 7)
    assert examples_sentence(SATURDAY_EVENING, never, CPH, language) == none
    # Mondays only, the 21st closed: asked on Monday 7th at ten (its morning under way),
    # one example in two weeks, the 14th.
    mondays = CallingRules(
        windows=((9.0, 12.0),) + (None,) * 6, extra_holidays=frozenset({date(2026, 12, 21)})
    )
    [only] = open_examples(WEEKDAY_MORNING, mondays, CPH, language)
    assert "14" in only and allowed_day(only, WEEKDAY_MORNING, mondays, language).day == 14
    one = examples_sentence(WEEKDAY_MORNING, mondays, CPH, language)
    assert one == load_pack(language).say("callback_examples_one", first=only)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_prompt_that_asks_when_names_a_fixed_time(language: str) -> None:
    pack = load_pack(language)
    asking = [key for key, p in pack.prompts.items() if "{examples}" in p.text]
    assert set(asking) >= {
        "callback_confirm", "callback_ask_when", "callback_number_refused",
        "callback_when_again", "callback_when_unclear", "callback_when_closed",
    }  # fmt: skip
    fixed_times = ("tomorrow morning", "this afternoon", "i morgen formiddag", "i eftermiddag")
    for key in asking:
        prompt = pack.prompts[key]
        assert not prompt.fixed, key  # rendered per call, never from the prompt cache
        assert not any(t in prompt.text for t in fixed_times), key
