"""Anonymous contact aggregates: answers and tries per segment, hour of the week and attempt.

Before retention or erasure removes callback attempts, :func:`fold_attempts`
adds them to ``contact_aggregates``, so the contact model
(:func:`scheduler.timing.model_keeper.read_attempt_log`) keeps learning from what
they taught it without keeping who was called or when. The counts carry no
number and no date; they are kept without limit.
"""

from __future__ import annotations

from typing import Any

from spillway.storage import Row, Transaction

# The attempts that were calls: they ended, and they started (a lost or never started
# attempt rang no one).
FINISHED = "outcome IS NOT NULL AND outcome NOT IN ('not_started', 'lost')"
# The attempts the contact model learns from (the same filter as its reader): finished
# ones, never a simulated customer's (`spillway simulate --store`), which is there to be
# looked at in the console and purged, not to teach real customers' hours.
COUNTED = f"{FINISHED} AND request_id NOT IN (SELECT id FROM callback_requests WHERE simulated = 1)"


def fold_attempts(tx: Transaction, where: str, params: Any) -> int:
    """Add the finished attempts matching ``where`` to the aggregates; how many were added."""
    return tx.execute(
        "INSERT INTO contact_aggregates "
        "(segment, local_weekday, local_hour, attempt_no, tries, answers) "
        "SELECT COALESCE(segment, 'default'), local_weekday, local_hour, attempt_no, "
        "count(*), sum(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END) "
        f"FROM callback_attempts WHERE {COUNTED} AND {where} "
        "GROUP BY COALESCE(segment, 'default'), local_weekday, local_hour, attempt_no "
        "ON CONFLICT (segment, local_weekday, local_hour, attempt_no) DO UPDATE SET "
        "tries = contact_aggregates.tries + excluded.tries, "
        "answers = contact_aggregates.answers + excluded.answers",
        params,
    )


def aggregate_rows(tx: Transaction) -> list[Row]:
    return tx.query(
        "SELECT segment, local_weekday, local_hour, attempt_no, tries, answers "
        "FROM contact_aggregates ORDER BY segment, local_weekday, local_hour, attempt_no"
    )
