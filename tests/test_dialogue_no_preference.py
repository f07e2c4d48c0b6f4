"""A "det ved jeg ikke" to "when suits you best?" is no preference, not "the number is
wrong" (bot/dialogue/no_preference.py): the caller audit of December 2026 heard the bot
answer it "Tast dit telefonnummer", for the number the caller had just confirmed."""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import TextTurn
from bot.dialogue.machine import State
from bot.dialogue.no_preference import no_preference
from spillway.storage import SqliteStore
from tests.callback_dialogue_fixtures import PHONE, asked_when, stored_window

pytestmark = pytest.mark.usefixtures("english_after")

DONT_KNOW = {"en": "I don't know", "da": "det ved jeg ikke"}


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("da", "det ved jeg ikke"),
        ("da", "Øh, det er lige meget."),
        ("da", "nej det ved jeg ikke"),
        ("en", "I don't know"),
        ("en", "um, it doesn't matter"),
        ("en", "Up to you."),
    ],
)
def test_no_preference_answers(language: str, said: str) -> None:
    assert no_preference(said, language)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("da", "nej"),  # a no stays a no
        ("da", "det ved jeg ikke, måske i morgen formiddag"),  # a time named after all
        ("da", "ved ikke om nummeret er rigtigt"),
        ("en", "no"),
        ("en", "I don't know if tomorrow works"),
    ],
)
def test_answers_that_say_more_are_not_no_preference(language: str, said: str) -> None:
    assert not no_preference(said, language)


@pytest.mark.parametrize("language", ["en", "da"])
async def test_i_dont_know_when_ends_with_the_request_as_it_stands(
    language: str, demo: Backends, store: SqliteStore
) -> None:
    d = await asked_when(demo, language)
    reply = await d.handle(TextTurn(DONT_KNOW[language]))
    # Not "type your phone number" again: the call ends on the goodbye, which says the
    # number and when to expect the call, and the request keeps no time of its own.
    assert reply.action == "callback_recorded" and reply.end_call, reply.text
    assert PHONE in reply.text and d.state is not State.ASK_PHONE
    assert stored_window(store) == (None, None)


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_plain_no_to_when_is_still_not_taken_as_any_time(
    language: str, demo: Backends, store: SqliteStore
) -> None:
    d = await asked_when(demo, language)
    reply = await d.handle(TextTurn({"en": "no", "da": "nej"}[language]))
    assert reply.action != "callback_recorded" and not d.ended, reply.text
