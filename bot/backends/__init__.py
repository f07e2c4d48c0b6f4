"""The shop back-ends the dialogue talks to, behind small interfaces.

Orders and tracking, inventory, cases, callbacks and SMS are each one
``Protocol`` with async methods, so the dialogue never does I/O itself and a
shop can swap one part (say, orders from its Shopify store) while keeping the
rest on the local database (``bot.backends.local``). Failures are raised as
:class:`spillway.errors.BackendError`; "not found" is ``None``, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from scheduler.stored_promise import Promise

OPEN_ORDER_STATUSES = frozenset({"placed", "packing", "shipped"})
"""Statuses of orders that have not reached the customer yet."""


@dataclass(frozen=True, slots=True)
class Order:
    """One order as the caller knows it: number, what is in it, where it is."""

    number: str
    status: str
    """placed | packing | shipped | delivered | cancelled"""
    items: tuple[str, ...] = ()
    customer_phone: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    created_at: float | None = None
    expected_delivery_at: float | None = None
    delivered_at: float | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ORDER_STATUSES


@dataclass(frozen=True, slots=True)
class Product:
    """A product and its stock; ``restock_at`` is set when sold out and known."""

    sku: str
    name: str
    stock: int
    restock_at: float | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """A customer-service case (a complaint) a human picks up."""

    case_id: str
    reason: str
    phone: str | None = None
    order_number: str | None = None
    call_id: str | None = None
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class SmsMessage:
    """A text message in the outbox."""

    phone: str
    body: str
    idempotency_key: str
    status: str = "pending"
    id: int = 0
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """A request for a human to call back, for the scheduler."""

    phone: str
    reason: str
    call_id: str | None = None
    name: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    # The customer's window ("this afternoon"), UNIX seconds; None: no limit.
    not_before: float | None = None
    not_after: float | None = None


class OrderBackend(Protocol):
    async def find_order(self, number: str) -> Order | None:
        """The order with this number (digits only), or None."""
        ...

    async def orders_for_phone(self, phone: str) -> list[Order]:
        """The orders of the customer with this E.164 number, newest first."""
        ...


class InventoryBackend(Protocol):
    async def find_product(self, name: str) -> Product | None:
        """The product best matching ``name``, or None."""
        ...

    async def product_names(self) -> list[str]:
        """The names of the products the shop sells (to offer the closest to one it
        does not: bot/dialogue/stock_words.py)."""
        ...


class CaseBackend(Protocol):
    async def create_case(
        self,
        reason: str,
        *,
        phone: str | None,
        order_number: str | None,
        call_id: str | None,
        context: dict[str, Any],
    ) -> Case: ...


@dataclass(frozen=True, slots=True)
class NumberKept:
    """A new number a callback request did not take, and where the request stands."""

    phone: str  # the number it keeps (E.164)
    status: str  # 'dialling': a call to ``phone`` is under way; 'pending': the new
    # number cannot be called; any other: the request is closed (done, cancelled, ...)

    @property
    def dialling(self) -> bool:
        return self.status == "dialling"

    @property
    def open(self) -> bool:
        return self.status in ("pending", "dialling")


@dataclass(frozen=True, slots=True)
class CallbackRecorded:
    """A callback request as recorded, and whether anyone will call the number.

    A number intake refuses (on the do-not-call list, one that cannot be dialled) is
    still recorded, closed, for an admin to see: the caller must not be promised a call.
    """

    id: int
    will_be_called: bool = True
    # Why not, when it will not be: a code of spillway.request_problem ('do_not_call',
    # 'number_invalid', ...), never said to the caller as it is; None: it will be called.
    refused: str | None = None


class CallbackBackend(Protocol):
    async def request_callback(self, request: CallbackRequest) -> CallbackRecorded:
        """Record the request (status 'pending', or closed when the number may not be
        called); its id, and whether it will be called."""
        ...

    async def update_callback(
        self,
        request_id: int,
        *,
        phone: str | None = None,
        window: tuple[float | None, float | None] | None = None,
    ) -> int | NumberKept | CallbackRecorded | None:
        """Change the number or the window of a request that has not been dialled yet.

        Returns the id the request goes by now: a new number that already has
        an open request joins that one (the same duplicate check as a new
        request), and its id is returned. A new number not taken (the request is
        being dialled or is closed, or the number cannot be called): the request as
        it stands, or None when there is no such request. A new number taken in that
        may not be called (on the do-not-call list): the request closed with it, as a
        :class:`CallbackRecorded` that will not be called.
        """
        ...

    async def callback_timing(self, request_id: int) -> str | None:
        """The timing intake gave the request: 'predicted', 'conventional' (None: unknown)."""
        ...

    async def plain_callback(self, request_id: int) -> bool:
        """The customer asked for a plain callback (no AI timing); False: no longer open."""
        ...

    async def cancel_callback(self, request_id: int) -> bool:
        """Withdraw a request the caller no longer wants, before it is dialled (closed as
        cancelled, ``cancelled_by_caller``); False: not open and not dialled (unchanged)."""
        ...

    async def callback_promise(self, request_id: int) -> Promise | None:
        """The promise the request carries as stored (its deadline, or the deadline of the
        open request it joined), what the caller is told; None: unknown (no such request,
        or a back-end that does not know the calling rules)."""
        ...


class SmsBackend(Protocol):
    async def enqueue(
        self, phone: str, body: str, *, idempotency_key: str, call_id: str | None = None
    ) -> SmsMessage:
        """Queue a message; queuing the same key twice keeps one message."""
        ...


class AsyncCloseable(Protocol):
    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Backends:
    """Everything the dialogue may call, passed in as one bundle.

    ``resources`` are what the bundle owns (say, the shop API's HTTP client);
    :meth:`aclose` closes them. ``description`` says which back-end serves what.
    """

    orders: OrderBackend
    inventory: InventoryBackend
    cases: CaseBackend
    callbacks: CallbackBackend
    sms: SmsBackend
    description: str = "local store (orders, stock, cases, callbacks, SMS outbox)"
    resources: tuple[AsyncCloseable, ...] = ()

    async def aclose(self) -> None:
        for resource in self.resources:
            await resource.aclose()
