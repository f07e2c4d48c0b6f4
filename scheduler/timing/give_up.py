"""When a request's calls end, as a person is told it: `spillway callbacks explain`
and the console's request page say it one way.

A request is given up a number of calling hours after it came in, so the moment often
falls at night ("02:12"), when no call is made anyway: the calls really end with the
last calling day's hours, and that day is what a reader can use ("after Wednesday
9 December"). Inside calling hours, or when the window the customer asked for ends
then, the moment itself is said.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.rules import CallingRules, last_calling_day
from spillway.console_text import ConsoleText


def given_up_words(
    text: ConsoleText,
    at: float,
    zone: str,
    rules: CallingRules | None,
    *,
    window_end: bool,
    moment: str | None = None,
    as_day: bool = True,
) -> str:
    """``at``, the request's give-up time in ``zone``, by ``moment`` (a
    :meth:`ConsoleText.when` format; None: its default, the console's tables') when it
    falls in calling hours, the customer's window ends then (``window_end``) or no
    ``rules`` are given; else its last calling day, by the pack's ``format.calling_day``
    (``as_day``, a customer's words), or the end of that day's calling hours by
    ``moment`` (the console, which writes every time one way)."""
    said = text.when(at, zone) if moment is None else text.when(at, zone, moment)
    if rules is None or window_end:
        return said
    day, in_hours = last_calling_day(rules, at, zone)
    if in_hours:
        return said
    midnight = datetime.combine(day, datetime.min.time(), ZoneInfo(zone))
    hours = rules.window(day)
    if not as_day and hours is not None:
        stop = (midnight + timedelta(hours=hours[1])).timestamp()
        return text.when(stop, zone) if moment is None else text.when(stop, zone, moment)
    # Noon: a moment on that day whatever a daylight-saving change does to its midnight.
    noon = midnight + timedelta(hours=12)
    return text.when(noon.timestamp(), zone, text("format.calling_day"))
