"""A caller who declines the callback just booked hears that it is cancelled, and every
goodbye in the callback flow says whether a call is coming.

The audit heard "I'd like a callback | yes | after 5 | no thanks, bye" end with a
bare "Goodbye!" while the request (recorded as soon as the number was confirmed)
stayed open, and "can you call me back | tomorrow afternoon | thanks, bye" end
with nothing said about a call. Now "no thanks", "forget it", "nej tak, glem det"
cancel the request (closed ``cancelled``, ``cancelled_by_caller``) and the caller
hears so; a goodbye after the request was recorded is the booked goodbye (the
number and when); one before it says nothing is booked.
"""

from __future__ import annotations

import json

import pytest

from bot.backends import Backends
from bot.dialogue.callback_cancel import cancels_callback
from bot.dialogue.inputs import TextTurn
from bot.dialogue.result import Outcome
from spillway.request_problem import CANCELLED_BY_CALLER
from spillway.storage import SqliteStore
from tests import callback_dialogue_fixtures as fx

pytestmark = pytest.mark.usefixtures("english_after")

SUNDAY = fx.local(6, 10)  # Sunday 6 December 2026, 10:00: no calls on Sundays


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "no thanks, bye"),
        ("en", "forget it"),
        ("en", "never mind"),
        ("en", "Don't bother."),
        ("da", "nej tak, glem det"),
        ("da", "glem det"),
        ("da", "lad være"),
    ],
)
def test_words_that_withdraw_the_callback(language: str, said: str) -> None:
    assert cancels_callback(said, language)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "no"),
        ("en", "it doesn't matter"),
        ("en", "tomorrow afternoon"),
        ("en", "thanks, bye"),
        ("da", "nej"),
        ("da", "det er lige meget"),
        ("da", "tak"),
    ],
)
def test_a_no_or_no_preference_withdraws_nothing(language: str, said: str) -> None:
    assert not cancels_callback(said, language)


def _request(store: SqliteStore) -> tuple[str, str | None]:
    [row] = store.query("SELECT status, last_error FROM callback_requests")
    return row["status"], row["last_error"]


@pytest.mark.parametrize(
    ("language", "said", "heard"),
    [
        ("en", "no thanks, bye", "I've cancelled the callback"),
        ("en", "forget it", "we won't call you"),
        ("da", "nej tak, glem det", "Jeg har aflyst opkaldet"),
    ],
)
async def test_declined_when_asked_when_the_request_is_cancelled_and_said(
    demo: Backends, store: SqliteStore, language: str, said: str, heard: str
) -> None:
    d = await fx.asked_when(demo, language)
    assert _request(store)[0] == "pending"  # recorded at once: a hang-up keeps it
    reply = await d.handle(TextTurn(said))
    assert reply.action == "callback_cancelled" and heard in reply.text, reply.text
    assert d.ended and d.result is not None and d.result.callback_id is None
    status, why = _request(store)
    assert status == "cancelled" and why is not None
    assert json.loads(why)["code"] == CANCELLED_BY_CALLER


@pytest.mark.parametrize("language", ["en", "da"])
async def test_declined_at_the_next_possibility_the_request_is_cancelled(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await fx.asked_when(demo, language, SUNDAY)
    offer = await d.handle(TextTurn({"en": "after 5", "da": "efter klokken fem"}[language]))
    assert offer.action == "callback_window_closed", offer.text
    reply = await d.handle(TextTurn({"en": "no thanks, bye", "da": "nej tak, farvel"}[language]))
    assert reply.action == "callback_cancelled", reply.text
    assert _request(store)[0] == "cancelled"


GOODBYE = {"en": "thanks, bye", "da": "tak, farvel"}
NOT_BOOKED = {"en": "I haven't booked a callback", "da": "Jeg har ikke bestilt et opkald"}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_every_goodbye_says_whether_the_call_is_coming(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    # After the number was confirmed (the request recorded): the booked goodbye.
    d = await fx.asked_when(demo, language)
    booked = await d.handle(TextTurn(GOODBYE[language]))
    assert booked.action == "callback_recorded" and fx.PHONE in booked.text, booked.text
    assert d.result is not None and d.result.outcome is Outcome.CALLBACK
    assert _request(store)[0] == "pending"
    # Before it (asked to confirm the number): nothing booked, and said so.
    store.execute("DELETE FROM callback_requests")
    d = await fx.started(demo, language)
    await d.handle(TextTurn(fx.ASK_CALLBACK[language]))
    reply = await d.handle(TextTurn(GOODBYE[language]))
    assert reply.action == "callback_not_booked" and NOT_BOOKED[language] in reply.text
    assert d.ended and store.query("SELECT id FROM callback_requests") == []
