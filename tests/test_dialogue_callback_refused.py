"""A callback asked for on a number that may not be called: no promise, a colleague.

A caller whose number is on the do-not-call list asked the speech bot to call them
back. Intake kept the request closed, yet the bot said "Thank you. We'll call you
back on ..." and the caller left the queue for a call that never came. Now the
caller hears that the number cannot be called back (for the do-not-call list, why,
in plain words) and is put through to a colleague with the call's context, as the
DTMF menu sends them back to the queue; the call is a hand-over, not a callback.
English and Danish, over the demo shop without sockets.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import Dtmf, TextTurn
from bot.dialogue.machine import Dialogue, DialogueConfig
from bot.dialogue.prompts import say, use_language
from bot.dialogue.result import Outcome
from bot.types import Reply
from scheduler import do_not_call
from spillway.storage import SqliteStore
from tests import callback_dialogue_fixtures as fx
from tests.callback_dialogue_fixtures import demo_now, demo_rules  # noqa: F401
from tests.dialogue_fixtures import fallback_nlu

pytestmark = pytest.mark.usefixtures("english_after")

OWN, OTHER = "+4520123456", "+4530123456"  # the caller's own number, and one they type
SPOKEN_OWN, SPOKEN_OTHER = "20 12 34 56", "30 12 34 56"  # as the bot reads them out
# What the goodbye of a recorded callback begins with: never said on a refused number.
PROMISE = {"en": "We'll call you back", "da": "Vi ringer dig op"}


def _on_the_list(store: SqliteStore, phone: str) -> None:
    with store.transaction() as tx:
        do_not_call.opt_out(tx, phone, source="test", now=fx.MONDAY, region="DK")


def _rows(store: SqliteStore) -> list[tuple[str, str]]:
    rows = store.query("SELECT phone, status FROM callback_requests ORDER BY id")
    return [(r["phone"], r["status"]) for r in rows]


def _handed_over(d: Dialogue, reply: Reply, language: str, key: str, phone: str) -> None:
    """``reply`` says ``key`` on ``phone``, no promise, and puts the caller through to a
    colleague (back to the queue with the context); the call ends a hand-over, also
    when the caller hangs up now (no request stands for them)."""
    use_language(language)
    assert reply.text == say(key, phone=phone), reply.text
    assert PROMISE[language] not in reply.text
    assert reply.transfer and not reply.end_call
    assert d.result is not None and d.result.outcome is Outcome.HANDOFF
    assert d.result.callback_id is None and d.callback_id is None
    assert d.hang_up().outcome is Outcome.HANDOFF


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize("listed", [OWN, OTHER])
async def test_only_a_number_on_the_do_not_call_list_is_told_so_and_handed_over(
    demo: Backends, store: SqliteStore, language: str, listed: str
) -> None:
    """The caller's own number on the list: told so, and a colleague. Someone else's
    number on the list changes nothing for this caller: the promise as before."""
    _on_the_list(store, listed)
    d = await fx.started(demo, language)
    await d.handle(TextTurn(fx.ASK_CALLBACK[language]))  # "we'd call you on ...?"
    reply = await d.handle(TextTurn(fx.YES[language]))
    if listed == OWN:
        _handed_over(d, reply, language, "callback_refused_listed", SPOKEN_OWN)
        # Kept closed for an admin to see, as intake recorded it.
        assert _rows(store) == [(OWN, "cancelled")]
        return
    assert not reply.transfer and not d.ended, reply.text  # asked when suits them
    goodbye = await fx.no_preference_kept(d, language)
    assert goodbye.action == "callback_recorded" and PROMISE[language] in goodbye.text
    assert d.hang_up().outcome is Outcome.CALLBACK
    assert _rows(store) == [(OWN, "pending")]


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize("recorded_first", [False, True])
async def test_another_number_typed_in_that_is_on_the_list_is_not_promised_either(
    demo: Backends, store: SqliteStore, language: str, recorded_first: bool
) -> None:
    """The caller's own number is fine; the one they type instead is on the list: at
    "we'd call you on ...?", or after the request was recorded on their own number (then
    intake closes that request with the new number: the caller's wish)."""
    _on_the_list(store, OTHER)
    if recorded_first:
        d = await fx.asked_when(demo, language)
    else:
        d = await fx.started(demo, language)
        await d.handle(TextTurn(fx.ASK_CALLBACK[language]))
    reply = await d.handle(Dtmf("30123456#"))
    _handed_over(d, reply, language, "callback_refused_listed", SPOKEN_OTHER)
    assert _rows(store) == [(OTHER, "cancelled")]


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_number_refused_for_another_reason_is_told_without_the_list(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    """A number the dialogue took but the back-end's intake refuses (here a back-end
    stricter than the dialogue: the shop's country only): the caller hears it cannot
    be called, and no reason that is not theirs."""
    config = DialogueConfig(
        language=language, calling_rules=fx.RULES, allowed_countries=("DK", "SE")
    )
    d = Dialogue(fallback_nlu(language), demo, config, caller_id=fx.PHONE, clock=lambda: fx.MONDAY)
    await d.start()
    await d.handle(TextTurn(fx.ASK_CALLBACK[language]))
    reply = await d.handle(Dtmf("0046701234567#"))
    _handed_over(d, reply, language, "callback_refused", "+46 70 123 45 67")
    assert _rows(store) == [("+46701234567", "invalid_number")]
