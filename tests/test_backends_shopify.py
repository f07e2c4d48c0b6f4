"""The Shopify adapter against a local HTTP server speaking the Admin API's JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from bot.backends.shopify import ShopifyClient, ShopifyInventory, ShopifyOrders
from spillway.errors import BackendError

TOKEN = "shpat_test_token"
ORDERS: list[dict[str, Any]] = [
    {
        "id": 1,
        "name": "#10042",
        "created_at": "2024-06-01T10:00:00+02:00",
        "cancelled_at": None,
        "phone": None,
        "customer": {"id": 77, "phone": "+4520123456"},
        "line_items": [{"title": "wireless headphones"}],
        "fulfillments": [
            {
                "status": "success",
                "tracking_company": "GLS",
                "tracking_number": "00340434161094042",
                "shipment_status": "in_transit",
                "updated_at": "2024-06-02T10:00:00Z",
            }
        ],
    },
    {
        "id": 2,
        "name": "#10046",
        "created_at": "2024-05-20T10:00:00Z",
        "cancelled_at": None,
        "customer": {"id": 77, "phone": "+4520123456"},
        "line_items": [{"title": "leather boots"}],
        "fulfillments": [
            {
                "status": "success",
                "tracking_company": "DAO",
                "tracking_number": "1",
                "shipment_status": "delivered",
                "updated_at": "2024-05-25T12:00:00Z",
            }
        ],
    },
]


class _Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[tuple[str, dict[str, list[str]], str | None]]] = []

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        self.requests.append((url.path, query, self.headers.get("X-Shopify-Access-Token")))
        if self.headers.get("X-Shopify-Access-Token") != TOKEN:
            return self._send(401, {"errors": "[API] Invalid API key or access token"})
        base = "/admin/api/2024-01"
        body: dict[str, Any]
        if url.path == f"{base}/orders.json" and "name" in query:
            body = {"orders": [o for o in ORDERS if o["name"].lstrip("#") == query["name"][0]]}
        elif url.path == f"{base}/orders.json" and "customer_id" in query:
            cid = int(query["customer_id"][0])
            body = {"orders": [o for o in ORDERS if o["customer"]["id"] == cid]}
        elif url.path == f"{base}/customers/search.json":
            phone = query["query"][0].removeprefix("phone:")
            body = {"customers": [{"id": 77}] if phone == "+4520123456" else []}
        elif url.path == f"{base}/products.json":
            title = query["title"][0]
            products = {
                "red kettle": {"id": 5, "title": "Red Kettle", "variants": [
                    {"sku": "KTL-RED-17", "inventory_item_id": 501}]},
                "grey sofa": {"id": 6, "title": "Grey Sofa", "variants": [
                    {"sku": "SOF-GRY-3", "inventory_item_id": 601},
                    {"sku": "SOF-GRY-4", "inventory_item_id": 602}]},
            }  # fmt: skip
            body = {"products": [products[title]] if title in products else []}
        elif url.path == f"{base}/inventory_levels.json":
            ids = query["inventory_item_ids"][0].split(",")
            available = {"501": 0, "601": 1, "602": 2}
            body = {"inventory_levels": [{"available": available[i]} for i in ids]}
        elif url.path == f"{base}/slow.json":
            threading.Event().wait(2)
            body = {}
        else:
            return self._send(404, {"errors": "Not Found"})
        self._send(200, body)

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def shop_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_order_lookup_maps_fulfillment_and_sends_token(shop_url: str) -> None:
    client = ShopifyClient(shop_url, TOKEN, trust_env=False)
    try:
        order = await ShopifyOrders(client).find_order("10042")
        assert order is not None
        assert (order.number, order.status, order.carrier, order.tracking_number) == (
            "10042", "shipped", "GLS", "00340434161094042"
        )  # fmt: skip
        assert order.items == ("wireless headphones",)
        assert order.is_open
        assert await ShopifyOrders(client).find_order("99999") is None
        path, query, token = _Handler.requests[0]
        assert path == "/admin/api/2024-01/orders.json"
        assert query["name"] == ["10042"] and token == TOKEN
    finally:
        await client.aclose()


async def test_orders_for_phone_via_customer_search(shop_url: str) -> None:
    client = ShopifyClient(shop_url, TOKEN, trust_env=False)
    try:
        orders = await ShopifyOrders(client).orders_for_phone("+4520123456")
        assert [o.number for o in orders] == ["10042", "10046"]
        delivered = orders[1]
        assert delivered.status == "delivered" and delivered.delivered_at is not None
        assert await ShopifyOrders(client).orders_for_phone("+4599999999") == []
    finally:
        await client.aclose()


async def test_inventory_sums_levels_over_variants(shop_url: str) -> None:
    client = ShopifyClient(shop_url, TOKEN, trust_env=False)
    try:
        inventory = ShopifyInventory(client)
        sofa = await inventory.find_product("grey sofa")
        kettle = await inventory.find_product("red kettle")
        assert sofa is not None and sofa.stock == 3 and sofa.name == "grey sofa"
        assert kettle is not None and kettle.stock == 0 and kettle.restock_at is None
        assert await inventory.find_product("purple elephant") is None
    finally:
        await client.aclose()


async def test_bad_token_and_timeouts_are_backend_errors(shop_url: str) -> None:
    client = ShopifyClient(shop_url, "wrong", trust_env=False)
    try:
        with pytest.raises(BackendError, match="refused the access token"):
            await ShopifyOrders(client).find_order("10042")
    finally:
        await client.aclose()
    slow = ShopifyClient(shop_url, TOKEN, timeout_s=0.2, trust_env=False)
    try:
        with pytest.raises(BackendError, match="Timeout"):
            await slow.get("/slow.json", {})
    finally:
        await slow.aclose()
    closed = ShopifyClient("http://127.0.0.1:9", TOKEN, timeout_s=1, trust_env=False)
    try:
        with pytest.raises(BackendError, match="ConnectError"):
            await ShopifyOrders(closed).find_order("10042")
    finally:
        await closed.aclose()
