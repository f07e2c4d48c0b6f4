""" "Call me back, but not on Friday": the day ruled out is kept out of the request.

The audit heard "not on Friday" booked ON Friday, "anytime except Friday" booked
with the exception dropped. Now a day ruled out ends the request's window before
it (or, when no calling time is left before it, starts the window after it), the
caller hears the window in words ("any day but Friday") and is asked before it is
kept, and the scheduler's planner never picks a moment on that day. A fixed clock:
Sunday 6 December 2026, 10:00, Copenhagen; the demo shop calls weekdays 8-20,
Saturdays 10-16, never on Sundays.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.backends import Backends
from bot.dialogue.excluded_days import avoiding_window, caller_window, excluded_days
from bot.dialogue.inputs import TextTurn
from bot.dialogue.machine import State
from bot.dialogue.time_phrases import CallbackWindow, normal_words
from bot.dialogue.window_fit import fit_window
from scheduler.rules import RequestFacts, next_allowed
from spillway.storage import SqliteStore
from tests import callback_dialogue_fixtures as fx
from tests.callback_dialogue_fixtures import CPH, RULES, YES, local

FRIDAY, MONDAY, TUESDAY = 4, 0, 1
SAID_BACK = {"en": "any day but Friday", "da": "alle dage undtagen fredag"}
SUNDAY = local(6, 10)  # Sunday 6 December 2026, 10:00

pytestmark = pytest.mark.usefixtures("english_after")


@pytest.mark.parametrize(
    ("language", "said", "days"),
    [
        ("en", "can you call me back, but not on Friday", {FRIDAY}),
        ("en", "any day but Friday", {FRIDAY}),
        ("en", "anytime except Friday", {FRIDAY}),
        ("en", "not Monday or Tuesday", {MONDAY, TUESDAY}),
        ("en", "never on Fridays", {FRIDAY}),
        ("da", "ikke på fredag", {FRIDAY}),
        ("da", "bare ikke fredag", {FRIDAY}),
        ("da", "alle dage undtagen fredag", {FRIDAY}),
        ("da", "ikke mandag eller tirsdag", {MONDAY, TUESDAY}),
    ],
)
def test_the_days_ruled_out_are_heard(language: str, said: str, days: set[int]) -> None:
    ruled, rest = excluded_days(normal_words(said), language)
    assert ruled == days
    # The day is gone from the words left, so no later rule takes it for the day named.
    assert "fri" not in rest and "fred" not in rest and "mon" not in rest


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "on Friday afternoon"),
        ("en", "not before ten"),
        ("da", "på fredag"),
        ("da", "ikke i dag"),
    ],
)
def test_a_day_named_without_a_no_rules_nothing_out(language: str, said: str) -> None:
    assert excluded_days(normal_words(said), language)[0] == frozenset()


def _fitted(said: str, language: str) -> CallbackWindow:
    window = caller_window(said, SUNDAY, CPH, language)
    assert window is not None and window.check  # read back before it is kept
    kept = fit_window(window, RULES, SUNDAY, CPH, language).window
    assert kept is not None
    return kept


@pytest.mark.parametrize("language", ["en", "da"])
def test_not_on_friday_is_the_calling_days_before_friday(language: str) -> None:
    said = {"en": "not on Friday", "da": "ikke på fredag"}[language]
    kept = _fitted(said, language)
    assert (kept.not_before, kept.not_after) == (local(7, 8), local(10, 20))
    assert kept.words == SAID_BACK[language]


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_first_calling_day_ruled_out_starts_the_window_after_it(language: str) -> None:
    said = {"en": "not Monday", "da": "bare ikke mandag"}[language]
    kept = _fitted(said, language)
    # Sunday has no calls and Monday is ruled out: Tuesday to Saturday.
    assert (kept.not_before, kept.not_after) == (local(8, 8), local(12, 16))


def test_every_day_ruled_out_is_no_window() -> None:
    assert avoiding_window(frozenset(range(7)), SUNDAY, CPH, "en") is None


@pytest.mark.parametrize("said", ["not on Friday", "not Monday or Tuesday"])
def test_the_planner_never_plans_on_a_day_ruled_out(said: str) -> None:
    kept = _fitted(said, "en")
    ruled = excluded_days(normal_words(said), "en")[0]
    facts = RequestFacts(
        phone="+4520123456",
        timezone=CPH,
        created_at=SUNDAY,
        not_before=kept.not_before,
        not_after=kept.not_after,
    )
    at, planned = SUNDAY, []
    while (moment := next_allowed(RULES, facts, at)) is not None:
        planned.append(moment)
        at = moment + 3600
    assert planned, "the window has calling time"
    days = {local_weekday(m) for m in planned}
    assert not days & ruled and days


def local_weekday(moment: float) -> int:
    return datetime.fromtimestamp(moment, ZoneInfo(CPH)).weekday()


@pytest.mark.parametrize("language", ["en", "da"])
async def test_said_with_the_request_it_is_read_back_and_kept(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await fx.started(demo, language, SUNDAY)
    said = {
        "en": "can you call me back, but not on Friday",
        "da": "ring mig op, men ikke på fredag",
    }
    proposal = await d.handle(TextTurn(said[language]))
    assert SAID_BACK[language] in proposal.text, proposal.text
    done = await d.handle(TextTurn(YES[language]))
    assert d.ended and SAID_BACK[language] in done.text, done.text
    assert fx.stored_window(store) == (local(7, 8), local(10, 20))


@pytest.mark.parametrize("language", ["en", "da"])
async def test_said_when_asked_it_is_read_back_before_it_is_kept(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await fx.asked_when(demo, language, SUNDAY)
    said = {"en": "not on Friday", "da": "bare ikke fredag"}[language]
    check = await d.handle(TextTurn(said))
    assert check.action == "callback_check_when" and SAID_BACK[language] in check.text
    assert d.state is State.CONFIRM_CALLBACK and fx.stored_window(store) == (None, None)
    await d.handle(TextTurn(YES[language]))
    assert d.ended and fx.stored_window(store) == (local(7, 8), local(10, 20))
