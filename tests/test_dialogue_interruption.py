"""A change of topic mid-flow, a phone number said aloud, and a question out of scope.

The decision (:func:`bot.dialogue.interruption.turn_kind`) is tested on data alone;
then the dialogue over the demo shop, on each pack's fallback classifier (no Rasa):
a Danish or English caller who changes the subject is followed, one who says the
number they were asked to type hears it read back, and one who asks what the bot
cannot answer hears what it can do, then gets a colleague.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import Dtmf, TextTurn
from bot.dialogue.interruption import (
    CLEAR_OUT_OF_SCOPE,
    CLEAR_TOPIC,
    Said,
    Step,
    Turn,
    is_question,
    turn_kind,
)
from bot.dialogue.machine import Dialogue, State
from bot.dialogue.prompts import say
from bot.dialogue.result import Outcome
from bot.nlu.intents import TOPICS, Intent
from bot.types import Reply
from spillway.storage import SqliteStore
from tests.dialogue_fixtures import call_saying, requested_phones

pytestmark = pytest.mark.usefixtures("english_after")

SURE = 0.99
UNSURE = CLEAR_TOPIC - 0.1
FLOW_STATES = [s for s in State if s not in (State.MAIN, State.ANYTHING_ELSE, State.ENDED)]

# -- the decision -------------------------------------------------------------------


@pytest.mark.parametrize("state", list(State))
def test_a_colleague_asked_for_leaves_any_step_however_unsure(state: State) -> None:
    said = Said(Intent.HUMAN_AGENT, UNSURE, answers_step=True)
    assert turn_kind(Step(state, Intent.CALLBACK_REQUEST), said) is Turn.NEW_TOPIC


@pytest.mark.parametrize("state", FLOW_STATES)
@pytest.mark.parametrize("topic", sorted(TOPICS - {Intent.HUMAN_AGENT}))
def test_a_clear_other_topic_leaves_a_flow_an_unsure_one_does_not(state: State, topic: str) -> None:
    other_flow = Step(state, "" if topic != Intent.STOCK_CHECK else Intent.ORDER_STATUS)
    assert turn_kind(other_flow, Said(topic, SURE)) is Turn.NEW_TOPIC
    # Not sure enough: the step's own reprompt, never a flow started on a guess.
    assert turn_kind(other_flow, Said(topic, UNSURE)) is Turn.ANSWER


@pytest.mark.parametrize("state", FLOW_STATES)
@pytest.mark.parametrize("topic", sorted(TOPICS - {Intent.HUMAN_AGENT}))
def test_the_flows_own_topic_is_no_change_of_topic(state: State, topic: str) -> None:
    # "klokken 14" read as a callback request while asked when the callback suits.
    assert turn_kind(Step(state, topic), Said(topic, SURE)) is Turn.ANSWER


def test_a_return_asked_for_while_asked_for_an_order_number_is_the_return_flow() -> None:
    status = Step(State.ASK_ORDER, Intent.ORDER_STATUS)
    assert turn_kind(status, Said(Intent.RETURN_ITEM, SURE)) is Turn.NEW_TOPIC
    returning = Step(State.ASK_ORDER, Intent.RETURN_ITEM)
    assert turn_kind(returning, Said(Intent.RETURN_ITEM, SURE)) is Turn.ANSWER


@pytest.mark.parametrize("state", [State.ASK_PHONE, State.ASK_ORDER, State.CONFIRM_CALLBACK])
def test_words_that_answer_the_step_are_its_answer_whatever_they_were_read_as(
    state: State,
) -> None:
    # "20 12 34 56" is read as an order status at 0.98; "this afternoon" as a complaint.
    for topic in (Intent.ORDER_STATUS, Intent.COMPLAINT, Intent.STOCK_CHECK):
        assert turn_kind(Step(state), Said(topic, SURE, answers_step=True)) is Turn.ANSWER


@pytest.mark.parametrize("state", [State.MAIN, State.ANYTHING_ELSE])
@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_at_the_menu_every_topic_starts_its_flow(state: State, topic: str) -> None:
    assert turn_kind(Step(state), Said(topic, 0.45)) is Turn.NEW_TOPIC


@pytest.mark.parametrize("answer", [Intent.AFFIRM, Intent.DENY, Intent.GOODBYE])
@pytest.mark.parametrize("state", list(State))
def test_yes_no_and_goodbye_never_change_the_topic(answer: str, state: State) -> None:
    assert turn_kind(Step(state), Said(answer, SURE, question=True)) is Turn.ANSWER


@pytest.mark.parametrize(
    ("step", "kind"),
    [
        (Step(State.MAIN), Turn.OUT_OF_SCOPE),
        (Step(State.ANYTHING_ELSE), Turn.OUT_OF_SCOPE),
        (Step(State.ASK_ORDER, Intent.ORDER_STATUS), Turn.OUT_OF_SCOPE),
        (Step(State.CONFIRM_ACTION, Intent.COMPLAINT), Turn.OUT_OF_SCOPE),
        (Step(State.ASK_PHONE, Intent.CALLBACK_REQUEST), Turn.OUT_OF_SCOPE),
        # Steps that take free words: a product described, a time ("sometime after
        # lunch would be nice" is read as out of scope) keep their own reprompt.
        (Step(State.ASK_PRODUCT, Intent.STOCK_CHECK), Turn.ANSWER),
        (Step(State.CONFIRM_CALLBACK, Intent.CALLBACK_REQUEST), Turn.ANSWER),
        (Step(State.CONFIRM_ACTION, Intent.CALLBACK_REQUEST), Turn.ANSWER),
    ],
)
def test_where_an_out_of_scope_question_hears_what_the_bot_can_do(step: Step, kind: Turn) -> None:
    assert turn_kind(step, Said(Intent.OUT_OF_SCOPE, SURE, question=True)) is kind


def test_an_out_of_scope_mumble_or_unsure_reading_is_not_answered_as_a_question() -> None:
    menu = Step(State.MAIN)
    assert turn_kind(menu, Said(Intent.OUT_OF_SCOPE, SURE, question=False)) is Turn.ANSWER
    unsure = CLEAR_OUT_OF_SCOPE - 0.1
    assert turn_kind(menu, Said(Intent.OUT_OF_SCOPE, unsure, question=True)) is Turn.ANSWER


@pytest.mark.parametrize(
    ("language", "text", "question"),
    [
        ("en", "what is the meaning of life", True),
        ("en", "How much is shipping to Greenland?", True),
        ("en", "I'd like to book a taxi", True),
        ("en", "purple bananas dancing", False),
        ("en", "hmm hmm", False),
        ("en", "what?", False),
        ("en", "hold on let me find it", False),
        ("en", "are you still there", False),
        ("da", "hvad koster fragt til Grønland?", True),
        ("da", "kan I sende til Færøerne", True),
        ("da", "jeg vil bestille en pizza", True),
        ("da", "lilla bananer der danser", False),
        ("da", "øh øh", False),
        ("da", "vent lige et øjeblik", False),
        ("da", "er du der stadig", False),
        ("da", "hallo er der nogen", False),
    ],
)
def test_a_question_is_told_from_nonsense_mumbling_and_hold_on(
    language: str, text: str, question: bool
) -> None:
    assert is_question(text, language) is question


# -- the dialogue -------------------------------------------------------------------

RETURN_INSTEAD = {"en": "I would rather return an item", "da": "jeg vil hellere returnere en vare"}
WHERE_IS_MY_ORDER = {"en": "where is my order", "da": "hvor er min ordre"}
CALL_ME = {"en": "can you call me back later", "da": "kan I ringe mig op senere"}
SPOKEN_PHONE = {
    "en": "two zero one two three four five six",
    "da": "tyve tolv fireogtredive seksoghalvtreds",
}
NO_NUMBER = {"en": "it's the usual one", "da": "det er det sædvanlige"}
OUT_OF_SCOPE = {"en": "what is the meaning of life", "da": "hvad koster fragt til Grønland"}
YES = {"en": "yes", "da": "ja"}
NO = {"en": "no", "da": "nej"}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_return_asked_for_instead_of_the_order_number_is_followed(
    demo: Backends, language: str
) -> None:
    d = await call_saying(demo, language, WHERE_IS_MY_ORDER[language], RETURN_INSTEAD[language])
    reply = d.turns[-1].reply
    assert reply.text.startswith(say("topic_switched")) and reply.action == "ask_order_number"
    # The order then given is checked for a return, not read its status.
    await d.handle(Dtmf("10046#"))
    # (a colleague for the label: the caller's number is not the one on the order)
    assert (await d.handle(TextTurn(YES[language]))).action == "return_eligible_no_sms"


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_number_said_aloud_is_read_back_and_used_after_the_yes(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await call_saying(demo, language, CALL_ME[language], SPOKEN_PHONE[language])
    await _read_back_then_recorded(d, store, language, d.turns[-1].reply)


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize("spoken", ["words", "digits"])
async def test_another_number_said_to_the_caller_id_proposed_is_read_back_not_an_order(
    demo: Backends, store: SqliteStore, language: str, spoken: str
) -> None:
    """ "We'd call you on 99 88 77 66, is that right?" answered with another number said
    aloud: the recogniser writes "2 0 1 2 3 4 5 6", which the classifier reads as an order
    at 0.99; it was taken as a change of topic and looked up as an order (the spoken call
    test, on a Sunday). Now it is the number to call, read back for a yes."""
    number = SPOKEN_PHONE[language] if spoken == "words" else "2 0 1 2 3 4 5 6"
    d = await call_saying(demo, language, CALL_ME[language], caller_id="+4599887766")
    proposed = d.turns[-1].reply
    assert d.state is State.CONFIRM_ACTION and "99 88 77 66" in proposed.text
    await _read_back_then_recorded(d, store, language, await d.handle(TextTurn(number)))


async def _read_back_then_recorded(
    d: Dialogue, store: SqliteStore, language: str, reply: Reply
) -> None:
    """20 12 34 56 said aloud: read back, nothing recorded until the yes, then recorded."""
    assert reply.action == "confirm_spoken_phone" and "20 12 34 56" in reply.text
    assert d.state is State.CONFIRM_PHONE and requested_phones(store) == []
    assert (await d.handle(TextTurn(YES[language]))).action == "callback_confirm"
    assert requested_phones(store) == ["+4520123456"]


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_no_to_the_number_heard_asks_for_the_keypad(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await call_saying(demo, language, CALL_ME[language], SPOKEN_PHONE[language], NO[language])
    reply = d.turns[-1].reply
    assert reply.action == "phone_type_instead" and say("phone_type_keypad") in reply.text
    assert d.state is State.ASK_PHONE and requested_phones(store) == []
    # Typed, it is the caller's own act: used at once.
    assert (await d.handle(Dtmf("20123457#"))).action == "callback_confirm"
    assert requested_phones(store) == ["+4520123457"]


@pytest.mark.parametrize("language", ["en", "da"])
async def test_words_without_a_number_ask_for_the_keypad_then_a_colleague(
    demo: Backends, language: str
) -> None:
    d = await call_saying(demo, language, CALL_ME[language], NO_NUMBER[language])
    reply = d.turns[-1].reply
    assert reply.action == "phone_type_it" and say("phone_type_keypad") in reply.text
    for _ in range(2):
        reply = await d.handle(TextTurn(NO_NUMBER[language]))
    assert reply.transfer and d.result is not None and d.result.outcome is Outcome.HANDOFF


async def test_a_new_number_said_at_when_suits_you_is_read_back_first(
    demo: Backends, store: SqliteStore
) -> None:
    d = await call_saying(demo, "en", CALL_ME["en"], Dtmf("20123456#"))
    assert d.state is State.CONFIRM_CALLBACK
    reply = await d.handle(TextTurn("four zero five zero six zero seven zero"))
    assert reply.action == "confirm_spoken_phone" and "40 50 60 70" in reply.text
    assert requested_phones(store) == ["+4520123456"]  # unchanged until the yes
    await d.handle(TextTurn("yes"))
    assert requested_phones(store) == ["+4540506070"]


@pytest.mark.parametrize("language", ["en", "da"])
async def test_an_out_of_scope_question_hears_what_the_bot_can_do_then_a_colleague(
    demo: Backends, language: str
) -> None:
    d = await call_saying(demo, language, OUT_OF_SCOPE[language])
    first = d.turns[-1].reply
    assert (first.action, first.text, first.transfer) == (
        "out_of_scope",
        say("out_of_scope"),
        False,
    )
    assert d.state is State.MAIN
    second = await d.handle(TextTurn(OUT_OF_SCOPE[language]))
    assert second.action == "transfer_out_of_scope" and second.transfer


@pytest.mark.parametrize("language", ["en", "da"])
async def test_mid_flow_an_out_of_scope_question_repeats_the_steps_question(
    demo: Backends, language: str
) -> None:
    d = await call_saying(demo, language, WHERE_IS_MY_ORDER[language], OUT_OF_SCOPE[language])
    reply = d.turns[-1].reply
    assert reply.action == "out_of_scope" and reply.text.endswith(say("ask_order_number"))
    assert d.state is State.ASK_ORDER
