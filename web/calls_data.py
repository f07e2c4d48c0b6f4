"""The Calls page's rows: the overflow calls with outcome, intent and hand-over reason, and one
call's transcript, events and turns (worker thread)."""

from __future__ import annotations

from datetime import date
from typing import Any

from spillway.storage import Store
from web.call_timeline import Turn, turns
from web.kpi_rows import handoff_reason
from web.kpis import OUTCOME_CLASSES, outcome_class, stored_words, window

CALL_LIMIT = 200
IN_PROGRESS = "in_progress"  # a call still going: no outcome yet
CALL_OUTCOME_CHOICES = (*OUTCOME_CLASSES, IN_PROGRESS)


def list_calls(
    store: Store, outcome: str, since: date | None, until: date | None, zone: str
) -> tuple[list[dict[str, Any]], int]:
    """The bot's calls (and those in progress), newest first, and how many match."""
    params: dict[str, Any] = {}
    if outcome == IN_PROGRESS:
        parts = ["ended_at IS NULL"]
    elif outcome:
        words = stored_words(outcome)
        names = [f":w{i}" for i in range(len(words))]
        parts = [f"outcome IN ({', '.join(names)})"]
        params.update({n[1:]: w for n, w in zip(names, words, strict=True)})
    else:
        parts = ["(outcome IS NOT NULL OR ended_at IS NULL)"]
    if since or until:
        span = window(
            "range", zone, 0.0, since=since or date(1970, 1, 2), until=until or date(9998, 12, 30)
        )
        parts.append("started_at >= :since AND started_at < :until")
        params.update(since=span.since, until=span.until)
    where = " AND ".join(parts)
    [count] = store.query(f"SELECT COUNT(*) AS n FROM calls WHERE {where}", params)
    rows = store.query(
        "SELECT call_id, caller, started_at, ended_at, stage, intent, outcome FROM calls "
        f"WHERE {where} ORDER BY started_at DESC LIMIT {CALL_LIMIT}",
        params,
    )
    reasons: dict[str, str] = {}
    handed = [r["call_id"] for r in rows if outcome_class(r["outcome"]) == "handoff"]
    for start in range(0, len(handed), 500):
        chunk = handed[start : start + 500]
        ids = {f"c{i}": call_id for i, call_id in enumerate(chunk)}
        for e in store.query(
            "SELECT call_id, data FROM call_events WHERE kind = 'stage' AND call_id IN "
            f"({', '.join(':' + n for n in ids)}) ORDER BY at",
            ids,
        ):
            if reason := handoff_reason(e["data"]):
                reasons[e["call_id"]] = reason
    return [
        {
            **r,
            "kpi_class": outcome_class(r["outcome"]) or IN_PROGRESS,
            "handoff_reason": reasons.get(r["call_id"], ""),
        }
        for r in rows
    ], int(count["n"])


def call_detail(
    store: Store, call_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[Turn]] | None:
    """A call, its transcript, its events and its turns."""
    rows = store.query("SELECT * FROM calls WHERE call_id = :id", {"id": call_id})
    if not rows:
        return None
    transcript = store.query(
        "SELECT at, speaker, text, intent, confidence FROM transcript_turns "
        "WHERE call_id = :id ORDER BY at, id",
        {"id": call_id},
    )
    events = store.query(
        "SELECT at, kind, data FROM call_events WHERE call_id = :id ORDER BY at, id",
        {"id": call_id},
    )
    call = {**rows[0], "kpi_class": outcome_class(rows[0]["outcome"]) or IN_PROGRESS}
    return call, transcript, events, turns(events)
