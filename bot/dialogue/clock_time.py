"""A time of day given as digits, as the answer to "when suits you best?".

"14", "1400", "14:00", "14.30", "2 pm", "at 2", "kl. 14", "klokken 14": an
answer that is only a time. The words parser (:mod:`bot.dialogue.time_phrases`)
needs a word such as "at" before a number, so these fell through and were taken
as "as soon as possible". Digits that are no time of day ("25", "1475") are not
a time here either: the dialogue asks again. :func:`clock_hour` reads the
answer; :func:`first_slot` puts the hour on the first day, today if it is still
ahead, on which the calling rules allow a call then. Both are pure functions.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.dialogue.time_phrases import time_grammar
from bot.nlu.data import DEFAULT_LANGUAGE
from scheduler.rules import CallingRules, is_holiday

_SEARCH_DAYS = 15  # a time that fits no day in two weeks is not kept


def clock_hour(text: str, language: str = DEFAULT_LANGUAGE) -> float | None:
    """The hour (14.5 for half past two in the afternoon) when ``text`` is only a time
    of day in digits; None otherwise. A bare 1 to 7 is afternoon (a call centre's day)."""
    words = " ".join(re.sub(r"[^a-z0-9æøåé:' .]+", " ", text.lower()).split())
    clock_re = time_grammar(language).clock_re
    # A recogniser's full stop ("14.") is no part of the time; "2 p.m." keeps its own.
    m = clock_re.match(words) or clock_re.match(words.rstrip(" ."))
    if m is None:
        return None
    digits = m["hm"]
    hour_text, minute_text = (digits[:-2], digits[-2:]) if digits else (m["h"], m["m"] or "0")
    hour, minute = int(hour_text), int(minute_text)
    if hour > 23 or minute > 59:
        return None
    marker = (m["marker"] or "").replace(".", "")
    if marker in ("am", "pm") and not 1 <= hour <= 12:
        return None  # "14 pm" is no time
    if marker == "pm" and hour < 12:
        hour += 12
    elif marker == "am" and hour == 12:
        hour = 0
    elif marker not in ("am", "pm") and 1 <= hour <= 7 and not hour_text.startswith("0"):
        hour += 12  # "at two" in a call centre is 14:00, not 02:00
    return hour + minute / 60


def first_slot(hour: float, now: float, timezone: str, rules: CallingRules | None) -> float | None:
    """``hour`` today if still ahead and within the calling hours, else on the next day
    that allows it (UNIX seconds); None when no day in two weeks does."""
    tz = ZoneInfo(timezone)
    day = datetime.fromtimestamp(now, tz).date()
    for _ in range(_SEARCH_DAYS):
        at = _at(day, hour, tz)
        if at > now and _callable(rules, day, hour):
            return at
        day += timedelta(days=1)
    return None


def _callable(rules: CallingRules | None, day: date, hour: float) -> bool:
    if rules is None:
        return True
    window = rules.window(day)
    return window is not None and window[0] <= hour < window[1] and not is_holiday(rules, day)


def _at(day: date, hour: float, tz: ZoneInfo) -> float:
    return (datetime.combine(day, time(), tz) + timedelta(hours=hour)).timestamp()
