"""The swear words a caller is met with empathy for, per language (the pack's
``grammar.yaml``, ``swear_words``): Danish oaths are heard in a Danish call, as
English ones are in an English call, and ordinary words that merely start the
same way are not."""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.backends.demo_data import DEMO_CALLER
from bot.dialogue.inputs import TextTurn
from bot.dialogue.prompts import say
from bot.dialogue.result import Outcome
from bot.dialogue.swearing import offers_colleague, swears
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "where the hell is my damn parcel"),
        ("en", "this is shit"),
        ("da", "for helvede hvor er min pakke"),
        ("da", "det her er noget lort"),
        ("da", "det er fandeme for dårligt"),
        ("da", "sikke en lorteservice"),
        ("da", "FOR FANDEN da"),
        ("da", "fuck det"),
    ],
)
def test_an_oath_is_heard(language: str, said: str) -> None:
    assert swears(said, language)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "where is my parcel"),
        ("en", "I'd like to pass on a message"),
        ("da", "hvor er min pakke"),
        ("da", "det var skidegodt tak"),
        ("da", "det er sgu fint"),
        ("da", "jeg har bestilt et piskeris"),
        ("da", "kan I ringe mig op i morgen"),
    ],
)
def test_an_ordinary_sentence_is_not(language: str, said: str) -> None:
    assert not swears(said, language)


# -- mid-call: an oath that is no answer is met with empathy and a colleague ---------


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "this is bullshit"),
        ("en", "what a load of bull shit"),
        ("da", "det er noget bullshit"),
    ],
)
def test_bullshit_is_an_oath(language: str, said: str) -> None:
    assert swears(said, language)


def test_only_a_turn_not_understood_offers_a_colleague() -> None:
    assert offers_colleague("yes_unsure") and offers_colleague("reprompt")
    assert not offers_colleague("confirm_complaint") and not offers_colleague("order_status")


@pytest.mark.parametrize(
    ("language", "said", "yes"),
    [
        (
            "en",
            ["where is my order", "yes", "this is bullshit, it was supposed to arrive friday"],
            "yes",
        ),
        (
            "da",
            ["hvor er min pakke", "ja", "det er noget lort, den skulle være kommet fredag"],
            "ja",
        ),
    ],
)
async def test_swearing_at_a_yes_no_question_offers_a_colleague(
    demo: Backends, language: str, said: list[str], yes: str
) -> None:
    d = await call_saying(demo, language, *said, caller_id=DEMO_CALLER)
    offer = d.turns[-1].reply
    assert d.turns[-2].reply.action == "order_status"  # "shall I text you the number?"
    assert offer.action == "upset_offer_colleague"
    assert offer.text.startswith(say("empathy")) and say("yes_unsure") not in offer.text
    taken = await d.handle(TextTurn(yes))
    assert taken.transfer and d.result is not None and d.result.outcome is Outcome.HANDOFF
