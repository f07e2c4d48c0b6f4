"""The promise a callback request carries, as the speech bot says it with its goodbye.

"We aim to call by three o'clock today.", "Vi regner med at ringe senest klokken
femten i dag.": the request's deadline as stored (its own, counted from the
caller's window when they asked for one, or the open request's it joined;
:mod:`scheduler.stored_promise`), in the DTMF menu's words. The hour and the
day are the menu's one decision (:func:`dialplan.callback_promise.promise_time`:
the deadline rounded up to the whole hour, never earlier than the promise); the
bot speaks with TTS, so a whole sentence is said, and a day further than a week
ahead by its date. "Aim": the deadline is the scheduler's target, not a guarantee.

When the caller's own window, said just before, names the one day the promise falls
on, the day is not said twice: "... on Thursday, between twelve and five. We aim to
call by four o'clock." (``callback_promise_same_day``; :func:`window_date`).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.dialogue.phrasing import Calendar
from bot.dialogue.prompts import active_pack, say
from bot.dialogue.time_phrases import CallbackWindow
from dialplan.callback_promise import MAX_WEEKDAY_AHEAD, promise_time
from scheduler.stored_promise import Promise


def promise_parts(promise: Promise | None, *, now: float) -> dict[str, str] | None:
    """The hour and the day that say ``promise`` to a caller at ``now`` in the active
    pack's words (``{hour}``, ``{day}`` of its sentences); None when there is none to
    say truly (unknown, past, or at midnight)."""
    if promise is None:
        return None
    when = promise_time(promise.deadline_at, now=now, timezone=promise.timezone)
    if when is None:
        return None
    reading = active_pack().reading
    if when.days_ahead == 0:
        day = say("day_today")
    elif when.days_ahead == 1:
        day = say("day_tomorrow")
    elif when.days_ahead <= MAX_WEEKDAY_AHEAD:
        day = say("callback_promise_weekday", weekday=reading.weekdays[when.weekday])
    else:
        # Further than a week: "on Monday 14 December" (a weekday alone is ambiguous).
        calendar = Calendar(ZoneInfo(promise.timezone), lambda: now)
        day = say("when_on_date", date=calendar.date_text(when.at.timestamp()))
    return {"hour": reading.hour_word(when.hour), "day": day}


def window_date(window: CallbackWindow | None, *, now: float, timezone: str) -> date | None:
    """The one local day ``window`` (as said back to the caller at ``now``) lies in; None
    when there is none, it has no end ("from tomorrow", "any time") or spans days ("at
    the weekend")."""
    if window is None or window.any_time or window.not_after is None:
        return None
    tz = ZoneInfo(timezone)
    start = window.not_before if window.not_before is not None else now
    first = datetime.fromtimestamp(max(start, now), tz).date()
    last = datetime.fromtimestamp(window.not_after - 1, tz).date()  # an end at 24:00
    return first if first == last else None


def promise_sentence(
    promise: Promise | None, *, now: float, window: CallbackWindow | None = None
) -> str:
    """ "We aim to call by three o'clock today."; for a request timed by prediction, its
    day only ("We aim to call when you're most likely to be free, today at the latest.",
    :mod:`scheduler.stored_promise`); "" when there is none to say truly.
    ``window``: the caller's own, said just before; when it names the day the promise
    falls on, the day is left out ("We aim to call by three o'clock."), and a request
    timed by prediction says nothing more, nor when the window names hours, whatever day
    its deadline falls on (the window said back is its promise: a first call is placed
    inside it)."""
    parts = promise_parts(promise, now=now)
    if promise is None or parts is None:
        return ""
    when = promise_time(promise.deadline_at, now=now, timezone=promise.timezone)
    named = window_date(window, now=now, timezone=promise.timezone)
    same_day = when is not None and named is not None and when.at.date() == named
    if promise.likely:
        # A time of day the caller named, read back and agreed, is the promise when the
        # deadline lies inside it: a first call is placed there. A deadline a day later
        # ("from five o'clock tomorrow ... on Tuesday at the latest") was heard as a
        # contradiction. Days alone ("any day but Friday") keep the day it will be by,
        # and a deadline past the window (a request it joined) is said.
        timed = window is not None and _names_hours(window) and _inside(promise, window)
        return "" if same_day or timed else say("callback_promise_likely", day=parts["day"])
    if same_day:
        return say("callback_promise_same_day", hour=parts["hour"])
    return say("callback_promise", **parts)


def _names_hours(window: CallbackWindow) -> bool:
    """Whether ``window`` names hours ("after five", "in the morning", "at two")."""
    hours = (window.start_hour, window.end_hour, window.around_hour, window.part)
    return not window.any_time and any(h is not None for h in hours)


def _inside(promise: Promise, window: CallbackWindow) -> bool:
    """Whether ``promise``'s deadline lies within ``window`` (one with no end: always)."""
    return window.not_after is None or promise.deadline_at <= window.not_after
