"""The rows behind the KPIs, read from the database (worker thread); :mod:`web.kpis` counts.

The callback half reads each request's contact facts, which the database
keeps beside the request from its attempts (migration 15's triggers): one
indexed aggregate per local day and policy, and the hours to contact of the
requests reached (PostgreSQL takes the medians itself, ``percentile_cont``, in
one pass: one filtered aggregate per policy the tallies found reached),
instead of a scan of a month's million attempts. The reads come from one
:meth:`~spillway.storage.Store.reading` (PostgreSQL: one snapshot, each
statement planned for its window).
:func:`scanned_request_records` counts the same facts from the attempts (the
definition; a test holds the two equal). The bot half: per bot call started
in the window, its outcome and intent, the latency of each turn (paired in
SQL) and the hand-over reason of the calls handed over.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from scheduler.contact_facts import attempt_facts_sql, request_record
from spillway.storage import Reader, Store
from web.call_timeline import event_data
from web.kpis import (
    HANDOFF,
    UNPLANNED,
    CallRecord,
    HourMedians,
    RequestRecord,
    RequestTally,
    TurnLatency,
    Window,
    bot_kpis,
    callback_kpis,
    daily_series,
    local_days,
    outcome_class,
    stored_words,
    turn_latencies_ms,
)

# The policy a request is counted under: the one that planned its first attempt, else
# the one that plans it now. The list's filter uses the same expression.
POLICY_SQL = "COALESCE(r.first_attempt_policy, r.planned_by)"

_WINDOW = "created_at >= :since AND created_at < :until"
_REQUESTS = f"SELECT id, created_at, status, planned_by FROM callback_requests WHERE {_WINDOW}"
# The definition the stored facts keep (scheduler.contact_facts), grouped from the attempts.
_ATTEMPTS = attempt_facts_sql(f"SELECT id FROM callback_requests WHERE {_WINDOW}")
_CALLABLE = "r.status <> 'invalid_number'"
# Grouped by status too (RequestTally.of_status counts it as tally() does): summing a CASE
# per row and per figure cost PostgreSQL 40 % more CPU; the day is its number in the window.
_TALLIES = f"""
WITH days (day, day_start, day_end) AS (VALUES {{days}})
SELECT d.day, {POLICY_SQL} AS policy, r.status, COUNT(*), SUM(r.first_attempt_answered),
       COUNT(r.contacted_at), SUM(r.contact_attempts),
       COUNT(CASE WHEN r.contact_attempts > 0 OR r.status = 'unreached' THEN 1 END)
FROM days d
JOIN callback_requests r ON r.created_at >= d.day_start AND r.created_at < d.day_end
GROUP BY d.day, {POLICY_SQL}, r.status
"""
_REACHED = f"""
FROM callback_requests r
WHERE r.{_WINDOW} AND {_CALLABLE} AND r.contacted_at IS NOT NULL
"""
_HOURS = f"SELECT {POLICY_SQL} AS policy, (r.contacted_at - r.created_at) / 3600 AS hours"
_MEDIAN = "percentile_cont(0.5) WITHIN GROUP (ORDER BY (r.contacted_at - r.created_at) / 3600)"


def _hour_medians_sql(arms: int) -> str:
    """PostgreSQL's medians where the rows are, in one pass and one row: over all, and
    one per arm (``:arm0``...) as a filtered aggregate. (Grouped by policy with a
    grouping set for all, the rows were sorted by policy first, spilling to disk at
    PostgreSQL's default work_mem, and sorted again per group and for all.)"""
    per_arm = "".join(
        f", {_MEDIAN} FILTER (WHERE COALESCE(NULLIF({POLICY_SQL}, ''), :unplanned) = :arm{i})"
        for i in range(arms)
    )
    return f"SELECT {_MEDIAN}{per_arm} {_REACHED}"


def hour_medians(store: Reader, params: dict[str, Any], reached: Sequence[str] = ()) -> HourMedians:
    """The median hours to contact of the requests created in the window (``params``);
    ``reached``: the arms with a request reached (PostgreSQL counts only theirs)."""
    if store.backend == "postgres":
        if not reached:
            return HourMedians(None, {})
        arms = {f"arm{i}": arm for i, arm in enumerate(reached)}
        [(overall, *medians)] = store.values(
            _hour_medians_sql(len(arms)), {**params, **arms, "unplanned": UNPLANNED}
        )
        return HourMedians(
            None if overall is None else float(overall),
            {arm: float(m) for arm, m in zip(reached, medians, strict=True) if m is not None},
        )
    hours: dict[str, list[float]] = defaultdict(list)
    for policy, hour in store.values(_HOURS + _REACHED, params):
        hours[policy or UNPLANNED].append(float(hour))
    return HourMedians.of(hours)


def request_tallies(
    store: Reader, w: Window
) -> tuple[dict[str, RequestTally], HourMedians, dict[date, RequestTally]]:
    """The requests created in the window: counted per policy, their median hours to
    contact, and counted per local day of creation."""
    days = local_days(w)
    params: dict[str, Any] = {"since": w.since, "until": w.until}
    values = []
    for i, (_, start, end) in enumerate(days):
        values.append(f"({i}, :start{i}, :end{i})")
        params.update({f"start{i}": start, f"end{i}": end})
    by_policy: dict[str, RequestTally] = defaultdict(RequestTally)
    by_day: dict[date, RequestTally] = defaultdict(RequestTally)
    if values:
        for day, policy, status, *sums in store.values(
            _TALLIES.format(days=", ".join(values)), params
        ):
            t = RequestTally.of_status(str(status), *(int(n or 0) for n in sums))
            by_policy[policy or UNPLANNED] += t
            by_day[days[int(day)][0]] += t
    reached = sorted(arm for arm, t in by_policy.items() if t.contacted)
    return dict(by_policy), hour_medians(store, params, reached), dict(by_day)


def scanned_kpis(store: Store, w: Window) -> dict[str, Any]:
    """The KPIs as the definition counts them, from every attempt and turn event of the
    window (what the stored facts must equal: the facts test, bench/bench_console.py)."""
    requests = scanned_request_records(store, w.since, w.until)
    return {
        "callbacks": callback_kpis(requests),
        "bot": bot_kpis(scanned_call_records(store, w.since, w.until)),
        "daily": daily_series(requests, w),
    }


def scanned_request_records(store: Store, since: float, until: float) -> list[RequestRecord]:
    """Every callback request created in [since, until), its facts counted from its attempts."""
    window = {"since": since, "until": until}
    made = {r["request_id"]: r for r in store.query(_ATTEMPTS, window)}
    return [request_record(r, made.get(r["id"])) for r in store.query(_REQUESTS, window)]


_BOT_CALLS = (
    "SELECT call_id FROM calls WHERE started_at >= :since AND started_at < :until "
    "AND outcome IS NOT NULL"
)
# Each reply's turn latency, kept on its first audio event by migration 15's triggers.
_TURNS_OF = f"FROM call_events e WHERE e.call_id IN ({_BOT_CALLS}) AND e.turn_ms IS NOT NULL"
_TURNS = f"SELECT e.turn_ms {_TURNS_OF}"
# PostgreSQL: the two percentiles where the rows are (linear, as numpy's default).
_TURN_PERCENTILES = (
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY e.turn_ms) AS p50, "
    "percentile_cont(0.95) WITHIN GROUP (ORDER BY e.turn_ms) AS p95, "
    f"COUNT(*) AS turns {_TURNS_OF}"
)


def turn_latency(store: Reader, window: dict[str, Any]) -> TurnLatency:
    """The turn latency of the bot calls started in the window."""
    if store.backend == "postgres":
        [row] = store.query(_TURN_PERCENTILES, window)
        p50, p95 = row["p50"], row["p95"]
        return TurnLatency(
            None if p50 is None else float(p50),
            None if p95 is None else float(p95),
            int(row["turns"]),
        )
    return TurnLatency.of([float(ms) for (ms,) in store.values(_TURNS, window)])


# The definition the stored turn times keep: every endpoint and first audio of the calls.
_TURN_EVENTS = (
    f"SELECT e.call_id, e.at, e.kind FROM call_events e WHERE e.call_id IN ({_BOT_CALLS}) "
    "AND e.kind IN ('endpoint', 'first_audio')"
)


def _handoff_reasons(store: Reader, window: dict[str, Any]) -> dict[str, str]:
    """The reason each call handed over in the window gave (the last one said)."""
    words = {f"w{i}": word for i, word in enumerate(stored_words(HANDOFF))}
    reasons: dict[str, str] = {}
    for call_id, data in store.values(
        "SELECT e.call_id, e.data FROM call_events e WHERE e.kind = 'stage' AND e.call_id IN "
        "(SELECT call_id FROM calls WHERE started_at >= :since AND started_at < :until "
        f"AND outcome IN ({', '.join(':' + k for k in words)})) ORDER BY e.call_id, e.at",
        {**window, **words},
    ):
        reason = handoff_reason(data)
        if reason:
            reasons[call_id] = reason
    return reasons


def bot_facts(
    store: Reader, since: float, until: float
) -> tuple[dict[tuple[str, str | None], int], list[str | None], TurnLatency]:
    """For :func:`web.kpis.bot_kpis_from`, over the calls started in [since, until) that
    recorded an outcome: their number per (outcome, intent), the reason of each call
    handed over, and the turns' latency as stored."""
    window: dict[str, Any] = {"since": since, "until": until}
    calls = {
        (outcome, intent): int(n)
        for outcome, intent, n in store.values(
            "SELECT outcome, intent, COUNT(*) FROM calls WHERE started_at >= :since "
            "AND started_at < :until AND outcome IS NOT NULL GROUP BY outcome, intent",
            window,
        )
    }
    handed_over = sum(n for (outcome, _), n in calls.items() if outcome_class(outcome) == HANDOFF)
    reasons: list[str | None] = list(_handoff_reasons(store, window).values())
    reasons += [None] * (handed_over - len(reasons))
    return calls, reasons, turn_latency(store, window)


def scanned_call_records(store: Store, since: float, until: float) -> list[CallRecord]:
    """Every call started in [since, until) that recorded an outcome, its turns paired from
    its events (the definition the stored turn times keep)."""
    window: dict[str, Any] = {"since": since, "until": until}
    events: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for call_id, at, kind in store.values(_TURN_EVENTS, window):
        events[call_id].append((float(at), str(kind)))
    reasons = _handoff_reasons(store, window)
    return [
        CallRecord(
            outcome=outcome,
            intent=intent,
            handoff_reason=reasons.get(call_id) if outcome_class(outcome) == HANDOFF else None,
            turn_latencies_ms=tuple(turn_latencies_ms(events[call_id])),
        )
        for call_id, outcome, intent in store.values(
            "SELECT call_id, outcome, intent FROM calls WHERE started_at >= :since "
            "AND started_at < :until AND outcome IS NOT NULL",
            window,
        )
    ]


def handoff_reason(data: str | None) -> str | None:
    """The reason a ``stage`` event's data gives, if any."""
    reason = event_data(data).get("reason")
    return str(reason) if reason else None


def simulated_requests(store: Reader, since: float, until: float) -> int:
    """How many callback requests created in [since, until) are simulated (for a note)."""
    [row] = store.query(
        f"SELECT COUNT(*) AS n FROM callback_requests WHERE simulated = 1 AND {_WINDOW}",
        {"since": since, "until": until},
    )
    return int(row["n"])
