"""A small, hand-counted history for the console's tests (KPIs, pages, CSV, browser).

Seven callback requests, ten attempts and seven calls, written with plain SQL
relative to ``now``; the figures the tests expect are counted by hand in
:data:`EXPECTED_30D` from the comments below.
"""

from __future__ import annotations

import json
from typing import Any

from spillway.storage import Store

H = 3600.0
# id, phone, source, status, created (h ago), planned_by, [(attempt_no, started h ago, outcome)]
REQUESTS: list[tuple[int, str, str, str, float, str | None, list[tuple[int, float, str]]]] = [
    # first attempt answered after 2 h
    (1, "+4520123401", "bot", "done", 30, "predicted", [(1, 28, "answered")]),
    # answered on the second attempt, 4 h after the request
    (
        2,
        "+4520123402",
        "menu",
        "done",
        20,
        "predicted",
        [(1, 19, "no_answer"), (2, 16, "answered")],
    ),
    # three attempts, never reached
    (
        3,
        "+4520123403",
        "api",
        "unreached",
        10,
        "traditional",
        [(1, 9, "busy"), (2, 8, "no_answer"), (3, 7, "no_answer")],
    ),
    # first attempt answered after 1 h
    (4, "+4520123404", "bot", "done", 5, "traditional", [(1, 4, "answered")]),
    # waiting, not planned yet, due within the hour
    (5, "+4520123405", "api", "pending", 2, None, []),
    # a number that cannot be dialled
    (6, "12", "csv", "invalid_number", 1, None, []),
    # 40 days old: outside every window but 'all'
    (7, "+4520123407", "bot", "done", 40 * 24, "predicted", [(1, 40 * 24 - 1, "answered")]),
]

# call id, outcome as stored, intent, hand-over reason, [(endpoint h ago... as seconds offsets)]
CALLS: list[tuple[str, str | None, str | None, str | None, list[tuple[float, float]]]] = [
    ("c1", "resolved", "order_status", None, [(0.0, 0.4), (5.0, 5.8)]),  # 400 and 800 ms
    ("c2", "bot:done", "opening_hours", None, [(0.0, 0.6)]),  # the older word: resolved; 600 ms
    ("c3", "handoff", "complaint", "caller asked for a person", [(0.0, 1.0)]),  # 1000 ms
    ("c4", "bot:handoff", "return", "low confidence", []),
    ("c5", "callback", "order_status", None, []),
]

# What the callers said (a number in it, which the console masks) and the bot's reply.
HEARD = "where is my parcel, my number is 20 12 34 99"
REPLY = "Your parcel is on its way."

# Reasons a spreadsheet would run as formulas: the CSV export neutralises them.
REASONS = {5: "@SUM(A1)", 6: '=HYPERLINK("http://evil.example")'}

EXPECTED_30D: dict[str, Any] = {
    "callbacks": {
        "requests": 6,
        "invalid_number": 1,
        # Over the four callable requests called (5 waits for its first call: not missed).
        "counted": 4,
        "first_attempt_contact_rate": 0.5,  # requests 1 and 4 of 1, 2, 3 and 4
        "contact_rate": 0.75,  # 1, 2 and 4
        "mean_attempts_per_contact": 2.3333,  # 7 attempts / 3 reached
        "median_hours_to_contact": 2.0,  # of 2, 4 and 1
        "pending": 1,
        "by_policy": {
            "predicted": {
                "requests": 2,
                "first_attempt_contact_rate": 0.5,
                "contact_rate": 1.0,
                "mean_attempts_per_contact": 1.5,
                "median_hours_to_contact": 3.0,
                "pending": 0,
            },
            "traditional": {
                "requests": 2,
                "first_attempt_contact_rate": 0.5,
                "contact_rate": 0.5,
                "mean_attempts_per_contact": 4.0,
                "median_hours_to_contact": 1.0,
                "pending": 0,
            },
            "unplanned": {
                "requests": 2,
                "counted": 0,  # 5 not called yet, 6 no number: nothing to count
                "first_attempt_contact_rate": None,
                "contact_rate": None,
                "mean_attempts_per_contact": None,
                "median_hours_to_contact": None,
                "pending": 1,
            },
        },
    },
    "bot": {
        "calls": 5,
        "containment_rate": 0.4,  # c1 and c2
        "handoff_rate": 0.4,  # c3 and c4
        "handoff_reasons": {"caller asked for a person": 1, "low confidence": 1},
        "intents": {"order_status": 2, "opening_hours": 1, "complaint": 1, "return": 1},
        # turns of 400, 600, 800 and 1000 ms: linear percentiles
        "turn_latency_ms": {"p50": 700.0, "p95": 970.0, "turns": 4},
    },
}


def seed(store: Store, now: float) -> None:
    """Write the history above into ``store`` (a migrated, empty database)."""
    with store.transaction() as tx:
        for rid, phone, source, status, ago_h, planned_by, attempts in REQUESTS:
            created = now - ago_h * H
            tx.insert(
                "callback_requests",
                {
                    "id": rid,
                    "phone": phone,
                    "source": source,
                    "status": status,
                    "created_at": created,
                    "not_before": now + 600 if status == "pending" else None,
                    "attempts": len(attempts),
                    "reason": REASONS.get(rid, f"seeded request {rid}"),
                    "planned_by": planned_by,
                    "timezone": "Europe/Copenhagen",
                },
            )
            for no, started_h, attempt_outcome in attempts:
                started = now - started_h * H
                tx.insert(
                    "callback_attempts",
                    {
                        "id": f"a{rid}-{no}",
                        "request_id": rid,
                        "phone": phone,
                        "attempt_no": no,
                        "started_at": started,
                        "ended_at": started + 30,
                        "outcome": attempt_outcome,
                        "local_weekday": 0,
                        "local_hour": 10,
                        "hours_since_request": round((started - created) / H, 3),
                        "policy": planned_by or "traditional",
                        # The chance of an answer the predicting policy stated (the
                        # conventional rule states none), and how often it picks the hour.
                        "chance": 0.6 if planned_by == "predicted" else None,
                        "pick_share": 0.97 if planned_by == "predicted" else 1.0,
                        "node": "node-a",
                    },
                )
        for i, (call_id, outcome, intent, reason, turns) in enumerate(CALLS):
            start = now - (i + 1) * 600
            tx.insert(
                "calls",
                {
                    "call_id": call_id,
                    "caller": f"+45301000{i:02d}",
                    "started_at": start,
                    "ended_at": start + 120,
                    "stage": "ended",
                    "intent": intent,
                    "outcome": outcome,
                },
            )
            for end_s, audio_s in turns:
                # Recognised 100 ms and understood 150 ms after the end of speech.
                for kind, at, data in (
                    ("endpoint", end_s, {}),
                    ("stage", end_s + 0.1, {"stage": "recognised", "text": HEARD}),
                    ("stage", end_s + 0.15, {"stage": "understood", "intent": intent}),
                    ("first_audio", audio_s, {}),
                ):
                    tx.insert(
                        "call_events",
                        {
                            "call_id": call_id,
                            "at": start + 10 + at,
                            "kind": kind,
                            "data": json.dumps(data),
                        },
                    )
            if turns:
                for speaker, text, offset in (("caller", HEARD, 9.0), ("bot", REPLY, 11.0)):
                    tx.insert(
                        "transcript_turns",
                        {
                            "call_id": call_id,
                            "at": start + offset,
                            "speaker": speaker,
                            "text": text,
                            "intent": intent if speaker == "caller" else None,
                        },
                    )
            if reason:
                data = {"stage": "handoff", "route": "handoff", "reason": reason}
                tx.insert(
                    "call_events",
                    {
                        "call_id": call_id,
                        "at": start + 100,
                        "kind": "stage",
                        "data": json.dumps(data),
                    },
                )
        # A call the bot is on right now, and one an agent took from the queue.
        tx.insert(
            "calls",
            {
                "call_id": "live-1",
                "caller": "+4530999988",
                "started_at": now - 20,
                "stage": "listening",
                "intent": "order_status",
            },
        )
        tx.insert(
            "calls",
            {
                "call_id": "agent-1",
                "caller": "+4530999977",
                "started_at": now - 900,
                "ended_at": now - 800,
                "stage": "ended",
            },
        )
        tx.insert(
            "scheduler_nodes",
            {"node": "node-a", "started_at": now - 3600, "heartbeat_at": now - 1, "dialled": 10},
        )
