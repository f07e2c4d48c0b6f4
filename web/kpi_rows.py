"""The rows behind the KPIs, read from the database (worker thread); :mod:`web.kpis` counts.

One query per half: per callback request created in the window, the facts of
its attempts (grouped in SQL, so a month of a million attempts comes back as
one row per request); per bot call started in the window, its outcome, intent,
hand-over reason and turn latencies from its events.
"""

from __future__ import annotations

from collections import defaultdict

from scheduler.contact_facts import attempt_facts_sql, request_record
from spillway.storage import Store
from web.call_timeline import event_data
from web.kpis import HANDOFF, CallRecord, RequestRecord, Window, outcome_class, turn_latencies_ms

# The policy a request is counted under: the one that planned its first attempt, else
# the one that plans it now. The list's filter uses the same expression.
POLICY_SQL = (
    "COALESCE((SELECT a1.policy FROM callback_attempts a1 WHERE a1.request_id = r.id "
    "AND a1.attempt_no = 1 LIMIT 1), r.planned_by)"
)

_WINDOW = "created_at >= :since AND created_at < :until"
_REQUESTS = f"SELECT id, created_at, status, planned_by FROM callback_requests WHERE {_WINDOW}"
_ATTEMPTS = attempt_facts_sql(f"SELECT id FROM callback_requests WHERE {_WINDOW}")


def request_records(store: Store, since: float, until: float) -> list[RequestRecord]:
    """Every callback request created in [since, until), with its attempts' facts."""
    window = {"since": since, "until": until}
    made = {r["request_id"]: r for r in store.query(_ATTEMPTS, window)}
    return [request_record(r, made.get(r["id"])) for r in store.query(_REQUESTS, window)]


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
        # turn_latencies_ms sorts each call's events itself; reasons are read in order.
        "SELECT e.call_id, e.at, e.kind, e.data FROM call_events e WHERE e.call_id IN "
        "(SELECT call_id FROM calls WHERE started_at >= :since AND started_at < :until "
        "AND outcome IS NOT NULL) AND e.kind IN ('endpoint', 'first_audio', 'stage') "
        "ORDER BY e.call_id, e.at",
        window,
    ):
        if e["kind"] != "stage":
            timings[e["call_id"]].append((float(e["at"]), str(e["kind"])))
        elif e["call_id"] in handoffs:
            reason = handoff_reason(e["data"])
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


def handoff_reason(data: str | None) -> str | None:
    """The reason a ``stage`` event's data gives, if any."""
    reason = event_data(data).get("reason")
    return str(reason) if reason else None


def simulated_requests(store: Store, since: float, until: float) -> int:
    """How many callback requests created in [since, until) are simulated (for a note)."""
    [row] = store.query(
        f"SELECT COUNT(*) AS n FROM callback_requests WHERE simulated = 1 AND {_WINDOW}",
        {"since": since, "until": until},
    )
    return int(row["n"])


def kpi_rows(store: Store, w: Window) -> tuple[list[RequestRecord], list[CallRecord]]:
    return request_records(store, w.since, w.until), call_records(store, w.since, w.until)
