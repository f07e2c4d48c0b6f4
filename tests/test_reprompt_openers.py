"""A question asked again does not repeat the words that opened it (the Danish caller
audit of December 2026, group 10).

"Beklager, det forstod jeg ikke. Tak. Det er ordrenummer ..." thanked the caller again
for a number they gave two turns before, and "... Hej! Hvad kan jeg hjælpe med?"
greeted them again in the middle of the call. The pack's ``repeat_skip_openers`` were
dropped only when the caller asked "say that again"; they are dropped where every
question asked again is built (``Dialogue._question``: after silence, words not
understood, an unsure hearing, a request to repeat, a question out of scope).

English and Danish, on each pack's fallback classifier and the demo shop.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import Dtmf, Silence, TextTurn
from bot.dialogue.prompts import say
from bot.dialogue.repeat import without_opener
from bot.nlu.data import grammar_list
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")

LANGUAGES = ["en", "da"]
NONSENSE = {"en": "purple bananas dancing", "da": "lilla bananer der danser"}
HELLO = {"en": "hello", "da": "hej"}


def _opener(text: str, language: str) -> str:
    """The pack's opener ``text`` starts with (AssertionError: none)."""
    found = [o for o in grammar_list(language, "repeat_skip_openers") if text.startswith(o)]
    assert found, text
    return found[0]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("answer", ["silence", "nonsense"])
async def test_the_order_number_asked_again_is_not_thanked_for_again(
    demo: Backends, language: str, answer: str
) -> None:
    d = await call_saying(demo, language, Dtmf("1"))
    question = await d.handle(Dtmf("10042#"))
    thanks = _opener(question.text, language)
    turn = Silence() if answer == "silence" else TextTurn(NONSENSE[language])
    again = await d.handle(turn)
    assert again.action == "reprompt", again
    assert thanks not in again.text, again.text
    assert question.text.removeprefix(thanks).strip() in again.text, again.text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_greeting_asked_again_does_not_say_hello_again(
    demo: Backends, language: str
) -> None:
    d = await call_saying(demo, language)
    greeted = await d.handle(TextTurn(HELLO[language]))
    assert greeted.action == "greet_again", greeted
    hello = _opener(greeted.text, language)
    again = await d.handle(TextTurn(NONSENSE[language]))
    assert again.text.startswith(say("reprompt_not_understood")), again.text
    assert hello not in again.text, again.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_only_an_opener_at_the_start_goes(language: str) -> None:
    for opener in grammar_list(language, "repeat_skip_openers"):
        assert without_opener(f"{opener} Question?", language) == "Question?"
        assert without_opener(f"{opener} {opener} Question?", language) == "Question?"
        # Inside the question it is the question's own.
        assert without_opener(f"Question? {opener}", language) == f"Question? {opener}"
