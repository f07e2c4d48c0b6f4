"""The do-not-call list as callbacks meet it: a number put on it, and a number looked up.

Putting a number on the list (:func:`opt_out`, ``spillway callbacks optout``)
also cancels its open requests. Intake (:func:`scheduler.intake.record`) looks
every number up (:func:`is_opted_out`), the dialer again before it dials
(:mod:`scheduler.rule_facts`), and the web's data-protection page to tell an
admin. The list itself is kept by :mod:`spillway.number_lists`; opting out of
AI timing only is :mod:`scheduler.timing.optout`.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.requests import RequestStatus
from spillway.number_lists import DO_NOT_CALL
from spillway.request_problem import do_not_call
from spillway.storage import Transaction


def is_opted_out(tx: Transaction, phone: str, *, hash_key: bytes | None = None) -> bool:
    """Whether ``phone`` is on the do-not-call list: as itself, or (``hash_key``: the
    ``gdpr.hash_key`` secret) as the keyed hash an erasure left in its place."""
    return DO_NOT_CALL.holds(tx, phone, hash_key=hash_key)


@dataclass(frozen=True, slots=True)
class OptedOut:
    """A number put on the do-not-call list, and how many of its open requests that
    cancelled (the admin is told: the cancelling is otherwise silent)."""

    phone: str  # E.164
    cancelled: int


def opt_out(
    tx: Transaction, phone: str, *, source: str, now: float, region: str
) -> OptedOut | None:
    """Put ``phone`` on the do-not-call list and cancel its open requests (one ringing
    now is closed when its call ends); None when ``phone`` is not a number."""
    e164 = DO_NOT_CALL.put(tx, phone, source=source, now=now, region=region)
    if e164 is None:
        return None
    cancelled = tx.execute(
        "UPDATE callback_requests SET status = :cancelled, closed_at = :at, "
        "last_error = :why WHERE phone = :p AND status = :pending",
        {
            "why": do_not_call().stored(),
            "cancelled": RequestStatus.CANCELLED.value,
            "at": now,
            "p": e164,
            "pending": RequestStatus.PENDING.value,
        },
    )
    return OptedOut(e164, cancelled)
