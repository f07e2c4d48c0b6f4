"""The rows behind the KPIs, read from the database (worker thread); :mod:`web.kpis` counts.

One query per half: per callback request created in the window, the facts of
its attempts (grouped in SQL, so a month of a million attempts comes back as
one row per request); per bot call started in the window, its outcome, intent,
hand-over reason and turn latencies from its events.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from spillway.storage import Store
from web.kpis import HANDOFF, CallRecord, RequestRecord, Window, outcome_class, turn_latencies_ms

# The policy a request is counted under: the one that planned its first attempt, else
# the one that plans it now. The list's filter uses the same expression.
POLICY_SQL = (
    "COALESCE((SELECT a1.policy FROM callback_attempts a1 WHERE a1.request_id = r.id "
    "AND a1.attempt_no = 1 LIMIT 1), r.planned_by)"
)

_REQUESTS = """
SELECT r.id, r.created_at, r.status, r.planned_by,
       MIN(CASE WHEN a.attempt_no = 1 THEN a.policy END) AS first_policy,
       COUNT(a.id) AS attempts,
       MAX(CASE WHEN a.attempt_no = 1 AND a.outcome = 'answered' THEN 1 ELSE 0 END)
           AS first_answered,
       MIN(CASE WHEN a.outcome = 'answered' THEN a.started_at END) AS contacted_at
FROM callback_requests r LEFT JOIN callback_attempts a ON a.request_id = r.id
WHERE r.created_at >= :since AND r.created_at < :until
GROUP BY r.id, r.created_at, r.status, r.planned_by
"""


def request_records(store: Store, since: float, until: float) -> list[RequestRecord]:
    """Every callback request created in [since, until), with its attempts' facts."""
    return [
        RequestRecord(
            created_at=float(r["created_at"]),
            status=str(r["status"]),
            policy=r["first_policy"] or r["planned_by"],
            attempts=int(r["attempts"]),
            first_attempt_answered=bool(r["first_answered"]),
            contacted_at=r["contacted_at"],
        )
        for r in store.query(_REQUESTS, {"since": since, "until": until})
    ]


def call_records(store: Store, since: float, until: float) -> list[CallRecord]:
    """Every call started in [since, until) that recorded an outcome."""
    window = {"since": since, "until": until}
    calls = store.query(
        "SELECT call_id, outcome, intent FROM calls WHERE started_at >= :since "
        "AND started_at < :until AND outcome IS NOT NULL",
        window,
    )
    timings: dict[str, list[tuple[float, str]]] = defaultdict(list)
    reasons: dict[str, str] = {}
    handoffs = {c["call_id"] for c in calls if outcome_class(c["outcome"]) == HANDOFF}
    for e in store.query(
        "SELECT e.call_id, e.at, e.kind, e.data FROM call_events e "
        "JOIN calls c ON c.call_id = e.call_id WHERE c.started_at >= :since "
        "AND c.started_at < :until AND c.outcome IS NOT NULL "
        "AND e.kind IN ('endpoint', 'first_audio', 'stage') ORDER BY e.at",
        window,
    ):
        if e["kind"] != "stage":
            timings[e["call_id"]].append((float(e["at"]), str(e["kind"])))
        elif e["call_id"] in handoffs:
            reason = _reason(e["data"])
            if reason:
                reasons[e["call_id"]] = reason  # the last one said
    return [
        CallRecord(
            outcome=c["outcome"],
            intent=c["intent"],
            handoff_reason=reasons.get(c["call_id"]),
            turn_latencies_ms=tuple(turn_latencies_ms(timings[c["call_id"]])),
        )
        for c in calls
    ]


def _reason(data: str | None) -> str | None:
    try:
        parsed: Any = json.loads(data or "{}")
    except ValueError:
        return None
    reason = parsed.get("reason") if isinstance(parsed, dict) else None
    return str(reason) if reason else None


def kpi_rows(store: Store, w: Window) -> tuple[list[RequestRecord], list[CallRecord]]:
    return request_records(store, w.since, w.until), call_records(store, w.since, w.until)
