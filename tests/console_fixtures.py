"""Fixtures and helpers shared by the console's page tests (test_console_language,
test_console_first_use): a scratch database seeded with the console's and the pilot's
history, settings for a shop and console language, and the pages as a logged-in admin
sees them.

tests/conftest.py loads this module as a plugin, so ``console_db`` reaches every test
module by name (no import of a fixture, which ruff would call a redefinition, F811);
the plain helpers are imported.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from starlette.testclient import TestClient

from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.console_seed import seed
from tests.pilot_seed import seed_pilot
from web.users import Role, entry

PASSWORD = "a long test password"
USERS = {"ada": entry(Role.ADMIN, PASSWORD), "sam": entry(Role.SUPERVISOR, PASSWORD)}


def seed_console(store: SqliteStore, now: float) -> None:
    """tests.console_seed's and tests.pilot_seed's history, relative to ``now``, in ``store``."""
    seed(store, now)
    seed_pilot(store, now)


def seeded_store(path: Path) -> Iterator[AsyncStore]:
    """A new database at ``path`` with :func:`seed_console`'s history, for the web
    application, closed after (a module-scoped fixture's body: ``yield from``)."""
    store = SqliteStore(path)
    store.migrate()
    seed_console(store, time.time())
    async_store = AsyncStore(store)
    yield async_store
    async_store.close()
    store.close()


@pytest_asyncio.fixture(loop_scope="session")
async def console_db(store: SqliteStore) -> AsyncIterator[AsyncStore]:
    """The test's scratch database (``store``) with :func:`seed_console`'s history, for
    the web application."""
    seed_console(store, time.time())
    async_store = AsyncStore(store)
    yield async_store
    async_store.close()


def console_settings(shop: str, console: str | None = None) -> Settings:
    """A shop speaking ``shop``, its console ``console`` (None: the shop's), two users."""
    web: dict[str, Any] = {"users": USERS, "session_secret": "s" * 40}
    if console:
        web["language"] = console
    return Settings(shop={"language": shop}, web=web)


async def console_pages(
    settings: Settings, db: AsyncStore, paths: list[str], user: str = "ada"
) -> dict[str, str]:
    """``paths`` as ``user`` (the admin ``ada``; ``sam``, a supervisor) sees them after
    logging in (and ``/login`` before)."""
    from web.app import create_web_app

    transport = httpx.ASGITransport(app=create_web_app(settings, db))
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
        shown = {"/login": (await client.get("/login")).text}
        token = re.search(r'name="csrf_token" value="([^"]+)"', shown["/login"])
        assert token is not None
        data = {"username": user, "password": PASSWORD, "csrf_token": token.group(1)}
        assert (await client.post("/login", data=data)).status_code == 303
        for path in paths:
            answer = await client.get(path)
            assert answer.status_code == 200, (path, answer.text[:300])
            shown[path] = answer.text
        return shown


def logged_in_client(settings: Settings, store: SqliteStore) -> TestClient:
    """Starlette's TestClient on the web application over ``store``, logged in as ``ada``."""
    from web.app import create_web_app

    client = TestClient(create_web_app(settings, AsyncStore(store)), base_url="http://console")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    data = {"username": "ada", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    return client
