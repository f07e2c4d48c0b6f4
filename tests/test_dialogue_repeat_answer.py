""" "Repeat that" repeats the answer the caller missed, then the question (en and da).

The caller audit: "repeat that" after the tracking number was read out, or after
the stock answer, heard only "Of course. Is there anything else ...?", and "what?"
to "Thank you. That's order number ..." read the thanks again. The pure choice is
:func:`bot.dialogue.repeat.repeated`; the calls run on each pack's classifier over
the demo shop.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.backends.demo_data import DEMO_CALLER
from bot.dialogue.prompts import say, use_language
from bot.dialogue.repeat import repeated
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")

TRACKING = "0 0 3 4, 0 4 3 4, 1 6 1, 0 9 4, 0 4 2"  # order 10042's, read in groups


@pytest.mark.parametrize(
    ("language", "answer", "question", "heard"),
    [
        (
            "en",
            "The tracking number is 1 2 3. ",
            "Anything else?",
            "The tracking number is 1 2 3. Anything else?",
        ),
        (
            "en",
            "",
            "Thank you. That's order number 1 0. Is that right?",
            "That's order number 1 0. Is that right?",
        ),
        (
            "da",
            "",
            "Tak. Det er ordrenummer 1 0. Er det rigtigt?",
            "Det er ordrenummer 1 0. Er det rigtigt?",
        ),
        ("da", "Vi har 3 på lager. ", "Andet?", "Vi har 3 på lager. Andet?"),
    ],
)
def test_the_answer_then_the_question_without_the_thanks(
    language: str, answer: str, question: str, heard: str
) -> None:
    assert repeated(answer, question, language) == heard


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", ["where is my order", "yes", "no", "repeat that"]),
        ("en", ["where is my order", "yes", "no", "sorry, can you say that again"]),
        ("da", ["hvor er min pakke", "ja", "nej", "kan du gentage det"]),
    ],
)
async def test_repeat_after_the_tracking_number_reads_it_again(
    demo: Backends, language: str, said: list[str]
) -> None:
    d = await call_saying(demo, language, *said, caller_id=DEMO_CALLER)
    read, again = d.turns[-2].reply, d.turns[-1].reply
    assert read.action == "tracking_read" and again.action == "repeat"
    assert TRACKING in again.text
    assert again.text.endswith(say("anything_else"))


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", ["is the red kettle in stock", "sorry, can you say that again"]),
        ("da", ["har I den røde elkedel på lager", "undskyld, kan du sige det igen"]),
    ],
)
async def test_repeat_after_the_stock_answer_says_it_again(
    demo: Backends, language: str, said: list[str]
) -> None:
    d = await call_saying(demo, language, *said, caller_id=DEMO_CALLER)
    stock, again = d.turns[-2].reply, d.turns[-1].reply
    assert stock.action == "stock" and again.action == "repeat"
    answer = stock.text.removesuffix(say("anything_else"))
    assert answer.strip() and answer in again.text
    assert again.text.endswith(say("anything_else"))


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", ["where's my order", "no", "10043", "what?"]),
        ("da", ["hvor er min pakke", "nej", "10043", "hvad?"]),
    ],
)
async def test_what_at_the_order_number_does_not_thank_again(
    demo: Backends, language: str, said: list[str]
) -> None:
    d = await call_saying(demo, language, *said, caller_id=DEMO_CALLER)
    use_language(language)
    thanks = say("confirm_order_number", order="X").split("X")[0]  # "Thank you. That's ..."
    opener = thanks.split(". ")[0] + "."
    again = d.turns[-1].reply
    assert again.action == "repeat" and "1 0 0 4 3" in again.text
    assert opener not in again.text


@pytest.mark.parametrize(("language", "what"), [("en", "what?"), ("da", "hvad?")])
async def test_what_after_the_greeting_repeats_its_options(
    demo: Backends, language: str, what: str
) -> None:
    d = await call_saying(demo, language, what)
    assert d.turns[-1].reply.action == "repeat"
    assert say("greet_reprompt") in d.turns[-1].reply.text
