"""`build_backends`: the Shopify adapter when shop.api_url is set, the local store when not;
and the doctor's shop row. The shop API is a local HTTP server speaking the Admin API's JSON
(the one from test_backends_shopify, plus ``shop.json``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

import pytest

from bot.assembly import DialogueFactory
from bot.backends.choice import build_backends, describe_backends
from bot.backends.demo_data import seed_demo
from bot.backends.local import LocalInventory, LocalOrders
from bot.backends.shopify import ShopifyInventory, ShopifyOrders
from bot.dialogue.inputs import Dtmf
from bot.types import ParsedIntent
from cli.doctor import check_shop
from dialplan.sandbox import free_port
from spillway.errors import ConfigError
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.conftest import make_settings
from tests.test_backends_shopify import TOKEN, _Handler


class _ShopHandler(_Handler):
    def do_GET(self) -> None:
        if urlparse(self.path).path != "/admin/api/2024-01/shop.json":
            return super().do_GET()
        self.requests.append(("shop.json", {}, self.headers.get("X-Shopify-Access-Token")))
        if self.headers.get("X-Shopify-Access-Token") != TOKEN:
            return self._send(401, {"errors": "[API] Invalid API key or access token"})
        self._send(200, {"shop": {"name": "Test Shop ApS"}})


@pytest.fixture(scope="module")
def shop_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ShopHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def settings_for(store: SqliteStore, **shop: Any) -> Settings:
    return make_settings(storage={"sqlite_path": str(store.path)}, shop=shop)


class _NoNlu:
    """The conversations below are keyed in (DTMF), which never reaches the NLU."""

    async def parse(self, text: str) -> ParsedIntent:
        raise AssertionError(f"NLU called for {text!r}")


async def test_local_store_when_no_shop_api(store: SqliteStore) -> None:
    seed_demo(store)
    backends = build_backends(settings_for(store), store)
    try:
        assert isinstance(backends.orders, LocalOrders)
        assert isinstance(backends.inventory, LocalInventory)
        assert backends.description == describe_backends(settings_for(store))
        assert backends.description.startswith("local store (") and backends.resources == ()
        order = await backends.orders.find_order("10042")
        assert order is not None and order.carrier == "GLS"
        kettle = await backends.inventory.find_product("red kettle")
        assert kettle is not None and kettle.stock == 0 and kettle.restock_at is not None
    finally:
        await backends.aclose()


async def test_shopify_for_orders_and_stock_local_for_the_rest(
    store: SqliteStore, shop_url: str
) -> None:
    settings = settings_for(store, api_url=shop_url, api_token=TOKEN)
    backends = build_backends(settings, store)
    try:
        assert isinstance(backends.orders, ShopifyOrders)
        assert isinstance(backends.inventory, ShopifyInventory)
        assert shop_url in backends.description and "local store" in backends.description
        before = len(_Handler.requests)
        order = await backends.orders.find_order("10042")  # the local store is empty
        assert order is not None and order.tracking_number == "00340434161094042"
        kettle = await backends.inventory.find_product("red kettle")
        assert kettle is not None and kettle.sku == "KTL-RED-17"
        assert [r[0] for r in _Handler.requests[before:]] == [
            "/admin/api/2024-01/orders.json",
            "/admin/api/2024-01/products.json",
            "/admin/api/2024-01/inventory_levels.json",
        ]
        case = await backends.cases.create_case(
            "broken", phone=None, order_number="10042", call_id="c1", context={}
        )
        assert store.query("SELECT case_id FROM cases")[0]["case_id"] == case.case_id
        await backends.sms.enqueue("+4520123456", "hi", idempotency_key="k")
        assert store.query("SELECT count(*) AS n FROM sms_outbox")[0]["n"] == 1
    finally:
        await backends.aclose()


async def test_the_dialogue_factory_uses_the_choice(store: SqliteStore, shop_url: str) -> None:
    """A keyed-in order-status call: the order comes from the shop API, not the database."""
    settings = settings_for(store, api_url=shop_url, api_token=TOKEN)
    factory = DialogueFactory.from_settings(settings, _NoNlu(), store)
    try:
        # From the number on the shop's order: its details are said (the carrier).
        dialogue = factory(caller_id="+4520123456", call_id="t1")
        await dialogue.start()
        assert (await dialogue.handle(Dtmf("10042#"))).action == "confirm_order_number"
        reply = await dialogue.handle(Dtmf("1"))
        assert reply.action == "order_status" and "GLS" in reply.text
    finally:
        await factory.backends.aclose()
    local = DialogueFactory.from_settings(settings_for(store), _NoNlu(), store)
    dialogue = local(caller_id=None, call_id="t2")
    await dialogue.start()
    await dialogue.handle(Dtmf("10042#"))
    assert (await dialogue.handle(Dtmf("1"))).action == "order_not_found"  # nothing seeded


def test_api_url_without_token_is_a_config_error(store: SqliteStore, shop_url: str) -> None:
    with pytest.raises(ConfigError, match=r"shop\.api_token is missing"):
        build_backends(settings_for(store, api_url=shop_url), store)


async def test_doctor_shop_row(store: SqliteStore, shop_url: str) -> None:
    local = await check_shop(settings_for(store))
    assert local.ok and local.detail == "local store (orders, stock, cases, callbacks, SMS outbox)"
    good = await check_shop(settings_for(store, api_url=shop_url, api_token=TOKEN))
    assert good.ok and shop_url in good.detail and "'Test Shop ApS'" in good.detail
    refused = await check_shop(settings_for(store, api_url=shop_url, api_token="wrong"))
    assert not refused.ok and "refused the access token (401)" in refused.detail
    no_token = await check_shop(settings_for(store, api_url=shop_url))
    assert not no_token.ok and "SPILLWAY_SHOP__API_TOKEN" in no_token.fix
    down = f"http://127.0.0.1:{free_port()}"
    unreachable = await check_shop(settings_for(store, api_url=down, api_token=TOKEN))
    assert not unreachable.ok and "ConnectError" in unreachable.detail


async def test_the_doctor_words_the_shop_row_in_the_admins_language(
    store: SqliteStore, shop_url: str
) -> None:
    """A Danish admin's doctor names the back-ends in Danish (``cli.doctor.shop_*``);
    the dialogue's own description, for the logs, stays English."""
    local = await check_shop(settings_for(store, language="da"))
    assert local.ok and local.detail == (
        "den lokale database (ordrer, lager, sager, tilbagekald, sms-udbakke)"
    )
    api = await check_shop(settings_for(store, language="da", api_url=shop_url, api_token=TOKEN))
    assert api.ok and api.detail.startswith(f"Shopify-lignende API {shop_url} (ordrer, lager); ")
    assert "svarer (butikken 'Test Shop ApS')" in api.detail and "local store" not in api.detail
    danish = build_backends(settings_for(store, language="da"), store)
    try:
        assert danish.description.startswith("local store (")
    finally:
        await danish.aclose()
