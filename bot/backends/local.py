"""The default back-ends: orders, stock, cases and callbacks in Spillway's own store.

Every call runs on the store's worker thread (:class:`AsyncStore`), so the
event loop never waits on disk. Queries take named parameters only: caller
text never becomes SQL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from bot.backends import (
    Backends,
    CallbackRecorded,
    CallbackRequest,
    Case,
    NumberKept,
    Order,
    Product,
)
from bot.backends.sms import SmsOutbox
from scheduler import intake, requests
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from scheduler.rules import CallingRules
from scheduler.stored_promise import Promise, stored_promise
from scheduler.timing import optout as timing_optout
from scheduler.timing.choice import TimingConfig
from spillway.errors import BackendError, StorageError
from spillway.request_problem import cancelled_by_caller, problem_code
from spillway.storage import AsyncStore, Row, Store, Transaction

Clock = Callable[[], float]
T = TypeVar("T")


async def _lookup(db: AsyncStore, failed: str, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn`` on the store's worker thread; a storage failure is a back-end failure."""
    try:
        return await db.run(fn, *args)
    except StorageError as exc:
        raise BackendError(f"{failed}: {exc}") from exc


def _order_from_rows(row: Row, lines: list[Row]) -> Order:
    return Order(
        number=str(row["number"]),
        status=str(row["status"]),
        items=tuple(str(line["product_name"]) for line in lines),
        customer_phone=row["customer_phone"],
        carrier=row["carrier"],
        tracking_number=row["tracking_number"],
        created_at=row["created_at"],
        expected_delivery_at=row["expected_delivery_at"],
        delivered_at=row["delivered_at"],
    )


def _load_orders(tx: Transaction, rows: list[Row], language: str) -> list[Order]:
    orders = []
    for row in rows:
        # Each line's name in the caller's language where the shop has one.
        lines = tx.query(
            "SELECT COALESCE(n.name, l.product_name) AS product_name FROM order_lines l "
            "LEFT JOIN order_line_names n ON n.order_number = l.order_number "
            "AND n.line_no = l.line_no AND n.language = :lang "
            "WHERE l.order_number = :n ORDER BY l.line_no",
            {"n": row["number"], "lang": language},
        )
        orders.append(_order_from_rows(row, lines))
    return orders


class LocalOrders:
    """Orders from the ``orders`` and ``order_lines`` tables, lines named in ``language``."""

    def __init__(self, db: AsyncStore, language: str = "en") -> None:
        self._db = db
        self._language = language

    def _find(self, number: str) -> Order | None:
        with self._db.store.transaction() as tx:
            rows = tx.query("SELECT * FROM orders WHERE number = :n", {"n": number})
            found = _load_orders(tx, rows, self._language)
        return found[0] if found else None

    def _for_phone(self, phone: str) -> list[Order]:
        with self._db.store.transaction() as tx:
            rows = tx.query(
                "SELECT * FROM orders WHERE customer_phone = :p ORDER BY created_at DESC",
                {"p": phone},
            )
            return _load_orders(tx, rows, self._language)

    async def find_order(self, number: str) -> Order | None:
        return await _lookup(self._db, "order lookup failed", self._find, number)

    async def orders_for_phone(self, phone: str) -> list[Order]:
        return await _lookup(self._db, "order lookup failed", self._for_phone, phone)


class LocalInventory:
    """Products from the ``products`` table, matched and named in ``language`` where the
    shop has a name in it (``product_names``), else by the name it keeps."""

    # Every product with its name in the language (or the kept one) and the kept name.
    _NAMED = (
        "SELECT p.sku, p.stock, p.restock_at, COALESCE(n.name, p.name) AS name, "
        "p.name AS kept_name FROM products p "
        "LEFT JOIN product_names n ON n.sku = p.sku AND n.language = :lang"
    )

    def __init__(self, db: AsyncStore, language: str = "en") -> None:
        self._db = db
        self._language = language

    def _find(self, name: str) -> Product | None:
        wanted = " ".join(name.lower().split())
        if not wanted:
            return None
        named = {"n": wanted, "lang": self._language}
        rows = self._db.store.query(
            f"SELECT * FROM ({self._NAMED}) x WHERE lower(name) = :n OR lower(kept_name) = :n",
            named,
        ) or self._db.store.query(
            # A partial name ("kettle", "elkedel") matches when it picks out one product.
            f"SELECT * FROM ({self._NAMED}) x "
            "WHERE instr(lower(name), :n) > 0 OR instr(lower(kept_name), :n) > 0 ORDER BY name",
            named,
        )
        if len(rows) != 1:
            return None
        row = rows[0]
        return Product(
            sku=str(row["sku"]),
            name=str(row["name"]),
            stock=int(row["stock"]),
            restock_at=row["restock_at"],
        )

    async def find_product(self, name: str) -> Product | None:
        return await _lookup(self._db, "stock lookup failed", self._find, name)

    def _names(self) -> list[str]:
        rows = self._db.store.query(
            f"SELECT name FROM ({self._NAMED}) x ORDER BY name", {"lang": self._language}
        )
        return [str(row["name"]) for row in rows]

    async def product_names(self) -> list[str]:
        return await _lookup(self._db, "product list failed", self._names)


class LocalCases:
    """Cases in the ``cases`` table; the id is ``CASE-<row id>``."""

    def __init__(self, db: AsyncStore, clock: Clock = time.time) -> None:
        self._db = db
        self._clock = clock

    def _create(
        self,
        reason: str,
        phone: str | None,
        order_number: str | None,
        call_id: str | None,
        context: dict[str, Any],
    ) -> Case:
        now = self._clock()
        with self._db.store.transaction() as tx:
            row_id = tx.insert(
                "cases",
                {
                    "phone": phone,
                    "order_number": order_number,
                    "reason": reason,
                    "call_id": call_id,
                    "created_at": now,
                    "context": json.dumps(context, sort_keys=True),
                },
            )
            case_id = f"CASE-{row_id}"
            tx.execute("UPDATE cases SET case_id = :c WHERE id = :i", {"c": case_id, "i": row_id})
        return Case(case_id, reason, phone, order_number, call_id, now)

    async def create_case(
        self,
        reason: str,
        *,
        phone: str | None,
        order_number: str | None,
        call_id: str | None,
        context: dict[str, Any],
    ) -> Case:
        return await _lookup(
            self._db,
            "cannot create a case",
            self._create,
            reason,
            phone,
            order_number,
            call_id,
            context,
        )


class LocalCallbacks:
    """Callback requests from the bot (source 'bot'), recorded by the scheduler's owner."""

    def __init__(
        self,
        db: AsyncStore,
        clock: Clock = time.time,
        *,
        region: str = "DK",
        timing: TimingConfig | None = None,
        rules: CallingRules | None = None,
        default_timezone: str = "Europe/Copenhagen",
        allowed_countries: Collection[str] | None = None,
        hash_key: bytes | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._region = region
        # The same numbers as the other intake doors take (callbacks.allowed_countries),
        # and an erased customer's hashed number still on the do-not-call list.
        self._allowed = allowed_countries
        self._hash_key = hash_key
        # A number with several zones, none of them told by the number: this one.
        self._default_timezone = default_timezone
        self._timing = timing
        # The promise of a time the caller asked for counts from its start.
        self._rules = rules

    def _record(self, request: NewRequest) -> CallbackRecorded:
        with self._db.store.transaction() as tx:
            recorded = intake.record(
                tx,
                request,
                region=self._region,
                now=self._clock(),
                default_timezone=self._default_timezone,
                timing=self._timing,
                rules=self._rules,
                allowed_countries=self._allowed,
                hash_key=self._hash_key,
            )
        # A number intake refuses is kept closed: the dialogue must not promise the call.
        called = recorded.will_be_called
        return CallbackRecorded(recorded.id, called, None if called else recorded.problem_code)

    def _timing_of(self, request_id: int) -> str | None:
        rows = self._db.store.query(
            "SELECT timing FROM callback_requests WHERE id = :id", {"id": request_id}
        )
        return rows[0]["timing"] if rows else None

    async def callback_timing(self, request_id: int) -> str | None:
        return await _lookup(self._db, "cannot read the callback", self._timing_of, request_id)

    def _promise_of(self, request_id: int) -> Promise | None:
        if self._rules is None:
            return None  # the deadline counts by the rules: not known here
        with self._db.store.transaction() as tx:
            return stored_promise(
                tx,
                self._rules,
                request_id,
                default_timezone=self._default_timezone,
                policy_timing=(self._timing or TimingConfig()).policy,
            )

    async def callback_promise(self, request_id: int) -> Promise | None:
        return await _lookup(self._db, "cannot read the callback", self._promise_of, request_id)

    def _plain(self, request_id: int) -> bool:
        with self._db.store.transaction() as tx:
            return timing_optout.ask_plain(tx, request_id)

    async def plain_callback(self, request_id: int) -> bool:
        return await _lookup(self._db, "cannot change the callback", self._plain, request_id)

    def _cancel(self, request_id: int) -> bool:
        with self._db.store.transaction() as tx:
            why = cancelled_by_caller()
            return requests.close_pending(tx, request_id, why, now=self._clock())

    async def cancel_callback(self, request_id: int) -> bool:
        return await _lookup(self._db, "cannot cancel the callback", self._cancel, request_id)

    async def request_callback(self, request: CallbackRequest) -> CallbackRecorded:
        new = NewRequest(
            phone=request.phone,
            source=RequestSource.BOT,
            reason=request.reason,
            call_id=request.call_id,
            name=request.name,
            context=request.context,
            not_before=request.not_before,
            not_after=request.not_after,
        )
        return await _lookup(self._db, "cannot record the callback request", self._record, new)

    def _update(
        self,
        request_id: int,
        phone: str | None,
        window: tuple[float | None, float | None] | None,
    ) -> int | NumberKept | CallbackRecorded | None:
        with self._db.store.transaction() as tx:
            now_id = intake.update_pending(
                tx,
                request_id,
                region=self._region,
                now=self._clock(),
                phone=phone,
                window=window,
                rules=self._rules,
                allowed_countries=self._allowed,
                hash_key=self._hash_key,
            )
            if now_id is not None and phone is not None:
                # Taken in, but on the do-not-call list: the request is closed with it.
                [row] = tx.query(
                    "SELECT status, last_error FROM callback_requests WHERE id = :id",
                    {"id": now_id},
                )
                if row["status"] not in requests.OPEN_STATUSES:
                    return CallbackRecorded(now_id, False, problem_code(row["last_error"]))
            if now_id is not None or phone is None:
                # A window not taken leaves the request as it stands, under its id.
                return request_id if now_id is None else now_id
            # The number was not changed: the caller is told the one it keeps, and why.
            rows = tx.query(
                "SELECT phone, status FROM callback_requests WHERE id = :id", {"id": request_id}
            )
        return NumberKept(rows[0]["phone"], rows[0]["status"]) if rows else None

    async def update_callback(
        self,
        request_id: int,
        *,
        phone: str | None = None,
        window: tuple[float | None, float | None] | None = None,
    ) -> int | NumberKept | CallbackRecorded | None:
        return await _lookup(
            self._db, "cannot update the callback request", self._update, request_id, phone, window
        )


def local_backends(
    store: Store | AsyncStore,
    clock: Clock = time.time,
    *,
    region: str = "DK",
    timing: TimingConfig | None = None,
    language: str = "en",
    rules: CallingRules | None = None,
    default_timezone: str = "Europe/Copenhagen",
    allowed_countries: Collection[str] | None = None,
    hash_key: bytes | None = None,
) -> Backends:
    """All back-ends on the local store; ``region`` reads numbers without a country code;
    ``timing``: how intake times the bot's callbacks (callbacks.policy and pilot);
    ``language`` names products and order lines (where the shop has names in it);
    ``allowed_countries`` and ``hash_key``: what intake takes, as at the other doors
    (:func:`scheduler.intake.record`; None: ``region`` only, no hashed numbers)."""
    db = store if isinstance(store, AsyncStore) else AsyncStore(store)
    return Backends(
        orders=LocalOrders(db, language),
        inventory=LocalInventory(db, language),
        cases=LocalCases(db, clock),
        callbacks=LocalCallbacks(
            db,
            clock,
            region=region,
            timing=timing,
            rules=rules,
            default_timezone=default_timezone,
            allowed_countries=allowed_countries,
            hash_key=hash_key,
        ),
        sms=SmsOutbox(db, clock),
    )
