"""The window a simulated caller names ("this afternoon", "tomorrow morning"), as the bot
tells it back, and which requests name one (a segment's ``asks_window`` share).

In production the bot maps the caller's words to a window with
:func:`bot.dialogue.time_phrases.callback_window` and the parts of the day in the
language pack's grammar (``time.parts``: morning 08-12, afternoon 12-17, the same
hours in English and Danish); the request gets ``not_before``/``not_after`` and the
rules refuse any moment outside them. That function lives on the bot floor, above
scheduler/, so its hours and its rules are mirrored here (tests/test_told_window.py
checks the two agree, moment by moment):

- "this afternoon": today 12-17, or tomorrow's when today's has ended (17:00 or
  later); a window that has already begun starts now (``not_before`` None);
- "tomorrow afternoon": tomorrow 12-17; "tomorrow morning": tomorrow 08-12.

A caller who wants the afternoon says "this afternoon" before 15:00 and "tomorrow
afternoon" from then on (what a caller says, not a rule of the bot's).

The draws have their own random stream (``[seed, 3]``), taken only when some segment
asks for windows, so a world without ``asks_window`` runs exactly as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import numpy as np

from scheduler.simulation.world import Arrival, Population, World

# The parts of the day in the language packs' grammar (spillway/languages/*/grammar.yaml).
MORNING_HOURS = (8.0, 12.0)
AFTERNOON_HOURS = (12.0, 17.0)
# From this local hour a caller who wants the afternoon names tomorrow's.
LATE_FOR_TODAY_HOUR = 15.0
# The random stream of the windows (the answers have [seed, 1], signals [seed, 2, customer]).
STREAM = 3


class Phrase(StrEnum):
    """What the caller says, in the bot's own example words (prompts ``callback_confirm``)."""

    THIS_AFTERNOON = "this afternoon"
    TOMORROW_AFTERNOON = "tomorrow afternoon"
    TOMORROW_MORNING = "tomorrow morning"


@dataclass(frozen=True, slots=True)
class ToldWindow:
    """The window the caller was told back: UNIX seconds, ``not_before`` None when it has
    already begun (as the bot stores it)."""

    phrase: Phrase
    not_before: float | None
    not_after: float


def _at(day: date, hour: float, tz: ZoneInfo) -> float:
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    return (midnight + timedelta(hours=hour)).timestamp()


def told_window(phrase: Phrase, now: float, timezone: str) -> ToldWindow:
    """The window ``phrase``, said at ``now`` by a caller in ``timezone``, stands for."""
    tz = ZoneInfo(timezone)
    day = datetime.fromtimestamp(now, tz).date()
    start, end = MORNING_HOURS if phrase is Phrase.TOMORROW_MORNING else AFTERNOON_HOURS
    if phrase is not Phrase.THIS_AFTERNOON or _at(day, end, tz) <= now:
        day += timedelta(days=1)  # tomorrow, or "this afternoon" said after it ended
    begin: float | None = _at(day, start, tz)
    if begin is not None and begin < now:
        begin = None
    return ToldWindow(phrase, begin, _at(day, end, tz))


def phrase_for(afternoon: bool, now: float, timezone: str) -> Phrase:
    """What a caller who wants the afternoon (else the morning) says at ``now``."""
    if not afternoon:
        return Phrase.TOMORROW_MORNING
    here = datetime.fromtimestamp(now, ZoneInfo(timezone))
    if here.hour + here.minute / 60 < LATE_FOR_TODAY_HOUR:
        return Phrase.THIS_AFTERNOON
    return Phrase.TOMORROW_AFTERNOON


def asks_windows(world: World) -> bool:
    return any(s.asks_window > 0 for s in world.segments)


def told_windows(
    world: World, people: Population, incoming: Sequence[Arrival]
) -> list[ToldWindow | None]:
    """Each arrival's told window (None: the caller named none): with probability its
    segment's ``asks_window``, the afternoon or the morning, one half each."""
    if not asks_windows(world):
        return [None] * len(incoming)
    rng = np.random.default_rng([world.seed, STREAM])
    found: list[ToldWindow | None] = []
    for arrival in incoming:
        asks, afternoon = rng.random(2)  # two draws each, so a share moves no other request
        segment = world.segments[int(people.segment[arrival.customer])]
        if asks >= segment.asks_window:
            found.append(None)
            continue
        zone = people.timezone[arrival.customer]
        phrase = phrase_for(bool(afternoon < 0.5), arrival.at, zone)
        found.append(told_window(phrase, arrival.at, zone))
    return found
