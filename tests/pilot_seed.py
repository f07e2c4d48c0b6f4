"""A small, hand-counted pilot for `spillway report pilot` and the console's Pilot page.

Per request: (timing, timing_reason, status, [hours after the request of each
attempt, the answered one last]); every request was made 40 h before ``now``.
The figures the tests expect are counted by hand in the comments.
"""

from __future__ import annotations

from spillway.storage import Store

H = 3600.0
CREATED_AGO_H = 40.0
FIRST_ID = 1000

_NEVER4 = [1.0, 3.0, 5.0, 7.0]  # four attempts, none answered
_NEVER3 = [1.0, 3.0, 5.0]
# Predicted, 10 callable: 6 reached on the first attempt, 1 on the second, 1 on the
# third, 1 on the fourth, 1 never (4 attempts): 19 attempts, 9 contacts.
# Hours to contact 1, 1, 2, 2, 3, 3 | 5 | 8 | 30: median 3.
PREDICTED = [[1.0], [1.0], [2.0], [2.0], [3.0], [3.0], [1.0, 5.0], [1.0, 4.0, 8.0]]
PREDICTED += [[1.0, 3.0, 6.0, 30.0], _NEVER4]
# Conventional, 10 callable: 3 on the first attempt, 2 on the second, 5 never after
# three: 22 attempts, 5 contacts. Hours to contact 2, 4, 6 | 1->10, 3->20: median 6.
CONVENTIONAL = [[2.0], [4.0], [6.0], [1.0, 10.0], [3.0, 20.0], *[_NEVER3] * 5]

# timing, timing_reason, status, attempts (hours after the request); None: no answer at all
ROWS: list[tuple[str | None, str | None, str, list[float]]] = [
    *[("predicted", "pilot", "done" if a is not _NEVER4 else "unreached", a) for a in PREDICTED],
    *[
        ("conventional", "pilot", "done" if a is not _NEVER3 else "unreached", a)
        for a in CONVENTIONAL
    ],
    # A number that cannot be dialled, drawn into the predicted arm: not callable.
    ("predicted", "pilot", "invalid_number", []),
    # Two customers who opted out of AI timing: reported apart, in neither arm.
    ("conventional", "customer", "done", [1.0]),
    ("conventional", "customer", "unreached", _NEVER3),
    # Outside the pilot (callbacks.policy decided): not counted at all.
    ("predicted", "policy", "done", [1.0]),
    (None, None, "done", [1.0]),
]

EXPECTED = {
    "first_attempt": {"predicted": 0.6, "conventional": 0.3},  # 6/10, 3/10
    "within_3": {"predicted": 0.8, "conventional": 0.5},  # 8/10, 5/10
    "attempts_per_contact": {"predicted": 19 / 9, "conventional": 22 / 5},
    "median_hours": {"predicted": 3.0, "conventional": 6.0},
}


def seed_pilot(store: Store, now: float) -> None:
    """Write :data:`ROWS` into ``store`` (migrated), ids from :data:`FIRST_ID`."""
    created = now - CREATED_AGO_H * H
    with store.transaction() as tx:
        for i, (timing, reason, status, hours) in enumerate(ROWS):
            rid = FIRST_ID + i
            answered_last = status == "done"
            tx.insert(
                "callback_requests",
                {
                    "id": rid,
                    "phone": "12" if status == "invalid_number" else f"+45207000{i:02d}",
                    "source": "api",
                    "status": status,
                    "created_at": created,
                    "attempts": len(hours),
                    "reason": f"pilot request {i}",
                    "planned_by": "predicted" if timing == "predicted" else "traditional",
                    "timezone": "Europe/Copenhagen",
                    "timing": timing,
                    "timing_reason": reason,
                },
            )
            for no, after_h in enumerate(hours, start=1):
                started = created + after_h * H
                answered = answered_last and no == len(hours)
                tx.insert(
                    "callback_attempts",
                    {
                        "id": f"p{rid}-{no}",
                        "request_id": rid,
                        "phone": f"+45207000{i:02d}",
                        "attempt_no": no,
                        "started_at": started,
                        "ended_at": started + 30,
                        "outcome": "answered" if answered else "no_answer",
                        "local_weekday": 0,
                        "local_hour": 10,
                        "hours_since_request": after_h,
                        "policy": "predicted" if timing == "predicted" else "traditional",
                        # The chance its plan stated, and how often the draws picked it.
                        "chance": 0.5 if timing == "predicted" else None,
                        "pick_share": 0.9 if timing == "predicted" else 1.0,
                        "node": "node-a",
                    },
                )
