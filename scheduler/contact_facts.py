"""What a callback request's attempts achieved, and what "contact" and "attempt" mean.

The definitions the console's KPIs (:mod:`web.kpis`) and the pilot's report
(:mod:`scheduler.pilot.report`) count with. Neither counts a request still waiting
for its first call as missed: predicted timing waits by design (the customer is
promised a call within the day), so during a live pilot its arm holds more of them,
and counting them as misses would bias the comparison against it. One difference, on
purpose: the pilot counts a request cancelled before its first call as a miss of its
arm (*known*, below: the wait its timing chose may be why it was cancelled, and
leaving it out would flatter the arm that waits longer), while the Overview's rates
count only the *counted* ones below:

- an *attempt* is a row of ``callback_attempts`` (a call that was dialled);
- a request is *reached* (contact) when one of its attempts was ``answered``;
  the first such attempt is its contact, its ``started_at`` the contact time;
- a request whose number could never be dialled (``invalid_number``) is no
  callback; the contact rates count the callable requests that had at least one
  attempt or were given up unreached without one (*counted*: a request that ran
  out of time uncalled was missed); a request still waiting for its first call,
  or cancelled before any, was not missed; with none counted a rate is None, not 0;
- attempts per contact is every attempt made for the callable requests over
  those reached (as ``spillway simulate --json`` counts it).

:func:`attempt_facts_sql` groups the attempts per request in SQL (a month of a
million attempts comes back as one row per request), :func:`request_record`
turns a request row and its facts into a :class:`RequestRecord`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scheduler.requests import OPEN_STATUSES, RequestStatus

INVALID_NUMBER = RequestStatus.INVALID_NUMBER.value
ANSWERED = "answered"


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One callback request and what its attempts achieved."""

    created_at: float
    status: str
    policy: str | None  # the policy that planned its first attempt (or its plan so far)
    attempts: int
    first_attempt_answered: bool
    contacted_at: float | None  # when an attempt was answered
    contact_attempt_no: int | None = None  # which attempt was answered (1: the first)

    @property
    def callable(self) -> bool:
        return self.status != INVALID_NUMBER

    @property
    def reached(self) -> bool:
        return self.contacted_at is not None

    @property
    def open(self) -> bool:
        """Still waiting for a call or being dialled: its outcome may change."""
        return self.status in OPEN_STATUSES

    @property
    def waiting_first_call(self) -> bool:
        """Callable, open, and never dialled: nobody has called this customer yet."""
        return self.callable and self.open and self.attempts == 0

    def known_within(self, attempts: int) -> bool:
        """Callable, and whether it is reached within its first ``attempts`` attempts is
        settled: reached on one of them, that many made, or no longer open (the pilot's
        rates count these, :mod:`scheduler.pilot.report`)."""
        return self.callable and (
            self.reached_within(attempts) or self.attempts >= attempts or not self.open
        )

    @property
    def settled(self) -> bool:
        """Callable and no longer open: its attempts and contact are final."""
        return self.callable and not self.open

    def reached_within(self, attempts: int) -> bool:
        """Reached on one of its first ``attempts`` attempts."""
        return self.contact_attempt_no is not None and self.contact_attempt_no <= attempts

    @property
    def hours_to_contact(self) -> float | None:
        if self.contacted_at is None:
            return None
        return (self.contacted_at - self.created_at) / 3600


def attempt_facts_sql(request_ids: str) -> str:
    """Per request of the subquery ``request_ids`` (``SELECT id ...``): its attempts' facts.

    Grouped from the attempts' side: SQLite walks callback_attempts_request
    once per request, about three times faster than a LEFT JOIN grouped by request.
    """
    return f"""
SELECT a.request_id,
       COUNT(*) AS attempts,
       MIN(CASE WHEN a.attempt_no = 1 THEN a.policy END) AS first_policy,
       MAX(CASE WHEN a.attempt_no = 1 AND a.outcome = '{ANSWERED}' THEN 1 ELSE 0 END)
           AS first_answered,
       MIN(CASE WHEN a.outcome = '{ANSWERED}' THEN a.started_at END) AS contacted_at,
       MIN(CASE WHEN a.outcome = '{ANSWERED}' THEN a.attempt_no END) AS contact_attempt_no
FROM callback_attempts a
WHERE a.request_id IN ({request_ids})
GROUP BY a.request_id
"""


def request_record(r: Mapping[str, Any], facts: Mapping[str, Any] | None) -> RequestRecord:
    """A request row (``created_at``, ``status``, ``planned_by``) and its attempts' facts."""
    return RequestRecord(
        created_at=float(r["created_at"]),
        status=str(r["status"]),
        policy=(facts["first_policy"] if facts else None) or r["planned_by"],
        attempts=int(facts["attempts"]) if facts else 0,
        first_attempt_answered=bool(facts and facts["first_answered"]),
        contacted_at=facts["contacted_at"] if facts else None,
        contact_attempt_no=(
            int(facts["contact_attempt_no"])
            if facts and facts["contact_attempt_no"] is not None
            else None
        ),
    )


def share(part: int, whole: int) -> float | None:
    """``part / whole`` to four places; None (not 0) with nothing to count."""
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True, slots=True)
class RequestTally:
    """What the callback KPIs count over a set of requests: summed in SQL, or from records."""

    requests: int = 0
    invalid_number: int = 0
    first_attempt_answered: int = 0  # of the callable ones (not invalid_number)
    contacted: int = 0  # callable ones reached
    attempts: int = 0  # made for the callable ones
    pending: int = 0
    # callable ones with at least one attempt, or given up unreached without one: the
    # rates' denominator
    counted: int = 0

    @classmethod
    def of_status(
        cls,
        status: str,
        requests: int,
        first_attempt_answered: int,
        contacted: int,
        attempts: int,
        counted: int,
    ) -> RequestTally:
        """The tally of ``requests`` requests of one status, from their sums (SQL grouped by
        status: :func:`tally`'s definitions, without a CASE per row)."""
        if status == "invalid_number":
            return cls(requests=requests, invalid_number=requests)
        return cls(
            requests=requests,
            first_attempt_answered=first_attempt_answered,
            contacted=contacted,
            attempts=attempts,
            pending=requests if status in OPEN_STATUSES else 0,
            counted=counted,
        )

    def __add__(self, other: RequestTally) -> RequestTally:
        return RequestTally(
            *(getattr(self, f) + getattr(other, f) for f in RequestTally.__dataclass_fields__)
        )


def tally(records: Iterable[RequestRecord]) -> RequestTally:
    """The counts over ``records`` (the definitions the console's SQL sums, :mod:`web.kpi_rows`)."""
    rows = list(records)
    callable_ = [r for r in rows if r.status != "invalid_number"]
    return RequestTally(
        requests=len(rows),
        invalid_number=len(rows) - len(callable_),
        first_attempt_answered=sum(r.first_attempt_answered for r in callable_),
        contacted=sum(r.contacted_at is not None for r in callable_),
        attempts=sum(r.attempts for r in callable_),
        pending=sum(r.status in OPEN_STATUSES for r in rows),
        counted=sum(r.attempts > 0 or r.status == RequestStatus.UNREACHED for r in callable_),
    )


def hours_to_contact(records: Iterable[RequestRecord]) -> list[float]:
    """From request to the answered attempt, for each callable request reached."""
    return [
        (r.contacted_at - r.created_at) / 3600
        for r in records
        if r.status != "invalid_number" and r.contacted_at
    ]


def tally_figures(t: RequestTally, hours: Sequence[float]) -> dict[str, Any]:
    """Requests, rates, attempts per contact and median hours to contact of a tally."""
    return tally_figures_with(t, statistics.median(hours) if hours else None)


def tally_figures_with(t: RequestTally, median_hours: float | None) -> dict[str, Any]:
    """:func:`tally_figures` with the median hours to contact already known (a database
    that computes it where the rows are: web.kpi_rows on PostgreSQL)."""
    return {
        "requests": t.requests,
        "invalid_number": t.invalid_number,
        "first_attempt_contact_rate": share(t.first_attempt_answered, t.counted),
        "contact_rate": share(t.contacted, t.counted),
        "mean_attempts_per_contact": round(t.attempts / t.contacted, 4) if t.contacted else None,
        "median_hours_to_contact": None if median_hours is None else round(median_hours, 3),
        "pending": t.pending,
        "attempts": t.attempts,
        "counted": t.counted,
    }


def callback_figures(records: Sequence[RequestRecord]) -> dict[str, Any]:
    """Requests, rates, attempts per contact and median hours to contact of ``records``."""
    return tally_figures(tally(records), hours_to_contact(records))
