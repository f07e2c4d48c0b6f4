"""Wording from the caller audit, in English and Danish: the stock count said as a
sentence ("We have 3 in stock", not "in stock: 3"), an order's items with an article,
one apology when an unknown order number is asked for again, and the colleague key
offered there as at the other prompts.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue.prompts import say
from bot.dialogue.repeat import one_apology
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")


@pytest.mark.parametrize(
    ("language", "opener", "question", "heard"),
    [
        (
            "en",
            "Sorry, I didn't understand.",
            "Sorry, I couldn't find it.",
            "Sorry, I didn't understand. I couldn't find it.",
        ),
        (
            "en",
            "Sorry, I didn't understand.",
            "Which product?",
            "Sorry, I didn't understand. Which product?",
        ),
        (
            "da",
            "Beklager, det forstod jeg ikke.",
            "Beklager, jeg kunne ikke finde den.",
            "Beklager, det forstod jeg ikke. Jeg kunne ikke finde den.",
        ),
    ],
)
def test_one_apology(language: str, opener: str, question: str, heard: str) -> None:
    assert one_apology(opener, question, language) == heard


@pytest.mark.parametrize(
    ("language", "said", "apology"),
    [("en", ["10099", "yes", "yes"], "Sorry"), ("da", ["10099", "ja", "ja"], "Beklager")],
)
async def test_an_unknown_order_asked_again_apologises_once_and_offers_a_colleague(
    demo: Backends, language: str, said: list[str], apology: str
) -> None:
    d = await call_saying(demo, language, *said)
    not_found, again = d.turns[-2].reply, d.turns[-1].reply
    assert not_found.action == "order_not_found" and "0" in not_found.text
    assert again.action == "reprompt"
    assert again.text.count(apology) == 1 and "1 0 0 9 9" in again.text


@pytest.mark.parametrize(
    ("language", "said", "count"),
    [
        ("en", "are the wireless headphones in stock", "We have 25 in stock."),
        # Danish said it as a sentence already ("... på lager. Der er 25."): kept.
        ("da", "har I trådløse høretelefoner på lager", "på lager. Der er 25."),
    ],
)
async def test_the_stock_count_is_a_sentence(
    demo: Backends, language: str, said: str, count: str
) -> None:
    d = await call_saying(demo, language, said)
    reply = d.turns[-1].reply
    assert reply.action == "stock" and count in reply.text
    assert ": 25" not in reply.text


async def test_an_order_item_has_its_article_in_english(demo: Backends) -> None:
    # The order's own customer (only they hear its items: bot/dialogue/disclosure.py).
    d = await call_saying(
        demo, "en", "I want to return something", "10046", "yes", caller_id="+4520123456"
    )
    assert "Order 1 0 0 4 6 with the leather boots was delivered" in d.turns[-1].reply.text
    assert say("order_items", items="x") == " with the x"
