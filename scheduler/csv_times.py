"""A time in a callback CSV: ISO 8601, or a date as a Danish spreadsheet writes it.

Read (pure), in this order:

- ISO 8601, year first: ``2026-12-07T09:00``, ``2026-12-07 09:00``,
  ``2026-12-07T09:00+01:00``; a date alone is 00:00 of that day.
- Day first with hyphens or dots, as Danish Excel exports a date:
  ``07-12-2026 09:00``, ``07.12.2026 09:00``, ``7-12-2026``, with or without
  seconds, the clock written with a colon or a dot (``09.00``). A four-digit year
  last cannot be mistaken for ISO, whose year comes first.

A time without an offset is the customer's local time (``zone``), whichever way
it is written. A date with slashes (``07/12/2026``) is refused, not guessed: it is
7 December in Denmark and the United Kingdom but 12 July in the USA, and a
spreadsheet exported on an American-set machine writes month first; a refused
row names the fix, a misread one calls the customer on the wrong day. So is a
two-digit year (``07-12-26``), which could be read either way round.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

# day, separator, month, the same separator, a four-digit year; then, optionally, the
# hour, a colon or a dot, the minutes and the seconds with the same mark.
_DAY_FIRST = re.compile(
    r"(?P<day>\d{1,2})(?P<sep>[-.])(?P<month>\d{1,2})(?P=sep)(?P<year>\d{4})"
    r"(?:(?:\s+|T)(?P<hour>\d{1,2})(?P<mark>[:.])(?P<minute>\d{2})"
    r"(?:(?P=mark)(?P<second>\d{2}))?)?"
)
_SLASHED = re.compile(r"\d{1,4}/\d{1,2}/\d{1,4}")


class Unreadable(ValueError):
    """Not a time: ``slashed`` when the date has slashes (ambiguous between countries)."""

    def __init__(self, *, slashed: bool = False) -> None:
        super().__init__("slashed" if slashed else "unreadable")
        self.slashed = slashed


def read_time(text: str, zone: ZoneInfo) -> datetime:
    """``text`` as an aware moment, naive ones in ``zone`` (pure); :class:`Unreadable` if
    it is none of the forms above."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = _day_first(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _day_first(value: str) -> datetime:
    found = _DAY_FIRST.fullmatch(value)
    if found is None:
        raise Unreadable(slashed=bool(_SLASHED.match(value)))
    part = {k: int(v) for k, v in found.groupdict().items() if v and k not in ("sep", "mark")}
    try:
        return datetime(
            part["year"],
            part["month"],
            part["day"],
            part.get("hour", 0),
            part.get("minute", 0),
            part.get("second", 0),
        )
    except ValueError:  # 31-02-2026, 25:00
        raise Unreadable() from None
