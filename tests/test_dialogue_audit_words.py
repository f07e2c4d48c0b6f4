"""Two caller phrasings of the audit of December 2026, now understood as the shop means
them (vocabulary: the packs' NLU examples and question openers).

- "Jeg vil gerne vide om det er sendt" ("I want to know if it's been sent") is an
  order-status question: before, "Beklager, det forstod jeg ikke" (read as a yes at
  0.37), and in English a complaint was proposed.
- "Sælger I gavekort?" ("do you sell gift cards?"): the shop's catalogue has no gift
  cards, so it is what "sælger I biler?" is: a question the bot cannot help with, answered
  with what it can do and key 0 for a colleague. Before, the Danish caller was asked
  "Hvilket produkt skal jeg tjekke?" as though they had named none.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.backends.demo_data import DEMO_CALLER
from bot.dialogue.machine import State
from bot.dialogue.prompts import say
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")

IS_IT_SENT = [
    ("da", "jeg vil gerne vide om min ordre er sendt"),
    ("da", "Jeg vil gerne vide, om det er sendt."),
    ("en", "I want to know if it's been sent"),
    ("en", "I'd like to know if my order has been sent"),
]
GIFT_CARDS = [
    ("da", "Sælger I gavekort?"),
    ("da", "kan man købe gavekort hos jer"),
    ("en", "Do you sell gift cards?"),
    ("en", "can I buy a gift card"),
]


@pytest.mark.parametrize(("language", "said"), IS_IT_SENT)
async def test_is_it_sent_asks_for_the_order(language: str, said: str, demo: Backends) -> None:
    d = await call_saying(demo, language, said)
    reply = d.turns[-1].reply
    assert reply.action == "ask_order_number" and d.state is State.ASK_ORDER, reply.text


@pytest.mark.parametrize(("language", "said"), IS_IT_SENT)
async def test_is_it_sent_from_a_known_number_offers_its_order(
    language: str, said: str, demo: Backends
) -> None:
    d = await call_saying(demo, language, said, caller_id=DEMO_CALLER)
    reply = d.turns[-1].reply
    assert d.state is State.OFFER_ORDER, reply.text
    assert "10042" in reply.text.replace(" ", ""), reply.text


@pytest.mark.parametrize(("language", "said"), GIFT_CARDS)
async def test_gift_cards_get_what_the_bot_can_do(language: str, said: str, demo: Backends) -> None:
    d = await call_saying(demo, language, said)
    reply = d.turns[-1].reply
    # Not "which product shall I check?": what the bot can do, and key 0 for a colleague.
    assert reply.action == "out_of_scope" and not reply.transfer, reply.text
    assert reply.text == say("out_of_scope") and d.state is State.MAIN
    assert d.state is not State.ASK_PRODUCT


@pytest.mark.parametrize(
    ("language", "said"),
    [("da", "sælger I høretelefoner?"), ("en", "do you sell headphones?")],
)
async def test_a_product_the_shop_sells_is_still_a_stock_question(
    language: str, said: str, demo: Backends
) -> None:
    d = await call_saying(demo, language, said)
    reply = d.turns[-1].reply
    # The demo shop's headphones, 25 in stock (bot/backends/demo_data.py).
    assert reply.action == "stock" and "headphones" in reply.text, reply.text
