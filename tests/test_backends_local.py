"""Local back-ends on a real SQLite store, with the demo data seeded."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.backends import Backends, CallbackRecorded, CallbackRequest
from bot.backends.demo_data import DAY_S, DEMO_CALLER, seed_demo
from bot.backends.local import local_backends
from scheduler import do_not_call
from spillway.phone import normalise_phone
from spillway.request_problem import DO_NOT_CALL, NUMBER_ABROAD
from spillway.storage import AsyncStore, SqliteStore

NOW = 1_750_000_000.0


@pytest.fixture
def backends(store: SqliteStore) -> Iterator[Backends]:
    seed_demo(store, NOW)
    db = AsyncStore(store)
    yield local_backends(db, clock=lambda: NOW)
    db.close()


def test_seed_is_idempotent_and_refreshes_dates(store: SqliteStore) -> None:
    seed_demo(store, NOW)
    counts = store.table_counts()
    seed_demo(store, NOW + DAY_S)
    assert store.table_counts() == counts
    assert (counts["orders"], counts["products"], counts["customers"]) == (5, 4, 4)
    row = store.query("SELECT delivered_at FROM orders WHERE number = '10045'")[0]
    assert row["delivered_at"] == NOW + DAY_S - 40 * DAY_S


def test_every_demo_order_is_a_demo_customers(store: SqliteStore) -> None:
    # An order without a number on it is one no caller may hear the items of
    # (bot/dialogue/disclosure.py): each demo order has its customer, a demo caller.
    seed_demo(store, NOW)
    orders = store.query(
        "SELECT o.number, o.customer_phone, c.name FROM orders o "
        "LEFT JOIN customers c ON c.phone = o.customer_phone"
    )
    assert [o["number"] for o in orders if not o["name"]] == []
    others = {o["customer_phone"] for o in orders} - {DEMO_CALLER}
    assert others and all(normalise_phone(p, "DK") == p for p in others)


async def test_orders(backends: Backends) -> None:
    order = await backends.orders.find_order("10042")
    assert order is not None
    assert (order.status, order.carrier, order.tracking_number) == (
        "shipped", "GLS", "00340434161094042"
    )  # fmt: skip
    assert order.items == ("wireless headphones",)
    assert order.expected_delivery_at == NOW + DAY_S
    assert await backends.orders.find_order("99999") is None
    assert await backends.orders.find_order("1 OR 1=1") is None
    mine = await backends.orders.orders_for_phone(DEMO_CALLER)
    assert sorted(o.number for o in mine) == ["10042", "10046"]
    assert [o.number for o in mine if o.is_open] == ["10042"]


async def test_inventory_matches_names_safely(backends: Backends) -> None:
    kettle = await backends.inventory.find_product("Red  Kettle")
    assert kettle is not None and kettle.stock == 0 and kettle.restock_at == NOW + 7 * DAY_S
    sofa = await backends.inventory.find_product("sofa")
    assert sofa is not None and sofa.name == "grey sofa" and sofa.stock == 1
    assert await backends.inventory.find_product("%") is None
    assert await backends.inventory.find_product("'; DROP TABLE products; --") is None
    assert await backends.inventory.find_product("") is None


async def test_cases_and_callbacks(backends: Backends, store: SqliteStore) -> None:
    case = await backends.cases.create_case(
        "vase broken", phone=DEMO_CALLER, order_number="10043", call_id="c1", context={"a": 1}
    )
    second = await backends.cases.create_case(
        "late", phone=None, order_number=None, call_id="c2", context={}
    )
    assert case.case_id.startswith("CASE-") and case.case_id != second.case_id
    row = store.query("SELECT * FROM cases WHERE case_id = :c", {"c": case.case_id})[0]
    assert (row["reason"], row["order_number"], json.loads(row["context"])) == (
        "vase broken", "10043", {"a": 1}
    )  # fmt: skip
    recorded = await backends.callbacks.request_callback(
        CallbackRequest(DEMO_CALLER, "order_status", "c1", context={"intents": ["x"]})
    )
    assert recorded.will_be_called and recorded.refused is None
    cb = store.query("SELECT * FROM callback_requests WHERE id = :i", {"i": recorded.id})[0]
    assert (cb["source"], cb["status"], cb["call_id"], cb["created_at"]) == (
        "bot", "pending", "c1", NOW
    )  # fmt: skip


async def test_a_number_on_the_do_not_call_list_is_recorded_but_will_not_be_called(
    backends: Backends, store: SqliteStore
) -> None:
    """The request is kept closed for an admin, and the back-end says so, with the
    reason's code: the dialogue must not promise the call (it said "we'll call you")."""
    with store.transaction() as tx:
        do_not_call.opt_out(tx, DEMO_CALLER, source="test", now=NOW, region="DK")
    recorded = await backends.callbacks.request_callback(
        CallbackRequest(DEMO_CALLER, "callback_request", "c1")
    )
    assert not recorded.will_be_called and recorded.refused == DO_NOT_CALL
    [row] = store.query("SELECT id, status, last_error FROM callback_requests")
    assert (row["id"], row["status"]) == (recorded.id, "cancelled")
    assert json.loads(row["last_error"])["code"] == DO_NOT_CALL
    # Another number is called as before; moved onto the listed number, it is closed.
    other = await backends.callbacks.request_callback(CallbackRequest("+4530123456", "x"))
    assert other.will_be_called and other.refused is None and other.id != recorded.id
    moved = await backends.callbacks.update_callback(other.id, phone=DEMO_CALLER)
    assert moved == CallbackRecorded(other.id, will_be_called=False, refused=DO_NOT_CALL)


async def test_the_bots_intake_takes_the_countries_callbacks_may_dial(
    store: SqliteStore,
) -> None:
    """callbacks.allowed_countries reaches the bot's back-end as it does the other doors."""
    swedish = CallbackRequest("+46701234567", "callback_request")
    db = AsyncStore(store)
    try:
        shop_only = await local_backends(db, clock=lambda: NOW).callbacks.request_callback(swedish)
        wide = local_backends(db, clock=lambda: NOW, allowed_countries=("DK", "SE"))
        taken = await wide.callbacks.request_callback(swedish)
    finally:
        db.close()
    assert not shop_only.will_be_called and shop_only.refused == NUMBER_ABROAD
    assert taken.will_be_called and taken.refused is None


def test_phone_normalisation() -> None:
    assert normalise_phone("20 12 34 56") == "+4520123456"
    assert normalise_phone("0046 70 123 45 67", "DK") == "+46701234567"
    assert normalise_phone("12") is None
    assert normalise_phone("not a number") is None


async def test_a_time_the_caller_asked_for_is_promised_inside_it(store: SqliteStore) -> None:
    """The bot's callbacks were promised from the call ("by 19:50 on Friday") though the
    caller asked for Monday afternoon (issue 19 item 18); moved with a new window too."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from scheduler.rules import CallingRules

    zone = ZoneInfo("Europe/Copenhagen")
    friday = datetime(2026, 3, 6, 15, 50, tzinfo=zone).timestamp()
    monday_13 = datetime(2026, 3, 9, 13, tzinfo=zone).timestamp()
    db = AsyncStore(store)
    backends = local_backends(db, clock=lambda: friday, rules=CallingRules())
    cb_id = (
        await backends.callbacks.request_callback(
            CallbackRequest(DEMO_CALLER, "order_status", not_before=monday_13)
        )
    ).id
    [cb] = store.query("SELECT deadline FROM callback_requests WHERE id = :i", {"i": cb_id})
    assert cb["deadline"] == monday_13 + 4 * 3600  # four calling hours from the window's start
    tuesday_9 = monday_13 + 20 * 3600
    await backends.callbacks.update_callback(cb_id, window=(tuesday_9, tuesday_9 + 3600))
    [cb] = store.query("SELECT deadline FROM callback_requests WHERE id = :i", {"i": cb_id})
    db.close()
    assert cb["deadline"] == tuesday_9 + 3600  # the window's end: shorter than four hours
