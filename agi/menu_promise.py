"""The DTMF menu's callback: tell the caller when the call will come.

After the controller records the menu's callback request, it reads back the
promise the request carries as stored (its deadline: the request's own, or the
open request's it joined; :func:`scheduler.stored_promise.stored_promise`) and names
the sound files that say it (:func:`dialplan.callback_promise.promise_files`)
in the channel variables ``SPILLWAY_PROMISE_HOUR`` and ``SPILLWAY_PROMISE_DAY``.
The dialplan plays them when both are set and installed, else the whole sentence
named in ``SPILLWAY_PROMISE_SAY``: the fixed thank-you ("at the latest on the next
day we call customers"), or, when the request joined an open one whose own window
the customer asked for ends later than that, "at the time you already asked for", or,
when it joined one already being tried, "we'll try calling you again", with no time
(:func:`fixed_key`). Nothing is synthesised at call time: the event loop only sets two
variables, and the database read runs in the store's worker thread.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dialplan.callback_promise import (
    RECORDED,
    RECORDED_AGAIN,
    RECORDED_ASKED,
    SpokenPromise,
    promise_files,
    reachable_hours,
)
from scheduler.rules import CallingRules, is_holiday
from scheduler.stored_promise import Promise

PROMISE_HOUR_VAR = "SPILLWAY_PROMISE_HOUR"
PROMISE_DAY_VAR = "SPILLWAY_PROMISE_DAY"
PROMISE_SAY_VAR = "SPILLWAY_PROMISE_SAY"


def spoken(promise: Promise | None, rules: CallingRules, *, now: float) -> SpokenPromise | None:
    """The files that say ``promise`` at ``now`` (None: the fixed thank-you says it)."""
    if promise is None:
        return None
    return promise_files(
        promise.deadline_at,
        now=now,
        timezone=promise.timezone,
        hours=reachable_hours(rules.windows),
        likely=promise.likely,
    )


def next_calling_day_end(rules: CallingRules, now: float, timezone: str) -> float:
    """The end of the calling hours of the first day after ``now``'s (local) with any:
    what the fixed thank-you promises at the latest."""
    tz = ZoneInfo(timezone)
    day = datetime.fromtimestamp(now, tz).date()
    for _ in range(400):
        day += timedelta(days=1)
        window = rules.window(day)
        if window is not None and not is_holiday(rules, day):
            midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
            return (midnight + timedelta(hours=window[1])).timestamp()
    return math.inf


def fixed_key(promise: Promise | None, rules: CallingRules, *, now: float) -> str:
    """The whole sentence said when the pieces cannot say ``promise``: the fixed
    thank-you, unless the request carries the customer's own window ending later than
    it promises ("at the time you already asked for"), or carries no promise (None: a
    request recorded to be called that joined one already being tried), whose next call
    no first-call day binds ("we'll try calling you again")."""
    if promise is None:
        return RECORDED_AGAIN
    if promise.own_window and promise.deadline_at > next_calling_day_end(
        rules, now, promise.timezone
    ):
        return RECORDED_ASKED
    return RECORDED


def promise_variables(said: SpokenPromise | None, fixed: str = RECORDED) -> dict[str, str]:
    """The channel variables for the dialplan: the pieces (empty: none), and the whole
    sentence when they cannot be played."""
    if said is None:
        return {PROMISE_HOUR_VAR: "", PROMISE_DAY_VAR: "", PROMISE_SAY_VAR: fixed}
    return {
        PROMISE_HOUR_VAR: said.hour_file,
        PROMISE_DAY_VAR: said.day_file,
        PROMISE_SAY_VAR: fixed,
    }
