"""The console's KPIs, computed in this one place: pure functions over rows.

Both halves of Spillway are counted here, for the Overview's tiles and for
``GET /api/kpis`` alike (:mod:`web.kpi_rows` reads the rows):

Callbacks, over the requests *created* in the window (what "contact" and "attempt"
mean: :mod:`scheduler.contact_facts`, which the pilot's report counts with too):
- ``requests``: all of them; ``invalid_number``: those that could never be
  dialled; ``counted``: the others that had at least one attempt or were given up
  unreached without one, which the rates below count (one waiting for its first
  call, or cancelled before any, was not missed);
- ``first_attempt_contact_rate``: reached on their first attempt;
- ``contact_rate``: reached at all (an attempt answered);
- ``mean_attempts_per_contact``: every attempt made for them / those reached
  (as ``spillway simulate --json`` counts it);
- ``median_hours_to_contact``: from the request to the answered attempt;
- ``pending``: still open (waiting or being dialled);
- ``by_policy``: the same per policy, the one that planned the first attempt
  (``unplanned``: no plan yet).

The bot, over the calls *started* in the window that reached the bot (an
outcome was recorded):
- ``calls``; ``containment_rate`` = resolved / calls; ``handoff_rate`` =
  handed to a person / calls; ``outcomes`` per class;
- ``handoff_reasons`` and ``intents``: counts;
- ``turn_latency_ms``: from the caller's last end of speech to the first
  audio of the bot's reply, ``p50`` and ``p95`` over all turns.

A rate with nothing to count is ``None``, not 0.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from scheduler.contact_facts import (
    RequestRecord,
    RequestTally,
    hours_to_contact,
    share,
    tally,
    tally_figures,
    tally_figures_with,
)

UNPLANNED = "unplanned"

# The bot's outcome classes (spillway.call.CallOutcome once issue 14's vocabulary lands).
RESOLVED, HANDOFF, CALLBACK, HANGUP, FAILED = "resolved", "handoff", "callback", "hangup", "failed"
OUTCOME_CLASSES = (RESOLVED, HANDOFF, CALLBACK, HANGUP, FAILED)
# The words stored before that vocabulary, by what they meant.
_OLD_OUTCOMES = {
    "bot:done": RESOLVED,
    "bot:handoff": HANDOFF,
    "bot:wait": HANDOFF,
    "bot:offer": HANDOFF,
    "bot:callback": CALLBACK,
    "bot:failed": FAILED,
    "controller restarted": FAILED,
}


def outcome_class(stored: str | None) -> str | None:
    """The KPI class of a stored ``calls.outcome``; None: not a bot call (or still going).

    The one place that maps the call record's words to what the KPIs count:
    the new words (resolved, handoff, callback, hangup, failed) are their own
    class, the older ``bot:<route>`` words the class they meant, anything
    else unknown counts as failed.
    """
    if stored is None:
        return None
    if stored in OUTCOME_CLASSES:
        return stored
    return _OLD_OUTCOMES.get(stored, FAILED)


def stored_words(kpi_class: str) -> list[str]:
    """Every stored ``calls.outcome`` word of one KPI class (for a filter in SQL)."""
    return [kpi_class, *(word for word, c in _OLD_OUTCOMES.items() if c == kpi_class)]


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call that reached the bot."""

    outcome: str | None  # as stored in calls.outcome
    intent: str | None
    handoff_reason: str | None
    turn_latencies_ms: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class HourMedians:
    """The median hours to contact: over every policy, and per policy (None: nobody reached).

    Counted here from the hours (SQLite), or by the database where the rows are
    (PostgreSQL's ``percentile_cont``, web.kpi_rows): the same median either way.
    """

    overall: float | None
    by_policy: Mapping[str, float | None]

    @classmethod
    def of(cls, hours: Mapping[str, Sequence[float]]) -> HourMedians:
        every = [h for arm in hours.values() for h in arm]
        return cls(
            statistics.median(every) if every else None,
            {arm: statistics.median(v) for arm, v in hours.items() if v},
        )


@dataclass(frozen=True, slots=True)
class TurnLatency:
    """The bot's turn latency over a window: median, 95th percentile (linear between the
    two nearest turns, as numpy and PostgreSQL's ``percentile_cont`` take it) and turns."""

    p50: float | None
    p95: float | None
    turns: int

    @classmethod
    def of(cls, latencies_ms: Sequence[float]) -> TurnLatency:
        return cls(_percentile(latencies_ms, 50), _percentile(latencies_ms, 95), len(latencies_ms))


def callback_kpis_from(
    by_policy: Mapping[str, RequestTally], medians: HourMedians
) -> dict[str, Any]:
    """The callback half's KPIs, overall and per policy, from each policy's tally and the
    median hours to contact."""
    return {
        **tally_figures_with(sum(by_policy.values(), RequestTally()), medians.overall),
        "by_policy": {
            arm: tally_figures_with(by_policy[arm], medians.by_policy.get(arm))
            for arm in sorted(by_policy)
        },
    }


def callback_kpis(records: Iterable[RequestRecord]) -> dict[str, Any]:
    """The callback half's KPIs, overall and per policy."""
    arms: dict[str, list[RequestRecord]] = defaultdict(list)
    for r in records:
        arms[r.policy or UNPLANNED].append(r)
    return callback_kpis_from(
        {arm: tally(rows) for arm, rows in arms.items()},
        HourMedians.of({arm: hours_to_contact(rows) for arm, rows in arms.items()}),
    )


def turn_latencies_ms(events: Iterable[tuple[float, str]]) -> list[float]:
    """Per turn of one call: the caller's end of speech to the reply's first audio.

    ``events`` are ``(at, kind)`` of the kinds ``endpoint`` and ``first_audio``,
    in any order. The wait starts at the caller's *last* end of speech before
    the reply (they may pause and go on: the bot answers when they are done);
    an endpoint the bot never answered (the caller hung up) has no latency.
    """
    latencies = []
    waiting: float | None = None
    for at, kind in sorted(events):
        if kind == "endpoint":
            waiting = at
        elif kind == "first_audio" and waiting is not None:
            latencies.append((at - waiting) * 1000.0)
            waiting = None
    return latencies


def _percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def bot_kpis_from(
    calls: Mapping[tuple[str, str | None], int],
    handoff_reasons: Iterable[str | None],
    latency: TurnLatency,
) -> dict[str, Any]:
    """The bot half's KPIs from the number of calls per (stored outcome, intent), the
    reason of each call handed over (None: not said) and the turns' latency."""
    classes: Counter[str | None] = Counter()
    intents: Counter[str] = Counter()
    for (outcome, intent), n in calls.items():
        classes[outcome_class(outcome)] += n
        if intent:
            intents[intent] += n
    bot_calls = classes.total() - classes[None]
    reasons = Counter(reason or "unknown" for reason in handoff_reasons)
    return {
        "calls": bot_calls,
        "containment_rate": share(classes[RESOLVED], bot_calls),
        "handoff_rate": share(classes[HANDOFF], bot_calls),
        "outcomes": {name: classes[name] for name in OUTCOME_CLASSES},
        "handoff_reasons": dict(reasons.most_common()),
        "intents": dict(intents.most_common()),
        "turn_latency_ms": {
            "p50": None if latency.p50 is None else round(latency.p50, 1),
            "p95": None if latency.p95 is None else round(latency.p95, 1),
            "turns": latency.turns,
        },
    }


def bot_kpis(calls: Iterable[CallRecord]) -> dict[str, Any]:
    """The bot half's KPIs over the calls that reached the bot."""
    bot_calls = [c for c in calls if outcome_class(c.outcome) is not None]
    return bot_kpis_from(
        Counter((str(c.outcome), c.intent) for c in bot_calls),
        [c.handoff_reason for c in bot_calls if outcome_class(c.outcome) == HANDOFF],
        TurnLatency.of([ms for c in bot_calls for ms in c.turn_latencies_ms]),
    )


def daily_series_from(
    days: Mapping[date, RequestTally], every_day: Iterable[date] = ()
) -> list[dict[str, Any]]:
    """Requests and contact rate per local day of creation, for the Overview's chart; each
    of ``every_day`` (the window's days) is there, a quiet one with 0 requests and no rate,
    so the chart's axis is the window's days, not only the busy ones side by side."""
    filled = {day: RequestTally() for day in every_day} | dict(days)
    return [
        {
            "day": day.isoformat(),
            "requests": filled[day].requests,
            "contact_rate": tally_figures(filled[day], ())["contact_rate"],
        }
        for day in sorted(filled)
    ]


def daily_series(records: Iterable[RequestRecord], w: Window) -> list[dict[str, Any]]:
    """:func:`daily_series_from` over records, every day of ``w`` there."""
    tz = ZoneInfo(w.zone)
    days: dict[date, list[RequestRecord]] = defaultdict(list)
    for r in records:
        days[datetime.fromtimestamp(r.created_at, tz).date()].append(r)
    every_day = [day for day, _, _ in local_days(w)]
    return daily_series_from({day: tally(rows) for day, rows in days.items()}, every_day)


def local_days(w: Window) -> list[tuple[date, float, float]]:
    """The window cut at local midnights: each local day and its part [start, end) of it."""
    tz = ZoneInfo(w.zone)
    days: list[tuple[date, float, float]] = []
    day = datetime.fromtimestamp(w.since, tz).date()
    while True:
        start = datetime.combine(day, time(), tz).timestamp()
        if start >= w.until:
            return days
        end = datetime.combine(day + timedelta(days=1), time(), tz).timestamp()
        days.append((day, max(start, w.since), min(end, w.until)))
        day += timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Window:
    """A KPI window: [since, until) in epoch seconds, and how to name it."""

    key: str  # today, 7d, 30d or range
    since: float
    until: float
    zone: str

    @property
    def label(self) -> str:
        tz = ZoneInfo(self.zone)
        start = datetime.fromtimestamp(self.since, tz).strftime("%Y-%m-%d %H:%M")
        end = datetime.fromtimestamp(self.until, tz).strftime("%Y-%m-%d %H:%M")
        name = {"today": "Today", "7d": "Last 7 days", "30d": "Last 30 days"}.get(
            self.key, "Chosen range"
        )
        return f"{name}: {start} to {end} ({self.zone})"


WINDOW_KEYS = ("today", "7d", "30d", "range")


def days_back(zone: str, now: float, days: int) -> datetime:
    """Where "the last ``days`` days" start, the one definition the console counts them by:
    the shop's midnight ``days`` days before today (in ``zone``). The Overview's tiles, its
    pilot line and the Pilot page's ``?since=`` (a date, from its midnight) all start
    there; a rolling ``now - days`` beside a date's midnight made one page show two
    counts for "the last 30 days"."""
    tz = ZoneInfo(zone)
    day = datetime.fromtimestamp(now, tz).date() - timedelta(days=days)
    return datetime.combine(day, time(), tz)


def window(
    key: str, zone: str, now: float, *, since: date | None = None, until: date | None = None
) -> Window:
    """The window ``key`` in time zone ``zone`` at ``now``; ``range``: local days since..until.

    Raises ValueError for an unknown key or a range without both days in order.
    """
    tz = ZoneInfo(zone)
    if key == "today":
        midnight = datetime.combine(datetime.fromtimestamp(now, tz).date(), time(), tz)
        return Window(key, midnight.timestamp(), now, zone)
    if key in ("7d", "30d"):
        return Window(key, days_back(zone, now, int(key[:-1])).timestamp(), now, zone)
    if key == "range":
        if since is None or until is None or until < since:
            raise ValueError("a range needs since and until dates, since first")
        start = datetime.combine(since, time(), tz)
        end = datetime.combine(until + timedelta(days=1), time(), tz)
        return Window(key, start.timestamp(), end.timestamp(), zone)
    raise ValueError(f"unknown window {key!r}: one of {', '.join(WINDOW_KEYS)}")
