"""A window the caller names is checked against the calling rules (walk-through, item 1).

"Tomorrow morning" said on a Saturday night is a Sunday, when the rules allow
no call: the bot said "we'll call you tomorrow morning", recorded a window the
dialer could never honour, and the customer was never called. Now the window
is not recorded, the caller hears why and is asked for another time; a window
the rules allow only in part is clipped ("tomorrow morning, between ten and
twelve" for a Saturday, when calls start at ten). English and Danish, with a
fixed clock: the pure decision, then the dialogue over the demo shop.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import TextTurn
from bot.dialogue.machine import Dialogue, State
from bot.dialogue.time_phrases import callback_window
from bot.dialogue.window_fit import Fit, fit_window
from scheduler.rules import CallingRules
from scheduler.windows import window_problem
from spillway.storage import SqliteStore
from tests.callback_dialogue_fixtures import started, stored_window

CPH = "Europe/Copenhagen"
RULES = CallingRules()  # weekdays 8-20, Saturdays 10-16, no Sundays, Danish holidays
PHONE = "20 12 34 56"
E164 = "+4520123456"


pytestmark = pytest.mark.usefixtures("english_after")


def _local(month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(CPH)).timestamp()


SATURDAY_NIGHT = _local(12, 5, 0, 50)  # Saturday 5 December 2026, 00:50
FRIDAY_EVENING = _local(12, 4, 20, 30)  # tomorrow is Saturday: calls from ten
SATURDAY_MORNING = _local(12, 5, 8, 0)  # today is Saturday: calls from ten
CHRISTMAS_EVE = _local(12, 24, 9, 0)  # Thursday; tomorrow is Christmas Day (a holiday)

TOMORROW_MORNING = {"en": "tomorrow morning", "da": "i morgen formiddag"}
THIS_MORNING = {"en": "this morning", "da": "i formiddag"}
ASK_CALLBACK = {"en": "can someone call me back", "da": "jeg vil gerne ringes op"}
YES = {"en": "yes", "da": "ja"}
ANY_TIME = {"en": "any time", "da": "når som helst"}


def _fit(said: str, now: float, language: str) -> tuple[Fit, str, float | None, float | None]:
    window = callback_window(said, now, CPH, language)
    assert window is not None, said
    fitted = fit_window(window, RULES, now, CPH, language)
    kept = fitted.window
    if kept is None:
        return fitted.fit, "", None, None
    return fitted.fit, kept.words, kept.not_before, kept.not_after


# -- the pure decision -------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "da"])
def test_tomorrow_morning_on_a_saturday_night_is_a_closed_sunday(language: str) -> None:
    fit, words, *_ = _fit(TOMORROW_MORNING[language], SATURDAY_NIGHT, language)
    assert fit is Fit.CLOSED_DAY and words == ""
    # The CSV import's check agrees: no calling hours in that window.
    window = callback_window(TOMORROW_MORNING[language], SATURDAY_NIGHT, CPH, language)
    assert window is not None
    problem = window_problem(
        RULES,
        phone=E164,
        now=SATURDAY_NIGHT,
        timezone=CPH,
        not_before=window.not_before,
        not_after=window.not_after,
    )
    assert problem is not None and "no calling hours" in problem.message


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "tomorrow morning, between ten and twelve"),
        ("da", "i morgen formiddag, mellem klokken ti og tolv"),
    ],
)
def test_a_saturday_morning_is_clipped_to_the_saturday_hours(language: str, words: str) -> None:
    fit, said_back, begin, end = _fit(TOMORROW_MORNING[language], FRIDAY_EVENING, language)
    assert (fit, said_back) == (Fit.CLIPPED, words)
    assert (begin, end) == (_local(12, 5, 10), _local(12, 5, 12))


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "this morning, between ten and twelve"),
        ("da", "i formiddag, mellem klokken ti og tolv"),
    ],
)
def test_this_morning_said_on_a_saturday_is_clipped_too(language: str, words: str) -> None:
    fit, said_back, begin, end = _fit(THIS_MORNING[language], SATURDAY_MORNING, language)
    assert (fit, said_back) == (Fit.CLIPPED, words)
    assert (begin, end) == (_local(12, 5, 10), _local(12, 5, 12))


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_day_before_a_holiday_tomorrow_is_refused(language: str) -> None:
    assert _fit(TOMORROW_MORNING[language], CHRISTMAS_EVE, language)[0] is Fit.HOLIDAY


def test_windows_the_rules_allow_are_kept_as_named() -> None:
    monday = _local(12, 7, 9)
    window = callback_window("this afternoon", monday, CPH)
    assert window is not None
    assert fit_window(window, RULES, monday, CPH).window == window
    evening = callback_window("this evening", SATURDAY_MORNING, CPH)  # 17-20; Saturdays end at 16
    assert evening is not None
    assert fit_window(evening, RULES, SATURDAY_MORNING, CPH).fit is Fit.NO_HOURS
    # No rules configured, "any time", an open end: nothing to check here.
    assert fit_window(evening, None, SATURDAY_MORNING, CPH).window == evening
    # "After five" on a Saturday (calls end at four): that day has none; on a Monday it is kept.
    after = callback_window("after five", SATURDAY_MORNING, CPH)
    assert after is not None and after.not_after is None
    assert fit_window(after, RULES, SATURDAY_MORNING, CPH).fit is Fit.NO_HOURS
    after = callback_window("after five", monday, CPH)
    assert after is not None and fit_window(after, RULES, monday, CPH).window == after
    anytime = callback_window("any time", SATURDAY_NIGHT, CPH)
    assert anytime is not None and fit_window(anytime, RULES, SATURDAY_NIGHT, CPH).fit is Fit.FITS


# -- the dialogue --------------------------------------------------------------------


@pytest.fixture
def demo_now() -> float:
    """The demo shop (tests/dialogue_fixtures.py) is seeded on the Saturday night."""
    return SATURDAY_NIGHT


async def _call(backends: Backends, language: str, now: float, *said: str) -> Dialogue:
    d = await started(backends, language, now)
    for line in said:
        await d.handle(TextTurn(line))
    return d


@pytest.mark.parametrize(
    ("language", "why", "ask"),
    [
        ("en", "we don't make calls on Sundays", "When else suits you? For example, say any time"),
        ("da", "vi ringer ikke op om søndagen", "Hvornår passer det dig ellers?"),
    ],
)
async def test_a_closed_sunday_is_not_promised_nor_recorded(
    language: str, why: str, ask: str, demo: Backends, store: SqliteStore
) -> None:
    d = await _call(
        demo, language, SATURDAY_NIGHT, ASK_CALLBACK[language], YES[language],
        TOMORROW_MORNING[language],
    )  # fmt: skip
    reply = d.turns[-1].reply
    assert reply.action == "callback_window_closed" and not reply.end_call, reply.text
    assert why in reply.text and ask in reply.text
    assert TOMORROW_MORNING[language] in reply.text  # what was asked for, said back as refused
    assert d.state is State.CONFIRM_CALLBACK and not d.ended
    assert stored_window(store) == (None, None)
    # "Any time": recorded, and the goodbye promises the first allowed moment, no Sunday.
    reply = await d.handle(TextTurn(ANY_TIME[language]))
    assert reply.action == "callback_recorded" and reply.end_call
    assert TOMORROW_MORNING[language] not in reply.text
    assert stored_window(store) == (None, None)


async def test_a_second_closed_window_keeps_the_request_without_a_time(
    demo: Backends, store: SqliteStore
) -> None:
    d = await _call(demo, "en", SATURDAY_NIGHT, "call me back please", "yes", "tomorrow morning")
    reply = await d.handle(TextTurn("tomorrow afternoon"))
    assert reply.action == "callback_recorded" and reply.end_call
    assert reply.text.startswith("We can't call you at that time either")
    assert "tomorrow afternoon" not in reply.text and stored_window(store) == (None, None)


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_window_named_with_the_request_is_refused_before_the_yes(
    language: str, demo: Backends, store: SqliteStore
) -> None:
    ask = {"en": "call me back tomorrow morning", "da": "ring mig op i morgen formiddag"}
    d = await _call(demo, language, SATURDAY_NIGHT, ask[language])
    proposal = d.turns[-1].reply
    assert proposal.action == "confirm_callback", proposal.text
    sorry = {"en": "Sorry, we can't call you tomorrow morning", "da": "Beklager, vi kan ikke"}
    assert proposal.text.startswith(sorry[language]), proposal.text
    reply = await d.handle(TextTurn(YES[language]))
    assert reply.action == "callback_confirm" and not reply.end_call, reply.text
    assert ANY_TIME[language] in reply.text  # the example
    assert stored_window(store) == (None, None)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "tomorrow morning, between ten and twelve"),
        ("da", "i morgen formiddag, mellem klokken ti og tolv"),
    ],
)
async def test_a_saturday_morning_is_read_back_and_kept_clipped(
    language: str, words: str, demo: Backends, store: SqliteStore
) -> None:
    d = await _call(
        demo, language, FRIDAY_EVENING, ASK_CALLBACK[language], YES[language],
        TOMORROW_MORNING[language],
    )  # fmt: skip
    reply = d.turns[-1].reply
    assert reply.action == "callback_recorded" and words in reply.text, reply.text
    assert stored_window(store) == (_local(12, 5, 10), _local(12, 5, 12))


@pytest.mark.parametrize(
    ("language", "why"),
    [("en", "public holidays, and Friday 25 December"), ("da", "fredag den 25. december")],
)
async def test_the_day_before_a_holiday_tomorrow_is_not_promised(
    language: str, why: str, demo: Backends, store: SqliteStore
) -> None:
    d = await _call(
        demo, language, CHRISTMAS_EVE, ASK_CALLBACK[language], YES[language],
        TOMORROW_MORNING[language],
    )  # fmt: skip
    reply = d.turns[-1].reply
    assert reply.action == "callback_window_closed" and why in reply.text, reply.text
    assert stored_window(store) == (None, None)
