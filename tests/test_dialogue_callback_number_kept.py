"""A new number given for a request the number can no longer change (review item 6).

The caller corrects the number after the request was recorded. When a dialer is
already calling the number the request has, the number is not changed: the bot
said the new one in its goodbye all the same, a number never stored. Now the
caller hears the number being called and that the call is under way; a request
closed meanwhile (cancelled, say) leaves the new number a request of its own,
read back as usual. English and Danish, over the demo shop without sockets.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends, NumberKept
from bot.dialogue.inputs import Dtmf
from bot.dialogue.prompts import say, use_language
from bot.dialogue.result import Outcome
from spillway.storage import SqliteStore
from tests import callback_dialogue_fixtures as fx
from tests.callback_dialogue_fixtures import demo_now, demo_rules  # noqa: F401

pytestmark = pytest.mark.usefixtures("english_after")

OLD, NEW = "+4520123456", "+4530123456"
SPOKEN_OLD, SPOKEN_NEW = "20 12 34 56", "30 12 34 56"  # as the bot reads them out


def _set_status(store: SqliteStore, status: str) -> None:
    store.execute("UPDATE callback_requests SET status = ?", (status,))


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_number_given_while_the_request_is_dialled_is_not_read_back(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await fx.asked_when(demo, language)
    [recorded] = store.query("SELECT id, phone FROM callback_requests")
    assert recorded["phone"] == OLD
    _set_status(store, "dialling")  # a dialer claimed it while the caller talked
    reply = await d.handle(Dtmf("30123456#"))
    # The goodbye names the number being called, in the pack's words, never the new one.
    use_language(language)
    assert reply.text == say("callback_number_dialling", phone=SPOKEN_OLD)
    assert SPOKEN_NEW not in reply.text and reply.end_call
    [row] = store.query("SELECT id, phone, status FROM callback_requests")
    assert (row["phone"], row["status"]) == (OLD, "dialling")
    assert d.result is not None and d.result.outcome is Outcome.CALLBACK
    assert d.result.callback_id == recorded["id"]


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_number_given_after_the_request_closed_is_a_request_of_its_own(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await fx.asked_when(demo, language)
    _set_status(store, "cancelled")  # cancelled in the console while the caller talked
    reply = await d.handle(Dtmf("30123456#"))
    assert reply.action == "callback_confirm" and SPOKEN_NEW in reply.text, reply.text
    rows = store.query("SELECT id, phone, status FROM callback_requests ORDER BY id")
    assert [(r["phone"], r["status"]) for r in rows] == [(OLD, "cancelled"), (NEW, "pending")]
    assert d.callback_id == rows[1]["id"]


async def test_the_backend_says_which_number_it_kept(demo: Backends, store: SqliteStore) -> None:
    d = await fx.asked_when(demo, "en")
    assert d.callback_id is not None
    _set_status(store, "dialling")
    kept = await demo.callbacks.update_callback(d.callback_id, phone=NEW)
    assert kept == NumberKept(OLD, "dialling") and kept.dialling and kept.open
    _set_status(store, "done")
    closed = await demo.callbacks.update_callback(d.callback_id, phone=NEW)
    assert isinstance(closed, NumberKept) and not closed.open
    assert await demo.callbacks.update_callback(d.callback_id + 99, phone=NEW) is None
    # A window on a closed request is left as it stands, under its id (as before).
    assert await demo.callbacks.update_callback(d.callback_id, window=(None, None)) == (
        d.callback_id
    )
