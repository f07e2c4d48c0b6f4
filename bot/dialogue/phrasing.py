"""How the bot words numbers, dates, orders and phone numbers (pure, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import phonenumbers

from bot.backends import Order

_ORDER_NUMBER_RE = re.compile(r"^\d{4,12}$")


def spell_digits(number: str) -> str:
    """ "10042" -> "1 0 0 4 2", so that it is read out digit by digit."""
    return " ".join(number)


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
    return f" with {', '.join(order.items)}" if order.items else ""


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
        day = datetime.fromtimestamp(ts, self.tz)
        return f"{day:%A} {day.day} {day:%B}"

    def when(self, ts: float) -> str:
        days = self.days_from_today(ts)
        named = {0: "today", 1: "tomorrow", -1: "yesterday"}.get(days)
        if named:
            return f"{named}, {self.date_text(ts)}"
        if days < 0:
            return f"{-days} days ago, on {self.date_text(ts)}"
        return f"on {self.date_text(ts)}"


def order_status_text(order: Order, calendar: Calendar) -> str:
    """Where an order is, in one or a few sentences."""
    head = f"Order {spell_digits(order.number)}{items_text(order)}"
    if order.status in ("placed", "packing"):
        text = f"{head} is being packed and hasn't shipped yet."
        if order.expected_delivery_at:
            text += f" We expect to deliver it {calendar.when(order.expected_delivery_at)}."
        return text
    if order.status == "shipped":
        text = f"{head} has been shipped"
        text += f" with {order.carrier}." if order.carrier else "."
        if order.tracking_number:
            text += f" The tracking number is {order.tracking_number}."
        if order.expected_delivery_at:
            text += f" Delivery is expected {calendar.when(order.expected_delivery_at)}."
        return text
    if order.status == "delivered":
        when = f" {calendar.when(order.delivered_at)}" if order.delivered_at else ""
        return f"{head} was delivered{when}."
    if order.status == "cancelled":
        return f"{head} was cancelled."
    return f"{head} has the status {order.status}."
