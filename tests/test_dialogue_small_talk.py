"""Small talk is answered kindly and never counted as a full misunderstanding
(bot/dialogue/small_talk.py): the Danish caller audit of December 2026 heard "vent lige
lidt" and "hallo? er der nogen?" answered "Beklager, det forstod jeg ikke", and three
fillers end in a hand-over."""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import Silence
from bot.dialogue.machine import State
from bot.dialogue.small_talk import Talk, small_talk
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")


@pytest.mark.parametrize(
    ("language", "said", "kind"),
    [
        ("da", "vent lige lidt", Talk.HOLD),
        ("da", "Et øjeblik, jeg leder.", Talk.HOLD),
        ("da", "hallo? er der nogen?", Talk.HERE),
        ("da", "hej, er det kundeservice?", Talk.HERE),
        ("da", "goddag goddag", Talk.HERE),
        ("da", "halløj", Talk.HERE),
        ("da", "ja hej, det er Birthe her", Talk.HERE),
        ("da", "øhm", Talk.FILLER),
        ("da", "jeg ringer bare lige for at høre", Talk.FILLER),
        ("en", "hang on", Talk.HOLD),
        ("en", "hello? anyone there?", Talk.HERE),
        ("en", "hi, my name is Tom", Talk.HERE),
        ("en", "um", Talk.FILLER),
    ],
)
def test_small_talk_is_told_apart(language: str, said: str, kind: Talk) -> None:
    assert small_talk(said, language) is kind


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("da", "det er rigtigt"),  # an answer, not an introduction
        ("da", "det er 10042"),
        ("da", "vent, ja send den alligevel"),  # a change of mind
        ("da", "ja"),  # glue alone is a yes
        ("da", "jeg hedder Birthe og vil returnere en vase"),
        ("en", "hang on, it's 10042"),
        ("en", "yes"),
    ],
)
def test_a_turn_with_more_in_it_is_not_small_talk(language: str, said: str) -> None:
    assert small_talk(said, language) is None


async def test_a_danish_hold_request_waits_without_a_failure(demo: Backends) -> None:
    d = await call_saying(
        demo, "da", "hvor er min pakke", "vent lige lidt", "et øjeblik, jeg leder", Silence()
    )
    hold = d.turns[-2].reply
    assert hold.action == "small_talk_hold"
    assert hold.text.startswith("Selvfølgelig, jeg venter")
    # Only the silence counted: the order number is asked again, no hand-over.
    assert d.turns[-1].reply.action == "reprompt"
    assert not d.ended and d.state is State.ASK_ORDER


async def test_an_english_hold_request_waits(demo: Backends) -> None:
    d = await call_saying(demo, "en", "where is my order", "hang on", "hang on a second")
    assert [t.reply.action for t in d.turns[-2:]] == ["small_talk_hold"] * 2
    assert d.state is State.ASK_ORDER


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("da", "hallo? er der nogen?"),
        ("da", "ja hej, det er Birthe her"),
        ("da", "goddag goddag"),
        ("en", "hello? anyone there?"),
    ],
)
async def test_are_you_there_gets_yes_and_what_to_say(
    demo: Backends, language: str, said: str
) -> None:
    d = await call_saying(demo, language, said)
    reply = d.turns[-1].reply
    assert reply.action == "small_talk_here"
    assert ("Ja, jeg er her." if language == "da" else "Yes, I'm here.") in reply.text
    assert ("hvor er min pakke" if language == "da" else "where is my order") in reply.text
    assert "forstod" not in reply.text and "understand" not in reply.text


async def test_are_you_there_mid_flow_asks_the_step_again(demo: Backends) -> None:
    d = await call_saying(demo, "da", "hvor er min pakke", "er du der stadig")
    reply = d.turns[-1].reply
    assert reply.text.startswith("Ja, jeg er her. Hvad er dit ordrenummer?")
    assert d.state is State.ASK_ORDER


async def test_fillers_do_not_hand_over_on_the_third_turn(demo: Backends) -> None:
    d = await call_saying(demo, "da", "øhm", "altså", "jeg ringer bare lige for at høre")
    assert not d.ended
    assert not any(t.reply.transfer for t in d.turns)
    # Still bounded: a caller who only fills reaches a colleague in the end.
    more = await call_saying(demo, "da", *(["øhm", "altså"] * 4))
    assert more.turns[-1].reply.transfer


async def test_a_goodbye_is_not_taken_for_a_greeting(demo: Backends) -> None:
    d = await call_saying(demo, "da", "hvor er min pakke", "hej hej")
    assert d.turns[-1].reply.action != "small_talk_here"
