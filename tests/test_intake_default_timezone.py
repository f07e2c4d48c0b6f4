"""Requests the bot and the DTMF menu record take `callbacks.default_timezone`.

A number with several zones that its digits do not settle (an Australian mobile)
is called in the shop's configured zone when that is one of them. The API, the
CSV import and the spool always passed the setting; the bot and the controller
recorded with the built-in default (Europe/Copenhagen), so such a customer was
put in the country's most populous zone instead of the shop's own.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agi.call_log import CallLog
from agi.controller import CallController, LiveCall
from agi.fastagi import FastAgiServer
from bot.backends import CallbackRequest
from bot.backends.choice import build_backends
from spillway.call import CallContext, Route
from spillway.phone import timezone_for
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore

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


async def _callback_step(port: int, uniqueid: str, caller: str) -> None:
    """The dialplan's callback step over FastAGI; every command answered 200."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"agi_network_script: callback\nagi_uniqueid: {uniqueid}\n"
        f"agi_callerid: {caller}\nagi_channel: Local/x\n\n".encode()
    )
    while await asyncio.wait_for(reader.readline(), 5):
        writer.write(b"200 result=1\n")
        await writer.drain()
    writer.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_the_menus_callback_is_recorded_in_the_shops_zone(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "menu.db")
    store.migrate()
    astore = AsyncStore(store)
    log = CallLog(astore)
    controller = CallController(SETTINGS, astore, log, None)
    server = FastAgiServer()
    controller.install(server)
    await server.start("127.0.0.1", 0)
    try:
        await log.start("5000.1", caller=MOBILE, channel="Local/x", transport="websocket")
        controller.calls["5000.1"] = LiveCall(
            CallContext("5000.1", MOBILE), last_route=Route.CALLBACK
        )
        await _callback_step(server.port, "5000.1", MOBILE)
        [row] = store.query("SELECT phone, source, timezone FROM callback_requests")
        assert (row["phone"], row["source"], row["timezone"]) == (MOBILE, "menu", PERTH)
    finally:
        await server.close()
        await log.flush()
        astore.close()
        store.close()
