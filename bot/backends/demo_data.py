"""The demo shop's data: four customers, five orders and four products, named in every language.

The demo caller (:data:`DEMO_CALLER`) has two orders; each of the others is another
customer's, so that the demo shows both sides of what the bot may say about an order
(:mod:`bot.dialogue.disclosure`): call from the order's number and hear its items,
carrier and tracking number; from any other and hear its general state.

Products and order lines keep their English name (``products.name``,
``order_lines.product_name``) and have a name per language beside it
(``product_names``, ``order_line_names``), so one database serves every pack.

Dates are relative to the moment of seeding ("delivered 40 days ago") and
stored as absolute UNIX times computed then. Seeding upserts by key (order
number, SKU, phone), so running it again refreshes the dates and never
duplicates a row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from spillway.storage import Store

DAY_S = 86400.0
DEMO_CALLER = "+4520123456"
# The other demo customers, one order each: libphonenumber's example Danish mobile
# number (+45 34 41 23 45, from its documented metadata) and the two after it, made up
# rather than taken from a real-looking range, and none a number the tests call from as
# a stranger.
VASE_CUSTOMER = "+4534412345"
SHOES_CUSTOMER = "+4534412346"
JACKET_CUSTOMER = "+4534412347"

# (phone, name, email)
_CUSTOMERS: tuple[tuple[str, str, str], ...] = (
    (DEMO_CALLER, "Mette Hansen", "mette@example.com"),
    (VASE_CUSTOMER, "Lars Nielsen", "lars@example.com"),
    (SHOES_CUSTOMER, "Sofie Jensen", "sofie@example.com"),
    (JACKET_CUSTOMER, "Anders Pedersen", "anders@example.com"),
)


@dataclass(frozen=True, slots=True)
class SeedReport:
    customers: int
    orders: int
    products: int


# (number, phone, status, carrier, tracking, created days, expected days, delivered days, item)
_OrderRow = tuple[str, str | None, str, str | None, str | None, int, int | None, int | None, str]
_ORDERS: tuple[_OrderRow, ...] = (
    ("10042", DEMO_CALLER, "shipped", "GLS", "00340434161094042", -3, 1, None,
     "wireless headphones"),
    ("10043", VASE_CUSTOMER, "delivered", "PostNord", "00370712345678901", -5, None, -1,
     "ceramic vase"),
    ("10044", SHOES_CUSTOMER, "packing", None, None, 0, 3, None, "running shoes size 42"),
    ("10045", JACKET_CUSTOMER, "delivered", "GLS", "00340434161094045", -44, None, -40,
     "winter jacket"),
    ("10046", DEMO_CALLER, "delivered", "DAO", "00057151270012345", -8, None, -5, "leather boots"),
)  # fmt: skip

# Each order line's name per language, by order number (one line each).
_LINE_NAMES: dict[str, dict[str, str]] = {
    "10042": {"da": "trådløse høretelefoner"},
    "10043": {"da": "keramikvase"},
    "10044": {"da": "løbesko str. 42"},
    "10045": {"da": "vinterjakke"},
    "10046": {"da": "læderstøvler"},
}

# (sku, name, stock, restock in days)
_PRODUCTS: tuple[tuple[str, str, int, int | None], ...] = (
    ("TBL-OAK-200", "oak dining table", 3, None),
    ("KTL-RED-17", "red kettle", 0, 7),
    ("SOF-GRY-3", "grey sofa", 1, None),
    ("HP-WL-100", "wireless headphones", 25, None),
)

# Each product's name per language, by SKU.
_PRODUCT_NAMES: dict[str, dict[str, str]] = {
    "TBL-OAK-200": {"da": "spisebord i egetræ"},
    "KTL-RED-17": {"da": "rød elkedel"},
    "SOF-GRY-3": {"da": "grå sofa"},
    "HP-WL-100": {"da": "trådløse høretelefoner"},
}


def seed_demo(store: Store, now: float | None = None) -> SeedReport:
    """Load (or refresh) the demo data in one transaction."""
    now = time.time() if now is None else now

    def at(days: int | None) -> float | None:
        return None if days is None else now + days * DAY_S

    with store.transaction() as tx:
        for customer, name, email in _CUSTOMERS:
            tx.execute(
                "INSERT INTO customers (phone, name, email) VALUES (:p, :n, :e) "
                "ON CONFLICT (phone) DO UPDATE SET name = excluded.name, email = excluded.email",
                {"p": customer, "n": name, "e": email},
            )
        for number, phone, status, carrier, tracking, created, expected, delivered, item in _ORDERS:
            tx.execute(
                "INSERT INTO orders (number, customer_phone, status, carrier, tracking_number, "
                "created_at, expected_delivery_at, delivered_at) "
                "VALUES (:n, :p, :s, :c, :t, :cr, :ex, :dl) ON CONFLICT (number) DO UPDATE SET "
                "customer_phone = excluded.customer_phone, status = excluded.status, "
                "carrier = excluded.carrier, tracking_number = excluded.tracking_number, "
                "created_at = excluded.created_at, "
                "expected_delivery_at = excluded.expected_delivery_at, "
                "delivered_at = excluded.delivered_at",
                {
                    "n": number,
                    "p": phone,
                    "s": status,
                    "c": carrier,
                    "t": tracking,
                    "cr": at(created),
                    "ex": at(expected),
                    "dl": at(delivered),
                },
            )
            tx.execute(
                "INSERT INTO order_lines (order_number, line_no, product_name, quantity) "
                "VALUES (:n, 1, :item, 1) ON CONFLICT (order_number, line_no) "
                "DO UPDATE SET product_name = excluded.product_name",
                {"n": number, "item": item},
            )
            for language, name in _LINE_NAMES.get(number, {}).items():
                tx.execute(
                    "INSERT INTO order_line_names (order_number, line_no, language, name) "
                    "VALUES (:n, 1, :lang, :name) ON CONFLICT (order_number, line_no, language) "
                    "DO UPDATE SET name = excluded.name",
                    {"n": number, "lang": language, "name": name},
                )
        for sku, name, stock, restock in _PRODUCTS:
            tx.execute(
                "INSERT INTO products (sku, name, stock, restock_at) VALUES (:s, :n, :st, :r) "
                "ON CONFLICT (sku) DO UPDATE SET name = excluded.name, stock = excluded.stock, "
                "restock_at = excluded.restock_at",
                {"s": sku, "n": name, "st": stock, "r": at(restock)},
            )
            for language, local_name in _PRODUCT_NAMES.get(sku, {}).items():
                tx.execute(
                    "INSERT INTO product_names (sku, language, name) VALUES (:s, :lang, :n) "
                    "ON CONFLICT (sku, language) DO UPDATE SET name = excluded.name",
                    {"s": sku, "lang": language, "n": local_name},
                )
    return SeedReport(customers=len(_CUSTOMERS), orders=len(_ORDERS), products=len(_PRODUCTS))
