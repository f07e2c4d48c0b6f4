"""Requests the bot and the DTMF menu record take `callbacks.default_timezone`.

A number with several zones that its digits do not settle (an Australian mobile)
is called in the shop's configured zone when that is one of them. The API, the
CSV import and the spool always passed the setting; the bot and the controller
recorded with the built-in default (Europe/Copenhagen), so such a customer was
put in the country's most populous zone instead of the shop's own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agi.controller import LiveCall
from bot.backends import CallbackRequest
from bot.backends.choice import build_backends
from spillway.call import CallContext, Route
from spillway.phone import timezone_for
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.fastagi_peer import agi_request, controller_serving

MOBILE = "+61412345678"  # an Australian mobile: eight zones, Perth among them
PERTH = "Australia/Perth"
SETTINGS = Settings(shop={"country": "AU"}, callbacks={"default_timezone": PERTH})


def test_the_number_alone_would_not_be_put_in_perth() -> None:
    # Without the shop's zone the number goes to the most populous one: the test
    # below can only pass when the setting reaches intake.
    assert timezone_for(MOBILE, "Europe/Copenhagen") != PERTH
    assert timezone_for(MOBILE, PERTH) == PERTH


@pytest.mark.asyncio(loop_scope="session")
async def test_the_bots_callback_is_recorded_in_the_shops_zone(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "bot.db")
    store.migrate()
    backends = build_backends(SETTINGS, store)
    try:
        await backends.callbacks.request_callback(CallbackRequest(MOBILE, "order", "c-1"))
        [row] = store.query("SELECT phone, timezone FROM callback_requests")
        assert (row["phone"], row["timezone"]) == (MOBILE, PERTH)
    finally:
        await backends.aclose()
        store.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_the_menus_callback_is_recorded_in_the_shops_zone(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "menu.db")
    store.migrate()
    try:
        async with controller_serving(SETTINGS, store) as serving:
            await serving.log.start(
                "5000.1", caller=MOBILE, channel="Local/x", transport="websocket"
            )
            serving.controller.calls["5000.1"] = LiveCall(
                CallContext("5000.1", MOBILE), last_route=Route.CALLBACK
            )
            await agi_request(serving.port, "callback", "5000.1", caller_id=MOBILE)
        [row] = store.query("SELECT phone, source, timezone FROM callback_requests")
        assert (row["phone"], row["source"], row["timezone"]) == (MOBILE, "menu", PERTH)
    finally:
        store.close()
