"""A window the caller named, checked against the calling rules before it is read back.

"Tomorrow morning" said on a Saturday night is a Sunday, and the rules have no
calling hours then: the bot must not promise it, nor record a window the
dialer can never honour (the CSV import refuses such a window too:
:func:`scheduler.windows.window_problem`). "Tomorrow morning" said on a
Friday is Saturday, when calls start at ten: only the callable part is kept and
read back ("tomorrow morning, between ten and twelve").

:func:`fit_window` is a pure function of the window, the rules, the moment,
the time zone and the language; the dialogue words the verdict. A window over
several days ("at the weekend") keeps the days the rules allow ("on Saturday",
when Sundays are closed); "not today" (from tomorrow on) starts on the first
day with calling hours ("on Monday after eight", said on a Saturday), and "not
today, in the morning" is the first morning with calling hours ("on Monday
morning", said on a Saturday: the window's ``roll_days``), as "next week" is the
first day of next week with calling hours ("next week, on Tuesday 29 December",
when the Monday is a holiday).

"Today" alone is refused (``TODAY_OVER``) when today's calling hours are over or
leave less than ``TODAY_MIN_S``: a call promised for today's last minutes is no
promise (:mod:`bot.dialogue.window_refusal` says why and offers the next time). So is
"after four" said after four (the rest of today, its hour passed): it was kept as
named, and "we'll call you today after four" promised at half past eight in the
evening, or on a Sunday afternoon, a call the dialer would never make.

"On Monday" said on a Monday is today (:mod:`bot.dialogue.time_phrases`) only
while the calling rules leave ``TODAY_MIN_S`` of it: else the same words a week
on (the window's ``instead``), said with their date ("on Monday 14 December").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.dialogue.named_days import day_key
from bot.dialogue.time_phrases import (
    TODAY_MIN_S,
    CallbackWindow,
    open_today,
    say_window,
    time_left,
)
from bot.nlu.data import DEFAULT_LANGUAGE
from scheduler.rules import CallingRules, is_holiday
from scheduler.windows import MAX_AHEAD_S

# "Not today" with no calling day in two weeks is not kept.
_SEARCH_DAYS = 15


class Fit(StrEnum):
    """How a named window meets the calling rules."""

    FITS = "fits"  # wholly callable (or open-ended: the dialer finds the first moment)
    CLIPPED = "clipped"  # partly: the callable part is kept
    CLOSED_DAY = "closed_day"  # its day has no calling hours (a closed weekday)
    HOLIDAY = "holiday"  # its day is a public holiday
    NO_HOURS = "no_hours"  # its day has calling hours, none of them inside the window
    TOO_FAR = "too_far"  # it opens more than MAX_AHEAD_S ahead ("3 December", said on the 7th)
    # "Today" alone, and today's calling hours are over or leave less than TODAY_MIN_S.
    TODAY_OVER = "today_over"


@dataclass(frozen=True, slots=True)
class WindowFit:
    """The verdict, the window that may be recorded (None: none), its day and that
    day's calling hours (local, ``[start, end)``; None on a closed day)."""

    fit: Fit
    window: CallbackWindow | None
    day: date | None = None
    hours: tuple[float, float] | None = None


def fit_window(
    window: CallbackWindow,
    rules: CallingRules | None,
    now: float,
    timezone: str,
    language: str = DEFAULT_LANGUAGE,
) -> WindowFit:
    """``window`` as far as the calling rules allow calls in it."""
    if window.not_before is not None and window.not_before > now + MAX_AHEAD_S:
        # As far ahead as a window may be booked at any door (scheduler.windows).
        day = datetime.fromtimestamp(window.not_before, ZoneInfo(timezone)).date()
        return WindowFit(Fit.TOO_FAR, None, day)
    fitted = _fit(window, rules, now, timezone, language)
    if open_today(window) and window.not_before is None and _nearly_over(fitted, now):
        return WindowFit(Fit.TODAY_OVER, None, fitted.day, fitted.hours)
    if fitted.window is None and window.roll_days:
        return _roll(window, fitted, rules, now, timezone, language)
    if window.instead is None:
        return fitted
    if fitted.window is None or time_left(fitted.window, now) < TODAY_MIN_S:
        return fit_window(window.instead, rules, now, timezone, language)
    return replace(fitted, window=replace(fitted.window, instead=None))


def _nearly_over(fitted: WindowFit, now: float) -> bool:
    """Whether the rest of today, as fitted, is no promise to make: the calling hours are
    over ("today" said at nine in the evening) or end within ``TODAY_MIN_S`` (at a
    quarter to eight, calls ending at eight); a closed day or a holiday says so itself."""
    if fitted.hours is None:
        return False
    if fitted.window is None:
        return fitted.fit is Fit.NO_HOURS
    return time_left(fitted.window, now) < TODAY_MIN_S


def _roll(
    window: CallbackWindow,
    refused: WindowFit,
    rules: CallingRules | None,
    now: float,
    timezone: str,
    language: str,
) -> WindowFit:
    """The same hours on the first of the next ``window.roll_days`` days that allows
    calls in them, said as that day ("not today, in the morning", said on a Saturday:
    "on Monday morning"; "next week" with a closed Monday: "next week, on Tuesday ...").
    None does: ``refused``, the verdict on the window's own day."""
    assert window.not_after is not None
    tz = ZoneInfo(timezone)
    today = datetime.fromtimestamp(now, tz).date()
    first = datetime.fromtimestamp(window.not_after - 1, tz).date()
    kind = window.day_key.partition(":")[0]
    for ahead in range(1, window.roll_days + 1):
        on = first + timedelta(days=ahead)
        key = f"{kind}:{on.isoformat()}" if kind == "next_week" else day_key(on, today)
        words = say_window(
            key,
            window.part,
            window.start_hour,
            window.end_hour,
            language,
            around=window.around_hour,
        )
        moved = replace(
            window,
            not_before=_at(on, window.start_hour or 0.0, tz),
            not_after=_at(on, window.end_hour or 24.0, tz),
            day_key=key,
            words=words,
            roll_days=0,
        )
        fitted = fit_window(moved, rules, now, timezone, language)
        if fitted.window is not None:
            return fitted
    return refused


def _fit(
    window: CallbackWindow,
    rules: CallingRules | None,
    now: float,
    timezone: str,
    language: str,
) -> WindowFit:
    if rules is None or window.any_time:
        return WindowFit(Fit.FITS, window)
    tz = ZoneInfo(timezone)
    if window.not_after is None:
        return _open_ended(window, rules, now, tz, language)
    finish = window.not_after
    # A window that ends at midnight belongs to the day before.
    day = datetime.fromtimestamp(finish - 1, tz).date()
    opens = window.not_before if window.not_before is not None else now
    first = datetime.fromtimestamp(opens, tz).date()
    if first < day:
        return _days(replace(window, not_before=opens), first, day, rules, now, tz, language)
    start = max(opens, _at(day, 0, tz))
    hours = rules.window(day)
    if hours is None:
        return WindowFit(Fit.CLOSED_DAY, None, day)
    if is_holiday(rules, day):
        return WindowFit(Fit.HOLIDAY, None, day, hours)
    lo, hi = max(start, _at(day, hours[0], tz)), min(finish, _at(day, hours[1], tz))
    if hi <= lo:
        return WindowFit(Fit.NO_HOURS, None, day, hours)
    if lo == start and hi == finish:
        return WindowFit(Fit.FITS, window, day, hours)
    named = window.part is not None or window.start_hour is not None or window.end_hour is not None
    words = window.words
    if named:
        # Only the ends the calling hours moved are said differently.
        start_hour = hours[0] if lo > start else window.start_hour
        end_hour = hours[1] if hi < finish else window.end_hour
        words = say_window(window.day_key, window.part, start_hour, end_hour, language)
    begin = lo if window.not_before is not None or lo > now else None
    return WindowFit(
        Fit.CLIPPED, replace(window, not_before=begin, not_after=hi, words=words), day, hours
    )


def _days(
    window: CallbackWindow,
    first: date,
    last: date,
    rules: CallingRules,
    now: float,
    tz: ZoneInfo,
    language: str,
) -> WindowFit:
    """A window over the days ``first`` to ``last``, each fitted on its own (the named
    hours on every day); kept from the first allowed part to the last, said as the one
    day when only one is allowed. None allowed: the first day's verdict."""
    assert window.not_before is not None and window.not_after is not None
    fits: list[WindowFit] = []
    today = datetime.fromtimestamp(now, tz).date()
    day = first
    while day <= last:
        one = replace(
            window,
            not_before=max(window.not_before, _at(day, window.start_hour or 0.0, tz)),
            not_after=min(window.not_after, _at(day, window.end_hour or 24.0, tz)),
            day_key="today" if day == today else f"weekday:{day.weekday()}",
            instead=None,
        )
        one = replace(
            one, words=say_window(one.day_key, one.part, one.start_hour, one.end_hour, language)
        )
        fits.append(fit_window(one, rules, now, str(tz), language))
        day += timedelta(days=1)
    kept = [f for f in fits if f.window is not None]
    if not kept:
        return fits[0]
    if len(kept) == len(fits) and all(f.fit is Fit.FITS for f in fits):
        return WindowFit(Fit.FITS, window, kept[0].day, kept[0].hours)
    head, tail = kept[0], kept[-1]
    assert head.window is not None and tail.window is not None
    words = head.window.words if len(kept) == 1 else window.words
    clipped = replace(
        window, not_before=head.window.not_before, not_after=tail.window.not_after, words=words
    )
    return WindowFit(Fit.CLIPPED, clipped, head.day, head.hours)


def _open_ended(
    window: CallbackWindow, rules: CallingRules, now: float, tz: ZoneInfo, language: str
) -> WindowFit:
    """ "Today after five": kept as named when its day has calling hours after then (the
    dialer calls from then on); refused, as the words promise that day, when it has none.
    Said after five (its start passed), it is the rest of today: refused, as "today" is,
    when today has no calls left."""
    if window.not_before is None and window.day_key != "today":
        return WindowFit(Fit.FITS, window)
    opens = window.not_before if window.not_before is not None else now
    day = datetime.fromtimestamp(opens, tz).date()
    if window.day_key == "not_today":
        return _from_day(window, day, rules, now, tz, language)
    same_day = replace(window, not_after=_at(day + timedelta(days=1), 0, tz))
    fitted = fit_window(same_day, rules, now, str(tz), language)
    if fitted.window is None:
        return fitted
    return WindowFit(Fit.FITS, window, fitted.day, fitted.hours)


def _at(day: date, hour: float, tz: ZoneInfo) -> float:
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    return (midnight + timedelta(hours=hour)).timestamp()


def _from_day(
    window: CallbackWindow, day: date, rules: CallingRules, now: float, tz: ZoneInfo, language: str
) -> WindowFit:
    """ "Not today": any time from ``day`` on, so from the first day with calling hours
    (said as that day and its opening hour when it is not ``day``)."""
    for ahead in range(_SEARCH_DAYS):
        on = day + timedelta(days=ahead)
        hours = rules.window(on)
        if hours is None or is_holiday(rules, on):
            continue
        if ahead == 0:
            return WindowFit(Fit.FITS, window, on, hours)
        words = say_window(f"weekday:{on.weekday()}", None, hours[0], None, language)
        moved = replace(window, not_before=_at(on, hours[0], tz), words=words)
        return WindowFit(Fit.CLIPPED, moved, on, hours)
    return WindowFit(Fit.CLOSED_DAY, None, day)
