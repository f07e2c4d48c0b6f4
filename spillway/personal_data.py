"""The map of personal data: which columns of the schema hold it, and what becomes of them.

One declaration beside :mod:`spillway.schema`. Each table that holds personal
data names its personal columns with their category, how a person's rows
are found (a phone column, or a link to a parent table's rows), how long
rows are kept (:class:`Period`, counted from the table's ``clock`` column),
and what erasure does to each column: delete the row, blank the column, or
replace it with a keyed hash (HMAC) so that a count or a do-not-call check
survives. Every other text column is listed in :data:`NOT_PERSONAL` with
the reason; ``tests/test_personal_data.py`` fails when a migration adds a
text, blob or phone-like column that neither mentions.

Export (:mod:`scheduler.subject_access`), erasure (:mod:`spillway.erasure`),
retention (:mod:`spillway.retention`) and the record of processing
(:mod:`spillway.processing_record`) all read this map.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from spillway.storage import check_identifier


class Category(StrEnum):
    """What kind of personal data a column holds (the record of processing lists them)."""

    PHONE = "phone number"
    NAME = "name"
    EMAIL = "e-mail address"
    FREE_TEXT = "free text"
    TRANSCRIPT = "transcript"
    CONTACT_TIME = "timestamp of contact"
    IDENTIFIER = "delivery identifier"
    CUSTOMER_ID = "the shop's customer id"
    AUDIO = "audio"


class Erasure(StrEnum):
    """What erasure (and expiry) does to a column."""

    DELETE_ROW = "delete the row"
    BLANK = "blank the column"
    KEYED_HASH = "replace it with a keyed hash (HMAC)"


class Period(StrEnum):
    """How long a table's rows are kept; the months come from the ``gdpr`` settings."""

    PHONE_NUMBERS = "phone_numbers"  # gdpr.phone_numbers_months (24)
    CALL_TIMES = "call_times"  # gdpr.call_times_months (12)
    UNTIL_ERASED = "until_erased"  # no automatic expiry: an opt-out, the shop's own records


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    category: Category
    erasure: Erasure


@dataclass(frozen=True, slots=True)
class Link:
    """How a table's rows belong to a person.

    ``parent`` None: ``column`` holds the person's number. Otherwise ``column``
    holds the key (``parent_key``) of one of the parent table's rows that
    belong to them. ``owned``: the row exists only for its parent (a call's
    transcript, a request's attempts), so it expires with the parent too.
    """

    column: str
    parent: str | None = None
    parent_key: str = ""
    owned: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """A table holding personal data; why it holds it is said in the language packs
    (``purpose_<name>`` in spillway/languages/<lang>/prompts.yaml), for the export."""

    name: str
    columns: tuple[Column, ...]
    links: tuple[Link, ...]
    period: Period
    clock: str | None = None  # the time column retention counts from
    # Attempts are folded into contact_aggregates before they go, so the
    # contact model keeps what it learned from them.
    feeds_aggregates: bool = False
    key: str = "id"  # the primary key (retention works through it in batches)

    @property
    def deletes_rows(self) -> bool:
        return any(c.erasure is Erasure.DELETE_ROW for c in self.columns)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _cols(erasure: Erasure, **categories: Category) -> tuple[Column, ...]:
    return tuple(Column(name, category, erasure) for name, category in categories.items())


_DELETE = Erasure.DELETE_ROW
_CALL = Link("call_id", "calls", "call_id")

# Parents before children: export reads in this order, erasure deletes in reverse.
PERSONAL_DATA: tuple[Table, ...] = (
    Table(
        "calls",
        _cols(
            _DELETE,
            caller=Category.PHONE,
            started_at=Category.CONTACT_TIME,
            answered_at=Category.CONTACT_TIME,
            ended_at=Category.CONTACT_TIME,
            summary=Category.FREE_TEXT,
        ),
        (Link("caller"),),
        Period.CALL_TIMES,
        "started_at",
        key="call_id",
    ),
    Table(
        "call_events",
        _cols(_DELETE, at=Category.CONTACT_TIME, data=Category.FREE_TEXT),
        (Link("call_id", "calls", "call_id", owned=True),),
        Period.CALL_TIMES,
        "at",
    ),
    Table(
        "transcript_turns",
        _cols(_DELETE, at=Category.CONTACT_TIME, text=Category.TRANSCRIPT),
        (Link("call_id", "calls", "call_id", owned=True),),
        Period.CALL_TIMES,
        "at",
    ),
    Table(
        "callback_requests",
        _cols(
            _DELETE,
            phone=Category.PHONE,
            name=Category.NAME,
            reason=Category.FREE_TEXT,
            context=Category.FREE_TEXT,
            idempotency_key=Category.FREE_TEXT,
            # A hash of the request, number included: a number can be found from it
            # by trying them all, so it goes with the row.
            idempotency_hash=Category.FREE_TEXT,
            created_at=Category.CONTACT_TIME,
            not_before=Category.CONTACT_TIME,
            not_after=Category.CONTACT_TIME,
            closed_at=Category.CONTACT_TIME,
            contacted_at=Category.CONTACT_TIME,
        ),
        (Link("phone"), _CALL),
        Period.PHONE_NUMBERS,
        "created_at",
    ),
    Table(
        "callback_request_keys",
        _cols(
            _DELETE,
            idempotency_key=Category.FREE_TEXT,
            idempotency_hash=Category.FREE_TEXT,
            created_at=Category.CONTACT_TIME,
        ),
        (Link("request_id", "callback_requests", "id", owned=True),),
        Period.PHONE_NUMBERS,
        "created_at",
        key="idempotency_key",
    ),
    Table(
        "callback_attempts",
        _cols(
            _DELETE,
            phone=Category.PHONE,
            started_at=Category.CONTACT_TIME,
            ended_at=Category.CONTACT_TIME,
        ),
        (Link("phone"), Link("request_id", "callback_requests", "id", owned=True)),
        Period.CALL_TIMES,
        "started_at",
        feeds_aggregates=True,
    ),
    Table(
        "customer_signals",
        _cols(_DELETE, phone=Category.PHONE, at=Category.CONTACT_TIME),
        (Link("phone"),),
        Period.CALL_TIMES,
        "at",
        key="event_id",
    ),
    Table(
        "signal_customer_ids",
        _cols(_DELETE, customer_id=Category.CUSTOMER_ID, phone=Category.PHONE),
        (Link("phone"),),
        Period.PHONE_NUMBERS,
        "mapped_at",
        key="customer_id",
    ),
    Table(
        "shadow_plans",
        _cols(
            _DELETE,
            planned_at=Category.CONTACT_TIME,
            conventional_at=Category.CONTACT_TIME,
            predicted_at=Category.CONTACT_TIME,
        ),
        (Link("request_id", "callback_requests", "id", owned=True),),
        Period.CALL_TIMES,
        "planned_at",
        key="request_id",
    ),
    Table(
        "cases",
        _cols(
            _DELETE,
            phone=Category.PHONE,
            reason=Category.FREE_TEXT,
            context=Category.FREE_TEXT,
            created_at=Category.CONTACT_TIME,
        ),
        (Link("phone"), _CALL),
        Period.PHONE_NUMBERS,
        "created_at",
    ),
    Table(
        "sms_outbox",
        _cols(
            _DELETE,
            phone=Category.PHONE,
            body=Category.FREE_TEXT,
            last_error=Category.FREE_TEXT,
            created_at=Category.CONTACT_TIME,
            sent_at=Category.CONTACT_TIME,
        ),
        (Link("phone"), _CALL),
        Period.PHONE_NUMBERS,
        "created_at",
    ),
    Table(
        "customers",
        _cols(_DELETE, phone=Category.PHONE, name=Category.NAME, email=Category.EMAIL),
        (Link("phone"),),
        Period.UNTIL_ERASED,
        key="phone",
    ),
    Table(
        "orders",
        _cols(
            Erasure.BLANK,
            customer_phone=Category.PHONE,
            tracking_number=Category.IDENTIFIER,
        ),
        (Link("customer_phone"),),
        Period.UNTIL_ERASED,
        key="number",
    ),
    Table(
        "do_not_call",
        _cols(Erasure.KEYED_HASH, phone=Category.PHONE),
        (Link("phone"),),
        Period.UNTIL_ERASED,
        key="phone",
    ),
    Table(
        "ai_timing_optout",
        _cols(_DELETE, phone=Category.PHONE),
        (Link("phone"),),
        Period.UNTIL_ERASED,
        key="phone",
    ),
    Table(
        "gdpr_holds",
        _cols(_DELETE, phone=Category.PHONE, reason=Category.FREE_TEXT),
        (Link("phone"),),
        Period.UNTIL_ERASED,
        key="phone",
    ),
)

# Text and phone-like columns that hold no personal data, and why.
NOT_PERSONAL: dict[str, dict[str, str]] = {
    "calls": {
        "call_id": "Spillway's own id of the call",
        "channel": "the Asterisk channel (trunk or endpoint name)",
        "transport": "how the audio travelled",
        "stage": "how far the call got",
        "intent": "the topic the bot recognised",
        "outcome": "how the call ended",
        "case_id": "the id of a case (its row is mapped)",
        "worker": "which Spillway worker had the call",
    },
    "call_events": {"call_id": "link to the call", "kind": "the event's type"},
    "transcript_turns": {
        "call_id": "link to the call",
        "speaker": "caller or bot",
        "intent": "the topic the bot recognised",
    },
    "callback_requests": {
        "source": "which door the request came in by",
        "call_id": "link to the call",
        "status": "where the request stands",
        "last_error": "why a request was closed or its last attempt failed "
        "(a code and its values; older rows: the product's English words)",
        "timezone": "a time zone (from the number's country)",
        "segment": "the customer group the call centre assigned",
        "planned_by": "the policy that planned the call",
        "plan_reason": "why the policy chose the time (a code and its values)",
        "timing": "predicted or conventional timing",
        "timing_reason": "why: the policy, a pilot's draw, or the customer's choice",
        "contact_attempts": "how many attempts were made (kept from the attempts)",
        "first_attempt_policy": "the policy that planned the first attempt",
    },
    "callback_attempts": {
        "id": "Spillway's own id of the attempt",
        "outcome": "how the attempt ended",
        "detail": "Asterisk's reason code",
        "segment": "the customer group",
        "policy": "the policy that chose the time",
        "node": "the dialer that dialled",
    },
    "products": {"sku": "a product", "name": "a product's name"},
    "orders": {
        "number": "the order's number",
        "status": "the order's state",
        "carrier": "a carrier",
    },
    "order_lines": {"order_number": "link to the order", "product_name": "a product's name"},
    "product_names": {
        "sku": "a product",
        "language": "a language pack's code",
        "name": "a product's name in that language",
    },
    "order_line_names": {
        "order_number": "link to the order",
        "language": "a language pack's code",
        "name": "a product's name in that language",
    },
    "cases": {
        "case_id": "the case's reference",
        "order_number": "the order's number",
        "call_id": "link to the call",
        "status": "where the case stands",
    },
    "sms_outbox": {
        "idempotency_key": "Spillway's own key of the message",
        "call_id": "link to the call",
        "status": "where the message stands",
    },
    "do_not_call": {"source": "who added the entry (admin, robinson, caller)"},
    "ai_timing_optout": {"source": "who added the entry (admin)"},
    "customer_signals": {
        "event_id": "the sender's id of the event, or a hash of the row sent without one "
        "(makes a resend harmless; the row goes with the person)",
        "kind": "web_visit, email_open, inbound_call, sms_reply or the shop's own kind",
        "source": "where the event came from (api, csv, controller)",
        "received_at": "when Spillway learned of the event",
    },
    "scheduler_nodes": {
        "node": "a dialer's name",
        "last_error": "the dialer's last error",
        "state": "whether the dialer dials, or why not",
    },
    "gdpr_audit": {
        "actor": "the admin who acted (accountability; no customer data)",
        "action": "export, forget, retention, hold, release or search",
        "detail": "rows per table, never the number",
        "erased_hash": "an erasure's keyed hash of the number, never the number: a restore "
        "of an older backup finds that person by it and erases them again",
        "reason": "why a hold was released, in the admin's words (one holding the number "
        "is refused: spillway.audit.checked_reason)",
    },
    "gdpr_holds": {"held_by": "the admin who placed the hold"},
    "contact_aggregates": {"segment": "the customer group (anonymous counts)"},
    "fitted_models": {
        "name": "which model",
        "fingerprint": "a hash of the code and settings that fitted it",
        "body": "the contact model by customer group and hour of the week, without its "
        "customers: no number, no customer's own counts (scheduler.timing.stored_model); "
        "anonymous like contact_aggregates",
    },
}


# A column with such a name may hold a number whatever its type.
PHONE_LIKE = re.compile(r"phone|caller|callee|msisdn|number|mobile|contact|cli$", re.IGNORECASE)


def needs_entry(column: str, sql_type: str) -> bool:
    """Whether the map must mention a column: text, blob (or untyped), or phone-like."""
    kind = sql_type.upper()
    textual = not kind or any(t in kind for t in ("TEXT", "CHAR", "CLOB", "BLOB", "JSON"))
    return textual or bool(PHONE_LIKE.search(column))


def unmapped(columns: Iterable[tuple[str, str, str]]) -> list[str]:
    """``table.column`` of each (table, column, SQL type) that needs an entry and has none."""
    known = {(t.name, c.name) for t in PERSONAL_DATA for c in t.columns}
    known |= {(t.name, link.column) for t in PERSONAL_DATA for link in t.links}
    known |= {(t, c) for t, cols in NOT_PERSONAL.items() for c in cols}
    return [
        f"{t}.{c}"
        for t, c, kind in columns
        if not t.startswith("_") and (t, c) not in known and needs_entry(c, kind)
    ]


def table(name: str) -> Table:
    return next(t for t in PERSONAL_DATA if t.name == name)


KEYED_HASH_PREFIX = "hmac:"


def keyed_hash(e164: str, key: bytes) -> str:
    """The number as an HMAC-SHA256 under the secret ``key``: equal numbers match, and
    without the key nobody can try all numbers against it."""
    return KEYED_HASH_PREFIX + hmac.new(key, e164.encode(), hashlib.sha256).hexdigest()


def is_keyed_hash(stored: object) -> bool:
    """Whether a stored number is a :func:`keyed_hash` (an erasure's), not the number."""
    return isinstance(stored, str) and stored.startswith(KEYED_HASH_PREFIX)


def person_where(name: str, forms: tuple[str, ...], *, prefix: str = "f") -> tuple[str, Any]:
    """A WHERE clause selecting the rows of table ``name`` that belong to the person
    whose number has the stored ``forms``, and its named parameters."""
    params = {f"{prefix}{i}": form for i, form in enumerate(forms)}
    in_forms = "(" + ", ".join(f":{p}" for p in params) + ")"
    return _where(name, in_forms), params


def _where(name: str, in_forms: str) -> str:
    parts = []
    for link in table(name).links:
        col = check_identifier(link.column)
        if link.parent is None:
            parts.append(f"{col} IN {in_forms}")
        else:
            parts.append(
                f"{col} IN (SELECT {check_identifier(link.parent_key)} FROM "
                f"{check_identifier(link.parent)} WHERE {_where(link.parent, in_forms)})"
            )
    return "(" + " OR ".join(parts) + ")"
