"""Orders and stock from a Shopify-style REST Admin API (version 2024-01).

Orders: ``GET /admin/api/2024-01/orders.json?name=<number>&status=any``; the
status comes from cancellation and the fulfillments (tracking company, number
and shipment status). Orders for a caller: ``customers/search.json`` by phone,
then ``orders.json?customer_id=``. Stock: ``products.json?title=`` and
``inventory_levels.json`` for the variants' inventory items (Shopify has no
restock date, so ``restock_at`` stays None). Every request carries the
``X-Shopify-Access-Token`` header and a timeout; failures are BackendError.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from bot.backends import Order, Product
from spillway.errors import BackendError

API_VERSION = "2024-01"


def _ts(value: Any) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def order_from_json(data: dict[str, Any]) -> Order:
    """A Shopify order object as an :class:`Order` (pure; no I/O)."""
    fulfillments = [f for f in data.get("fulfillments") or [] if f.get("status") != "cancelled"]
    latest = fulfillments[-1] if fulfillments else {}
    if data.get("cancelled_at"):
        status = "cancelled"
    elif latest.get("shipment_status") == "delivered":
        status = "delivered"
    elif fulfillments:
        status = "shipped"
    else:
        status = "packing"
    customer = data.get("customer") or {}
    return Order(
        number=str(data.get("name", "")).lstrip("#"),
        status=status,
        items=tuple(str(line.get("title", "")) for line in data.get("line_items") or []),
        customer_phone=data.get("phone") or customer.get("phone"),
        carrier=latest.get("tracking_company"),
        tracking_number=latest.get("tracking_number"),
        created_at=_ts(data.get("created_at")),
        expected_delivery_at=_ts(latest.get("estimated_delivery_at")),
        delivered_at=_ts(latest.get("updated_at")) if status == "delivered" else None,
    )


class ShopifyClient:
    """The HTTP side: base URL, token header, timeouts, error mapping."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 5.0,
        trust_env: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=f"{self.base_url}/admin/api/{API_VERSION}",
            headers={"X-Shopify-Access-Token": token, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout_s),
            trust_env=trust_env,
        )

    async def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        try:
            response = await self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise BackendError(
                f"shop API {self.base_url}: {type(exc).__name__}: {exc}".rstrip(": ")
            ) from exc
        if response.status_code in (401, 403):
            raise BackendError(
                f"shop API {self.base_url} refused the access token ({response.status_code})",
                hint="check shop.api_token (SPILLWAY_SHOP__API_TOKEN)",
            )
        if not response.is_success:
            raise BackendError(f"shop API {path} answered {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise BackendError(f"shop API {path} sent invalid JSON") from exc
        if not isinstance(body, dict):
            raise BackendError(f"shop API {path} sent {type(body).__name__}, expected an object")
        return body

    async def aclose(self) -> None:
        await self._http.aclose()


class ShopifyOrders:
    """``OrderBackend`` over the Admin API."""

    def __init__(self, client: ShopifyClient) -> None:
        self._client = client

    async def find_order(self, number: str) -> Order | None:
        body = await self._client.get("/orders.json", {"name": number, "status": "any"})
        for data in body.get("orders") or []:
            order = order_from_json(data)
            if order.number == number:
                return order
        return None

    async def orders_for_phone(self, phone: str) -> list[Order]:
        body = await self._client.get("/customers/search.json", {"query": f"phone:{phone}"})
        customers = body.get("customers") or []
        if not customers:
            return []
        orders = await self._client.get(
            "/orders.json", {"customer_id": str(customers[0]["id"]), "status": "any"}
        )
        found = [order_from_json(d) for d in orders.get("orders") or []]
        return sorted(found, key=lambda o: o.created_at or 0.0, reverse=True)


class ShopifyInventory:
    """``InventoryBackend`` over the Admin API: available units summed over locations."""

    def __init__(self, client: ShopifyClient) -> None:
        self._client = client

    async def find_product(self, name: str) -> Product | None:
        body = await self._client.get("/products.json", {"title": name})
        products = body.get("products") or []
        if len(products) != 1:
            return None
        product = products[0]
        variants = product.get("variants") or []
        item_ids = [str(v["inventory_item_id"]) for v in variants if v.get("inventory_item_id")]
        stock = 0
        if item_ids:
            levels = await self._client.get(
                "/inventory_levels.json", {"inventory_item_ids": ",".join(item_ids)}
            )
            stock = sum(
                int(lv.get("available") or 0) for lv in levels.get("inventory_levels") or []
            )
        sku = str(variants[0].get("sku") or product.get("id")) if variants else str(product["id"])
        return Product(sku=sku, name=str(product.get("title", name)).lower(), stock=stock)

    async def product_names(self) -> list[str]:
        # The first page (up to 250), titles only: enough to offer the closest few.
        body = await self._client.get("/products.json", {"fields": "title", "limit": "250"})
        return [str(p["title"]).lower() for p in body.get("products") or [] if p.get("title")]
