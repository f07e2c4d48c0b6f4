"""What the bot may say about an order to the person on the line (pure, no I/O).

Order numbers are sequential and easy to guess, so a number alone proves nothing.
The rule: only a caller whose number (caller id) is the number on the order hears
its details (the items, the carrier, the tracking number). Anyone else (caller id
withheld, unknown or another number, or an order without a number on it) hears the
order's general state ("order 1 0 0 4 2 has been shipped; delivery is expected on
Tuesday") and is offered the tracking number by SMS to the number on the order, or a
colleague, who can check who is calling.

Every sentence the caller hears about an order (its status, a return, a cancellation,
the order offered from their number, the complaint read back) is worded from
:func:`shown_to`, and an order is matched to a product the caller names only on what
they may hear of it (else "my vase is broken" would tell a stranger whether order
1 0 0 4 3 holds a vase). What an agent sees (the hand-over) is not a caller's.
"""

from __future__ import annotations

from dataclasses import replace

from bot.backends import Order
from spillway.phone import normalise_phone

__all__ = ["caller_owns", "general_view", "phone_on_order", "shown_to"]


def caller_owns(caller_phone: str | None, order: Order, country: str) -> bool:
    """Whether the caller's number is the number on ``order`` (both in E.164 after
    normalising; neither known: not theirs)."""
    if not caller_phone or not order.customer_phone:
        return False
    mine = normalise_phone(caller_phone, country)
    theirs = normalise_phone(order.customer_phone, country)
    return mine is not None and mine == theirs


def general_view(order: Order) -> Order:
    """``order`` without what only its customer may hear: its state, number and dates
    stay; the items, carrier and tracking number go."""
    return replace(order, items=(), carrier=None, tracking_number=None)


def shown_to(caller_phone: str | None, order: Order, country: str) -> Order:
    """``order`` as the caller may hear it: all of it for its customer, else its
    :func:`general_view`."""
    return order if caller_owns(caller_phone, order, country) else general_view(order)


def phone_on_order(order: Order, country: str) -> str | None:
    """The number on ``order`` in E.164, where its tracking number may be texted (None:
    no number, or not a valid one)."""
    return normalise_phone(order.customer_phone, country) if order.customer_phone else None
