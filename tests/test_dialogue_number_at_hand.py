"""A caller asked for the order number who says "I don't have it (with me)" is offered
the colleague who can find the order without it (bot/dialogue/number_at_hand.py).

The caller audit of December 2026: "I don't have it", "I don't have it with me" were
read as a complaint below the topic floor, so the caller heard "Sorry, I didn't
understand" and the same question, and was handed over unasked the second time; a
Danish "den har jeg ikke ved hånden" likewise. Only words the classifier happened to
read as a no were offered the colleague.
"""

from __future__ import annotations

import re

import pytest

from bot.backends import Backends
from bot.dialogue.machine import State
from bot.dialogue.number_at_hand import number_not_at_hand
from bot.dialogue.pack_phrases import phrase_choice, said_words
from bot.dialogue.prompts import say
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")

WHERE_IS_MY_ORDER = {"en": "where is my order", "da": "hvor er min ordre"}
YES = {"en": "yes", "da": "ja"}

# Words the old code met with "not understood" (each is a case of the audit).
NOT_AT_HAND = [
    ("en", "I don't have it"),
    ("en", "I don't have it with me."),
    ("en", "Um, no, sorry, I haven't got it on me"),
    ("da", "den har jeg ikke ved hånden"),
    ("da", "Øh, nej, det kan jeg ikke huske"),
    ("da", "jeg har den ikke på mig"),
]


@pytest.mark.parametrize(("language", "said"), NOT_AT_HAND)
def test_i_dont_have_it_is_no_number_to_give(language: str, said: str) -> None:
    assert number_not_at_hand(said, language)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "I don't have it, it never arrived"),  # about the parcel: the classifier's
        ("en", "10042"),
        ("en", "I don't have the blue one"),
        ("da", "den har jeg ikke fået"),  # "I haven't received it": a complaint
        ("da", "ordre 10042"),
    ],
)
def test_words_that_say_more_are_not(language: str, said: str) -> None:
    assert not number_not_at_hand(said, language)


@pytest.mark.parametrize(("language", "said"), NOT_AT_HAND)
async def test_a_caller_without_the_number_to_hand_is_offered_a_colleague(
    language: str, said: str, demo: Backends
) -> None:
    d = await call_saying(demo, language, WHERE_IS_MY_ORDER[language], said)
    offer = d.turns[-1].reply
    # Not "Sorry, I didn't understand" and the question again, nor a complaint started.
    assert offer.action == "no_order_number" and not offer.transfer, offer.text
    assert offer.text == say("no_order_number") and d.state is State.OFFER_HUMAN
    # Nothing is done without the caller's yes; after it, the colleague.
    again = await call_saying(demo, language, WHERE_IS_MY_ORDER[language], said, YES[language])
    assert again.turns[-1].reply.transfer, again.turns[-1].reply.text


@pytest.mark.parametrize("language", ["en", "da"])
def test_pack_phrases_are_one_choice_longest_first(language: str) -> None:
    # "i don't have it with me" must be tried before "i don't have it", or a whole-answer
    # match would stop at the shorter phrase.
    escaped = phrase_choice(language, "number_not_at_hand").split("|")
    choice = [re.sub(r"\\(.)", r"\1", p) for p in escaped]
    assert [len(p) for p in choice] == sorted((len(p) for p in choice), reverse=True)
    assert len(choice) == len(set(choice)) and "" not in choice
    assert said_words("Øh, I DON\u2019T  have it!") == "øh i don't have it"
