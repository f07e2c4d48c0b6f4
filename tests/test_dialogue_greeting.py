"""A greeting at the first turn does not end the call (walk-through, item 2).

The Danish pack taught "hej", "hejsa" and "god dag" as goodbyes, so a caller
who said "hej" heard "Tak, fordi du ringede ... Farvel!" and was hung up on.
The packs have no greeting intent: a greeting is out of scope for the
classifier, and a greeting alone at the first turn (the pack's ``greetings``,
whatever the classifier made of it) gets the greeting's question again with
examples and the keys. A goodbye heard at the first
turn, before anything was done (a misheard greeting, most likely), is asked
about once ("Is there anything I can help you with?") rather than ending the
call; a second one ends it. So is a plain no ("nej tak"); a plain no to "what else
can I help you with?" ends the call. English and Danish, on each pack's fallback
classifier.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue.first_turn import first_turn_prompt, greetings
from bot.dialogue.inputs import TextTurn
from bot.dialogue.machine import Dialogue, DialogueConfig, State
from bot.dialogue.result import Outcome
from bot.nlu.intents import Intent
from bot.types import ParsedIntent
from spillway.language_pack import load_pack
from tests.dialogue_fixtures import NOW, fallback_nlu

GREETINGS = {
    "da": ["hej", "hejsa", "god dag", "goddag", "hallo", "god morgen"],
    "en": ["hi", "hello", "good morning", "hey", "good afternoon"],
}
GOODBYES = {
    "da": ["farvel", "hej så længe", "tak for nu", "det var alt hej"],
    "en": ["goodbye", "bye", "thanks bye"],
}


pytestmark = pytest.mark.usefixtures("english_after")


async def _first_turn(backends: Backends, language: str, said: str) -> Dialogue:
    d = Dialogue(
        fallback_nlu(language),
        backends,
        DialogueConfig(language=language),
        call_id="g1",
        clock=lambda: NOW,
    )
    await d.start()
    await d.handle(TextTurn(said))
    return d


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_greeting_is_no_goodbye(language: str) -> None:
    for said in GREETINGS[language]:
        parsed = await fallback_nlu(language).parse(said)
        assert parsed.name != Intent.GOODBYE, (said, parsed)
    for said in GOODBYES[language]:
        parsed = await fallback_nlu(language).parse(said)
        assert parsed.name == Intent.GOODBYE, (said, parsed)


@pytest.mark.parametrize(
    ("language", "said"), [(lang, said) for lang, words in GREETINGS.items() for said in words]
)
async def test_a_greeting_at_the_first_turn_asks_again_with_the_keys(
    language: str, said: str, demo: Backends
) -> None:
    d = await _first_turn(demo, language, said)
    reply = d.turns[-1].reply
    assert reply.action == "greet_again" and not reply.end_call and not d.ended, reply.text
    # "Hello! How can I help you? For example, ... You can also press 1 ..."
    assert reply.text == load_pack(language).prompts["greet_again"].text
    assert d.result is None and d.state is State.MAIN


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_greeting_is_one_whatever_the_classifier_made_of_it(language: str) -> None:
    words = greetings(language)
    for said in GREETINGS[language]:
        for name in (Intent.GOODBYE, Intent.OUT_OF_SCOPE, None):
            heard = _heard(name, said)
            assert first_turn_prompt(f"{said.capitalize()}!", heard, words) == "greet_again"
    for said in GOODBYES[language]:  # "hej så længe": a goodbye, asked about
        heard = _heard(Intent.GOODBYE, said)
        assert first_turn_prompt(said, heard, words) == "goodbye_first_turn"
    bye = _heard(Intent.GOODBYE, "hej hej")  # a Danish goodbye, not a greeting
    assert first_turn_prompt("hej hej", bye, greetings("da")) == "goodbye_first_turn"
    order = _heard(Intent.ORDER_STATUS, "where is my order")
    assert first_turn_prompt("where is my order", order, words) is None


def _heard(name: str | None, text: str) -> ParsedIntent | None:
    return None if name is None else ParsedIntent(name, 0.97, {}, "test", text)


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_goodbye_at_the_first_turn_is_asked_about_once(
    language: str, demo: Backends
) -> None:
    bye = GOODBYES[language][0]
    d = await _first_turn(demo, language, bye)
    reply = d.turns[-1].reply
    assert reply.action == "goodbye_first_turn" and not reply.end_call and not d.ended
    assert reply.text == load_pack(language).prompts["goodbye_first_turn"].text
    # Said again: the caller meant it.
    reply = await d.handle(TextTurn(bye))
    assert reply.action == "goodbye" and reply.end_call
    assert d.result is not None and d.result.outcome is Outcome.HANGUP


# A plain no to the open question (group 8 of the Danish caller audit): "nej tak" as
# the first words was "Beklager, det forstod jeg ikke"; "nej" to "what else can I help
# you with?" the same.
NOS = {"da": ("nej tak", "nej"), "en": ("no thanks", "no")}
STOCK_THEN_YES = {"da": ("har I headset", "ja"), "en": ("do you have headphones", "yes")}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_plain_no_first_is_asked_about_once_then_ends(
    language: str, demo: Backends
) -> None:
    first, again = NOS[language]
    d = await _first_turn(demo, language, first)
    reply = d.turns[-1].reply
    assert reply.action == "goodbye_first_turn" and not reply.end_call and not d.ended
    reply = await d.handle(TextTurn(again))
    assert reply.action == "goodbye" and reply.end_call
    assert d.result is not None and d.result.outcome is Outcome.HANGUP


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_plain_no_to_what_else_ends_the_call(language: str, demo: Backends) -> None:
    question, yes = STOCK_THEN_YES[language]
    d = await _first_turn(demo, language, question)
    assert d.turns[-1].reply.action == "stock"
    assert (await d.handle(TextTurn(yes))).action == "ask_topic"  # "yes, something else"
    reply = await d.handle(TextTurn(NOS[language][1]))
    assert reply.action == "goodbye" and reply.end_call
    assert d.result is not None and d.result.outcome is Outcome.RESOLVED


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_no_with_a_request_is_the_request(language: str, demo: Backends) -> None:
    # Not a plain no: the words after it are the caller's question.
    said = {"da": "nej, hvor er min pakke", "en": "no, where is my order"}[language]
    d = await _first_turn(demo, language, said)
    assert d.turns[-1].reply.action != "goodbye_first_turn" and not d.ended
