"""A time of day said with its minutes, rewritten as digits the time words are read in.

"halv tre" (half to three: 2.30, in a call centre's day 14.30), "kvart over ni"
(9.15), "kvart i ni" (8.45), "kl. 14.30", "half past two", "quarter to nine",
"2.30": the callback-time parser (:mod:`bot.dialogue.time_phrases`) read whole
hours only, so these were dropped in silence and "i morgen klokken halv tre"
became the whole of tomorrow (the Danish caller audit of December 2026).
:func:`clock_digits` rewrites each as ``H:MM`` ("halv tre" -> "2:30", "14.30"
-> "14:30"), which the parser's hour patterns already read (an "after", a
"before", an "at" or an hour named alone: :func:`bare_clock`); whether 2:30 is
in the afternoon stays the parser's decision, as for "at two".

The phrases are the pack's (``grammar.yaml``, ``time.clock_phrases``: a pattern
with ``{h}`` for the hour, and the minutes it adds or takes away). Pure
functions of the words and the language.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot.dialogue.named_days import time_table
from bot.nlu.data import DEFAULT_LANGUAGE, grammar_doc
from spillway.errors import NluError

__all__ = ["bare_clock", "clock_digits"]

# "14.30", "2.30": a time with a full stop where a clock has its colon (a recogniser
# writes it so); not "12. december", whose full stop is followed by a space.
_DOTTED = re.compile(r"\b([01]?\d|2[0-3])\.([0-5]\d)\b")


@dataclass(frozen=True, slots=True)
class ClockPhrase:
    """One way of saying a time with minutes: its pattern (group ``h``: the hour) and
    the minutes it adds to that hour (negative: "kvart i ni" is 15 minutes before nine)."""

    pattern: re.Pattern[str]
    minutes: int


@functools.cache
def _phrases(language: str) -> tuple[tuple[ClockPhrase, ...], dict[str, int]]:
    """The pack's clock phrases, and its hour words (read once)."""
    t = grammar_doc(language).get("time") or {}
    try:
        hours = {str(k): int(v) for k, v in time_table(t, "hours").items()}
        words = "|".join(re.escape(w) for w in sorted(hours, key=len, reverse=True))
        hour = rf"(?P<h>\d{{1,2}}|{words})"
        items = t.get("clock_phrases") or []
        if not isinstance(items, list):
            raise NluError("grammar time.clock_phrases must be a list")
        phrases = tuple(
            ClockPhrase(
                re.compile(rf"(?<![\w:]){str(item['pattern']).format(h=hour)}(?![\w:])"),
                int(item["minutes"]),
            )
            for item in items
        )
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise NluError(f"bad clock phrases: {exc}") from exc
    return phrases, hours


def clock_digits(words: str, language: str = DEFAULT_LANGUAGE) -> str:
    """``words`` (lower case, punctuation gone but the time's) with every time said with
    minutes as ``H:MM``: "i morgen klokken halv tre" -> "i morgen klokken 2:30"."""
    words = _DOTTED.sub(r"\1:\2", words)
    phrases, hours = _phrases(language)
    for phrase in phrases:
        words = phrase.pattern.sub(functools.partial(_digits, phrase, hours), words)
    return words


def _digits(phrase: ClockPhrase, hours: dict[str, int], m: re.Match[str]) -> str:
    said = m.group("h")
    hour = int(said) if said.isdigit() else hours[said]
    if hour > 23:
        return m.group(0)  # no hour of the day: left as said
    total = (hour * 60 + phrase.minutes) % (24 * 60)
    if total < 60 and hour <= 12:
        total += 12 * 60  # "halv et" is half past twelve, not half past midnight
    return f"{total // 60}:{total % 60:02d}"


def bare_clock(prefix: str, suffix: str) -> re.Pattern[str]:
    """A time with its minutes named with no word before it ("i morgen 2:30", "kvart
    over ni i morgen" once rewritten): read as the hour the caller wants, as "at" it."""
    return re.compile(rf"(?<![\w:]){prefix}(\d{{1,2}}:\d{{2}})\s*{suffix}?(?![\w:])")
