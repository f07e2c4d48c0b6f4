"""The callback API in-process: an httpx client over :func:`web.callbacks_api.create_app`,
for the tests of its doors (no socket, no server)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from web.callbacks_api import create_app


@contextlib.asynccontextmanager
async def api_client(settings: Settings, store: SqliteStore) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the API with ``settings`` over ``store``; its worker closed after."""
    db = AsyncStore(store)
    transport = httpx.ASGITransport(app=create_app(settings, db))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client
    finally:
        db.close()
