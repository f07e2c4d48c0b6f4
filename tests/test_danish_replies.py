"""Danish replies: the dialogue in the Danish pack over the demo shop, whose products and
order lines have Danish names beside the English ones (one database, both packs).

Driven by keys and a stand-in parser, so it tests the replies, not the Danish NLU.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
import typer
from typer.testing import CliRunner

from bot.backends import Backends
from bot.backends.demo_data import DAY_S, DEMO_CALLER, seed_demo
from bot.backends.local import local_backends
from bot.dialogue import prompts
from bot.dialogue.inputs import Dtmf, TextTurn
from bot.dialogue.machine import Dialogue, DialogueConfig
from bot.dialogue.phrasing import Calendar, hour_text, spell_digits
from bot.types import ParsedIntent
from cli.commands import chat, demo_seed
from spillway.storage import AsyncStore, SqliteStore

# Thursday 3 December 2026, 10:00 in Copenhagen.
NOW = datetime(2026, 12, 3, 10, tzinfo=ZoneInfo("Europe/Copenhagen")).timestamp()


class ProductParser:
    """Every utterance is a stock question about what was said."""

    async def parse(self, text: str) -> ParsedIntent:
        return ParsedIntent("stock_check", 0.99, {"product": text}, engine="test", text=text)


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    prompts.use_language("en")


@pytest_asyncio.fixture
async def db(store: SqliteStore) -> AsyncIterator[AsyncStore]:
    seed_demo(store, NOW)
    db = AsyncStore(store)
    yield db
    db.close()


def _dialogue(backends: Backends, language: str = "da") -> Dialogue:
    return Dialogue(
        ProductParser(),
        backends,
        DialogueConfig(language=language),
        caller_id=DEMO_CALLER,
        call_id="da1",
        clock=lambda: NOW,
    )


async def test_greeting_and_order_status_in_danish(db: AsyncStore) -> None:
    d = _dialogue(local_backends(db, clock=lambda: NOW, language="da"))
    greeting = await d.start()
    assert greeting.text.startswith("Hej, du har ringet til Spillway Demo Shop.")
    # The caller's own order (its number is the caller's): its items are said.
    confirm = await d.handle(Dtmf("10046#"))
    assert confirm.text == "Tak. Det er ordrenummer 1 0 0 4 6. Er det rigtigt?"
    assert (await d.handle(Dtmf("1"))).action == "order_status"
    text = d.turns[-1].reply.text
    # Order number digit by digit, the line's Danish name, the date the Danish way.
    assert text.startswith(
        "Tak. Ordre 1 0 0 4 6 med læderstøvler blev leveret for 5 dage siden, "
        "lørdag den 28. november."
    ), text


async def test_tracking_number_read_in_groups(db: AsyncStore) -> None:
    d = _dialogue(local_backends(db, clock=lambda: NOW, language="da"))
    await d.start()
    await d.handle(Dtmf("10042#"))
    await d.handle(Dtmf("1"))
    shipped = d.turns[-1].reply.text
    assert "trådløse høretelefoner er sendt med GLS." in shipped
    assert "Den ventes leveret i morgen, fredag den 4. december." in shipped
    assert "Skal jeg sende det til dig på sms?" in shipped
    await d.handle(Dtmf("2"))  # no: read it out
    assert d.turns[-1].reply.text.startswith(
        "Trackingnummeret er 0 0 3 4, 0 4 3 4, 1 6 1, 0 9 4, 0 4 2."
    )


async def test_stock_by_danish_name(db: AsyncStore) -> None:
    d = _dialogue(local_backends(db, clock=lambda: NOW, language="da"))
    await d.start()
    await d.handle(Dtmf("2"))
    reply = await d.handle(TextTurn("elkedel"))
    assert reply.text.startswith(
        "Beklager, men rød elkedel, det er vi udsolgt af. Vi regner med at få varen hjem igen "
        "om 7 dage, torsdag den 10. december."
    ), reply.text
    await d.handle(Dtmf("2"))
    reply = await d.handle(TextTurn("grå sofa"))
    in_stock = "Ja, grå sofa, det har vi på lager. Der er én tilbage."
    assert reply.text.startswith(in_stock), reply.text


async def test_one_database_serves_both_packs(db: AsyncStore) -> None:
    english = local_backends(db, clock=lambda: NOW)
    danish = local_backends(db, clock=lambda: NOW, language="da")
    order_en = await english.orders.find_order("10044")
    order_da = await danish.orders.find_order("10044")
    assert order_en is not None and order_en.items == ("running shoes size 42",)
    assert order_da is not None and order_da.items == ("løbesko str. 42",)
    for name in ("spisebord i egetræ", "oak dining table", "spisebord"):
        product = await danish.inventory.find_product(name)
        assert product is not None and product.name == "spisebord i egetræ", name
    product = await english.inventory.find_product("kettle")
    assert product is not None and product.name == "red kettle"
    headphones = [o for o in await danish.orders.orders_for_phone(DEMO_CALLER)]
    assert {o.items for o in headphones} == {("trådløse høretelefoner",), ("læderstøvler",)}


def test_danish_reading_of_dates_hours_and_numbers() -> None:
    prompts.use_language("da")
    cal = Calendar(ZoneInfo("Europe/Copenhagen"), lambda: NOW)
    assert cal.when(NOW - 5 * DAY_S) == "for 5 dage siden, lørdag den 28. november"
    assert cal.when(NOW + 8 * DAY_S) == "fredag den 11. december"
    assert hour_text(14) == "fjorten" and hour_text(9.5) == "ni 30"
    assert spell_digits("10042") == "1 0 0 4 2"
    prompts.use_language("en")
    assert cal.when(NOW + 8 * DAY_S) == "on Friday 11 December"
    assert hour_text(14) == "two" and hour_text(9.5) == "nine 30"


def test_spillway_chat_language_da(tmp_path: Path) -> None:
    """`spillway demo seed` then `spillway chat --language da --script`: Danish replies."""
    app = typer.Typer()
    app.command("chat")(chat.chat)
    app.command("seed")(demo_seed.seed)
    env = {"SPILLWAY_STORAGE__SQLITE_PATH": str(tmp_path / "shop.db")}
    runner = CliRunner()
    assert runner.invoke(app, ["seed"], env=env, catch_exceptions=False).exit_code == 0
    script = tmp_path / "da.txt"
    script.write_text("<dtmf 10046#>\n<dtmf 1>\n")
    # From the number on order 10046: its items are said (bot/dialogue/disclosure.py).
    args = ["chat", "--script", str(script), "--json", "--nlu", "fallback"]
    args += ["--caller-id", DEMO_CALLER, "--language", "da"]
    result = runner.invoke(app, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert records[0]["bot"] == "Tak. Det er ordrenummer 1 0 0 4 6. Er det rigtigt?"
    assert records[1]["bot"].startswith(
        "Tak. Ordre 1 0 0 4 6 med læderstøvler blev leveret for 5 dage"
    )
    english = runner.invoke(app, args[:-2], env=env, catch_exceptions=False)
    assert (
        json.loads(english.stdout)[0]["bot"]
        == "Thank you. That's order number 1 0 0 4 6. Is that right?"
    )
