"""One event of a signals door, read and checked: what ``POST /signals`` and
``spillway signals import`` share.

An event has ``kind`` (:func:`scheduler.signals.valid_kind`), ``at`` (ISO 8601;
without an offset the shop's time zone; or epoch seconds), and the customer
as ``phone`` (any form, stored in E.164) or ``customer_id`` (mapped to a
number by :mod:`scheduler.signal_customers`), never both. ``id`` is the
sender's event id, which makes a resend harmless; a CSV row without one gets
an id made from its content (the same row imported twice is stored once).
Every refusal names the field at fault and has a stable code (:class:`EventRefused`,
``signal.bad_phone``) and words in the language packs (``cli.signals.refused``):
English in the API's answer, the admin's language in the CLI. Reading is pure, and
only :func:`resolve` reads the database (the customer ids).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from scheduler import signals
from scheduler.signal_customers import customer_id_problem, phones_for
from scheduler.signals import SignalEvent, SignalKind, valid_kind
from spillway.phone import mask_phone, normalise_phone
from spillway.storage import Transaction
from spillway.wording import Wording

FIELDS = ("id", "phone", "customer_id", "kind", "at")
MAX_ID_CHARS = 100
# Earlier than this is a typo or a hostile value, not a customer's visit.
EARLIEST_S = 946_684_800.0  # 2000-01-01 UTC
# A little ahead of our clock is another machine's clock; more is a wrong time.
FUTURE_SLACK_S = 3600.0
_NUMBER = re.compile(r"[0-9]{9,11}(\.[0-9]*)?")
_CONTROL = re.compile(r"[\x00-\x1f]")
_KNOWN_KINDS = frozenset(SignalKind)
# A refusal's code is ``signal.<name>``: the same in every language, for scripts and support.
CODE_PREFIX = "signal"


class EventRefused(ValueError):
    """One event is wrong: ``field`` says which of its fields, ``name`` why (its code is
    ``signal.<name>``, its words :func:`refusal_words`), ``value`` what it held (a number
    masked, as the callback import shows it); ``str()`` is the reason in English."""

    def __init__(self, field: str, name: str, value: str | None = None, **values: object) -> None:
        reason = refusal_words(name, **values)
        super().__init__(str(reason))
        self.field = field
        self.code = f"{CODE_PREFIX}.{name}"
        self.reason = reason
        self.value = value

    def problem(self, where: int) -> SignalProblem:
        return SignalProblem(where, self.field, self.code, self.reason, self.value)


def refusal_words(name: str, /, **values: object) -> Wording:
    """The pack's words for the refusal ``name`` (``cli.signals.refused`` in console.yaml)."""
    return Wording(f"cli.signals.refused.{name}", values)


@dataclass(frozen=True, slots=True)
class SignalProblem:
    """A refused event: ``where`` is its index in a batch, or its line in a CSV file;
    ``code`` why, the same in every language (``signal.bad_phone``: the API's answer
    and the import's line carry it); ``reason`` why, in the pack's words; ``value`` the
    refused value as it may be shown (numbers masked), or None."""

    where: int
    field: str
    code: str
    reason: Wording
    value: str | None = None

    @classmethod
    def named(
        cls, where: int, field: str, name: str, value: str | None = None, **values: object
    ) -> SignalProblem:
        """The problem ``signal.<name>``, in the words :func:`refusal_words` gives it."""
        return cls(where, field, f"{CODE_PREFIX}.{name}", refusal_words(name, **values), value)

    @property
    def message(self) -> str:
        """``'<value>': <reason>`` in English (the reason alone when there is no value)."""
        return str(self.reason) if self.value is None else f"{self.value!r}: {self.reason}"

    def text(self) -> str:
        """``<field> '<value>': <reason>`` in English, the callback import's form."""
        if not self.field:
            return self.message
        if self.value is None:
            return f"{self.field}: {self.reason}"
        return f"{self.field} {self.value!r}: {self.reason}"

    def row(self) -> Wording:
        """The refusal as a file's row: its line, field, value, why, and its code."""
        values: dict[str, object] = {"line": self.where, "reason": self.reason, "code": self.code}
        if not self.field:
            return Wording("cli.signals.row", values)
        if self.value is None:
            return Wording("cli.signals.row_field", {**values, "field": self.field})
        shown = {**values, "field": self.field, "value": repr(self.value)}
        return Wording("cli.signals.row_value", shown)


def shown_value(value: str) -> str:
    """A refused value as a message may show it: a number in it masked (all but its last
    two digits, as ``spillway callbacks import`` does), at most 40 characters."""
    return mask_phone(value) if sum(c.isdigit() for c in value) > 2 else value[:40]


@dataclass(frozen=True, slots=True)
class IncomingSignal:
    """An event as read: its customer by number (E.164) or by the shop's id."""

    event_id: str | None  # None: made from the content when stored
    kind: str
    at_s: float
    phone: str | None
    customer_id: str | None


@lru_cache(maxsize=65_536)
def _e164(raw: str, region: str) -> str | None:
    # A customer's events repeat their number: phonenumbers is the import's slowest step.
    return normalise_phone(raw, region)


@dataclass(frozen=True, slots=True)
class EventReader:
    """Reads events for one shop: its region (numbers) and time zone (times without offset)."""

    region: str
    zone: ZoneInfo
    now_s: float
    id_required: bool = True

    def read(self, fields: Mapping[str, object]) -> IncomingSignal:
        """The event ``fields`` describe (values of JSON, or a CSV row's text)."""
        event_id = self._event_id(fields.get("id"))
        kind = _text(fields.get("kind"), "kind")
        if kind not in _KNOWN_KINDS and not valid_kind(kind):
            raise EventRefused("kind", "bad_kind", kind[:40])
        at_s = self._at(fields.get("at"))
        phone_raw = _text(fields.get("phone"), "phone")
        customer = _text(fields.get("customer_id"), "customer_id")
        if phone_raw and customer:
            raise EventRefused("customer_id", "phone_and_customer_id")
        if customer:
            if (problem := customer_id_problem(customer)) is not None:
                raise EventRefused("customer_id", problem)
            return IncomingSignal(event_id, kind, at_s, None, customer)
        if not phone_raw:
            raise EventRefused("phone", "no_phone")
        e164 = _e164(phone_raw, self.region)
        if e164 is None:
            raise EventRefused("phone", "bad_phone", shown_value(phone_raw), region=self.region)
        return IncomingSignal(event_id, kind, at_s, e164, None)

    def _event_id(self, value: object) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None or value == "":
            if self.id_required:
                raise EventRefused("id", "no_id")
            return None
        if not isinstance(value, str):
            raise EventRefused("id", "id_not_text")
        if len(value) > MAX_ID_CHARS or _CONTROL.search(value) is not None:
            raise EventRefused("id", "bad_id", most=MAX_ID_CHARS)
        return value

    def _at(self, value: object) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            at_s = float(value)
        else:
            text = _text(value, "at")
            if not text:
                raise EventRefused("at", "no_time")
            at_s = self._parse_time(text)
        if not math.isfinite(at_s) or at_s < EARLIEST_S:
            raise EventRefused("at", "time_before_2000")
        if at_s > self.now_s + FUTURE_SLACK_S:
            raise EventRefused("at", "time_ahead")
        return at_s

    def _parse_time(self, text: str) -> float:
        if _NUMBER.fullmatch(text):
            return float(text)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise EventRefused("at", "bad_time", text[:40]) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        try:
            return moment.timestamp()
        except (OverflowError, ValueError):
            return float("nan")


def _text(value: object, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise EventRefused(field, "not_text")
    return value.strip()


def content_id(phone: str, kind: str, at_s: float) -> str:
    """The id of an event sent without one: the same event gets the same id."""
    digest = hashlib.sha256(f"{phone}|{kind}|{at_s!r}".encode()).hexdigest()
    return f"content:{digest[:40]}"


def resolve(
    tx: Transaction, events: Sequence[tuple[int, IncomingSignal]]
) -> tuple[list[tuple[str, SignalEvent]], list[SignalProblem]]:
    """Each event with its id and number, or a problem for an unmapped customer id."""
    mapped = phones_for(tx, (e.customer_id for _, e in events if e.customer_id is not None))
    ready: list[tuple[str, SignalEvent]] = []
    problems: list[SignalProblem] = []
    for where, event in events:
        phone = event.phone
        if phone is None:
            phone = mapped.get(event.customer_id or "")
            if phone is None:
                problems.append(
                    SignalProblem.named(
                        where, "customer_id", "unmapped_customer_id", id=repr(event.customer_id)
                    )
                )
                continue
        event_id = event.event_id or content_id(phone, event.kind, event.at_s)
        ready.append((event_id, SignalEvent(phone, event.kind, event.at_s)))
    return ready, problems


def store_events(
    tx: Transaction,
    events: Sequence[tuple[int, IncomingSignal]],
    *,
    source: str,
    now_s: float,
    all_or_nothing: bool,
) -> tuple[int, list[SignalProblem]]:
    """Resolve and store ``events`` in one bulk statement: how many were new, and the
    events refused (an unmapped customer id). ``all_or_nothing``: one refused event
    stores none (the API's batch); otherwise the others go in (a CSV file's rows)."""
    ready, problems = resolve(tx, events)
    if problems and all_or_nothing:
        return 0, problems
    return signals.record_many(tx, ready, source=source, now_s=now_s), problems
