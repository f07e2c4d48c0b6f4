"""A product the shop does not sell: said so in the caller's words, the closest products
offered (a yes checks the one offered), never "which product?" again and again
(bot/dialogue/stock.py, bot/dialogue/stock_words.py), in English and Danish."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.backends import Backends
from bot.backends.demo_data import seed_demo
from bot.backends.local import local_backends
from bot.dialogue.prompts import say
from bot.dialogue.stock_words import closest_products, product_words
from spillway.storage import AsyncStore, SqliteStore
from tests.dialogue_fixtures import NOW, call_saying

pytestmark = pytest.mark.usefixtures("english_after")

LANGUAGES = ["en", "da"]
NAMES = {
    "en": ["oak dining table", "red kettle", "grey sofa", "wireless headphones"],
    "da": ["egetræs spisebord", "rød elkedel", "grå sofa", "trådløse høretelefoner"],
}
# language -> (question, the product's words in it)
BLUE_LAMP = {
    "en": ("is the blue lamp in stock", "blue lamp"),
    "da": ("har I den blå lampe på lager", "blå lampe"),
}
MISSPELT = {"en": ("hedphones", "wireless headphones"), "da": ("høretlefoner", "høretelefoner")}
YES = {"en": "yes", "da": "ja"}


@pytest_asyncio.fixture(params=LANGUAGES)
async def shop(request: pytest.FixtureRequest, store: SqliteStore) -> AsyncIterator[Backends]:
    """The demo shop, its products named in the test's language."""
    seed_demo(store, NOW)
    db = AsyncStore(store)
    yield local_backends(db, clock=lambda: NOW, language=request.param)
    db.close()


@pytest.mark.parametrize(
    ("language", "said", "words"),
    [
        ("en", "is the blue lamp in stock", "blue lamp"),
        ("en", "how many tables have you got", "tables"),
        ("en", "do you have any sofas", "sofas"),
        ("da", "har I den blå lampe på lager", "blå lampe"),
        ("da", "hvor mange borde har I", "borde"),
        ("da", "har I nogen sofaer", "sofaer"),
    ],
)
def test_the_stock_question_words_leave_the_product(language: str, said: str, words: str) -> None:
    assert product_words(said, language) == words
    assert (
        product_words("is it in stock" if language == "en" else "er den på lager", language) is None
    )


@pytest.mark.parametrize(
    ("language", "wanted", "closest"),
    [
        ("en", "hedphones", ["wireless headphones"]),
        ("en", "tables", ["oak dining table"]),
        ("en", "sofas", ["grey sofa"]),
        ("en", "blue lamp", []),
        ("en", "purple umbrellas", []),
        ("da", "høretlefoner", ["trådløse høretelefoner"]),
        ("da", "borde", ["egetræs spisebord"]),
        ("da", "sofaer", ["grå sofa"]),
        ("da", "blå lampe", []),
    ],
)
def test_the_closest_products_match_loosely(language: str, wanted: str, closest: list[str]) -> None:
    assert closest_products(wanted, NAMES[language]) == closest


async def test_a_product_not_sold_is_said_so_and_never_asked_for_again(shop: Backends) -> None:
    language = "da" if "grå sofa" in await shop.inventory.product_names() else "en"
    question, words = BLUE_LAMP[language]
    d = await call_saying(shop, language, question, words)
    first, second = (t.reply for t in d.turns[-2:])
    for reply in (first, second):
        assert reply.action == "product_not_found", reply
        assert words in reply.text and say("ask_product") not in reply.text
        assert say("reprompt_not_understood") not in reply.text
    assert "0" in first.text  # a colleague, a key away


async def test_a_misspelt_product_is_offered_and_a_yes_checks_it(shop: Backends) -> None:
    language = "da" if "grå sofa" in await shop.inventory.product_names() else "en"
    misspelt, closest = MISSPELT[language]
    d = await call_saying(shop, language, BLUE_LAMP[language][0], misspelt)
    offer = d.turns[-1].reply
    assert offer.action == "product_not_found" and closest in offer.text, offer
    checked = await call_saying(shop, language, BLUE_LAMP[language][0], misspelt, YES[language])
    answer = checked.turns[-1].reply
    assert answer.action == "stock" and closest in answer.text, answer
