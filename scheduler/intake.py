"""Intake: how a callback request, or a changed number or window, is taken in.

Every door (the bot, the controller's queue route, the HTTP API, the CSV
import and the spool of the DTMF menu) records a request through
:func:`record`, which normalises the number to E.164 at intake. A number
that cannot be read, or may not be called back (premium-rate, shared-cost
and the like), is still recorded (nothing a caller asked for is lost), with
status ``invalid_number``, the raw value and the reason, so that an admin
sees it; it is never dialled. A second open request for the same number
joins the first (:mod:`scheduler.joined_request`: a CSV row's window and reason
are added to the open one's, another door's window replaces it); a number on the
do-not-call list (:mod:`scheduler.do_not_call`) is recorded closed.
:func:`update_pending` takes a new number or window for a request not yet dialled
in the same way.

An idempotency key is the door's own (an ``Idempotency-Key`` header, a CSV
column, a call id); it is stored as ``<door>:<key>`` so that keys from
different doors never meet, with a hash of what was asked: the same key with
a different request is refused (:class:`KeyReused`), never answered with the
first request as if it were the same.

What happens to a request once recorded (claimed, released, closed) is
:mod:`scheduler.requests`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from scheduler.do_not_call import is_opted_out
from scheduler.joined_request import COVERING_SOURCES, Span, covering, joined_reason
from scheduler.requests import OPEN_STATUSES, RequestSource, RequestStatus
from scheduler.rules import CallingRules, calling_expiry, deadline
from scheduler.timing import optout as timing_optout
from scheduler.timing.choice import (
    Timing,
    TimingConfig,
    TimingReason,
    choose_timing,
    request_queue,
)
from scheduler.windows import window_promise
from spillway.errors import InputError
from spillway.phone import callable_phone, normalise_phone, phone_refusal, timezone_for
from spillway.request_problem import (
    Problem,
    do_not_call,
    in_english,
    merged_into,
    number_refused,
    problem_code,
)
from spillway.storage import Row, Transaction
from spillway.wording import Wording


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A callback request as a door hands it in; ``phone`` as the caller gave it."""

    phone: str
    source: RequestSource
    reason: str = ""
    call_id: str | None = None
    name: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    # The customer's own window ("this afternoon"), UNIX seconds.
    not_before: float | None = None
    not_after: float | None = None
    deadline: float | None = None
    expires_at: float | None = None
    # IANA zone; None: from the number.
    timezone: str | None = None
    segment: str | None = None
    consent: bool = False
    # The customer chose a traditional callback: no AI timing.
    traditional: bool = False
    # The door's own key; stored as "<source>:<key>" (see stored_key).
    idempotency_key: str | None = None


class KeyReused(InputError):
    """An idempotency key came back with a different request: refused, nothing recorded."""

    code = "idempotency_key_reused"

    def __init__(self, key: str, request_id: int) -> None:
        super().__init__(
            Wording("errors.idempotency_key_reused", {"key": repr(key), "request": request_id})
        )
        self.key = key
        self.request_id = request_id


class OnDoNotCallList(InputError):
    """The number is on the do-not-call list and the door asked to be told instead of a
    closed request being kept (``refuse_do_not_call``): nothing recorded."""

    code = "do_not_call"

    def __init__(self, phone: str) -> None:
        super().__init__(Wording("errors.do_not_call"))
        self.phone = phone


def stored_key(request: NewRequest) -> str | None:
    """The idempotency key as stored: namespaced by the door, so doors cannot collide."""
    if not request.idempotency_key:
        return None
    return f"{request.source.value}:{request.idempotency_key}"


# Set by a door from its clock, not asked by the customer: a replay a second later
# must not differ by them.
_NOT_ASKED = ("idempotency_key", "deadline", "expires_at")


def fingerprint(request: NewRequest) -> str:
    """A hash of everything ``request`` asks for, its key aside (pure)."""
    asked = {f.name: getattr(request, f.name) for f in fields(request) if f.name not in _NOT_ASKED}
    asked["context"] = dict(request.context)
    text = json.dumps(asked, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def request_row(
    request: NewRequest,
    *,
    region: str,
    now: float,
    default_timezone: str = "Europe/Copenhagen",
    allowed_countries: Collection[str] | None = None,
) -> dict[str, Any]:
    """The ``callback_requests`` row for ``request`` (pure): number normalised, status set.

    A number that cannot be read, or one of a kind that is never called back
    (premium-rate, shared-cost, toll-free ...), is kept (in E.164 where it can
    be read, else as given) with status ``invalid_number`` and the reason in
    ``last_error``; so is a number outside ``allowed_countries`` (None: the
    shop's ``region`` only).
    """
    e164, why_not = phone_refusal(request.phone, region, allowed_countries=allowed_countries)
    phone = e164 or normalise_phone(request.phone, region) or request.phone.strip()[:40]
    return {
        "phone": phone,
        "name": request.name,
        "reason": request.reason,
        "source": request.source.value,
        "call_id": request.call_id,
        "created_at": now,
        "not_before": request.not_before,
        "not_after": request.not_after,
        "deadline": request.deadline,
        "expires_at": request.expires_at,
        "timezone": request.timezone or timezone_for(phone, default_timezone),
        "segment": request.segment,
        "consent": int(request.consent),
        "traditional": int(request.traditional),
        "idempotency_key": stored_key(request),
        # Kept for every request, keyed or not: a replay without a key (the same CSV
        # imported again) is then told from a new request for the same number.
        "idempotency_hash": fingerprint(request),
        "status": (RequestStatus.PENDING if e164 else RequestStatus.INVALID_NUMBER).value,
        "last_error": None if why_not is None else number_refused(why_not).stored(),
        "context": json.dumps(dict(request.context), sort_keys=True, default=str),
    }


@dataclass(frozen=True, slots=True)
class Recorded:
    """A request as recorded: its id, status and the number it will be called on."""

    id: int
    status: RequestStatus
    phone: str
    problem: str | None = None  # why the number will not be called, if it will not (English)
    # The same as a code of spillway.request_problem ('do_not_call', ...), for a door to
    # word in its own language; None: no problem, or text of no known kind.
    problem_code: str | None = None
    merged: bool = False  # an open request for the number existed: this one joined it
    replayed: bool = False  # the idempotency key was seen before: the first request, unchanged

    @property
    def will_be_called(self) -> bool:
        return self.status in (RequestStatus.PENDING, RequestStatus.DIALLING)


def record(
    tx: Transaction,
    request: NewRequest,
    *,
    region: str,
    now: float,
    default_timezone: str = "Europe/Copenhagen",
    hash_key: bytes | None = None,
    allowed_countries: Collection[str] | None = None,
    timing: TimingConfig | None = None,
    rules: CallingRules | None = None,
    refuse_do_not_call: bool = False,
) -> Recorded:
    """Record ``request``; a second open request for the same number joins the first.

    ``timing``: how intake chooses the request's timing (callbacks.policy and
    pilot, :mod:`scheduler.timing.choice`; None: the predicted policy, no
    pilot). A customer who asked for a plain callback (``traditional``), or
    whose number opted out of AI timing, gets ``conventional`` at every door.

    The same ``idempotency_key`` twice returns the first request unchanged, if
    it asks the same; with a different request it raises :class:`KeyReused`.
    ``hash_key``: see :func:`scheduler.do_not_call.is_opted_out` (the dialer checks
    again before it dials).
    ``allowed_countries``: where callbacks may dial (None: ``region`` only).
    ``rules``: the calling rules, to promise a later window's first call inside it
    (:func:`scheduler.windows.window_deadline`) when the door has not (None: the
    deadline counts from the creation).
    A number on the do-not-call list is recorded closed (the caller's own request, kept
    for an admin), or with ``refuse_do_not_call`` (a door whose client is told: the CSV
    import, the API) not at all: :class:`OnDoNotCallList` is raised, so no name or
    number is stored for a person who asked not to be called.
    """
    key = stored_key(request)
    if key is not None:
        [*same] = tx.query(
            "SELECT id, status, phone, last_error, idempotency_hash FROM callback_requests "
            "WHERE idempotency_key = :k",
            {"k": key},
        ) or tx.query(
            # A keyed request that joined an open one: the one it joined.
            "SELECT r.id, r.status, r.phone, r.last_error, k.idempotency_hash "
            "FROM callback_request_keys k JOIN callback_requests r ON r.id = k.request_id "
            "WHERE k.idempotency_key = :k",
            {"k": key},
        )
        if same:
            row = same[0]
            # A key stored before hashes were kept (NULL) cannot be compared: it replays.
            if row["idempotency_hash"] not in (None, fingerprint(request)):
                raise KeyReused(str(request.idempotency_key), row["id"])
            return Recorded(
                row["id"],
                RequestStatus(row["status"]),
                row["phone"],
                in_english(row["last_error"]),
                problem_code(row["last_error"]),
                replayed=True,
            )
    row = request_row(
        request,
        region=region,
        now=now,
        default_timezone=default_timezone,
        allowed_countries=allowed_countries,
    )
    if rules is not None:
        # The promise and the expiry follow a window days ahead ("the 12th"), unless given.
        deadline, expires = window_promise(
            rules,
            now=now,
            timezone=row["timezone"],
            not_before=request.not_before,
            not_after=request.not_after,
        )
        row["deadline"] = deadline if row["deadline"] is None else row["deadline"]
        row["expires_at"] = expires if row["expires_at"] is None else row["expires_at"]
    customer_asked = request.traditional or timing_optout.opted_out_of_ai_timing(
        tx, row["phone"], hash_key=hash_key
    )
    if row["status"] == RequestStatus.PENDING.value:
        if is_opted_out(tx, row["phone"], hash_key=hash_key):
            if refuse_do_not_call:
                raise OnDoNotCallList(row["phone"])
            row["status"] = RequestStatus.CANCELLED.value
            row["last_error"] = do_not_call().stored()
        else:
            existing = _open_request_for(tx, row["phone"])
            if existing is not None:
                if _carries(existing, row["idempotency_hash"]):
                    # The very request again (a re-imported file): already there.
                    return Recorded(
                        existing["id"],
                        RequestStatus(existing["status"]),
                        row["phone"],
                        replayed=True,
                    )
                joined = {**row, "customer_asked": customer_asked}
                return _merge(tx, existing, joined, request, rules=rules)
    row_id = tx.insert("callback_requests", row)
    # Chosen once the id is known: the pilot's draw is a hash of it.
    config = timing or TimingConfig()
    choice = choose_timing(
        config,
        request_id=row_id,
        customer_asked=customer_asked,
        queue=request_queue(request.context, request.segment, config.default_queue),
    )
    tx.execute(
        "UPDATE callback_requests SET timing = :t, timing_reason = :r WHERE id = :id",
        {"t": choice.timing.value, "r": choice.reason.value, "id": row_id},
    )
    stored = row["last_error"]
    return Recorded(
        row_id, RequestStatus(row["status"]), row["phone"], in_english(stored), problem_code(stored)
    )


def _open_request_for(tx: Transaction, phone: str, *, other_than: int = 0) -> Row | None:
    """The oldest open request for ``phone`` (not request ``other_than``), if any."""
    rows = tx.query(
        "SELECT id, status, context, not_before, not_after, expires_at, idempotency_hash, "
        "created_at, timezone, deadline, reason FROM callback_requests WHERE phone = :p "
        "AND status IN (:a, :b) AND id <> :other ORDER BY id LIMIT 1",
        {"p": phone, "a": OPEN_STATUSES[0], "b": OPEN_STATUSES[1], "other": other_than},
    )
    return rows[0] if rows else None


def _carries(existing: Row, asked_hash: str) -> bool:
    """Whether the open request ``existing`` already holds the request hashed ``asked_hash``:
    as itself, or as one that joined it (pure)."""
    if existing["idempotency_hash"] == asked_hash:
        return True
    merged = json.loads(existing["context"] or "{}").get("merged", [])
    return any(entry.get("hash") == asked_hash for entry in merged)


def _merge(
    tx: Transaction,
    existing: Row,
    new: Mapping[str, Any],
    request: NewRequest | None = None,
    *,
    rules: CallingRules | None = None,
) -> Recorded:
    """The new request joins the open one: its source, reason and call are kept in the context.

    A row of a door in :data:`~scheduler.joined_request.COVERING_SOURCES` (a CSV
    row, with the ``rules``) is another request to serve: its reason is added to the
    open one's and the window, deadline and expiry cover both (:func:`_cover`).
    Otherwise, as follows.

    The customer's latest word on when to call wins: a window the new
    ``request`` names (with its time zone) replaces the open one's (which the
    policy then plans again), so a merge never lets a customer be called earlier
    than asked. A request that names no window leaves the open one's untouched:
    a door may fill in a time zone on its own (the CSV import does, from the
    number), and that alone must not drop the end the customer asked for.
    The new request's name fills an empty one and is kept in the history.
    """
    if request is not None and rules is not None and request.source in COVERING_SOURCES:
        _cover(tx, existing, new, request, rules)
    elif request is not None and (request.not_before is not None or request.not_after is not None):
        window: dict[str, Any] = {"id": existing["id"], "na": new["not_after"]}
        sets = ["not_after = :na"]
        if request.timezone:
            sets.append("timezone = :tz")
            window["tz"] = new["timezone"]
        # The promise follows the window (None: counted from the open request's creation).
        sets.append("deadline = :dl")
        window["dl"] = new["deadline"]
        if new["expires_at"] is not None:
            sets.append("expires_at = :exp")
            window["exp"] = max(new["expires_at"], existing["expires_at"] or 0)
        if existing["status"] == RequestStatus.PENDING.value:
            sets.append("planned_by = NULL")  # planned again, inside the new window
        if request.not_before is not None:
            # Also while the request is ringing: release() never brings the next
            # attempt before it.
            sets.append("not_before = :nb")
            window["nb"] = request.not_before
        tx.execute(f"UPDATE callback_requests SET {', '.join(sets)} WHERE id = :id", window)
    if new["idempotency_key"] is not None:
        tx.insert(
            "callback_request_keys",
            {
                "idempotency_key": new["idempotency_key"],
                "request_id": existing["id"],
                "idempotency_hash": new["idempotency_hash"],
                "created_at": new["created_at"],
            },
        )
    context = json.loads(existing["context"] or "{}")
    context.setdefault("merged", []).append(
        {
            "source": new["source"],
            "reason": new["reason"],
            "call_id": new["call_id"],
            "name": new.get("name"),
            "at": new["created_at"],
            # What it asked, so that the same request again is seen as already there.
            "hash": new.get("idempotency_hash"),
        }
    )
    tx.execute(
        "UPDATE callback_requests SET context = :c, "
        "name = CASE WHEN name IS NULL OR name = '' THEN :name ELSE name END, "
        "consent = CASE WHEN :consent > consent THEN :consent ELSE consent END, "
        "traditional = CASE WHEN :traditional > traditional THEN :traditional "
        "ELSE traditional END WHERE id = :id",
        {
            "c": json.dumps(context, sort_keys=True, default=str),
            "name": new.get("name"),
            "consent": new["consent"],
            "traditional": new["traditional"],
            "id": existing["id"],
        },
    )
    if new.get("customer_asked"):
        # The customer's latest word: a plain callback, whatever the open one had.
        tx.execute(
            "UPDATE callback_requests SET timing = :t, timing_reason = :r, "
            "planned_by = CASE WHEN status = 'pending' THEN NULL ELSE planned_by END "
            "WHERE id = :id",
            {
                "t": Timing.CONVENTIONAL.value,
                "r": TimingReason.CUSTOMER.value,
                "id": existing["id"],
            },
        )
    return Recorded(existing["id"], RequestStatus(existing["status"]), new["phone"], merged=True)


def _cover(
    tx: Transaction, existing: Row, new: Mapping[str, Any], request: NewRequest, rules: CallingRules
) -> None:
    """The open request takes the new one's reason beside its own, and a window, deadline
    and expiry that cover both (:func:`scheduler.joined_request.covering`)."""
    held_zone, zone = existing["timezone"], new["timezone"]
    held = Span(
        existing["not_before"],
        existing["not_after"],
        existing["deadline"]
        or deadline(rules, existing["created_at"], held_zone, not_after=existing["not_after"]),
        existing["expires_at"] or calling_expiry(rules, existing["created_at"], held_zone),
    )
    nb, na, now = request.not_before, request.not_after, new["created_at"]
    asked = Span(
        nb,
        na,
        new["deadline"] or deadline(rules, now, zone, not_before=nb, not_after=na),
        new["expires_at"] or calling_expiry(rules, now, zone),
    )
    both = covering(held, asked)
    tx.execute(
        "UPDATE callback_requests SET not_before = :nb, not_after = :na, deadline = :dl, "
        "expires_at = :exp, reason = :reason, "
        # Planned again, inside the wider window (a ringing one keeps its attempt).
        "planned_by = CASE WHEN status = 'pending' THEN NULL ELSE planned_by END "
        "WHERE id = :id",
        {
            "nb": both.not_before,
            "na": both.not_after,
            "dl": both.deadline,
            "exp": both.expires_at,
            "reason": joined_reason(existing["reason"], new["reason"]),
            "id": existing["id"],
        },
    )


def update_pending(
    tx: Transaction,
    request_id: int,
    *,
    region: str,
    now: float,
    phone: str | None = None,
    window: tuple[float | None, float | None] | None = None,
    rules: CallingRules | None = None,
    allowed_countries: Collection[str] | None = None,
    hash_key: bytes | None = None,
) -> int | None:
    """Change the number or the customer's window of a request not yet dialled; the
    window also of one being dialled (its next attempt keeps it, as :func:`_merge` does
    for a request that joins one: a caller who named a time is told it back).

    ``rules``: the calling rules, to move the promise into the new window (None:
    it counts from the creation again). ``allowed_countries`` and ``hash_key``: as
    for :func:`record`.

    Returns the id the request goes by now, None when nothing changed (the
    number cannot be called, or the request is no longer open, or a new number for
    one being dialled). A new
    number is taken in like a new request's (:func:`record`): when another
    open request already waits for it, this one joins that one, is closed,
    and the other's id is returned; a number on the do-not-call list cancels it.
    """
    [*rows] = tx.query(
        "SELECT * FROM callback_requests WHERE id = :id AND status IN (:pending, :dialling)",
        {
            "id": request_id,
            "pending": RequestStatus.PENDING.value,
            "dialling": RequestStatus.DIALLING.value,
        },
    )
    if not rows:
        return None
    row = rows[0]
    dialling = row["status"] == RequestStatus.DIALLING.value
    if dialling and phone is not None:
        return None
    sets: dict[str, Any] = {}
    if phone is not None:
        e164, _why = callable_phone(phone, region, allowed_countries=allowed_countries)
        if e164 is None:
            return None
        if e164 != row["phone"]:
            if is_opted_out(tx, e164, hash_key=hash_key):
                _close_at_intake(tx, request_id, e164, do_not_call(), now)
                return request_id
            existing = _open_request_for(tx, e164, other_than=request_id)
            if existing is not None:
                # Its key stays with its own row, closed below.
                joined = {**row, "created_at": now, "idempotency_key": None}
                merged = _merge(tx, existing, joined)
                _close_at_intake(tx, request_id, e164, merged_into(merged.id), now)
                return merged.id
        sets["phone"] = e164
    if window is not None:
        sets["not_before"], sets["not_after"] = window
        if not dialling:
            sets["planned_by"] = None  # the policy plans again, inside the new window
        # The promise and the expiry follow the new window (None: the usual ones).
        sets["deadline"], sets["expires_at"] = (
            (None, None)
            if rules is None
            else window_promise(
                rules, now=now, timezone=row["timezone"], not_before=window[0], not_after=window[1]
            )
        )
    if sets:
        assignments = ", ".join(f"{k} = :{k}" for k in sets)
        tx.execute(
            f"UPDATE callback_requests SET {assignments} WHERE id = :id",
            {**sets, "id": request_id},
        )
    return request_id


def _close_at_intake(
    tx: Transaction, request_id: int, phone: str, why: Problem, now: float
) -> None:
    """A pending request that will not be dialled itself: cancelled, with the reason."""
    tx.execute(
        "UPDATE callback_requests SET phone = :p, status = :cancelled, closed_at = :now, "
        "last_error = :why WHERE id = :id",
        {
            "p": phone,
            "cancelled": RequestStatus.CANCELLED.value,
            "now": now,
            "why": why.stored(),
            "id": request_id,
        },
    )
