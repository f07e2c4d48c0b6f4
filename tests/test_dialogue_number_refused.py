"""A number the bot cannot call back: the caller hears why and what to do, never a bare
"Sorry, I didn't understand".

A caller from a British number asked for a callback, or typed ``12345#`` or
``00442079460958#``: the bot said "Sorry, I didn't understand. Please type your
phone number…" three times, then handed over, and nobody learnt why. Now the
bot names the reason (the number they call from is abroad, too short, not a
number, a kind never called) and where the shop calls ("in Denmark"), asks again
with the key for a colleague, and after the third such number puts them through
saying why. English and Danish, over the demo shop without sockets.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue.config import State
from bot.dialogue.inputs import Dtmf, TextTurn
from bot.dialogue.machine import Dialogue, DialogueConfig
from bot.dialogue.prompts import say, use_language
from bot.dialogue.result import Outcome
from bot.dialogue.time_examples import examples_sentence
from spillway.phone_problem import NumberProblem, number_problem
from spillway.storage import SqliteStore
from tests import callback_dialogue_fixtures as fx
from tests.callback_dialogue_fixtures import demo_now, demo_rules  # noqa: F401
from tests.dialogue_fixtures import fallback_nlu

pytestmark = pytest.mark.usefixtures("english_after")

BRITISH = "+447946000958"
# Where the default shop (Denmark only) calls, and the question that follows a refusal.
IN_DENMARK = {"en": "in Denmark", "da": "i Danmark"}
ASK = {
    "en": "Please type a phone number in Denmark on the keypad, followed by the hash key, "
    "or press 0 to talk to a colleague.",
    "da": "Tast et telefonnummer i Danmark, og afslut med firkant. "
    "Eller tryk 0 for at tale med en kollega.",
}
# Never said to a caller whose number was refused: the old reprompt, or a promise.
NOT_SAID = {
    "en": ("didn't understand", "We'll call you back"),
    "da": ("forstod ikke", "Vi ringer dig op på"),
}


async def _call(
    backends: Backends, language: str, caller: str, allowed: tuple[str, ...] = ()
) -> Dialogue:
    config = DialogueConfig(language=language, calling_rules=fx.RULES, allowed_countries=allowed)
    d = Dialogue(
        fallback_nlu(language), backends, config, caller_id=caller, clock=lambda: fx.MONDAY
    )
    await d.start()
    return d


def _rows(store: SqliteStore) -> list[str]:
    return [r["phone"] for r in store.query("SELECT phone FROM callback_requests ORDER BY id")]


def _never_the_old_words(text: str, language: str) -> None:
    for words in NOT_SAID[language]:
        assert words not in text, text


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("12345", NumberProblem.TOO_SHORT),
        ("12", NumberProblem.TOO_SHORT),
        ("123456789012345", NumberProblem.TOO_LONG),
        ("00442079460958", NumberProblem.ABROAD),
        (BRITISH, NumberProblem.ABROAD),
        ("442079460958", NumberProblem.ABROAD),  # Asterisk's caller ID without its +
        ("90123456", NumberProblem.KIND),  # a Danish premium-rate number
        ("80201234", NumberProblem.KIND),  # a Danish freephone number
        ("abc", NumberProblem.NOT_A_NUMBER),
        ("20123456", None),
        ("+4520123456", None),
    ],
)
def test_the_reason_a_caller_can_act_on(number: str, problem: NumberProblem | None) -> None:
    assert number_problem(number, "DK") is problem


def test_a_country_callbacks_dial_is_not_abroad() -> None:
    assert number_problem("0046701234567", "DK") is NumberProblem.ABROAD
    assert number_problem("0046701234567", "DK", allowed_countries=("DK", "SE")) is None


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_caller_from_abroad_hears_why_and_types_a_danish_number(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await _call(demo, language, BRITISH)
    asked = await d.handle(TextTurn(fx.ASK_CALLBACK[language]))
    use_language(language)
    why = say("caller_phone_abroad", countries=IN_DENMARK[language])
    assert asked.text == f"{why} {ASK[language]}", asked.text
    assert not asked.transfer and d.state is State.ASK_PHONE
    _never_the_old_words(asked.text, language)
    # A Danish number typed: the callback is on it.
    confirmed = await d.handle(Dtmf("20123456#"))
    assert confirmed.action == "callback_confirm" and fx.PHONE in confirmed.text
    assert _rows(store) == ["+4520123456"]


@pytest.mark.parametrize("language", ["en", "da"])
async def test_each_number_typed_that_cannot_be_called_is_told_why_then_a_colleague(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await _call(demo, language, BRITISH)
    await d.handle(TextTurn(fx.ASK_CALLBACK[language]))
    use_language(language)
    short = await d.handle(Dtmf("12345#"))
    assert short.text == f"{say('phone_too_short')} {ASK[language]}", short.text
    abroad = await d.handle(Dtmf("00442079460958#"))
    where = say("phone_abroad", countries=IN_DENMARK[language])
    assert abroad.text == f"{where} {ASK[language]}", abroad.text
    assert IN_DENMARK[language] in where
    for reply in (short, abroad):
        assert not reply.transfer and not reply.end_call
        _never_the_old_words(reply.text, language)
    # The third: why, and a colleague (the call's context goes with them).
    premium = await d.handle(Dtmf("90123456#"))
    assert premium.text == f"{say('phone_kind_refused')} {say('transfer_instead')}"
    assert premium.transfer
    assert d.result is not None and d.result.outcome is Outcome.HANDOFF
    assert _rows(store) == []


@pytest.mark.parametrize("language", ["en", "da"])
async def test_press_0_after_a_refusal_is_a_colleague(demo: Backends, language: str) -> None:
    d = await _call(demo, language, BRITISH)
    await d.handle(TextTurn(fx.ASK_CALLBACK[language]))
    await d.handle(Dtmf("12345#"))
    reply = await d.handle(Dtmf("0"))
    assert reply.transfer and d.result is not None and d.result.outcome is Outcome.HANDOFF


@pytest.mark.parametrize(
    ("language", "countries"),
    [
        ("en", "in Denmark or in Sweden"),
        ("da", "i Danmark eller i Sverige"),
    ],
)
async def test_every_country_callbacks_dial_is_named_the_shops_own_first(
    demo: Backends, language: str, countries: str
) -> None:
    d = await _call(demo, language, fx.PHONE, allowed=("SE", "DK"))
    await d.handle(TextTurn(fx.ASK_CALLBACK[language]))
    await d.handle(Dtmf("2"))  # no to "we'd call you on ...?": asked for a number
    reply = await d.handle(Dtmf("00442079460958#"))
    use_language(language)
    assert reply.text.startswith(say("phone_abroad", countries=countries)), reply.text


@pytest.mark.parametrize(("language", "said"), [("en", "starting with +352"), ("da", "+352")])
async def test_a_country_the_pack_does_not_name_is_said_by_its_calling_code(
    demo: Backends, language: str, said: str
) -> None:
    d = await _call(demo, language, BRITISH, allowed=("LU",))
    reply = await d.handle(TextTurn(fx.ASK_CALLBACK[language]))
    assert said in reply.text and "LU" not in reply.text, reply.text


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_foreign_number_typed_at_the_proposal_is_told_why(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    """ "We'd call you on 20 12 34 56, is that right? If that number is wrong, type the
    right one": a British one typed there is refused with why, and a number asked for."""
    d = await _call(demo, language, fx.PHONE)
    await d.handle(TextTurn(fx.ASK_CALLBACK[language]))
    reply = await d.handle(Dtmf("00442079460958#"))
    use_language(language)
    assert reply.text == f"{say('phone_abroad', countries=IN_DENMARK[language])} {ASK[language]}"
    assert d.state is State.ASK_PHONE and _rows(store) == []


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_foreign_number_typed_after_the_request_keeps_the_request_on_its_number(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    """Asked "when suits you?" (the request on the caller's own number), a British number
    typed to correct it: why, the number the request keeps, and "when" again; never "I
    didn't catch a time"."""
    d = await fx.asked_when(demo, language)
    reply = await d.handle(Dtmf("00442079460958#"))
    use_language(language)
    why = say("phone_abroad", countries=IN_DENMARK[language])
    examples = examples_sentence(fx.MONDAY, fx.RULES, "Europe/Copenhagen", language)
    kept = say("callback_number_unchanged", phone=fx.PHONE, examples=examples)
    assert reply.text == f"{why} {kept}"
    assert d.state is State.CONFIRM_CALLBACK and not reply.transfer
    _never_the_old_words(reply.text, language)
    assert _rows(store) == ["+4520123456"]
