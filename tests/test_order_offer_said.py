"""Which order the bot offers, and how it says where it found it (the Danish caller
audit of December 2026, group 9).

- A caller with no caller id who keyed in order 1 0 0 4 2 and then asked about a return
  heard "Jeg kan se en ordre fra dit nummer": false, the caller had typed it. The order
  the call already talked about is offered in its own words ("Drejer det sig om ordre
  ...?", ``offer_known_order``); "from your number" is kept for an order found from it.
- "Hvor er min vinterjakke" from the demo caller, who has no winter jacket, was offered
  their headphones order (their only open one). A thing named after "my" that the
  classifier may not know (:func:`bot.dialogue.order_choice.said_item`) is matched
  against the caller's own orders, and only an order holding it is offered; else the
  order number is asked for. A stranger naming what is in someone else's order learns
  nothing from it (:mod:`bot.dialogue.disclosure`).

English and Danish, on each pack's fallback classifier and the demo shop (item names
in the pack's language).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.backends import Backends
from bot.backends.demo_data import DEMO_CALLER, seed_demo
from bot.backends.local import local_backends
from bot.dialogue.config import State
from bot.dialogue.inputs import Dtmf, TextTurn
from bot.dialogue.machine import Dialogue
from bot.dialogue.order_choice import said_item
from bot.dialogue.prompts import say, use_language
from spillway.storage import AsyncStore, SqliteStore
from tests.dialogue_fixtures import NOW, call_saying

pytestmark = pytest.mark.usefixtures("english_after")

LANGUAGES = ["en", "da"]
YES = {"en": "yes", "da": "ja"}
RETURN_IT = {"en": "I want to return it", "da": "hvornår kan jeg returnere den"}
WINTER_JACKET = {"en": "where is my winter jacket", "da": "hvor er min vinterjakke"}
HEADPHONES = {"en": "where are my headphones", "da": "hvor er mine høretelefoner"}
RETURN_JACKET = {
    "en": "I want to return my winter jacket",
    "da": "jeg vil returnere min vinterjakke",
}
# The words "from your number" in each pack's offer_order.
FROM_YOUR_NUMBER = {"en": "from your number", "da": "fra dit nummer"}


@pytest_asyncio.fixture
async def shop(store: SqliteStore, request: pytest.FixtureRequest) -> AsyncIterator[Backends]:
    """The demo shop, its items named in the test's ``language``."""
    seed_demo(store, NOW)
    db = AsyncStore(store)
    yield local_backends(db, clock=lambda: NOW, language=request.node.callspec.params["language"])
    db.close()


async def _after_order(backends: Backends, language: str, number: str) -> Dialogue:
    """A caller with no caller id who keyed in ``number``, heard its state, and was
    asked "anything else?"."""
    d = await call_saying(backends, language, Dtmf("1"), Dtmf(f"{number}#"))
    status = await d.handle(Dtmf("1"))
    assert status.action == "order_status_general", status
    await d.handle(TextTurn(YES[language]))
    return d


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_order_keyed_in_is_offered_again_without_from_your_number(
    shop: Backends, language: str
) -> None:
    d = await _after_order(shop, language, "10042")
    offered = await d.handle(TextTurn(RETURN_IT[language]))
    assert d.state is State.OFFER_ORDER, offered
    assert FROM_YOUR_NUMBER[language] not in offered.text, offered.text
    assert say("offer_known_order", order="1 0 0 4 2", items="") in offered.text, offered.text
    # A yes takes it: the return is checked for that order.
    checked = await d.handle(TextTurn(YES[language]))
    assert checked.action.startswith("return_"), checked


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_item_none_of_the_callers_orders_holds_offers_no_order(
    shop: Backends, language: str
) -> None:
    d = await call_saying(shop, language, caller_id=DEMO_CALLER)
    asked = await d.handle(TextTurn(WINTER_JACKET[language]))
    # Not their headphones order, and not the jacket customer's order either.
    assert d.state is State.ASK_ORDER, asked.text
    assert asked.text == say("ask_order_number"), asked.text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_item_one_of_the_callers_orders_holds_offers_that_order(
    shop: Backends, language: str
) -> None:
    d = await call_saying(shop, language, caller_id=DEMO_CALLER)
    offered = await d.handle(TextTurn(HEADPHONES[language]))
    assert d.state is State.OFFER_ORDER, offered.text
    assert "1 0 0 4 2" in offered.text and FROM_YOUR_NUMBER[language] in offered.text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_stranger_naming_the_item_of_an_order_they_keyed_in_learns_nothing(
    shop: Backends, language: str
) -> None:
    """10045 holds the jacket customer's winter jacket; a caller with no caller id who
    keyed it in and names a winter jacket is not told it is in there (nor that it is not):
    the order number is asked for, as for any item."""
    d = await _after_order(shop, language, "10045")
    asked = await d.handle(TextTurn(RETURN_JACKET[language]))
    assert d.state is State.ASK_ORDER, asked.text
    assert "1 0 0 4 5" not in asked.text, asked.text


@pytest.mark.parametrize(
    ("language", "said", "item"),
    [
        ("da", "hvor er min vinterjakke", "vinterjakke"),
        ("da", "hvor er min nye sofa", "sofa"),
        ("da", "hvor er min pakke", ""),
        ("da", "jeg vil returnere min sidste ordre", ""),
        ("da", "hvor bliver mine varer af", ""),
        ("da", "jeg har ikke fået noget", ""),
        ("en", "where is my winter jacket", "winter"),
        ("en", "where's my new sofa", "sofa"),
        ("en", "where is my parcel", ""),
        ("en", "I want my money back", ""),
        ("en", "my last order is late", ""),
    ],
)
def test_the_item_a_caller_names_after_my(language: str, said: str, item: str) -> None:
    use_language(language)
    assert said_item(said, language) == item
