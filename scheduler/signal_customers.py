"""A shop's customer ids mapped to phone numbers (migration 19, ``signal_customer_ids``).

A web shop or a mail tool knows its customers by its own id, not by their
number. ``spillway signals map`` stores which number an id belongs to, and
every door of the signals (``POST /signals``, ``spillway signals import``)
resolves an event sent with ``customer_id`` to that number; an id nobody
mapped is refused, never guessed. The mapping is personal data (the
personal-data map lists it: export, erasure, and expiry 24 months after it
was last set, like a phone number).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from spillway.storage import Transaction

# Printable, no spaces at the ends, at most 100 characters: a CRM's id, not a document.
_CUSTOMER_ID = re.compile(r"[^\x00-\x1f\x7f]{1,100}")


def customer_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a customer id, by name (``customer_id_empty``,
    ``bad_customer_id``: a refused event's code and words, an input error's too), or None."""
    if not value:
        return "customer_id_empty"
    if value != value.strip() or _CUSTOMER_ID.fullmatch(value) is None:
        return "bad_customer_id"
    return None


def map_customer(tx: Transaction, customer_id: str, phone: str, *, now_s: float) -> None:
    """Map ``customer_id`` to ``phone`` (E.164), replacing an earlier number."""
    tx.execute(
        "INSERT INTO signal_customer_ids (customer_id, phone, mapped_at) "
        "VALUES (:id, :phone, :now) ON CONFLICT (customer_id) DO UPDATE "
        "SET phone = excluded.phone, mapped_at = excluded.mapped_at",
        {"id": customer_id, "phone": phone, "now": now_s},
    )


def unmap_customer(tx: Transaction, customer_id: str) -> bool:
    """Forget the mapping of ``customer_id``; False when there was none."""
    return (
        tx.execute("DELETE FROM signal_customer_ids WHERE customer_id = :id", {"id": customer_id})
        > 0
    )


def phones_for(tx: Transaction, customer_ids: Iterable[str]) -> dict[str, str]:
    """The number of each mapped id among ``customer_ids`` (unmapped ids are absent)."""
    wanted = sorted(set(customer_ids))
    found: dict[str, str] = {}
    # In chunks: SQLite caps the bound parameters of one statement.
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        params = {f"c{i}": c for i, c in enumerate(chunk)}
        marks = ", ".join(f":{p}" for p in params)
        for customer_id, phone in tx.values(
            f"SELECT customer_id, phone FROM signal_customer_ids WHERE customer_id IN ({marks})",
            params,
        ):
            found[customer_id] = phone
    return found
