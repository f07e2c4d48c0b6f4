"""When a caller wants to be called back, from what they say: a window in their local time.

"this afternoon", "tomorrow morning", "after five", "not before ten",
"before noon", "at three", "this evening", "any time" / "as soon as
possible". :func:`callback_window` is a pure function of the words, the
moment and the time zone; :func:`say_window` words a window back
("this afternoon, between two and five").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "noon": 12, "midday": 12,
}  # fmt: skip
_WORDS = {v: k for k, v in _NUMBERS.items() if k not in ("noon", "midday")}
_PARTS = {"morning": (8, 12), "afternoon": (12, 17), "evening": (17, 20), "lunch": (11, 13)}
_HOUR = (
    r"(\d{1,2}(?::\d{2})?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|noon|midday)"
)
_AMPM = r"\s*(am|pm|a\.m\.|p\.m\.|o'?clock)?"
_ANY = re.compile(r"\b(any ?time|whenever|as soon as possible|asap|right away|now)\b")
_AFTER = re.compile(rf"\b(after|not before|from|later than)\s+{_HOUR}{_AMPM}")
_BEFORE = re.compile(rf"\b(before|not after|by|until|no later than)\s+{_HOUR}{_AMPM}")
_AT = re.compile(rf"\b(at|around|about)\s+{_HOUR}{_AMPM}")
_BETWEEN = re.compile(rf"\bbetween\s+{_HOUR}{_AMPM}\s+and\s+{_HOUR}{_AMPM}")


@dataclass(frozen=True, slots=True)
class CallbackWindow:
    """When the caller wants the call; None ends mean "no limit that side"."""

    not_before: float | None
    not_after: float | None
    words: str  # the window as the bot says it back
    any_time: bool = False  # "any time", "as soon as possible": no preference


def _hour(text: str, ampm: str | None, *, afternoon_default: bool) -> float:
    """An hour from "5", "5:30", "five", "noon", with am/pm or a business-hours guess."""
    if text in _NUMBERS:
        hour, minute = _NUMBERS[text], 0
    else:
        hour_text, _, minute_text = text.partition(":")
        hour, minute = int(hour_text), int(minute_text or 0)
    marker = (ampm or "").replace(".", "")
    if marker == "pm" and hour < 12:
        hour += 12
    elif marker == "am" and hour == 12:
        hour = 0
    elif not marker.endswith("m") and afternoon_default and 1 <= hour <= 7:
        hour += 12  # "after five" in a call centre is 17:00, not 05:00
    return min(hour + minute / 60, 24.0)


def callback_window(text: str, now: float, timezone: str) -> CallbackWindow | None:
    """The window ``text`` names, or None when it names no time."""
    words = " ".join(re.sub(r"[^a-z0-9:' .]+", " ", text.lower()).split())
    tz = ZoneInfo(timezone)
    here = datetime.fromtimestamp(now, tz)
    if _ANY.search(words):
        return CallbackWindow(None, None, "as soon as possible", any_time=True)
    day = here.date()
    day_words = "today"
    if "tomorrow" in words:
        day, day_words = day + timedelta(days=1), "tomorrow"
    start: float | None = None
    end: float | None = None
    part = next((p for p in _PARTS if p in words), None)
    if part is not None:
        start, end = _PARTS[part]
    if (m := _BETWEEN.search(words)) is not None:
        start = _hour(m.group(1), m.group(2), afternoon_default=True)
        end = _hour(m.group(3), m.group(4), afternoon_default=True)
    else:
        if (m := _AFTER.search(words)) is not None:
            start = _hour(m.group(2), m.group(3), afternoon_default=True)
            end = end if end is not None and end > start else None
            words = words[: m.start()] + words[m.end() :]  # "not before ten" is no "before"
        if (m := _BEFORE.search(words)) is not None:
            end = _hour(m.group(2), m.group(3), afternoon_default=False)
            start = start if start is not None and start < end else None
        if (m := _AT.search(words)) is not None and start is None and end is None:
            at = _hour(m.group(2), m.group(3), afternoon_default=True)
            start, end = max(at - 0.25, 0.0), min(at + 0.75, 24.0)
    if start is None and end is None and day_words == "today":
        return None
    if day_words == "today" and end is not None and _at(day, end, tz) <= now:
        day, day_words = day + timedelta(days=1), "tomorrow"  # "this morning", said at three
    begin = (
        _at(day, start, tz)
        if start is not None
        else (None if day_words == "today" else _at(day, 0, tz))
    )
    finish = (
        _at(day, end, tz)
        if end is not None
        else (None if day_words == "today" else _at(day, 24, tz))
    )
    if begin is not None and begin < now:
        begin = None
    return CallbackWindow(begin, finish, say_window(day_words, part, start, end))


def _at(day: date, hour: float, tz: ZoneInfo) -> float:
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    return (midnight + timedelta(hours=hour)).timestamp()


def spoken_hour(hour: float) -> str:
    """14.5 -> "two 30" (as the bot says a time of day)."""
    whole = int(hour) % 12 or 12
    minutes = round((hour % 1) * 60)
    name = _WORDS.get(whole, str(whole))
    return name if minutes == 0 else f"{name} {minutes:02d}"


def say_window(day_words: str, part: str | None, start: float | None, end: float | None) -> str:
    """ "this afternoon, between twelve and five", "tomorrow after five"."""
    if part is not None:
        lead = f"{'this' if day_words == 'today' else day_words} {part}"
    else:
        lead = day_words
    if start is not None and end is not None:
        return f"{lead}, between {spoken_hour(start)} and {spoken_hour(end)}"
    if start is not None:
        return f"{lead} after {spoken_hour(start)}"
    if end is not None:
        return f"{lead} before {spoken_hour(end)}"
    return lead
