"""The DTMF menu's callback: tell the caller when the call will come.

After the controller records the menu's callback request, it reads back the
promise the request carries as stored (its deadline: the request's own, or the
open request's it joined; :func:`scheduler.rule_facts.promise_times`) and names
the sound files that say it (:func:`dialplan.callback_promise.promise_files`)
in the channel variables ``SPILLWAY_PROMISE_HOUR`` and ``SPILLWAY_PROMISE_DAY``.
The dialplan plays them when both are set and installed, else the fixed
thank-you. Nothing is synthesised at call time: the event loop only sets two
variables, and the database read runs in the store's worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialplan.callback_promise import SpokenPromise, promise_files, reachable_hours
from scheduler.rule_facts import promise_times
from scheduler.rules import CallingRules
from spillway.storage import Transaction

PROMISE_HOUR_VAR = "SPILLWAY_PROMISE_HOUR"
PROMISE_DAY_VAR = "SPILLWAY_PROMISE_DAY"


@dataclass(frozen=True, slots=True)
class Promise:
    """A request's promise as stored: its deadline (UNIX seconds) in the customer's zone."""

    deadline_at: float
    timezone: str


def stored_promise(
    tx: Transaction, rules: CallingRules, request_id: int, *, default_timezone: str
) -> Promise | None:
    """The promise request ``request_id`` carries (None: no such request)."""
    rows = tx.query("SELECT * FROM callback_requests WHERE id = :id", {"id": request_id})
    if not rows:
        return None
    row = rows[0]
    deadline_at, _expiry = promise_times(rules, row, default_timezone=default_timezone)
    return Promise(deadline_at, row["timezone"] or default_timezone)


def spoken(promise: Promise | None, rules: CallingRules, *, now: float) -> SpokenPromise | None:
    """The files that say ``promise`` at ``now`` (None: the fixed thank-you says it)."""
    if promise is None:
        return None
    return promise_files(
        promise.deadline_at,
        now=now,
        timezone=promise.timezone,
        hours=reachable_hours(rules.windows),
    )


def promise_variables(said: SpokenPromise | None) -> dict[str, str]:
    """The channel variables for the dialplan (empty values: the fixed thank-you)."""
    if said is None:
        return {PROMISE_HOUR_VAR: "", PROMISE_DAY_VAR: ""}
    return {PROMISE_HOUR_VAR: said.hour_file, PROMISE_DAY_VAR: said.day_file}
