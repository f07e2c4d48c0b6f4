"""The promise a stored callback request carries: its deadline, in the customer's zone.

Read back after intake by everything that tells the caller when the call will
come: the DTMF menu (:mod:`agi.menu_promise`) and the speech bot's back-end
(:mod:`bot.backends.local`). The deadline is the request's own (stored at intake
when the customer asked for a window), else the rules' from its creation
(:func:`scheduler.rule_facts.promise_times`); a request that joined an open one
reads that one's. Moved here from ``agi/menu_promise.py`` so that the bot, on
the same floor as ``agi/``, reads the same promise.

A request timed by prediction is promised its deadline's day, not its hour: the
predicted policy may wait past the deadline for an hour the customer is likelier
to answer (on a consumer world, half of its first calls came after the deadline's
hour), but it never plans a first call after that day ends
(:func:`scheduler.timing.slot_policy.first_call_by`), so "when you're most likely to
answer, today at the latest" is what it keeps.

Only a caller is told the promise: the bot reads it back and the keypad menu plays it
(:data:`SPOKEN_SOURCES`). A request from the API, a CSV file, the menu's spool (its
fixed thank-you names no time) or the simulator carries the same deadline, but as the
shop's aim, not a word given to anyone: :func:`promise_spoken` tells the two apart, so
that `callbacks show` and the console's request page say "the aim is" for those.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scheduler.requests import RequestSource
from scheduler.rule_facts import promise_times
from scheduler.rules import CallingRules
from scheduler.timing.choice import Timing, planned_timing
from spillway.storage import Row, Transaction

# The doors whose caller hears the promise read back (see the module's text).
SPOKEN_SOURCES = frozenset({RequestSource.BOT.value, RequestSource.MENU.value})


def promise_spoken(row: Mapping[str, Any]) -> bool:
    """Whether a caller was told the request's first-call deadline (pure): it came in by
    a door in :data:`SPOKEN_SOURCES`, or such a caller's request joined it (the merge
    history in its context, :func:`scheduler.intake.record`), and was read its promise."""
    if row.get("source") in SPOKEN_SOURCES:
        return True
    try:
        context = json.loads(row.get("context") or "{}")
    except (TypeError, ValueError):
        return False
    merged = context.get("merged", []) if isinstance(context, dict) else []
    return any(isinstance(m, dict) and m.get("source") in SPOKEN_SOURCES for m in merged)


@dataclass(frozen=True, slots=True)
class Promise:
    """A request's promise as stored: its deadline (UNIX seconds) in the customer's zone."""

    deadline_at: float
    timezone: str
    # The deadline was stored at intake: counted from a window the customer asked for.
    own_window: bool = False
    # Timed by prediction: the call comes at the customer's likeliest hour, by the end of
    # the deadline's local day; said as that day, not as an hour.
    likely: bool = False


def stored_promise(
    tx: Transaction,
    rules: CallingRules,
    request_id: int,
    *,
    default_timezone: str,
    policy_timing: Timing = Timing.PREDICTED,
) -> Promise | None:
    """The promise request ``request_id`` carries (None: no such request, or none a new
    caller can be told: the request is being dialled or has been tried, so its next
    call is a retry that no first-call promise binds). ``policy_timing``: how the dialer
    times a row stored without a timing (``callbacks.policy``), as it plans it."""
    rows = tx.query("SELECT * FROM callback_requests WHERE id = :id", {"id": request_id})
    if not rows:
        return None
    row = rows[0]
    if row["status"] != "pending" or (row["attempts"] or 0) > 0:
        return None
    deadline_at, _expiry = promise_times(rules, row, default_timezone=default_timezone)
    zone = row["timezone"] or default_timezone
    return Promise(
        deadline_at,
        zone,
        own_window=row["deadline"] is not None,
        likely=_timed_by_prediction(row, policy_timing),
    )


def _timed_by_prediction(row: Row, policy_timing: Timing) -> bool:
    """As the dialer plans it (:func:`scheduler.timing.choice.planned_timing`): the
    customer's plain callback and conventional rows are not; a row stored without a
    timing follows the policy."""
    policy = "predicted" if policy_timing is Timing.PREDICTED else "traditional"
    planned = planned_timing(row["timing"], traditional=bool(row["traditional"]), policy=policy)
    return planned is Timing.PREDICTED
