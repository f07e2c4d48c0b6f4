"""The customer's own window at intake: refused when it could never be honoured, covered
by the expiry when it is.

A request that asks for a time (``not_before`` / ``not_after``) is checked
once, at the door, against the calling rules: a window wholly in the past,
inverted, too far ahead, or without a single allowed calling moment is
refused with the field at fault, rather than recorded as pending and later
closed unreached without a call. A window that starts later than now gets
its own expiry: ``expiry_hours`` of calling days counted from the window's
start, and never before its end, so a customer who asks to be called in
five days is not expired after three, and its own deadline: the promise counts
from the window's start and never runs past its end (:func:`scheduler.rules.deadline`).

One rule for a time given without an offset, at every door: it is the
customer's local time (the zone given with the request, else the zone of
their number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from scheduler.rules import (
    DAY_S,
    CallingRules,
    RequestFacts,
    calling_expiry,
    deadline,
    next_allowed,
)
from spillway.wording import Wording, worded

# The furthest ahead a customer's window may start (or end).
MAX_AHEAD_S = 30 * DAY_S


@dataclass(frozen=True, slots=True)
class WindowProblem:
    """Why a window is refused (in the pack's words: ``window`` in console.yaml), and the
    field at fault."""

    field: str
    wording: Wording

    @property
    def message(self) -> str:
        """Why, in English (the API's answer)."""
        return str(self.wording)


def local_epoch(moment: datetime, timezone: str) -> float:
    """``moment`` as UNIX seconds; without an offset it is local time in ``timezone``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.timestamp()


def window_expiry(
    rules: CallingRules,
    *,
    now: float,
    timezone: str,
    not_before: float | None,
    not_after: float | None,
) -> float | None:
    """The expiry that covers the window (None: the usual one, counted from ``now``)."""
    if (not_before is None or not_before <= now) and not_after is None:
        return None
    start = max(now, not_before or now)
    end = calling_expiry(rules, start, timezone)
    if not_after is not None:
        end = max(end, not_after)
    return end


def window_promise(
    rules: CallingRules,
    *,
    now: float,
    timezone: str,
    not_before: float | None,
    not_after: float | None,
) -> tuple[float | None, float | None]:
    """The deadline and the expiry of a request with this window (None: the usual one)."""
    return (
        window_deadline(
            rules, now=now, timezone=timezone, not_before=not_before, not_after=not_after
        ),
        window_expiry(
            rules, now=now, timezone=timezone, not_before=not_before, not_after=not_after
        ),
    )


def window_deadline(
    rules: CallingRules,
    *,
    now: float,
    timezone: str,
    not_before: float | None,
    not_after: float | None,
) -> float | None:
    """The first call promised inside the window (None: the usual one, counted from ``now``).

    Stored with the request at intake: the dialer later overwrites ``not_before``
    with its plan, so the window's start is not there to count from afterwards.
    """
    if (not_before is None or not_before <= now) and not_after is None:
        return None
    return deadline(rules, now, timezone, not_before=not_before, not_after=not_after)


def window_problem(
    rules: CallingRules,
    *,
    phone: str,
    now: float,
    timezone: str,
    not_before: float | None,
    not_after: float | None,
) -> WindowProblem | None:
    """Why the customer's window can never be honoured (None: it can)."""
    if not_before is None and not_after is None:
        return None
    if not_after is not None and not_after <= now:
        return WindowProblem("not_after", worded("customer_window.past"))
    if not_before is not None and not_after is not None and not_after <= not_before:
        return WindowProblem("not_after", worded("customer_window.inverted"))
    for name, value in (("not_before", not_before), ("not_after", not_after)):
        if value is not None and value > now + MAX_AHEAD_S:
            return WindowProblem(
                name, worded("customer_window.too_far", name=name, days=f"{MAX_AHEAD_S / DAY_S:g}")
            )
    facts = RequestFacts(
        phone=phone,
        timezone=timezone,
        created_at=now,
        not_before=not_before,
        not_after=not_after,
        expires_at=window_expiry(
            rules, now=now, timezone=timezone, not_before=not_before, not_after=not_after
        ),
    )
    if next_allowed(rules, facts, max(now, not_before or now)) is None:
        return WindowProblem(
            "not_after" if not_after is not None else "not_before",
            worded("customer_window.no_calling_hours", zone=timezone),
        )
    return None
