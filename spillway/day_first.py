"""A day-first date (``06-11-2026``, ``06.11.2026 09:00``, as a Danish Excel or a Dane
writes one) rewritten as the ISO 8601 the commands take, for an error to show the admin
what to write instead. The commands do not read day-first dates themselves: ``03-04-2026``
is the 3rd of April to a Dane and the 4th of March to an American, and a report over the
wrong month would not say so."""

from __future__ import annotations

import re
from datetime import date

_DAY_FIRST = re.compile(
    r"(?P<day>\d{1,2})[-./](?P<month>\d{1,2})[-./](?P<year>\d{4})"
    r"(?:[ T](?P<hour>\d{1,2})[:.](?P<minute>\d{2}))?"
)


def as_iso(raw: str) -> str | None:
    """``raw`` as ``YYYY-MM-DD`` (with `` HH:MM`` when it has a time), or None when it is
    not a real day-first date."""
    found = _DAY_FIRST.fullmatch(raw.strip())
    if found is None:
        return None
    try:
        day = date(int(found["year"]), int(found["month"]), int(found["day"]))
    except ValueError:  # 31-02-2026, 06-13-2026 (month-first): no date to suggest
        return None
    if found["hour"] is None:
        return day.isoformat()
    hour, minute = int(found["hour"]), int(found["minute"])
    if hour > 23 or minute > 59:
        return None
    return f"{day.isoformat()} {hour:02d}:{minute:02d}"
