"""Which callbacks are due within the coming hour, under the calling rules, read boundedly.

The console's Overview polls this every few seconds. :mod:`scheduler.due` judges
every pending row in Python ("due now" for Health, doctor and scheduler status),
which at 100,000 pending requests takes a second or two on the one database
worker: too slow for a 5-second refresh. This splits the question instead:

- :func:`calling_hour` (pure, no rows): the stretches of the coming hour in which
  the calling windows allow a call in one time zone (weekday hours, closed days,
  public holidays, the shop's own rules), and, when there is none, when calling
  opens again. On a Saturday evening the answer is "none; Monday 08:00", and no
  row is read.
- :func:`due_within` (in SQL, over the ``callback_requests_status (status,
  not_before)`` index, counted up to :data:`COUNT_CAP` rows): the pending requests
  a dialer may call in one of those stretches, by the rules a row holds itself (its
  not-before and not-after, its stored expiry, its attempt cap), with the requests
  being dialled; and the first ``limit`` of them, soonest first.
- :func:`zones_in_play`: the time zones the pending requests are in, which reads
  every pending row: the console keeps it for a minute.

The do-not-call list, the per-number limits and the destination are the dialer's
to check when it claims a request, as in :func:`scheduler.due.due_now`. A request
without a stored expiry counts until the dialer closes it as expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.requests import RequestStatus
from scheduler.rules import HOUR_S, CallingRules, is_holiday
from spillway.storage import Row, Store

# How far ahead a reopening is looked for: past a month of closed days the rules are
# a configuration error, and the Overview says nothing of a reopening.
REOPENING_DAYS = 31

# The Overview counts this far and then says "at least": past it the number of due
# callbacks is a backlog either way, and the count stays a bounded read.
COUNT_CAP = 1000
# The columns the Overview lists of a due request.
_LISTED = "id, phone, status, not_before, attempts, source, created_at"

Span = tuple[float, float]


@dataclass(frozen=True, slots=True)
class CallingHour:
    """The coming hour in one time zone: when calls are allowed in it, else when again."""

    spans: tuple[Span, ...]  # [start, end) UNIX seconds, in order; empty: closed all hour
    reopens_at: float | None  # with no span: the first allowed moment after; else None


@dataclass(frozen=True, slots=True)
class DueSoon:
    """The callbacks due within the hour: how many, the first few, and when calls reopen."""

    count: int
    capped: bool  # the count stopped at COUNT_CAP: at least ``count``
    rows: list[dict[str, Any]]  # each with ``due_at``: the first moment it may be called
    reopens_at: float | None  # calls closed the whole hour (every zone in play): reopening


def _day_span(rules: CallingRules, day: date, tz: ZoneInfo) -> Span | None:
    """``day``'s calling window in ``tz`` (UNIX seconds), None on a closed day or holiday."""
    window = rules.window(day)
    if window is None or is_holiday(rules, day):
        return None
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    # Wall-clock hours, as :func:`scheduler.rules.refusal` reads them.
    return (
        (midnight + timedelta(hours=window[0])).timestamp(),
        (midnight + timedelta(hours=window[1])).timestamp(),
    )


def calling_hour(
    rules: CallingRules, now: float, timezone: str, horizon_s: float = HOUR_S
) -> CallingHour:
    """The stretches of ``[now, now + horizon_s)`` the calling windows allow in ``timezone``.

    None at all (Saturday 19:30, Sunday, Christmas Day): ``reopens_at`` is the start
    of the next allowed window, holidays skipped (None past :data:`REOPENING_DAYS`).
    """
    tz = ZoneInfo(timezone)
    end = now + horizon_s
    today = datetime.fromtimestamp(now, tz).date()
    spans: list[Span] = []
    reopens_at = None
    for days in range(REOPENING_DAYS + 1):
        span = _day_span(rules, today + timedelta(days=days), tz)
        if span is None or span[1] <= now:
            continue
        if span[0] >= end:
            reopens_at = span[0]
            break
        spans.append((max(span[0], now), min(span[1], end)))
    if spans:
        return CallingHour(tuple(spans), None)
    return CallingHour((), reopens_at)


def _callable_sql(zones: dict[str, CallingHour], default_timezone: str) -> tuple[str, dict]:
    """The condition a pending row meets when it may be called in one of its zone's spans:
    the later of the span's start and its not-before lies inside the span, before its
    not-after and its expiry (kept to plain comparisons: SQLite and PostgreSQL alike)."""
    params: dict[str, Any] = {"default_tz": default_timezone}
    alternatives = []
    for z, (zone, hour) in enumerate(sorted(zones.items())):
        params[f"z{z}"] = zone
        for s, (start, stop) in enumerate(hour.spans):
            a, b = f"a{z}_{s}", f"b{z}_{s}"
            params[a], params[b] = start, stop
            first = f"COALESCE(not_before, :{a})"
            alternatives.append(
                f"(COALESCE(timezone, :default_tz) = :z{z} "
                f"AND (not_before IS NULL OR not_before < :{b}) "
                f"AND (not_after IS NULL OR (not_after > :{a} AND not_after > {first})) "
                f"AND (expires_at IS NULL OR (expires_at > :{a} AND expires_at > {first})))"
            )
    return "(" + " OR ".join(alternatives) + ")", params


def zones_in_play(store: Store, *, default_timezone: str) -> list[str]:
    """The time zones of the pending requests (one, as a rule: the shop's). It reads every
    pending row, so the console asks it once a minute (web.figure_cache), not every poll."""
    rows = store.query(
        "SELECT DISTINCT COALESCE(timezone, :tz) AS zone FROM callback_requests WHERE status = :s",
        {"tz": default_timezone, "s": RequestStatus.PENDING.value},
    )
    return sorted(r["zone"] for r in rows)


def due_within(
    store: Store,
    rules: CallingRules,
    now: float,
    *,
    default_timezone: str,
    zones: list[str] | None = None,
    limit: int = 50,
    horizon_s: float = HOUR_S,
) -> DueSoon:
    """The requests being dialled, and the pending ones a dialer may call before
    ``now + horizon_s`` under ``rules`` (counted up to :data:`COUNT_CAP`); the first
    ``limit``, soonest first. ``zones``: :func:`zones_in_play`, if the caller has it."""
    dialling_status = {"s": RequestStatus.DIALLING.value, "n": limit}
    dialling = [
        {**r, "due_at": now}
        for r in store.query(
            f"SELECT {_LISTED} FROM callback_requests WHERE status = :s ORDER BY id LIMIT :n",
            dialling_status,
        )
    ]
    [n_dialling] = store.query(
        "SELECT COUNT(*) AS n FROM callback_requests WHERE status = :s", dialling_status
    )
    if zones is None:
        zones = zones_in_play(store, default_timezone=default_timezone)
    # The shop's own zone always: a request made since ``zones`` was read is in it, as a rule.
    in_play = {*zones, default_timezone}
    hours = {zone: calling_hour(rules, now, zone, horizon_s) for zone in in_play}
    open_zones = {zone: h for zone, h in hours.items() if h.spans}
    reopenings = [h.reopens_at for h in hours.values() if h.reopens_at is not None]
    reopens_at = None if open_zones or not reopenings else min(reopenings)
    count, capped, pending = int(n_dialling["n"]), False, []
    if open_zones:
        condition, params = _callable_sql(open_zones, default_timezone)
        last_end = max(h.spans[-1][1] for h in open_zones.values())
        params |= {"s": RequestStatus.PENDING.value, "cap": rules.max_attempts}
        params |= {"n": limit, "most": COUNT_CAP, "last_end": last_end}
        # Two index ranges of (status, not_before), each read at most COUNT_CAP rows deep:
        # those planned before the hour's last allowed moment, and those never planned.
        for planned, order in (
            ("not_before < :last_end", "not_before"),
            ("not_before IS NULL", "created_at"),
        ):
            where = f"WHERE status = :s AND {planned} AND attempts < :cap AND {condition}"
            [part] = store.query(
                f"SELECT COUNT(*) AS n FROM (SELECT id FROM callback_requests {where} "
                "LIMIT :most) AS due",
                params,
            )
            count += int(part["n"])
            capped = capped or int(part["n"]) >= COUNT_CAP
            rows = store.query(
                f"SELECT {_LISTED}, COALESCE(timezone, :default_tz) AS zone "
                f"FROM callback_requests {where} ORDER BY {order} LIMIT :n",
                params,
            )
            pending += [_with_due_at(r, open_zones[r["zone"]], now) for r in rows]
    # Soonest first; of those due now, the longest-waiting first.
    due = dialling + sorted(
        pending, key=lambda r: (r["due_at"], r["not_before"] or r["created_at"])
    )
    return DueSoon(count, capped, due[:limit], reopens_at)


def _with_due_at(row: Row, hour: CallingHour, now: float) -> dict[str, Any]:
    """``row`` with the first moment of the hour it may be called (its not-before, or the
    opening of the window: 08:00 for one asked for Saturday, seen at 07:30 on Monday)."""
    asked = max(row["not_before"] or now, now)
    at = next((max(asked, a) for a, b in hour.spans if asked < b), hour.spans[-1][0])
    return {**row, "due_at": at}
