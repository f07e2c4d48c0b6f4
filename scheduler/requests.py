"""Callback requests: the one owner that records, claims and closes them.

Every door (the bot, the controller's queue route, and later the HTTP API,
CSV import and the spool of the DTMF menu) records a request through
:func:`record`, which normalises the number to E.164 at intake. A number
that cannot be read, or may not be called back (premium-rate, shared-cost
and the like), is still recorded (nothing a caller asked for is lost), with
status ``invalid_number``, the raw value and the reason, so that an admin
sees it; it is never dialled.

:func:`claim_due` and :func:`close` are the dialer's side, on the shared
claim, lease and retry pattern of :mod:`spillway.leases`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from spillway.leases import LeaseSpec, claim_next, finish
from spillway.phone import callable_phone, normalise_phone
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


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A callback request as a door hands it in; ``phone`` as the caller gave it."""

    phone: str
    source: RequestSource
    reason: str = ""
    call_id: str | None = None
    name: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    not_before: float | None = None
    deadline: float | None = None


def request_row(request: NewRequest, *, region: str, now: float) -> dict[str, Any]:
    """The ``callback_requests`` row for ``request`` (pure): number normalised, status set.

    A number that cannot be read, or one of a kind that is never called back
    (premium-rate, shared-cost, toll-free ...), is kept (in E.164 where it can
    be read, else as given) with status ``invalid_number`` and the reason in
    ``last_error``.
    """
    e164, why_not = callable_phone(request.phone, region)
    return {
        "phone": e164 or normalise_phone(request.phone, region) or request.phone.strip()[:40],
        "name": request.name,
        "reason": request.reason,
        "source": request.source.value,
        "call_id": request.call_id,
        "created_at": now,
        "not_before": request.not_before,
        "deadline": request.deadline,
        "status": (RequestStatus.PENDING if e164 else RequestStatus.INVALID_NUMBER).value,
        "last_error": why_not or None,
        "context": json.dumps(dict(request.context), sort_keys=True, default=str),
    }


@dataclass(frozen=True, slots=True)
class Recorded:
    """A request as recorded: its id, status and the number it will be called on."""

    id: int
    status: RequestStatus
    phone: str
    problem: str | None = None  # why the number will not be called, if it will not

    @property
    def will_be_called(self) -> bool:
        return self.status is RequestStatus.PENDING


def record(tx: Transaction, request: NewRequest, *, region: str, now: float) -> Recorded:
    """Record ``request``."""
    row = request_row(request, region=region, now=now)
    row_id = tx.insert("callback_requests", row)
    return Recorded(row_id, RequestStatus(row["status"]), row["phone"], row["last_error"])


DIAL_LEASE = LeaseSpec("callback_requests", claimed_status=RequestStatus.DIALLING.value)


def claim_due(tx: Transaction, *, now: float, lease: LeaseSpec = DIAL_LEASE) -> Row | None:
    """Claim the next request that may be dialled now (``not_before`` passed), or None."""
    return claim_next(tx, lease, now=now, where="not_before IS NULL OR not_before <= :now")


def close(
    tx: Transaction,
    request_id: int,
    status: RequestStatus,
    *,
    now: float,
    error: str | None = None,
    lease: LeaseSpec = DIAL_LEASE,
) -> None:
    """End an attempt: a final status closes the request, ``pending`` puts it back."""
    finish(tx, lease, request_id, status.value, error)
    if status in FINAL_STATUSES:
        tx.execute(
            "UPDATE callback_requests SET closed_at = :now WHERE id = :id",
            {"now": now, "id": request_id},
        )
