""" "Call me back today" when today has no calls left: why, and the next possibility.

"Ring mig op i dag" said on a Sunday, or after the calling hours, was not heard
as a time at all ("Sorry, I didn't catch a time"), and "later today" was taken
for a goodbye. Now "today" alone is the rest of today within the calling hours;
when they are over, end within ``TODAY_MIN_S`` or today has none, the caller
hears that today is not possible, why in a few words ("we don't make calls on
Sundays", "we only call until eight o'clock") and the next possibility ("We can
call you from eight o'clock tomorrow, Monday 7 December. Does that suit
you?"), kept after a yes. Pure decisions with a fixed clock, then the dialogue
over the demo shop (default rules: weekdays 8-20, Saturdays 10-16, no Sundays).
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue import prompts
from bot.dialogue.inputs import TextTurn
from bot.dialogue.machine import State
from bot.dialogue.time_phrases import callback_window, whole_today
from bot.dialogue.window_fit import Fit, fit_window
from bot.dialogue.window_refusal import refusal_why, today_offer
from spillway.storage import SqliteStore
from tests.callback_dialogue_fixtures import (
    CPH,
    NO,
    RULES,
    YES,
    asked_when,
    local,
    started,
    stored_window,
)

pytestmark = pytest.mark.usefixtures("english_after")

PHONE = "+4520123456"
SUNDAY = local(6, 10)  # Sunday 6 December 2026, 10:00: no calls on Sundays
MONDAY_9 = local(7, 9)
MONDAY_1945 = local(7, 19) + 45 * 60  # calls end at 20:00: a quarter of an hour left
MONDAY_2030 = local(7, 20) + 30 * 60  # calls over
SATURDAY_1530 = local(5, 15) + 30 * 60  # calls end at 16:00: half an hour left
CHRISTMAS_DAY = local(25, 10)  # a public holiday
TODAY = {"en": "can you call me back today", "da": "ring mig op i dag"}


# -- the words -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "call me back today"),
        ("en", "later today please"),
        ("en", "any time today"),
        ("da", "ring mig op i dag"),
        ("da", "senere i dag"),
        ("da", "i løbet af dagen"),
        ("da", "når som helst i dag"),
    ],
)
def test_today_alone_is_the_rest_of_today(language: str, said: str) -> None:
    window = callback_window(said, MONDAY_9, CPH, language)
    assert window is not None and whole_today(window) and not window.any_time, said
    assert (window.not_before, window.not_after) == (None, local(8))
    assert window.words == {"en": "today", "da": "i dag"}[language]


@pytest.mark.parametrize(
    ("language", "said"), [("en", "not today"), ("da", "ikke i dag"), ("en", "today after five")]
)
def test_other_days_and_hours_are_not_the_whole_of_today(language: str, said: str) -> None:
    window = callback_window(said, MONDAY_9, CPH, language)
    assert window is not None and not whole_today(window), said


# -- the verdict ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "fit", "kept"),
    [
        (MONDAY_9, Fit.CLIPPED, (None, local(7, 20))),  # the rest of today's calling hours
        (SATURDAY_1530, Fit.CLIPPED, (None, local(5, 16))),  # half an hour: still kept
        (SATURDAY_1530 + 60, Fit.TODAY_OVER, None),  # a minute less: nearly over
        (MONDAY_1945, Fit.TODAY_OVER, None),
        (MONDAY_2030, Fit.TODAY_OVER, None),
        (SUNDAY, Fit.CLOSED_DAY, None),
        (CHRISTMAS_DAY, Fit.HOLIDAY, None),
    ],
)
def test_today_meets_the_calling_rules(
    now: float, fit: Fit, kept: tuple[float | None, float] | None
) -> None:
    window = callback_window("today", now, CPH, "en")
    assert window is not None
    fitted = fit_window(window, RULES, now, CPH, "en")
    assert fitted.fit is fit
    got = fitted.window
    assert (None if got is None else (got.not_before, got.not_after)) == kept


def test_without_calling_rules_today_is_kept_as_said() -> None:
    window = callback_window("today", MONDAY_2030, CPH, "en")
    assert window is not None
    assert fit_window(window, None, MONDAY_2030, CPH, "en").window == window


@pytest.mark.parametrize(
    ("language", "now", "why"),
    [
        ("en", MONDAY_1945, "we only call until eight o'clock"),
        ("da", MONDAY_2030, "vi ringer kun op til klokken tyve"),
        ("en", SUNDAY, "we don't make calls on Sundays"),
        ("da", SUNDAY, "vi ringer ikke op om søndagen"),
    ],
)
def test_why_today_is_refused_in_a_few_words(language: str, now: float, why: str) -> None:
    prompts.use_language(language)
    window = callback_window(TODAY[language], now, CPH, language)
    assert window is not None
    assert refusal_why(fit_window(window, RULES, now, CPH, language), now, CPH) == why


@pytest.mark.parametrize(
    ("language", "now", "at", "words"),
    [
        ("en", SUNDAY, local(7, 8), "from eight o'clock tomorrow, Monday 7 December"),
        ("da", MONDAY_2030, local(8, 8), "fra klokken otte i morgen, tirsdag den 8. december"),
        # Saturday after four: Sunday has no calls, so Monday.
        ("en", local(5, 17), local(7, 8), "from eight o'clock on Monday 7 December"),
        # Christmas Eve evening: the 25th and 26th are holidays, the 27th a Sunday.
        ("en", local(24, 21), local(28, 8), "from eight o'clock on Monday 28 December"),
    ],
)
def test_the_next_possibility_is_the_first_moment_after_today(
    language: str, now: float, at: float, words: str
) -> None:
    prompts.use_language(language)
    offer = today_offer(RULES, PHONE, now, CPH)
    assert offer is not None
    kept = offer.window
    assert (kept.not_before, kept.not_after, kept.words) == (at, None, words)
    assert words in offer.question and not whole_today(offer.window)


def test_no_rules_no_offer() -> None:
    assert today_offer(None, PHONE, SUNDAY, CPH) is None


# -- the dialogue --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "said", "heard"),
    [
        (
            "en",
            "today",
            "Sorry, we can't call you today: we don't make calls on Sundays. We can call you "
            "from eight o'clock tomorrow, Monday 7 December. Does that suit you?",
        ),
        (
            "da",
            "i dag",
            "Beklager, vi kan ikke ringe dig op i dag: vi ringer ikke op om søndagen. Vi kan "
            "ringe dig op fra klokken otte i morgen, mandag den 7. december. Passer det dig?",
        ),
    ],
)
async def test_today_on_a_sunday_offers_monday_and_a_yes_keeps_it(
    language: str, said: str, heard: str, demo: Backends, store: SqliteStore
) -> None:
    d = await asked_when(demo, language, SUNDAY)
    reply = await d.handle(TextTurn(said))
    assert reply.action == "callback_window_closed" and not reply.end_call, reply.text
    assert reply.text.startswith(heard), reply.text
    assert stored_window(store) == (None, None)
    done = await d.handle(TextTurn(YES[language]))
    assert done.action == "callback_recorded" and done.end_call, done.text
    assert stored_window(store) == (local(7, 8), None)


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_no_to_the_next_possibility_asks_when_instead(
    language: str, demo: Backends, store: SqliteStore
) -> None:
    d = await asked_when(demo, language, MONDAY_2030)
    await d.handle(TextTurn({"en": "today", "da": "i dag"}[language]))
    reply = await d.handle(TextTurn(NO[language]))
    assert reply.action == "callback_ask_when" and d.state is State.CONFIRM_CALLBACK, reply.text
    assert stored_window(store) == (None, None)


async def test_today_named_with_the_request_is_refused_before_the_yes(
    demo: Backends, store: SqliteStore
) -> None:
    d = await started(demo, "da", MONDAY_1945)
    proposal = await d.handle(TextTurn(TODAY["da"]))
    assert proposal.action == "confirm_callback", proposal.text
    assert proposal.text.startswith(
        "Beklager, vi kan ikke ringe dig op i dag: vi ringer kun op til klokken tyve. "
    ), proposal.text
    # The question is plainly about the number: "Vi ringer dig op på ..., er det
    # rigtigt?" straight after the refusal was heard as a booked call.
    assert "Er 20 12 34 56 det rigtige nummer at ringe til?" in proposal.text, proposal.text
    assert "Vi ringer dig op på" not in proposal.text
    # The yes is to the number; the next possibility follows, asked about.
    offer = await d.handle(TextTurn("ja"))
    assert offer.action == "callback_confirm" and not offer.end_call, offer.text
    assert "Vi kan ringe dig op fra klokken otte i morgen, tirsdag den 8. december." in offer.text
    done = await d.handle(TextTurn("ja"))
    assert done.action == "callback_recorded", done.text
    assert stored_window(store) == (local(8, 8), None)


async def test_later_today_is_a_time_not_a_goodbye(demo: Backends, store: SqliteStore) -> None:
    d = await asked_when(demo, "en", MONDAY_1945)
    reply = await d.handle(TextTurn("later today"))
    assert reply.action == "callback_window_closed" and not d.ended, reply.text
    assert "we only call until eight o'clock" in reply.text


@pytest.mark.parametrize("language", ["en", "da"])
async def test_today_with_calling_hours_left_is_kept(
    language: str, demo: Backends, store: SqliteStore
) -> None:
    d = await asked_when(demo, language, MONDAY_9)
    reply = await d.handle(TextTurn({"en": "later today", "da": "senere i dag"}[language]))
    assert reply.action == "callback_recorded", reply.text
    assert {"en": " today", "da": " i dag"}[language] in reply.text
    assert stored_window(store) == (None, local(7, 20))


# -- "after four", today (the caller audit of December 2026) ----------------------------

SUNDAY_5PM = local(6, 17)  # "after four" on a Sunday, its hour passed
AFTER_FOUR = {"en": "call me after four", "da": "ring efter klokken fire"}


@pytest.mark.parametrize(
    ("now", "fit"),
    [
        (SUNDAY, Fit.CLOSED_DAY),
        (SUNDAY_5PM, Fit.CLOSED_DAY),  # was kept: "we'll call you today after four"
        (MONDAY_2030, Fit.TODAY_OVER),  # was kept, with the day's calls over
        (MONDAY_1945, Fit.TODAY_OVER),  # a quarter of an hour is no promise
    ],
)
@pytest.mark.parametrize("language", ["en", "da"])
def test_after_four_with_no_calls_left_today_is_refused(
    language: str, now: float, fit: Fit
) -> None:
    window = callback_window(AFTER_FOUR[language], now, CPH, language)
    assert window is not None
    fitted = fit_window(window, RULES, now, CPH, language)
    assert (fitted.fit, fitted.window) == (fit, None)


def test_after_four_with_calls_left_today_is_kept() -> None:
    window = callback_window("after four", MONDAY_9, CPH, "en")
    assert window is not None and window.not_before == local(7, 16)
    assert fit_window(window, RULES, MONDAY_9, CPH, "en").window == window
    # Said at five, its hour passed: the rest of today's calls, as before.
    at_five = local(7, 17)
    window = callback_window("after four", at_five, CPH, "en")
    assert window is not None and fit_window(window, RULES, at_five, CPH, "en").window == window


@pytest.mark.parametrize(
    ("language", "now", "hour", "at", "words"),
    [
        ("en", SUNDAY, 16.0, local(7, 16), "from four o'clock tomorrow, Monday 7 December"),
        (
            "da",
            MONDAY_2030,
            16.0,
            local(8, 16),
            "fra klokken seksten i morgen, tirsdag den 8. december",
        ),
        # Friday evening: Saturday's calls end at four, so Monday from five.
        ("en", local(4, 21), 17.0, local(7, 17), "from five o'clock on Monday 7 December"),
        # No day has calls after nine in the evening: the first moment after today.
        ("en", SUNDAY, 21.0, local(7, 8), "from eight o'clock tomorrow, Monday 7 December"),
    ],
)
def test_the_next_possibility_keeps_the_hour_named(
    language: str, now: float, hour: float, at: float, words: str
) -> None:
    prompts.use_language(language)
    offer = today_offer(RULES, PHONE, now, CPH, after_hour=hour)
    assert offer is not None
    kept = offer.window
    assert (kept.not_before, kept.not_after, kept.words) == (at, None, words)


@pytest.mark.parametrize(
    ("language", "now", "heard", "kept"),
    [
        (
            "da",
            SUNDAY,
            "vi ringer ikke op om søndagen. Vi kan ringe dig op fra klokken seksten i morgen, "
            "mandag den 7. december. Passer det dig?",
            (local(7, 16), None),
        ),
        (
            "da",
            MONDAY_2030,
            "vi ringer kun op til klokken tyve. Vi kan ringe dig op fra klokken seksten i "
            "morgen, tirsdag den 8. december. Passer det dig?",
            (local(8, 16), None),
        ),
        (
            "en",
            SUNDAY,
            "we don't make calls on Sundays. We can call you from four o'clock tomorrow, "
            "Monday 7 December. Does that suit you?",
            (local(7, 16), None),
        ),
        (
            "en",
            MONDAY_2030,
            "we only call until eight o'clock. We can call you from four o'clock tomorrow, "
            "Tuesday 8 December. Does that suit you?",
            (local(8, 16), None),
        ),
    ],
)
async def test_after_four_refused_offers_the_next_day_from_four(
    language: str,
    now: float,
    heard: str,
    kept: tuple[float, None],
    demo: Backends,
    store: SqliteStore,
) -> None:
    d = await asked_when(demo, language, now)
    reply = await d.handle(TextTurn(AFTER_FOUR[language]))
    assert reply.action == "callback_window_closed" and not reply.end_call, reply.text
    assert heard in reply.text, reply.text
    assert stored_window(store) == (None, None)
    done = await d.handle(TextTurn(YES[language]))
    assert done.action == "callback_recorded" and done.end_call, done.text
    assert stored_window(store) == kept
