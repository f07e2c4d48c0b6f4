"""Answering at the caller's first pause: the pure decision, and the dialogue's rewind.

``answer_early`` over plain data (no audio, no sockets); the rewind over the
real dialogue (fallback NLU, demo shop): a turn taken on trust is undone
exactly, and a turn that would act on a real person refuses before it acts.
"""

from __future__ import annotations

import pytest

from bot.backends.demo_data import DEMO_CALLER
from bot.dialogue.inputs import TextTurn
from bot.dialogue.machine import Dialogue
from bot.dialogue.rewind import WouldAct
from bot.turn_taking import EarlyAnswerRules, EarlyReason, TurnSoFar, answer_early
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.test_dialogue_confirm import _side_effects
from tests.test_dialogue_flows import backends, make, nlu, talk

__all__ = ["backends", "make", "nlu"]  # the fixtures

RULES = EarlyAnswerRules(order_digits=5, min_confidence=0.9)


@pytest.mark.parametrize(
    ("text", "intent", "confidence", "number", "expected"),
    [
        ("Yes.", "affirm", 0.97, None, EarlyReason.YES_NO),
        ("yes please", "affirm", 0.95, None, EarlyReason.YES_NO),
        ("No.", "deny", 0.99, None, EarlyReason.YES_NO),
        ("No thanks, goodbye.", "goodbye", 0.93, None, EarlyReason.CLOSING),
        ("10043", "order_status", 0.6, "10043", EarlyReason.ORDER_NUMBER),
        ("It's 10043.", "order_status", 0.95, "10043", EarlyReason.ORDER_NUMBER),
        # Not complete on its own: wait for the endpoint.
        ("1004", "order_status", 0.95, "1004", None),  # one digit short: more may come
        ("100431", "order_status", 0.95, "100431", None),
        ("Yes, but the order I mean is", "affirm", 0.95, None, None),  # a long answer
        ("Yes.", "affirm", 0.6, None, None),  # a faint yes
        # A finished question on a topic is complete; a statement may go on.
        ("Where is my package?", "order_status", 0.99, None, EarlyReason.QUESTION),
        ("Do you have the red kettle in stock?", "stock_check", 0.95, None, EarlyReason.QUESTION),
        ("I bought some boots from you.", "return_item", 0.97, None, None),
        ("I want to return my boots.", "return_item", 0.99, None, None),
        ("Where is my package?", "order_status", 0.7, None, None),  # not sure of it
        ("Where?", "order_status", 0.95, None, None),  # too short to be a request
        ("What is the weather like?", "out_of_scope", 0.95, None, None),  # not a topic
        ("yes 100", "affirm", 0.99, None, None),  # digits in a yes: a number begun
        ("", "affirm", 0.99, None, None),
        ("Yes.", None, 0.0, None, None),
    ],
)
def test_only_a_complete_short_answer_is_answered_at_the_pause(
    text: str, intent: str | None, confidence: float, number: str | None, expected: object
) -> None:
    assert answer_early(TurnSoFar(text, intent, confidence, number), RULES) == expected


def test_the_settings_turn_early_answers_off_and_set_the_order_length() -> None:
    yes = TurnSoFar("Yes.", "affirm", 0.99)
    assert answer_early(yes, EarlyAnswerRules.from_settings(Settings())) is EarlyReason.YES_NO
    off = EarlyAnswerRules.from_settings(Settings(speech={"early_answer": False}))
    assert answer_early(yes, off) is None
    six = EarlyAnswerRules.from_settings(Settings(speech={"early_order_digits": 6}))
    assert answer_early(TurnSoFar("100431", "order_status", 0.9, "100431"), six) is not None
    assert answer_early(TurnSoFar("10043", "order_status", 0.9, "10043"), six) is None
    question = TurnSoFar("Where is my package?", "order_status", 0.99)
    assert answer_early(question, EarlyAnswerRules.from_settings(Settings())) is not None
    no_q = EarlyAnswerRules.from_settings(Settings(speech={"early_questions": False}))
    assert answer_early(question, no_q) is None
    never = EarlyAnswerRules(order_digits=0)
    assert answer_early(TurnSoFar("10043", "order_status", 0.99, "10043"), never) is None


async def test_a_rewound_turn_leaves_the_dialogue_as_it_was(make) -> None:  # type: ignore[no-untyped-def]
    d: Dialogue = make(DEMO_CALLER)
    await talk(d, "where is my package")
    before = (d.state, len(d.turns), list(d.intents), d._failures, d.result)
    mark = d.mark()
    reply = await d.handle(TextTurn("yes"))
    assert reply.action == "order_status" and len(d.turns) == before[1] + 1
    d.rewind(mark)
    assert (d.state, len(d.turns), list(d.intents), d._failures, d.result) == before
    # The same answer again, for real, gives the same reply.
    assert (await d.handle(TextTurn("yes"))).text == reply.text


async def test_a_rewound_goodbye_does_not_end_the_call(make) -> None:  # type: ignore[no-untyped-def]
    d: Dialogue = make(DEMO_CALLER)
    await talk(d, "where is my package", "yes")
    mark = d.mark()
    await d.handle(TextTurn("no thanks goodbye"))
    assert d.ended
    d.rewind(mark)
    assert not d.ended and d.result is None


async def test_a_tentative_turn_refuses_before_it_acts(  # type: ignore[no-untyped-def]
    make, store: SqliteStore
) -> None:
    d: Dialogue = make(DEMO_CALLER)
    await talk(d, "my vase arrived broken and I am not happy")
    assert d.turns[-1].reply.action == "confirm_complaint"
    mark = d.mark()
    with pytest.raises(WouldAct):
        await d.handle(TextTurn("yes"))
    assert _side_effects(store) == (0, 0, 0) and d.case_id is None
    d.rewind(mark)
    # Taken again at the endpoint, the yes acts.
    await d.handle(TextTurn("yes"))
    assert d.case_id is not None and _side_effects(store)[0] == 1


async def test_a_committed_turn_may_act_again(make, store: SqliteStore) -> None:  # type: ignore[no-untyped-def]
    d: Dialogue = make(DEMO_CALLER)
    await talk(d, "my vase arrived broken and I am not happy")
    mark = d.mark()
    d.commit(mark)
    await d.handle(TextTurn("yes"))
    assert d.case_id is not None and _side_effects(store)[0] == 1
