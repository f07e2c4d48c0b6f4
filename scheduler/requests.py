"""Callback requests as stored: where each stands, and the dialer's side of them.

A request is recorded by :mod:`scheduler.intake` (every door goes through
:func:`scheduler.intake.record`); from then on it is the row in
``callback_requests`` whose life is here: :func:`claim_due`, :func:`release`
and :func:`close`, on the shared claim, lease and retry pattern of
:mod:`spillway.leases`, and :func:`keep_plan`, which keeps with the request the
policy's plan for its next attempt. The do-not-call list, which cancels open
requests, is :mod:`scheduler.do_not_call`.
"""

from __future__ import annotations

from enum import StrEnum

from scheduler.timing.plan_reason import PlanReason
from scheduler.timing.policy import Plan
from spillway.leases import LeaseSpec, claim_next, finish
from spillway.request_problem import Problem, served_inbound
from spillway.storage import Row, Transaction


class RequestStatus(StrEnum):
    """Where a callback request stands."""

    PENDING = "pending"  # waiting for its next attempt
    DIALLING = "dialling"  # claimed by a dialer: an attempt is under way
    DONE = "done"  # the customer was reached
    UNREACHED = "unreached"  # out of attempts, or past its expiry
    CANCELLED = "cancelled"  # by an admin or the customer
    INVALID_NUMBER = "invalid_number"  # recorded, never dialled: the number cannot be read


FINAL_STATUSES = frozenset(
    {
        RequestStatus.DONE,
        RequestStatus.UNREACHED,
        RequestStatus.CANCELLED,
        RequestStatus.INVALID_NUMBER,
    }
)


class RequestSource(StrEnum):
    """Which door a request came in by."""

    BOT = "bot"  # the voice bot's dialogue, or its overflow offer
    MENU = "menu"  # the dialplan's DTMF menu, through the controller
    SPOOL = "spool"  # the DTMF menu while the controller was down
    API = "api"
    CSV = "csv"
    SIMULATE = "simulate"  # `spillway simulate --store`: fake customers (simulated = 1)


OPEN_STATUSES = (RequestStatus.PENDING.value, RequestStatus.DIALLING.value)


# When a request is due is its not_before (set by the policy), not a lease back-off.
DIAL_LEASE = LeaseSpec(
    "callback_requests", claimed_status=RequestStatus.DIALLING.value, retry_base_s=0, retry_max_s=0
)
# Due, and with no attempt still open (one a dead dialer left is reconciled first).
_DUE = (
    "(not_before IS NULL OR not_before <= :now) AND NOT EXISTS (SELECT 1 FROM "
    "callback_attempts a WHERE a.request_id = callback_requests.id AND a.ended_at IS NULL)"
)


def claim_due(
    tx: Transaction, *, now: float, lease: LeaseSpec = DIAL_LEASE, after_id: int = 0
) -> Row | None:
    """Claim the next request that may be dialled now (``not_before`` passed), or None."""
    return claim_next(tx, lease, now=now, after_id=after_id, where=_DUE)


def release(
    tx: Transaction,
    request_id: int,
    *,
    not_before: float | None,
    uncount: bool,
    plan: Plan | None = None,
) -> None:
    """Back to pending, due at ``not_before``; ``uncount``: the claim was no attempt.

    ``plan``: the policy's plan that set ``not_before``, kept with the request
    (who chose the time, how often it picks it, why) for the attempt's log
    and for `spillway callbacks explain`.
    """
    # Never before the not_before already stored: a claimed request's is in the past,
    # unless a request that joined it while it rang named a later start.
    tx.execute(
        "UPDATE callback_requests SET status = :pending, not_before = CASE "
        "WHEN :nb IS NULL THEN not_before "
        "WHEN not_before IS NULL OR :nb > not_before THEN :nb ELSE not_before END, "
        "claimed_at = NULL, attempts = attempts - :u WHERE id = :id",
        {
            "pending": RequestStatus.PENDING.value,
            "nb": not_before,
            "u": 1 if uncount else 0,
            "id": request_id,
        },
    )
    if plan is not None:
        keep_plan(tx, request_id, plan)


def stored_reason(plan: Plan) -> str:
    """The plan's reason as ``plan_reason`` keeps it: a code and its values (JSON)."""
    why = plan.reason
    return (why.stored() if isinstance(why, PlanReason) else why)[:300]


def keep_plan(tx: Transaction, request_id: int, plan: Plan) -> None:
    """Record which policy planned the request's next attempt, how often it picks that
    time and why (a model's pick: with the chance of an answer it stated)."""
    tx.execute(
        "UPDATE callback_requests SET planned_by = :by, plan_pick_share = :p, "
        "plan_reason = :why WHERE id = :id",
        {"by": plan.policy, "p": plan.pick_share, "why": stored_reason(plan), "id": request_id},
    )


def close(
    tx: Transaction,
    request_id: int,
    status: RequestStatus,
    *,
    now: float,
    error: Problem | str | None = None,
    lease: LeaseSpec = DIAL_LEASE,
    uncount: bool = False,
) -> None:
    """End an attempt: a final status closes the request, ``pending`` puts it back.

    ``uncount``: the claim was no attempt (the rules refused it before dialling).
    ``error``: why, kept as its code (text, from a policy of no known reason, as it is).
    """
    finish(tx, lease, request_id, status.value, _stored(error))
    if uncount:
        tx.execute(
            "UPDATE callback_requests SET attempts = attempts - 1 WHERE id = :id",
            {"id": request_id},
        )
    if status in FINAL_STATUSES:
        tx.execute(
            "UPDATE callback_requests SET closed_at = :now WHERE id = :id",
            {"now": now, "id": request_id},
        )


def close_served(tx: Transaction, request_id: int, *, now: float) -> bool:
    """Close a request the inbound call that booked it has served (an agent took the
    caller after the bot's hand-over): cancelled, ``served_inbound``; True: closed now."""
    return close_pending(tx, request_id, served_inbound(), now=now)


def close_pending(tx: Transaction, request_id: int, why: Problem, *, now: float) -> bool:
    """Cancel a request not dialled yet, with ``why`` (``served_inbound``: the call that
    booked it was served; ``cancelled_by_caller``: withdrawn in that call); True: closed now.

    One statement, so a crash leaves it open or closed, never half. Only a pending
    request: one being dialled is the dialler's (its attempt closes or keeps it), and one
    already closed stays as it was, so a second report of the same call changes nothing.
    """
    closed = tx.execute(
        "UPDATE callback_requests SET status = :cancelled, closed_at = :now, "
        "last_error = :why WHERE id = :id AND status = :pending",
        {
            "cancelled": RequestStatus.CANCELLED.value,
            "now": now,
            "why": why.stored(),
            "id": request_id,
            "pending": RequestStatus.PENDING.value,
        },
    )
    return closed == 1


def _stored(error: Problem | str | None) -> str | None:
    return error.stored() if isinstance(error, Problem) else error
