"""A day-first date (``06-11-2026``, ``07.12.2026 09.00``, as a Danish Excel or a Dane
writes one), read once for everyone who meets one (pure).

The form: day, a hyphen, dot or slash, month, the same mark, a four-digit year; then,
optionally, the hour, a colon or a dot, the minutes and the seconds with the same mark.
A four-digit year last cannot be mistaken for ISO 8601, whose year comes first.

Who reads it how:

- the callback CSV (:mod:`scheduler.csv_times`) takes hyphens and dots, and refuses
  slashes: ``07/12/2026`` is 7 December in Denmark but 12 July to an American-set
  spreadsheet, and a misread row calls the customer on the wrong day;
- the commands' date options take ISO only (a report over the wrong month would not say
  so) and show :func:`as_iso` of what was typed as the date to write instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_DAY_FIRST = re.compile(
    r"(?P<day>\d{1,2})(?P<sep>[-./])(?P<month>\d{1,2})(?P=sep)(?P<year>\d{4})"
    r"(?:(?:\s+|T)(?P<hour>\d{1,2})(?P<mark>[:.])(?P<minute>\d{2})"
    r"(?:(?P=mark)(?P<second>\d{2}))?)?"
)


@dataclass(frozen=True, slots=True)
class DayFirst:
    """A day-first date read: its moment (naive: no zone was written), how it was written."""

    moment: datetime
    has_clock: bool  # a time of day was written (else 00:00)
    slashed: bool  # written with slashes (ambiguous between countries)


def read_day_first(raw: str) -> DayFirst | None:
    """``raw`` as a day-first date, or None when it is not one or no real moment
    (31-02-2026, 25:00)."""
    found = _DAY_FIRST.fullmatch(raw.strip())
    if found is None:
        return None
    part = {k: int(v) for k, v in found.groupdict().items() if v and k not in ("sep", "mark")}
    try:
        moment = datetime(
            part["year"],
            part["month"],
            part["day"],
            part.get("hour", 0),
            part.get("minute", 0),
            part.get("second", 0),
        )
    except ValueError:  # 31-02-2026, 06-13-2026 (month-first), 25:00
        return None
    return DayFirst(moment, found["hour"] is not None, found["sep"] == "/")


def as_iso(raw: str) -> str | None:
    """``raw`` as ``YYYY-MM-DD`` (with `` HH:MM`` when it has a time), for an error to
    show; None when it is not a real day-first date."""
    read = read_day_first(raw)
    if read is None:
        return None
    return read.moment.strftime("%Y-%m-%d %H:%M" if read.has_clock else "%Y-%m-%d")
