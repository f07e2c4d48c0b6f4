"""The customer's own signals: timestamped events that say when they are reachable.

A web visit, an e-mail opened, a call to the shop that reached our controller,
an SMS reply: each is a row of ``customer_signals`` (migration 17), keyed by
the sender's event id so that a resend is harmless. The doors (``POST
/signals``, ``spillway signals import``, the controller's inbound call) write
through :func:`record`; the timing reads through :func:`signals_for`.
Signals are personal data: the personal-data map lists the table, so export,
erasure and retention (``gdpr.call_times_months``) cover it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from spillway.storage import Transaction


class SignalKind(StrEnum):
    """The kinds every deployment knows; a shop may send its own (see :func:`valid_kind`)."""

    WEB_VISIT = "web_visit"
    EMAIL_OPEN = "email_open"
    INBOUND_CALL = "inbound_call"
    SMS_REPLY = "sms_reply"


_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def valid_kind(kind: str) -> bool:
    """A known kind, or a custom one: lower-case letters, digits and ``_``, at most 32."""
    return bool(_KIND.match(kind))


@dataclass(frozen=True, slots=True)
class SignalEvent:
    """One event of one customer: ``phone`` in E.164, ``at_s`` epoch seconds (UTC)."""

    phone: str
    kind: str
    at_s: float


# The one INSERT of every door: a resent event id changes nothing.
INSERT_SQL = (
    "INSERT INTO customer_signals (event_id, phone, kind, at, source, received_at) "
    "VALUES (:id, :phone, :kind, :at, :source, :now) ON CONFLICT (event_id) DO NOTHING"
)


def insert_params(
    event_id: str, event: SignalEvent, *, source: str, now_s: float
) -> dict[str, object]:
    """The parameters of :data:`INSERT_SQL` for one event."""
    return {
        "id": event_id,
        "phone": event.phone,
        "kind": event.kind,
        "at": event.at_s,
        "source": source,
        "now": now_s,
    }


def record(
    tx: Transaction, event_id: str, event: SignalEvent, *, source: str, now_s: float
) -> bool:
    """Store one event; False when ``event_id`` was stored before (nothing changes then)."""
    return tx.execute(INSERT_SQL, insert_params(event_id, event, source=source, now_s=now_s)) > 0


def record_many(
    tx: Transaction,
    events: Sequence[tuple[str, SignalEvent]],
    *,
    source: str,
    now_s: float,
) -> int:
    """Store ``(event_id, event)`` pairs in one statement sent once; how many were new.

    An id stored before, or twice in ``events``, is stored once (the first).
    """
    # The rows spelled out here rather than through insert_params: a million calls show.
    rows = [
        {"id": i, "phone": e.phone, "kind": e.kind, "at": e.at_s, "source": source, "now": now_s}
        for i, e in events
    ]
    return tx.execute_many(INSERT_SQL, rows)


def signals_for(
    tx: Transaction, phones: Iterable[str], *, since_s: float, until_s: float | None = None
) -> dict[str, list[SignalEvent]]:
    """Each number's events from ``since_s`` (and before ``until_s``), oldest first."""
    wanted: Sequence[str] = sorted(set(phones))
    found: dict[str, list[SignalEvent]] = {p: [] for p in wanted}
    # In chunks: SQLite caps the bound parameters of one statement.
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        params: dict[str, object] = {f"p{i}": p for i, p in enumerate(chunk)}
        params["since"] = since_s
        params["until"] = until_s if until_s is not None else float("inf")
        marks = ", ".join(f":p{i}" for i in range(len(chunk)))
        # Rows as tuples: the dialer reads a customer's hundred events at every plan,
        # and a dict per row cost as much as the database's own work.
        rows = tx.values(
            f"SELECT phone, kind, at FROM customer_signals WHERE phone IN ({marks}) "
            "AND at >= :since AND at < :until ORDER BY phone, at",
            params,
        )
        for phone, kind, at in rows:
            found[phone].append(SignalEvent(phone, kind, float(at)))
    return found
