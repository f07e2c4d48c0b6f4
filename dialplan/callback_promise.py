"""When the DTMF menu's callback will come, said from sound files Asterisk plays.

A caller who presses the menu's callback key is told when we will call: the
promise the request carries (its deadline, :func:`scheduler.rules.promised_by`),
read out from pre-rendered pieces, as an IVR says a time. The controller picks
the pieces (:func:`promise_files`); the dialplan plays

    ``menu_callback_promise_start`` ("Thank you. We'll call you back on the
    number you're calling from. We aim to call"), the hour (``menu_callback_promise_hour_14``:
    "by two o'clock"), the day (``menu_callback_promise_today``,
    ``..._tomorrow``, ``menu_callback_promise_weekday_0``: "on Monday.") and
    ``menu_callback_promise_end`` ("There's nothing more you need to do. Goodbye.").

The hour is the deadline rounded up to the whole hour in the customer's local
time, so the sentence is never earlier than the scheduler's promise. A request
timed by prediction is told no hour: ``menu_callback_promise_likely`` ("when
you're most likely to answer, at the latest") stands in its place before the
deadline's day, which the predicted policy keeps for a first call
(:func:`scheduler.timing.slot_policy.first_call_by`). Only the
hours a deadline can fall on with the configured calling hours are rendered
(:func:`reachable_hours`); a promise outside them, more than six days ahead or
already past is not said from pieces (None): the caller hears the fixed
``menu_callback_recorded`` instead, as when the controller is down.

That fixed sentence is chosen at render time to be true of every request the
menu can make (:func:`fixed_recorded_key`): with no window of their own, a
request's deadline is ``deadline_business_hours`` of calling hours after the key
press, so when every day's calling hours are at least that long it falls on the
day of the press or the next day we make calls ("We aim to call at the latest on
the next day we call customers"); otherwise only "at a time when we call customers"
is sure. A request that joined an open one whose own window (asked for by the
customer) promises later than that hears ``menu_callback_recorded_asked`` ("at the
time you already asked for") instead (:func:`agi.menu_promise.fixed_key`).
The deadline is the scheduler's target, not a rule (the predicted timing may
plan a likelier hour after it; no agent may be free), hence "we aim to".

The hour and the day (:func:`promise_time`) are the one decision the speech bot
says too, as a whole sentence with its goodbye (``bot.dialogue.promise_words``:
"We aim to call by two o'clock today."); the stored promise both read is
:mod:`scheduler.stored_promise`.

Pure: no clock, no I/O. The words are the language pack's (same keys in every pack).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from spillway.language_pack import LanguagePack
from spillway.settings import Settings

PROMISE_START = "menu_callback_promise_start"
PROMISE_HOUR = "menu_callback_promise_hour"  # {hour}: one file per reachable hour
PROMISE_TODAY = "menu_callback_promise_today"
PROMISE_TOMORROW = "menu_callback_promise_tomorrow"
PROMISE_WEEKDAY = "menu_callback_promise_weekday"  # {weekday}: one file per weekday
PROMISE_END = "menu_callback_promise_end"
# In the hour's place for a request timed by prediction: "when you're most likely to
# answer, at the latest" (the day then says by when; scheduler.stored_promise).
PROMISE_LIKELY = "menu_callback_promise_likely"
# A whole sentence: the request joined an open one with the customer's own later window.
RECORDED_ASKED = "menu_callback_recorded_asked"
# A whole sentence with no time in it: the request joined one already being tried (the
# customer missed a call and rings again), whose next call is a retry the policy may
# plan days ahead; no first-call promise binds it.
RECORDED_AGAIN = "menu_callback_recorded_again"

# Played as they are (rendered like every other prompt, SOUND_KEYS).
PROMISE_SOUND_KEYS: tuple[str, ...] = (
    PROMISE_START,
    PROMISE_LIKELY,
    PROMISE_TODAY,
    PROMISE_TOMORROW,
    PROMISE_END,
    RECORDED_ASKED,
    RECORDED_AGAIN,
)
# Rendered once per value into files of their own (promise_sound_texts).
PROMISE_TEMPLATE_KEYS: tuple[str, ...] = (PROMISE_HOUR, PROMISE_WEEKDAY)

# The fixed thank-you (file menu_callback_recorded.wav), and the wording it says
# when the next-calling-day promise is not true of the configured hours.
RECORDED = "menu_callback_recorded"
RECORDED_CALLING_HOURS = "menu_callback_recorded_calling_hours"

# A day further ahead than this is not said as a weekday ("on Monday" would be ambiguous).
MAX_WEEKDAY_AHEAD = 6

Window = tuple[float, float] | None
"""A day's calling hours, local ``[start, end)`` in hours; None: no calls that day."""


@dataclass(frozen=True, slots=True)
class SpokenPromise:
    """The two sound files that say when: the hour's and the day's (names, no folder)."""

    hour_file: str
    day_file: str
    hour: int  # local, 1-23: the deadline rounded up
    days_ahead: int  # 0 today, 1 tomorrow, ...


def hour_file(hour: int) -> str:
    return f"{PROMISE_HOUR}_{hour:02d}"


def weekday_file(weekday: int) -> str:
    """0 = Monday."""
    return f"{PROMISE_WEEKDAY}_{weekday}"


def settings_windows(settings: Settings) -> tuple[Window, ...]:
    """The calling hours as configured (``callbacks.*``), Monday first (as the rules read them)."""
    cb = settings.callbacks
    return (*(cb.weekdays,) * 5, cb.saturday, cb.sunday)


def reachable_hours(windows: tuple[Window, ...]) -> frozenset[int]:
    """Every hour a deadline inside the calling hours is said as (rounded up): for a
    window 8-20, 9 ("by nine", a deadline after 8:00) to 20. 24 and later are left out
    (no midnight in the packs' hour words)."""
    hours: set[int] = set()
    for window in windows:
        if window is None:
            continue
        start, end = window
        hours.update(range(math.floor(start) + 1, min(math.ceil(end), 23) + 1))
    return frozenset(hours)


@dataclass(frozen=True, slots=True)
class PromiseTime:
    """When a promise falls, as a caller is told it: the deadline rounded up to the hour."""

    hour: int  # local, 1-23
    days_ahead: int  # 0 today, 1 tomorrow, ... (local dates)
    weekday: int  # 0 = Monday
    at: datetime  # the whole hour said, local


def promise_time(deadline_at: float, *, now: float, timezone: str) -> PromiseTime | None:
    """The hour and the day ``deadline_at`` is said as to a caller at ``now`` (both UNIX
    seconds), in the customer's ``timezone``: the deadline rounded up to the whole hour,
    so never earlier than the promise. None when it cannot be said truly: past, or
    rounded to midnight (no word for it). The one decision the menu's pieces
    (:func:`promise_files`) and the speech bot's sentence (``bot.dialogue.promise_words``)
    both say."""
    if deadline_at <= now:
        return None
    tz = ZoneInfo(timezone)
    due = datetime.fromtimestamp(deadline_at, tz)
    whole = due.replace(minute=0, second=0, microsecond=0)
    if whole < due:
        whole += timedelta(hours=1)  # never earlier than the promise
    if whole.hour == 0:
        return None  # midnight: no word for it in the packs' hours
    days = (whole.date() - datetime.fromtimestamp(now, tz).date()).days
    if days < 0:
        return None
    return PromiseTime(whole.hour, days, whole.weekday(), whole)


def promise_files(
    deadline_at: float,
    *,
    now: float,
    timezone: str,
    hours: frozenset[int],
    likely: bool = False,
) -> SpokenPromise | None:
    """The files that say ``deadline_at`` to a caller at ``now`` (both UNIX seconds), in
    the customer's ``timezone``; None when it cannot be said truly from pieces (past,
    more than six days ahead, an hour not rendered). ``likely``: the request is timed by
    prediction, promised the deadline's day (:data:`PROMISE_LIKELY` in the hour's place)."""
    when = promise_time(deadline_at, now=now, timezone=timezone)
    if when is None or when.days_ahead > MAX_WEEKDAY_AHEAD:
        return None
    if not likely and when.hour not in hours:
        return None
    days = when.days_ahead
    day = (
        PROMISE_TODAY
        if days == 0
        else PROMISE_TOMORROW
        if days == 1
        else weekday_file(when.weekday)
    )
    return SpokenPromise(PROMISE_LIKELY if likely else hour_file(when.hour), day, when.hour, days)


def next_calling_day_holds(windows: tuple[Window, ...], deadline_hours: float) -> bool:
    """Whether every request without a window of its own is promised by the end of the
    next day with calling hours after its key press: true when each day's calling
    hours hold ``deadline_hours`` (the remainder of a day cut short then fits in the
    next open day; holidays are whole days and only skip to the next)."""
    open_days = [w for w in windows if w is not None]
    return bool(open_days) and all(end - start >= deadline_hours for start, end in open_days)


def fixed_recorded_key(windows: tuple[Window, ...], deadline_hours: float) -> str:
    """Which wording the fixed ``menu_callback_recorded`` file says (see the module doc)."""
    return RECORDED if next_calling_day_holds(windows, deadline_hours) else RECORDED_CALLING_HOURS


def promise_sound_texts(
    pack: LanguagePack, windows: tuple[Window, ...], deadline_hours: float, *, shop: str
) -> dict[str, str]:
    """The words of every promise file the templates give, and of the fixed thank-you,
    by file name (besides SOUND_KEYS', which these override)."""
    texts = {
        hour_file(h): pack.say(PROMISE_HOUR, hour=pack.reading.hour_word(h))
        for h in sorted(reachable_hours(windows))
    }
    for weekday, name in enumerate(pack.reading.weekdays):
        texts[weekday_file(weekday)] = pack.say(PROMISE_WEEKDAY, weekday=name)
    texts[RECORDED] = pack.say(fixed_recorded_key(windows, deadline_hours), shop=shop)
    return texts


def promise_words(pack: LanguagePack, spoken: SpokenPromise, *, shop: str = "") -> str:
    """The whole sentence the files say, as text (logs, tests, the call's transcript)."""
    day = (
        pack.say(PROMISE_TODAY)
        if spoken.days_ahead == 0
        else pack.say(PROMISE_TOMORROW)
        if spoken.days_ahead == 1
        else pack.say(
            PROMISE_WEEKDAY, weekday=pack.reading.weekdays[int(spoken.day_file.rsplit("_", 1)[1])]
        )
    )
    hour = (
        pack.say(PROMISE_LIKELY)
        if spoken.hour_file == PROMISE_LIKELY
        else pack.say(PROMISE_HOUR, hour=pack.reading.hour_word(spoken.hour))
    )
    return " ".join(
        (pack.say(PROMISE_START, shop=shop), hour, day, pack.say(PROMISE_END, shop=shop))
    )
