"""How the bot words numbers, dates, orders and phone numbers (pure, no I/O).

The sentences themselves are in the prompt catalogue (:mod:`bot.dialogue.prompts`)
and the names of days, months and hours in the language pack's reading
(``reading.yaml``); this module picks them and fills them in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import phonenumbers

from bot.backends import Order
from bot.dialogue.prompts import active_pack, say

_ORDER_NUMBER_RE = re.compile(r"^\d{4,12}$")
# A case id of letters and a running number ("CASE-1", "case 12", "4711"): said as the
# pack's "case number 1", never as the letters of the id.
_CASE_NUMBER_RE = re.compile(r"^[^\W\d_]*[-_ #/]?(\d+)$")
# A running number up to this many digits is said as a number ("sag nummer 12"); a longer
# one, or one with a leading zero, digit by digit, as an order number is.
_CASE_NUMBER_DIGITS = 4
LONG_NUMBER_CHARS = 7
"""From this length on a number is read in groups (and a tracking number offered by SMS)."""


def digit_groups(number: str) -> list[str]:
    """A long number cut into groups of 3-4, as people read them out.

    "00340434161094042" -> ["0034", "0434", "161", "094", "042"]; up to six
    characters it stays one group.
    """
    number = number.replace(" ", "")
    if len(number) < LONG_NUMBER_CHARS:
        return [number] if number else []
    group_chars = active_pack().reading.digit_group_chars
    count = -(-len(number) // group_chars)  # ceil: as few groups as keep them <= 4
    base, extra = divmod(len(number), count)
    groups, start = [], 0
    for i in range(count):
        size = base + (1 if i < extra else 0)
        groups.append(number[start : start + size])
        start += size
    return groups


def spell_digits(number: str) -> str:
    """ "10042" -> "1 0 0 4 2", so that it is read out digit by digit; a long number in
    groups with a pause (a comma) between them: "0 0 3 4, 0 4 3 4, 1 6 1, ..."."""
    return ", ".join(" ".join(group) for group in digit_groups(number))


def case_text(case_id: str) -> str:
    """A case id as the caller hears it, in the pack's words: "CASE-1" is "case number 1"
    ("sag nummer 1"; an English id read by a Danish voice was English letters). An id of
    another shape (a shop's own, "ZD4711A") is spelled: "case Z D 4 7 1 1 A". The id
    stored, handed over and sent by SMS stays as it is."""
    case_id = case_id.strip()
    if (m := _CASE_NUMBER_RE.match(case_id)) is not None:
        digits = m.group(1)
        short = len(digits) <= _CASE_NUMBER_DIGITS and not digits.startswith("0")
        return say("case_number", number=digits if short else spell_digits(digits))
    return say("case_reference", reference=" ".join(c for c in case_id if c.isalnum()))


def case_written(case_id: str) -> str:
    """A case id as an SMS writes it, in the pack's words: "CASE-1" is "case no. 1"
    ("sag nr. 1", not the English letters); an id of another shape as it is."""
    case_id = case_id.strip()
    if (m := _CASE_NUMBER_RE.match(case_id)) is not None:
        return say("case_number_written", number=m.group(1))
    return say("case_reference_written", reference=case_id)


def valid_order_number(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value if _ORDER_NUMBER_RE.match(value) else None


def clean_product(value: str | None) -> str | None:
    """A product entity safe to look up: letters, digits and spaces, bounded."""
    if not value:
        return None
    cleaned = " ".join(re.sub(r"[^\w ]+", " ", value).split())[:60]
    return cleaned or None


def items_text(order: Order) -> str:
    """The order's items as ' with a kettle, a mug'; nothing for an order without lines."""
    if not order.items:
        return ""
    return say("order_items", items=say("item_separator").join(order.items))


def phone_text(phone: str, country: str) -> str:
    """An E.164 number as a caller says it: national at home, international abroad."""
    parsed = phonenumbers.parse(phone)
    if phonenumbers.region_code_for_number(parsed) == country:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class Calendar:
    """Dates relative to today in the shop's time zone ("tomorrow, Tuesday 3 March")."""

    def __init__(self, tz: ZoneInfo, clock: Callable[[], float]) -> None:
        self.tz = tz
        self.clock = clock

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock(), self.tz).date()

    def days_from_today(self, ts: float) -> int:
        return (datetime.fromtimestamp(ts, self.tz).date() - self.today()).days

    def date_text(self, ts: float) -> str:
        """ "Thursday 3 December", "torsdag den 3. december": the pack's names, not the locale's."""
        day = datetime.fromtimestamp(ts, self.tz)
        reading = active_pack().reading
        return say(
            "date",
            weekday=reading.weekdays[day.weekday()],
            day=day.day,
            month=reading.months[day.month - 1],
        )

    def when(self, ts: float) -> str:
        days = self.days_from_today(ts)
        named = {0: "day_today", 1: "day_tomorrow", -1: "day_yesterday"}.get(days)
        date_text = self.date_text(ts)
        if named:
            return say("when_named_day", named=say(named), date=date_text)
        if days < 0:
            return say("when_days_ago", days=-days, date=date_text)
        return say("when_on_date", date=date_text)


def hour_text(hour: float) -> str:
    """14.5 -> "two 30" in English, "fjorten 30" in Danish (the pack's words for hours)."""
    minutes = round((hour % 1) * 60)
    name = active_pack().reading.hour_word(hour)
    return (
        say("hour", hour=name)
        if minutes == 0
        else say("hour_minutes", hour=name, minutes=f"{minutes:02d}")
    )


def order_status_text(order: Order, calendar: Calendar, *, tracking: bool = True) -> str:
    """Where an order is, in one or a few sentences.

    ``tracking``: read the tracking number out (in groups); without it the
    caller is offered it by SMS instead.
    """
    head = {"order": spell_digits(order.number), "items": items_text(order)}
    if order.status in ("placed", "packing"):
        text = say("order_packing", **head)
        if order.expected_delivery_at:
            text += _expected(order.expected_delivery_at, calendar, "order_packing")
        return text
    if order.status == "shipped":
        carrier = say("order_carrier", carrier=order.carrier) if order.carrier else ""
        text = say("order_shipped", carrier=carrier, **head)
        if order.expected_delivery_at:
            text += _expected(order.expected_delivery_at, calendar, "order_delivery")
        if order.tracking_number and tracking:
            text += say("order_tracking", tracking=spell_digits(order.tracking_number))
        return text
    if order.status == "delivered":
        when = f" {calendar.when(order.delivered_at)}" if order.delivered_at else ""
        return say("order_delivered", when=when, **head)
    if order.status == "cancelled":
        return say("order_cancelled", **head)
    return other_status_text(order.status, head)


# The statuses with a sentence of their own (order_status_text).
_OWN_SENTENCES = frozenset({"placed", "packing", "shipped", "delivered", "cancelled"})
# The statuses a shop may give that have words in the packs (``order_status_<status>``),
# written as a code: "on-hold" and "On hold" are "on_hold".
_STATUS_WORDS = frozenset(
    {
        "on_hold",
        "pending",
        "processing",
        "awaiting_payment",
        "backordered",
        "in_transit",
        "out_for_delivery",
        "ready_for_pickup",
        "returned",
        "refunded",
        "failed",
    }
)


def _status_code(status: str) -> str:
    return re.sub(r"[\s-]+", "_", status.strip().lower())


def status_said(status: str) -> bool:
    """Whether an order's ``status`` has words the caller hears (else they hear that a
    colleague can check it: :func:`other_status_text`)."""
    return status in _OWN_SENTENCES or _status_code(status) in _STATUS_WORDS


def other_status_text(status: str, head: dict[str, str]) -> str:
    """A status without a sentence of its own, in the pack's words; one the pack has no
    words for is never read out as its code ("on_hold", "wc-completed"): the order was
    found, a colleague can say where it is."""
    code = _status_code(status)
    if code in _STATUS_WORDS:
        return say("order_other_status", status=say(f"order_status_{code}"), **head)
    return say("order_unknown_status", **head)


def _expected(at: float, calendar: Calendar, stem: str) -> str:
    """When delivery is expected, or, once that day has passed, that the order is late
    (a past day read as "we expect to deliver it 3 days ago" would be nonsense)."""
    late = calendar.days_from_today(at) < 0
    return say(f"{stem}_late" if late else f"{stem}_expected", when=calendar.when(at))


def offers_tracking_sms(order: Order) -> bool:
    """A shipped order's tracking number long enough to be better sent than read."""
    number = order.tracking_number or ""
    return order.status == "shipped" and len(number.replace(" ", "")) >= LONG_NUMBER_CHARS
