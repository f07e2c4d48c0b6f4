"""A time in a callback CSV: ISO 8601, or a date as a Danish spreadsheet writes it.

Read (pure), in this order:

- ISO 8601, year first: ``2026-12-07T09:00``, ``2026-12-07 09:00``,
  ``2026-12-07T09:00+01:00``; a date alone is 00:00 of that day.
- Day first with hyphens or dots, as Danish Excel exports a date:
  ``07-12-2026 09:00``, ``07.12.2026 09:00``, ``7-12-2026``, with or without
  seconds, the clock written with a colon or a dot (``09.00``)
  (:mod:`spillway.day_first`, which the commands' errors also use).

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

from spillway.day_first import read_day_first

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
    read = read_day_first(value)
    if read is None or read.slashed:
        raise Unreadable(slashed=bool(_SLASHED.match(value)))
    return read.moment
