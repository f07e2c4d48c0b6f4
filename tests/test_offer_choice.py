"""The overflow offer's pure decisions: who makes it, and what the caller's answer means.

The intents in the speech cases are what the shop's NLU returns for those
words (``test_the_shop_nlu_feeds_the_mapping`` runs the real fallback NLU on
them), so the mapping is tested against the engine it will meet.
"""

from __future__ import annotations

import pytest

from agi.overflow import route_offer
from bot.assembly import build_nlu
from bot.dialogue.offer import offer_answer
from bot.nlu.data import LANGUAGES, load_nlu_data, project_dir
from bot.nlu.engine import NluEngine
from bot.nlu.fallback import FallbackNlu
from spillway.call import MENU_CHOICES, Route
from spillway.language_pack import load_pack
from spillway.settings import Settings


def test_the_bot_makes_the_offer_only_when_ready_and_able() -> None:
    assert route_offer(bot_ready=True, bot_speaks_offer=True).route is Route.BOT
    # Not ready (models missing, media down) or a DTMF-only bot: the dialplan's menu.
    assert route_offer(bot_ready=False, bot_speaks_offer=True).route is Route.OFFER
    assert route_offer(bot_ready=True, bot_speaks_offer=False).route is Route.OFFER
    assert route_offer(bot_ready=False, bot_speaks_offer=False).reason


@pytest.mark.parametrize(
    ("digits", "route"),
    [
        ("1", Route.BOT),
        ("2", Route.WAIT),
        ("3", Route.CALLBACK),
        ("3#", Route.CALLBACK),
        ("9", None),
        ("*", None),
        ("", None),
    ],
)
def test_keys(digits: str, route: Route | None) -> None:
    answer = offer_answer(digits=digits)
    assert answer.route is route
    assert not answer.carry


@pytest.mark.parametrize(
    ("text", "intent", "route", "carry"),
    [
        # Callback: the NLU's intent, or the words when the NLU missed them.
        ("Please call me back.", "callback_request", Route.CALLBACK, False),
        ("could you ring me back", "out_of_scope", Route.CALLBACK, False),
        # Waiting: the shop's NLU has no such intent (and reads "stay in the
        # queue" as a stock question), so the words decide.
        ("I will keep waiting.", "out_of_scope", Route.WAIT, False),
        ("I'll wait.", "out_of_scope", Route.WAIT, False),
        ("Hold, please.", "out_of_scope", Route.WAIT, False),
        ("I'd rather stay in the queue.", "stock_check", Route.WAIT, False),
        ("Yes, I'll keep waiting.", "affirm", Route.WAIT, False),
        ("I want a person.", "human_agent", Route.WAIT, False),
        ("No.", "deny", Route.WAIT, False),
        # The bot: a request it serves is carried into the dialogue ...
        ("Where is my order?", "order_status", Route.BOT, True),
        ("I want to return a jacket", "return_item", Route.BOT, True),
        ("Is the blue kettle in stock?", "stock_check", Route.BOT, True),
        ("My parcel arrived broken", "complaint", Route.BOT, True),
        ("When are you open?", "opening_hours", Route.BOT, True),
        # ... a plain yes or "talk to you" is not (the NLU reads the latter as
        # a request for a person).
        ("Yes please.", "affirm", Route.BOT, False),
        ("I'll talk to you.", "human_agent", Route.BOT, False),
        # The offer's digits, spoken.
        ("One.", "out_of_scope", Route.BOT, False),
        ("Two", "out_of_scope", Route.WAIT, False),
        ("3.", "out_of_scope", Route.CALLBACK, False),
        # Not understood: asked again, then keeps waiting (the bot's job).
        ("What a lovely day.", "out_of_scope", None, False),
        ("", None, None, False),
    ],
)
def test_words(text: str, intent: str | None, route: Route | None, carry: bool) -> None:
    answer = offer_answer(intent=intent, text=text)
    assert (answer.route, answer.carry) == (route, carry), answer
    assert answer.reason


@pytest.mark.parametrize(
    ("text", "intent", "route", "carry"),
    [
        # The offer's digits as a Dane says them ("Sig eller tryk 1 ..."), alone or framed.
        ("en", "complaint", Route.BOT, False),
        ("Et.", "out_of_scope", Route.BOT, False),
        ("én", "out_of_scope", Route.BOT, False),
        ("to", "out_of_scope", Route.WAIT, False),
        ("tre", "out_of_scope", Route.CALLBACK, False),
        ("nummer et", "callback_request", Route.BOT, False),
        ("tast tre", "out_of_scope", Route.CALLBACK, False),
        ("to tak", "goodbye", Route.WAIT, False),
        # Keeping one's place: whatever the classifier read into it (a callback, a
        # complaint), the caller stays in the queue.
        ("jeg vil gerne vente", "callback_request", Route.WAIT, False),
        ("Jeg bliver i køen.", "complaint", Route.WAIT, False),
        ("jeg venter", "out_of_scope", Route.WAIT, False),
        ("jeg vil beholde min plads", "out_of_scope", Route.WAIT, False),
        ("jeg vil ikke miste min plads", "out_of_scope", Route.WAIT, False),
        ("2 for at blive i køen", "out_of_scope", Route.WAIT, False),
        ("nej", "deny", Route.WAIT, False),
        ("jeg vil tale med en medarbejder", "human_agent", Route.WAIT, False),
        # The bot: "talk to you" (the classifier reads a request for a person) ...
        ("jeg vil gerne tale med dig", "human_agent", Route.BOT, False),
        ("ja tak", "affirm", Route.BOT, False),
        # ... or a request it serves, carried: "jeg venter" inside it is no wait.
        ("jeg venter på min pakke", "order_status", Route.BOT, True),
        ("hvor er min pakke", "order_status", Route.BOT, True),
        # A callback, by words or by the classifier.
        ("ring mig op", "callback_request", Route.CALLBACK, False),
        ("jeg vil ikke vente, ring mig op", "callback_request", Route.CALLBACK, False),
        ("3 for at blive ringet op", "out_of_scope", Route.CALLBACK, False),
        # Not waiting is no wait, nor the complaint the classifier made of it: asked again.
        ("jeg vil ikke blive i køen", "complaint", None, False),
        ("hvad en dejlig dag", "out_of_scope", None, False),
    ],
)
def test_danish_words(text: str, intent: str, route: Route | None, carry: bool) -> None:
    answer = offer_answer(intent=intent, text=text, language="da")
    assert (answer.route, answer.carry) == (route, carry), answer


@pytest.mark.parametrize(
    ("text", "route"),
    [
        ("number one", Route.BOT),
        ("press three", Route.CALLBACK),
        ("two please", Route.WAIT),
        ("I don't want to lose my place", Route.WAIT),
        ("I don't want to stay in the queue", None),
        ("keep waiting in the queue", Route.WAIT),
        ("to be called back", Route.CALLBACK),
    ],
)
def test_more_english_words(text: str, route: Route | None) -> None:
    assert offer_answer(intent="out_of_scope", text=text, language="en").route is route


# What each choice of the offer's own words is said to be for ("1 for at tale med mig").
CHOICES = {
    "en": {"talk to me": Route.BOT, "keep waiting in the queue": Route.WAIT,
           "be called back": Route.CALLBACK},
    "da": {"tale med mig": Route.BOT, "blive i køen": Route.WAIT,
           "blive ringet op": Route.CALLBACK},
}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_offer_s_own_words_and_numbers_are_understood(language: str) -> None:
    pack = load_pack(language)
    for key in ("offer", "offer_reprompt"):
        said = pack.say(key, notice="")
        # Each menu number the prompt names, said as a key, leads where the menu says.
        for digit, route in MENU_CHOICES.items():
            assert digit in said
            assert offer_answer(text=digit, language=language).route is route
    offer = pack.say("offer", notice="")
    for words, route in CHOICES[language].items():
        assert words in offer, (language, words)
        assert offer_answer(text=words, language=language).route is route, (language, words)


def test_a_callback_in_words_is_a_guess_a_key_or_number_is_not() -> None:
    # Words are read back and confirmed by the dialogue before a request is recorded.
    assert offer_answer(intent="callback_request", text="Please call me back.").guessed
    assert offer_answer(intent="out_of_scope", text="could you ring me back").guessed
    assert not offer_answer(intent="out_of_scope", text="3.").guessed
    assert not offer_answer(digits="3").guessed


async def test_the_shop_nlu_feeds_the_mapping() -> None:
    nlu = build_nlu(Settings(), use_rasa=False)
    try:
        said = {
            "please call me back": Route.CALLBACK,
            "i will keep waiting": Route.WAIT,
            "stay in the queue": Route.WAIT,
            "a person please": Route.WAIT,
            "where is my order": Route.BOT,
            "what are your opening hours": Route.BOT,
            "yes": Route.BOT,
            "no": Route.WAIT,
        }
        for text, route in said.items():
            intent = await nlu.parse(text)
            assert offer_answer(intent=intent.name, text=text).route is route, (text, intent)
    finally:
        await nlu.aclose()


async def test_the_danish_shop_nlu_feeds_the_mapping() -> None:
    nlu = NluEngine(FallbackNlu.train(load_nlu_data(project_dir("da")), language="da"))
    try:
        said = {
            "ring mig op": Route.CALLBACK,
            "jeg vil gerne vente": Route.WAIT,
            "jeg bliver i køen": Route.WAIT,
            "en medarbejder tak": Route.WAIT,
            "jeg vil gerne tale med dig": Route.BOT,
            "hvor er min pakke": Route.BOT,
            "ja": Route.BOT,
            "nej": Route.WAIT,
            "et": Route.BOT,
            "tre": Route.CALLBACK,
        }
        for text, route in said.items():
            intent = await nlu.parse(text)
            answer = offer_answer(intent=intent.name, text=text, language="da")
            assert answer.route is route, (text, intent)
    finally:
        await nlu.aclose()
