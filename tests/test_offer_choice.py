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
from spillway.call import Route
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
