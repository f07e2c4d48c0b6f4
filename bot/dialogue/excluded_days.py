"""Days a caller rules out: "not on Friday", "any day but Friday", "not Monday or
Tuesday"; in Danish "ikke på fredag", "bare ikke fredag", "alle dage undtagen fredag".

A request carries one window (``not_before`` / ``not_after``, scheduler/requests.py)
and the scheduler never plans outside it, so a day ruled out is kept out by the
window itself: from now (or the first day not ruled out) up to the start of the next
day ruled out. When the calling rules leave no time in that stretch ("not Monday",
said on a Sunday, the shop closed on Sundays), the stretch after the ruled-out days
is the window's ``instead`` (bot/dialogue/window_fit.py takes it). The window is
read back in words ("any day but Friday") and kept only after a yes (``check``).

:func:`excluded_days` and :func:`avoiding_window` are pure functions of the words,
the moment, the time zone and the language; the words are the pack's
(``grammar.yaml``, ``time.not_days``, ``time.day_on``, ``time.day_join``,
``time.say.except``).
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.dialogue.named_days import time_list, time_table
from bot.dialogue.time_phrases import CallbackWindow, callback_window, normal_words
from bot.nlu.data import DEFAULT_LANGUAGE, grammar_doc
from spillway.errors import NluError
from spillway.language_pack import load_pack

# The day key of a window that rules days out (not a day of its own: window_fit.py
# fits it day by day, and no code takes it for "today").
EXCEPT_KEY = "except"


def _alternatives(words: list[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


@functools.cache
def _pattern(language: str) -> re.Pattern[str]:
    """ "not (on) Friday (or (on) Monday ...)" in ``language``'s words."""
    t = grammar_doc(language).get("time") or {}
    try:
        days = _alternatives([re.escape(w.lower()) for w in load_pack(language).reading.weekdays])
        on = rf"(?:(?:{_alternatives(time_list(t, 'day_on'))})\s+)?"
        day = rf"{on}(?:{days})s?\b"
        join = rf"\s+(?:{_alternatives(time_list(t, 'day_join'))})\s+"
        lead = _alternatives(time_list(t, "not_days"))
        return re.compile(rf"\b(?:{lead})\s+{day}(?:{join}{day})*")
    except (KeyError, TypeError, re.error) as exc:
        raise NluError(f"bad not_days grammar: {exc}") from exc


def excluded_days(words: str, language: str = DEFAULT_LANGUAGE) -> tuple[frozenset[int], str]:
    """The weekdays (0 Monday) ``words`` (lower case, punctuation gone) rule out, and the
    words left once that phrase is taken out (so that "not on Friday" names no Friday)."""
    m = _pattern(language).search(words)
    if m is None:
        return frozenset(), words
    names = [w.lower() for w in load_pack(language).reading.weekdays]
    said = set(re.findall(r"[a-zæøå]+", m.group(0)))
    ruled = frozenset(n for n, name in enumerate(names) if name in said or f"{name}s" in said)
    return ruled, f"{words[: m.start()]} {words[m.end() :]}"


def say_excluded(days: frozenset[int], language: str = DEFAULT_LANGUAGE) -> str:
    """ "any day but Friday", "alle dage undtagen mandag og tirsdag"."""
    t = grammar_doc(language).get("time") or {}
    say = time_table(t, "say")
    names = [load_pack(language).reading.weekdays[n] for n in sorted(days)]
    listed = (
        names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {say['except_join']} {names[-1]}"
    )
    return str(say["except"]).format(days=listed)


def avoiding_window(
    days: frozenset[int], now: float, timezone: str, language: str = DEFAULT_LANGUAGE
) -> CallbackWindow | None:
    """The window from now up to the first day in ``days``, with the stretch after those
    days as its ``instead``; None when every day is ruled out."""
    if len(days) >= 7 or not days:
        return None
    tz = ZoneInfo(timezone)
    today = datetime.fromtimestamp(now, tz).date()
    words = say_excluded(days, language)
    first, stop = _stretch(today, days)
    later, later_stop = _stretch(stop, days)
    after = CallbackWindow(
        _at(later, tz), _at(later_stop, tz), words, day_key=EXCEPT_KEY, check=True
    )
    begin = None if first == today else _at(first, tz)
    return CallbackWindow(
        begin, _at(stop, tz), words, day_key=EXCEPT_KEY, check=True, instead=after
    )


def caller_window(
    text: str, now: float, timezone: str, language: str, week: date | None = None
) -> CallbackWindow | None:
    """The window ``text`` asks for (:func:`bot.dialogue.time_phrases.callback_window`),
    with the days it rules out kept out: "not on Friday", "anytime except Friday" alone
    is :func:`avoiding_window`; a day or hours named as well ("Monday, not Friday") are
    the window, which already leaves the other days out."""
    days, rest = excluded_days(normal_words(text), language)
    if not days:
        return callback_window(text, now, timezone, language, week=week)
    named = callback_window(rest, now, timezone, language, week=week)
    if named is None or named.any_time:
        return avoiding_window(days, now, timezone, language)
    return named


def _stretch(start: date, days: frozenset[int]) -> tuple[date, date]:
    """The first day from ``start`` not in ``days``, and the next day after it that is."""
    while start.weekday() in days:
        start += timedelta(days=1)
    stop = start + timedelta(days=1)
    while stop.weekday() not in days:
        stop += timedelta(days=1)
    return start, stop


def _at(day: date, tz: ZoneInfo) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
