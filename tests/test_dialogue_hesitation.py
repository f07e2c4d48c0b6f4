"""A caller's hesitations ("øh", "altså", "um") are not read by the classifier
(bot/dialogue/hesitation.py): the caller audit of December 2026 heard "øh hej altså jeg
har bestilt noget og det er ikke kommet endnu" answered "Beklager, det forstod jeg ikke"."""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue.hesitation import without_hesitations
from bot.dialogue.machine import State
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")


@pytest.mark.parametrize(
    ("language", "said", "read"),
    [
        ("da", "øh hej altså jeg har bestilt noget", "hej jeg har bestilt noget"),
        ("da", "Øh, altså, hvor er min pakke?", "hvor er min pakke?"),
        ("da", "ordre ti nul fire fire øhm", "ordre ti nul fire fire"),
        ("en", "um so er I ordered a table", "so I ordered a table"),
        ("en", "Uh, where's my order", "where's my order"),
    ],
)
def test_hesitations_are_left_out(language: str, said: str, read: str) -> None:
    assert without_hesitations(said, language) == read


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("da", "jeg vil høre om min ordre er afsendt"),  # "er", a Danish word
        ("da", "hmmelig"),  # part of a word: not a hesitation
        ("en", "I'd like to return the umbrella"),  # "um" inside a word
        ("en", "hermes has my parcel"),
    ],
)
def test_words_that_only_look_like_hesitations_stay(language: str, said: str) -> None:
    assert without_hesitations(said, language) == said


@pytest.mark.parametrize(("language", "said"), [("da", "øhm"), ("da", "øh altså"), ("en", "um")])
def test_a_turn_of_hesitations_alone_is_left_as_it_is(language: str, said: str) -> None:
    assert without_hesitations(said, language) == said


async def test_a_hesitant_danish_order_question_is_understood(demo: Backends) -> None:
    d = await call_saying(
        demo, "da", "øh hej altså jeg har bestilt noget og det er ikke kommet endnu"
    )
    assert d.turns[-1].reply.action == "ask_order_number", d.turns[-1].reply.text
    assert d.state is State.ASK_ORDER


async def test_a_hesitant_yes_is_still_not_a_plain_yes(demo: Backends) -> None:
    # Only the classifier loses the "øh": whether a yes is plain is judged on every word,
    # and a complaint's case needs a plain one (a hesitant one is asked again first).
    d = await call_saying(demo, "da", "mine høretelefoner kom i stykker", "øh ja")
    assert d.turns[0].reply.action == "confirm_complaint", d.turns[0].reply.text
    assert d.case_id is None and not d.ended, d.turns[-1].reply.text
