"""Why a window the caller named is not kept, in a few words, and what is offered instead.

A window with no calling hours in it (:mod:`bot.dialogue.window_fit`) is
refused with the reason: "we don't make calls on Sundays", "on Thursday 24
December we only call between ten and two o'clock", "we only call until eight
o'clock today". :func:`refusal_why` words the verdict in the active pack.

"Call me back today" said when today's calling hours are over, nearly over
(``TODAY_MIN_S``), or on a day with no calls was not even heard as a time ("I
didn't catch a time"). Now the caller hears that today is not possible, why,
and the next possibility, asked about: "We can call you from eight o'clock
tomorrow, Tuesday 8 December. Does that suit you?" (:func:`today_offer`: the
first moment after today the calling rules allow a call to the number, as the
dialer reckons it, :func:`scheduler.rules.next_allowed`; kept after a yes).
"Ring efter klokken fire" refused the same way (on a Sunday, or said after the
day's calls) is offered the first day with calls from four o'clock: "Vi kan ringe
dig op fra klokken seksten i morgen, mandag den 7. december."

Pure functions of the verdict, the rules, the number, the moment and the time
zone; the words are the active pack's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.dialogue.named_days import day_key
from bot.dialogue.phrasing import Calendar, hour_text
from bot.dialogue.prompts import active_pack, say
from bot.dialogue.time_phrases import CallbackWindow
from bot.dialogue.window_fit import Fit, WindowFit
from scheduler.rules import CallingRules, RequestFacts, next_allowed
from scheduler.windows import MAX_AHEAD_S

# "After four" refused today: the days ahead searched for calls from four o'clock.
_SEARCH_DAYS = 14


@dataclass(frozen=True, slots=True)
class TodayOffer:
    """The next possibility offered when "today" is refused: the window kept after a yes
    (from that moment on) and the question that offers it."""

    window: CallbackWindow
    question: str


def refusal_why(fitted: WindowFit, now: float, timezone: str) -> str:
    """Why ``fitted`` (a verdict with no window) has no calling hours, in the pack's words."""
    assert fitted.window is None and fitted.day is not None
    tz = ZoneInfo(timezone)
    noon = datetime.combine(fitted.day, time(12), tz).timestamp()
    day_text = Calendar(tz, lambda: now).date_text(noon)
    start, end = fitted.hours or (0.0, 0.0)
    if fitted.fit is Fit.CLOSED_DAY:
        weekday = active_pack().reading.weekdays[fitted.day.weekday()]
        return say("callback_why_closed_day", weekday=weekday)
    if fitted.fit is Fit.HOLIDAY:
        return say("callback_why_holiday", date=day_text)
    if fitted.fit is Fit.TODAY_OVER:
        # "Today" when today's calls are over or nearly: when they end, in a few words.
        return say("callback_why_today_over", end=hour_text(end))
    if fitted.fit is Fit.TOO_FAR:
        return say("callback_why_too_far", days=round(MAX_AHEAD_S / 86400))
    return say("callback_why_hours", date=day_text, start=hour_text(start), end=hour_text(end))


def today_offer(
    rules: CallingRules | None,
    phone: str,
    now: float,
    timezone: str,
    after_hour: float | None = None,
) -> TodayOffer | None:
    """The first moment after today the rules allow a call to ``phone``, as a window from
    then on ("from eight o'clock tomorrow, Tuesday 8 December") and the question offering
    it; None without rules, or when no moment is allowed before the request would expire.
    ``after_hour``: the hour the caller named ("after four"): the first day after today
    with calls allowed from then, from then ("from four o'clock tomorrow ..."); the first
    moment after today when no day in the next two weeks has."""
    if rules is None:
        return None
    tz = ZoneInfo(timezone)
    today = datetime.fromtimestamp(now, tz).date()
    facts = RequestFacts(phone=phone, timezone=timezone, created_at=now)
    at = _from_hour(rules, facts, today, after_hour, tz) if after_hour is not None else None
    if at is None:
        tomorrow = datetime.combine(today + timedelta(days=1), time(), tz).timestamp()
        at = next_allowed(rules, facts, tomorrow)
    if at is None:
        return None
    local = datetime.fromtimestamp(at, tz)
    hour = local.hour + local.minute / 60
    words = say("callback_from", hour=hour_text(hour), day=Calendar(tz, lambda: now).when(at))
    window = CallbackWindow(at, None, words, day_key=day_key(local.date(), today), start_hour=hour)
    return TodayOffer(window, say("callback_today_offer", when=words))


def _from_hour(
    rules: CallingRules, facts: RequestFacts, today: date, hour: float, tz: ZoneInfo
) -> float | None:
    """The first moment, on the first day after ``today`` that allows one from ``hour``
    on that day, at or after ``hour`` (None: no such day in ``_SEARCH_DAYS``)."""
    for ahead in range(1, _SEARCH_DAYS + 1):
        day = today + timedelta(days=ahead)
        midnight = datetime.combine(day, time(), tz)
        at = next_allowed(rules, facts, (midnight + timedelta(hours=hour)).timestamp())
        if at is None:
            return None  # the request would expire first
        if datetime.fromtimestamp(at, tz).date() == day:
            return at
    return None
