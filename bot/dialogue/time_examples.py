"""The times the bot offers as examples when it asks a caller "when suits you best?".

The examples were fixed text, "this afternoon, tomorrow morning, or any time":
said on a Saturday evening, "tomorrow morning" is a Sunday, and the bot refused
it the moment the caller repeated it ("we don't make calls on Sundays"). Now
they are parts of the day the calling rules leave open from now, in the words
the bot reads a window back with (:func:`bot.dialogue.time_phrases.say_window`):
"this afternoon, or tomorrow morning" at ten on a weekday, "tomorrow morning, or
tomorrow afternoon" at half past seven in the evening, "on Monday morning, or on
Monday afternoon" on a Saturday evening.

:func:`open_examples` is the choice, a pure function of the moment, the rules,
the time zone and the language: the parts of the day the grammar names
(``time.parts``: morning, afternoon, evening), in time order, each kept only
when the bot's own window parser reads its words back to a window the rules
leave at least ``MIN_OPEN_S`` of (:func:`bot.dialogue.window_fit.fit_window`,
the check a caller's answer meets) that has not begun yet (a caller who wants
the part already under way says "any time"). The first is the first such part;
the second, when the first is today, the first of a later day (a choice of day
as well as of hour), else the next one. :func:`examples_sentence` words them
with the pack's ``callback_examples_*`` pieces; the prompts that ask "when?"
take it as ``{examples}``, so none of them is fixed wording.

"Which day next week suits you?" (after a no to the Monday of that week) named
"Tuesday, or Thursday afternoon" whatever the shop's hours: a shop calling on
Mondays and Wednesdays only, or a week with a holiday, was offered a day it then
refused. :func:`week_examples` picks up to two days of the week asked about that
the rules leave open, each read back by the bot's parser as it reads the caller's
answer (a weekday alone falls in that week), the refused day left out; the first
open one, then one at least ``SPREAD_DAYS`` later when there is one (a choice
across the week, as "Tuesday, or Thursday" was), else the next.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.dialogue.named_days import day_key
from bot.dialogue.prompts import say
from bot.dialogue.time_phrases import callback_window, say_window
from bot.dialogue.window_fit import fit_window
from bot.nlu.data import DEFAULT_LANGUAGE
from scheduler.rules import CallingRules

# The parts of the day offered, in time order (keys of every pack's ``time.parts``;
# "lunch" overlaps two of them, so it is never an example).
PARTS = ("morning", "afternoon", "evening")
# A part with less callable time left than this is not offered: read back, it would
# be a sliver ("this evening, between seven 30 and eight").
MIN_OPEN_S = 3600.0
# How far ahead the examples are looked for (Christmas and a weekend run to five days).
SEARCH_DAYS = 14
# The second day offered of a week lies at least this many days after the first, when
# the rules open one: "Tuesday, or Thursday" rather than "Tuesday, or Wednesday".
SPREAD_DAYS = 2


def _open(
    words: str,
    on: date,
    rules: CallingRules | None,
    now: float,
    timezone: str,
    language: str,
    week: date | None = None,
) -> bool:
    """Whether ``words``, said now, name a window on ``on`` the rules allow, not yet
    begun ("this morning", said after noon, is read as tomorrow's: not today's);
    ``week``: the Monday of the week the caller was asked about."""
    window = callback_window(words, now, timezone, language, week=week)
    if window is None:
        return False
    kept = fit_window(window, rules, now, timezone, language).window
    if kept is None or kept.not_before is None or kept.not_before < now:
        return False
    if datetime.fromtimestamp(kept.not_before, ZoneInfo(timezone)).date() != on:
        return False
    return kept.not_after is None or kept.not_after - kept.not_before >= MIN_OPEN_S


def open_examples(
    now: float,
    rules: CallingRules | None,
    timezone: str,
    language: str = DEFAULT_LANGUAGE,
) -> tuple[str, ...]:
    """Up to two parts of the day the rules allow a call in from ``now``, in the words
    a caller may say back ("this afternoon", "tomorrow morning"); none when the rules
    open none in ``SEARCH_DAYS``."""
    today = datetime.fromtimestamp(now, ZoneInfo(timezone)).date()
    first: tuple[date, str] | None = None
    for ahead in range(SEARCH_DAYS + 1):
        on = today + timedelta(days=ahead)
        for part in PARTS:
            if first is not None and first[0] == today == on:
                continue  # the second example on another day than today
            words = say_window(day_key(on, today), part, None, None, language)
            if not _open(words, on, rules, now, timezone, language):
                continue
            if first is not None:
                return first[1], words
            first = (on, words)
    return () if first is None else (first[1],)


def examples_sentence(
    now: float,
    rules: CallingRules | None,
    timezone: str,
    language: str = DEFAULT_LANGUAGE,
) -> str:
    """ "For example this afternoon, tomorrow morning, or any time.": the open examples
    in the active pack's words (``{examples}`` of the prompts that ask when)."""
    found = open_examples(now, rules, timezone, language)
    if len(found) == 2:
        return say("callback_examples_two", first=found[0], second=found[1])
    if found:
        return say("callback_examples_one", first=found[0])
    return say("callback_examples_none")


def week_examples(
    now: float,
    rules: CallingRules | None,
    timezone: str,
    week: date,
    language: str = DEFAULT_LANGUAGE,
    *,
    refused: date | None = None,
) -> tuple[str, ...]:
    """Up to two days of the week starting on Monday ``week`` that the rules leave open
    from ``now``, in the words a caller may say back ("on Tuesday", "on Thursday");
    ``refused``: the day the caller just said no to, never offered again."""
    today = datetime.fromtimestamp(now, ZoneInfo(timezone)).date()
    open_days: list[tuple[date, str]] = []
    for offset in range(7):
        on = week + timedelta(days=offset)
        if on == refused:
            continue
        words = say_window(f"weekday:{on.weekday()}", None, None, None, language)
        if on > today and _open(words, on, rules, now, timezone, language, week):
            open_days.append((on, words))
    if len(open_days) < 2:
        return tuple(words for _, words in open_days)
    first = open_days[0]
    later = [d for d in open_days[1:] if (d[0] - first[0]).days >= SPREAD_DAYS]
    return first[1], (later or open_days[1:])[0][1]


def week_examples_sentence(
    now: float,
    rules: CallingRules | None,
    timezone: str,
    week: date,
    language: str = DEFAULT_LANGUAGE,
    *,
    refused: date | None = None,
) -> str:
    """ "For example on Tuesday, or on Thursday.": the open days of ``week`` in the active
    pack's words (``{examples}`` of ``callback_which_day_next_week``)."""
    found = week_examples(now, rules, timezone, week, language, refused=refused)
    if len(found) == 2:
        return say("callback_day_examples_two", first=found[0], second=found[1])
    if found:
        return say("callback_day_examples_one", first=found[0])
    return say("callback_day_examples_none")
