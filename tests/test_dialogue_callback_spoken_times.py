"""Scripted callback calls (fixed clock, the demo shop's back-ends): a time said with its
minutes or a part of the day after a day is stored as the window it means, "as soon as
possible" is not the model's choice, a time the bot cannot place is answered with what
the caller can say, and every goodbye with a callback held says it is booked.

The Danish caller audit of December 2026: "i morgen klokken halv tre" ended "... i
morgen. Farvel!" with 08-20 stored; "kan I ringe mig op | <nummer> | hvor er min pakke |
10043 | ja | nej tak, farvel" ended on the plain goodbye, the callback still booked.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import TextTurn
from bot.dialogue.machine import State
from bot.dialogue.prompts import say
from spillway.storage import SqliteStore
from tests.callback_dialogue_fixtures import (  # noqa: F401
    PHONE,
    asked_when,
    demo_now,
    demo_rules,
    local,
    recorded,
    started,
    stored_window,
)

pytestmark = pytest.mark.usefixtures("english_after")

QUARTER = 15 * 60


@pytest.mark.parametrize(
    ("language", "said", "heard", "window"),
    [
        ("da", "i morgen klokken halv tre", "i morgen omkring klokken fjorten 30",
         (local(8, 14) + QUARTER, local(8, 15) + QUARTER)),
        ("da", "i morgen ved halv tre-tiden", "i morgen omkring klokken fjorten 30",
         (local(8, 14) + QUARTER, local(8, 15) + QUARTER)),
        ("da", "i morgen kl. 14.30", "i morgen omkring klokken fjorten 30",
         (local(8, 14) + QUARTER, local(8, 15) + QUARTER)),
        ("da", "kvart over ni i morgen", "i morgen omkring klokken ni 15",
         (local(8, 9), local(8, 10))),
        ("da", "i morgen sidst på dagen", "i morgen sidst på eftermiddagen",
         (local(8, 15), local(8, 17))),
        ("da", "fredag morgen", "på fredag formiddag", (local(11, 8), local(11, 12))),
        ("en", "tomorrow at half past two", "tomorrow at about two 30",
         (local(8, 14) + QUARTER, local(8, 15) + QUARTER)),
        ("en", "quarter past nine tomorrow", "tomorrow at about nine 15",
         (local(8, 9), local(8, 10))),
        ("en", "tomorrow late in the afternoon", "tomorrow, late in the afternoon",
         (local(8, 15), local(8, 17))),
        ("en", "Friday morning", "on Friday morning", (local(11, 8), local(11, 12))),
    ],
)  # fmt: skip
async def test_a_time_with_minutes_or_a_part_of_the_day_is_stored_as_said(
    language: str,
    said: str,
    heard: str,
    window: tuple[float, float],
    demo: Backends,
    store: SqliteStore,
) -> None:
    d = await asked_when(demo, language)
    await recorded(d, store, said, heard, window)


@pytest.mark.parametrize(
    ("language", "said", "likely"),
    [
        ("da", "så hurtigt som muligt", "sandsynligvis har tid"),
        ("da", "med det samme", "sandsynligvis har tid"),
        ("en", "as soon as possible", "likely to be free"),
    ],
)
async def test_as_soon_as_possible_is_never_the_model_s_choice(
    language: str, said: str, likely: str, demo: Backends, store: SqliteStore
) -> None:
    d = await asked_when(demo, language)
    reply = await d.handle(TextTurn(said))
    if not reply.end_call:
        # Timed by the model: the plain callback is read back for a yes first.
        assert reply.action == "callback_plain_confirm", reply.text
        reply = await d.handle(TextTurn({"da": "ja", "en": "yes"}[language]))
    assert reply.action == "callback_recorded" and likely not in reply.text, reply.text
    [row] = store.query("SELECT timing FROM callback_requests")
    assert row["timing"] == "conventional"


@pytest.mark.parametrize(
    ("language", "said", "yes"),
    [("da", "ring mig op hurtigst muligt", "ja"),
     ("en", "can someone call me back as soon as possible", "yes")],
)  # fmt: skip
async def test_as_soon_as_possible_with_the_request_is_not_asked_when_again(
    language: str, said: str, yes: str, demo: Backends, store: SqliteStore
) -> None:
    d = await started(demo, language)
    confirm = await d.handle(TextTurn(said))
    # The number read back with when the call comes, for a yes: not "when suits you?".
    assert confirm.action == "confirm_callback" and not d.ended, confirm.text
    assert "?" in confirm.text and say("callback_timing_note") not in confirm.text
    done = await d.handle(TextTurn(yes))
    assert done.action == "callback_recorded", done.text
    [row] = store.query("SELECT timing FROM callback_requests")
    assert row["timing"] == "conventional"


@pytest.mark.parametrize(
    ("language", "said"), [("da", "om to uger"), ("da", "til januar"), ("en", "in two weeks")]
)
async def test_a_time_not_placed_is_answered_with_what_the_caller_can_say(
    language: str, said: str, demo: Backends, store: SqliteStore
) -> None:
    d = await asked_when(demo, language)
    reply = await d.handle(TextTurn(said))
    assert reply.text.startswith(say("callback_time_unplaced")), reply.text
    assert not d.ended and d.state is State.CONFIRM_CALLBACK
    assert stored_window(store) == (None, None)


@pytest.mark.parametrize(
    ("language", "turns"),
    [
        ("da", ["øh, egentlig vil jeg bare høre hvor min pakke er", "10043", "ja",
                "nej tak, farvel"]),
        ("da", ["har I den røde elkedel på lager", "nej tak"]),
        ("en", ["actually I just want to know where my parcel is", "10043", "yes",
                "no thanks, bye"]),
        ("en", ["do you have the red kettle in stock", "no thanks"]),
    ],
)  # fmt: skip
async def test_a_goodbye_after_another_topic_says_the_callback_is_booked(
    language: str, turns: list[str], demo: Backends, store: SqliteStore
) -> None:
    d = await asked_when(demo, language)
    for said in turns:
        reply = await d.handle(TextTurn(said))
    assert d.ended and reply.end_call
    assert reply.action == "callback_recorded" and PHONE in reply.text, reply.text
    assert reply.text != say("goodbye", shop=d.config.shop_name)
    [row] = store.query("SELECT status FROM callback_requests")
    assert row["status"] != "cancelled"


@pytest.mark.parametrize(
    ("language", "said"),
    [("da", "det ved jeg ikke rigtig"), ("da", "det ved jeg egentlig ikke"),
     ("en", "I don't really know")],
)  # fmt: skip
async def test_i_dont_really_know_is_no_preference_not_a_wrong_number(
    language: str, said: str, demo: Backends, store: SqliteStore
) -> None:
    d = await asked_when(demo, language)
    reply = await d.handle(TextTurn(said))
    assert reply.action == "callback_recorded" and d.state is not State.ASK_PHONE, reply.text
    assert stored_window(store) == (None, None)
