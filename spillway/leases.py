"""Claim, lease and retry for a work table: the pattern the SMS outbox and callbacks share.

A row is worked like this:

1. in one transaction, claim it: ``pending -> <claimed>`` with ``claimed_at``
   set and ``attempts + 1``;
2. do the work outside the transaction (post the message, dial the number);
3. finish it: done, failed, or back to ``pending`` for a retry.

A row put back to ``pending`` waits before its next attempt: attempt *n*
failed, the next one is due ``retry_base_s * 2**(n-1)`` seconds (at most
``retry_max_s``) after attempt *n* started. A row left in the claimed status
(the worker died mid-work) is taken up again after ``claim_timeout_s``.

The table needs ``id``, ``status``, ``attempts``, ``claimed_at`` and
``last_error`` columns. The SQL is the subset SQLite and PostgreSQL share.
"""

from __future__ import annotations

from dataclasses import dataclass

from spillway.storage import Row, Transaction


@dataclass(frozen=True, slots=True)
class LeaseSpec:
    """Which table, which statuses, and how long a claim and a retry wait."""

    table: str
    claimed_status: str
    pending_status: str = "pending"
    claim_timeout_s: float = 120.0
    retry_base_s: float = 30.0
    retry_max_s: float = 1800.0
    max_attempts: int = 5


def claim_next(
    tx: Transaction, spec: LeaseSpec, *, now: float, after_id: int = 0, where: str = "1 = 1"
) -> Row | None:
    """Claim the first due row with an id above ``after_id``; None when nothing is due.

    ``where`` narrows the rows (a fixed SQL condition of the caller's, never
    caller data). The returned row shows the claim: the claimed status and
    the new attempt count.
    """
    # CASE instead of min()/max(): the same SQL on SQLite and PostgreSQL. On
    # PostgreSQL a row another dialer has locked is skipped, not waited for.
    # Two queries, each on one status, so that each walks its own partial
    # index in id order (an OR across statuses scans every finished row);
    # the lower id wins.
    # The statuses are the spec's own constants, written into the SQL so that
    # a partial index (WHERE status = 'pending') matches whatever the planner's
    # statistics say, as they are stale right after a large import.
    pending, claimed = _literal(spec.pending_status), _literal(spec.claimed_status)
    shift = "(CASE WHEN attempts < 1 THEN 0 WHEN attempts > 31 THEN 30 ELSE attempts - 1 END)"
    backoff = f"(CASE WHEN :base * (1 << {shift}) > :cap THEN :cap ELSE :base * (1 << {shift}) END)"
    lock = ""
    if tx.dialect == "postgres":
        lock = " FOR UPDATE SKIP LOCKED"
        # Walk the partial index in id order and stop at the first row: with
        # statistics from before a large import, the planner would rather fetch
        # every waiting row and sort them (16 ms for 20,000 instead of 0.1 ms).
        tx.execute("SET LOCAL enable_bitmapscan = off")
        tx.execute("SET LOCAL enable_sort = off")
    params = {
        "after": after_id,
        "pending": spec.pending_status,
        "claimed": spec.claimed_status,
        "stale": now - spec.claim_timeout_s,
        "base": spec.retry_base_s,
        "cap": spec.retry_max_s,
        "now": now,
    }
    head = f"SELECT * FROM {spec.table} WHERE id > :after AND ({where}) AND "
    due = tx.query(
        head + f"status = {pending} AND (claimed_at IS NULL OR claimed_at + {backoff} <= :now) "
        f"ORDER BY id LIMIT 1{lock}",
        params,
    )
    stale = tx.query(
        head + f"status = {claimed} AND claimed_at < :stale ORDER BY id LIMIT 1{lock}", params
    )
    rows = sorted(due + stale, key=lambda r: r["id"])[:1]
    if not rows:
        return None
    row = rows[0]
    tx.execute(
        f"UPDATE {spec.table} SET status = :claimed, claimed_at = :now, "
        "attempts = attempts + 1 WHERE id = :id",
        {"claimed": spec.claimed_status, "now": now, "id": row["id"]},
    )
    return row | {"status": spec.claimed_status, "attempts": row["attempts"] + 1, "claimed_at": now}


def _literal(status: str) -> str:
    if not status.replace("_", "").isalpha():
        raise ValueError(f"a lease status must be a plain word, not {status!r}")
    return f"'{status}'"


def finish(tx: Transaction, spec: LeaseSpec, row_id: int, status: str, error: str | None) -> None:
    """End an attempt: ``status`` is final, or the pending status for a retry."""
    tx.execute(
        f"UPDATE {spec.table} SET status = :s, last_error = :e WHERE id = :id",
        {"s": status, "e": error, "id": row_id},
    )


def after_failure(spec: LeaseSpec, attempts: int, *, permanent: bool, failed_status: str) -> str:
    """The status after a failed attempt: a retry, or ``failed_status`` when it is final."""
    if permanent or attempts >= spec.max_attempts:
        return failed_status
    return spec.pending_status
