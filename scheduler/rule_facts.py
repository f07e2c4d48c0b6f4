"""The facts the calling rules need about one request, read from the database.

:func:`scheduler.rules.refusal` is pure: it decides over a
:class:`~scheduler.rules.RequestFacts`. This reads them for a request row in
one transaction: the request's own attempts, the attempts to its number over
the last days (the per-day limits), and whether the number asked not to be
called. The dialer re-checks each claim with them; a data subject's access
report shows what the rules would say.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scheduler import do_not_call
from scheduler.rules import CallingRules, RequestFacts, attempts_by_day, expiry, promised_by
from spillway.storage import Row, Transaction


def row_facts(row: Row | dict[str, Any], *, default_timezone: str) -> RequestFacts:
    """The facts the request row holds itself (no attempts, no do-not-call look-up)."""
    return RequestFacts(
        phone=row["phone"],
        timezone=row["timezone"] or default_timezone,
        created_at=row["created_at"],
        not_before=None,  # the policy's own not_before is what made it due
        not_after=row["not_after"],
        expires_at=row["expires_at"],
        segment=row["segment"],
        deadline_at=row["deadline"],
    )


def promise_times(
    rules: CallingRules, row: Row | dict[str, Any], *, default_timezone: str
) -> tuple[float, float]:
    """``(deadline, expiry)`` of a request row, as its promise gives them (no queries):
    what `callbacks list --json` shows beside `show`."""
    facts = row_facts(row, default_timezone=default_timezone)
    return promised_by(rules, facts), expiry(rules, facts)


def load_facts(
    tx: Transaction,
    row: Row,
    *,
    default_timezone: str,
    counting_claim: bool,
    hash_key: bytes | None = None,
) -> RequestFacts:
    """The rule facts of a request row; ``counting_claim``: its attempts include this claim.

    ``hash_key``: the ``gdpr.hash_key`` secret, so that a do-not-call entry an
    erasure kept as a keyed hash still stops the call."""
    facts = row_facts(row, default_timezone=default_timezone)
    tz = facts.timezone
    since = (row["created_at"] or 0) - 8 * 86400
    started = [
        r["started_at"]
        for r in tx.query(
            "SELECT started_at FROM callback_attempts WHERE phone = :p AND started_at >= :s",
            {"p": row["phone"], "s": since},
        )
    ]
    last = tx.query(
        "SELECT max(started_at) AS at FROM callback_attempts WHERE request_id = :id",
        {"id": row["id"]},
    )
    return replace(
        facts,
        attempts=int(row["attempts"]) - (1 if counting_claim else 0),
        last_attempt_at=last[0]["at"] if last else None,
        opted_out=do_not_call.is_opted_out(tx, row["phone"], hash_key=hash_key),
        number_attempts_by_day=attempts_by_day(started, tz),
    )
