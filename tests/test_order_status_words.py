"""An order status the bot has no sentence of its own for is said in the pack's words,
never as its code (the Danish caller audit of December 2026, group 12).

"Tak. Ordre 1 0 0 4 4 har status on_hold" read a shop's status code to a Danish
caller. A status the packs have words for (``order_status_<code>``; "on-hold" and
"On hold" are the code "on_hold") is said in them; any other is not said at all: the
caller hears that the order was found and that a colleague can check how far it is
(``order_unknown_status``), once (not again as "for more, press 0").

English and Danish, pure and on the demo shop.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import Dtmf
from bot.dialogue.phrasing import other_status_text, status_said
from bot.dialogue.prompts import say, use_language
from spillway.storage import SqliteStore
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")

LANGUAGES = ["en", "da"]
HEAD = {"order": "1 0 0 4 4", "items": ""}
# Codes as shops write them; none may reach the caller.
SPOKEN_CODES = ["on_hold", "on-hold", "On hold", "refunded", "wc-completed", "x_17", "  "]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", SPOKEN_CODES)
def test_no_status_code_is_said(language: str, status: str) -> None:
    use_language(language)
    said = other_status_text(status, HEAD)
    assert "1 0 0 4 4" in said
    for word in ("on_hold", "on-hold", "On hold", "wc-", "x_17", "_"):
        assert word not in said, said
    assert "{" not in said and "}" not in said, said


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_ways_of_writing_on_hold_are_one_status(language: str) -> None:
    use_language(language)
    said = {other_status_text(s, HEAD) for s in ("on_hold", "on-hold", "On hold", " ON-HOLD ")}
    assert said == {say("order_other_status", status=say("order_status_on_hold"), **HEAD)}
    assert status_said("on-hold") and status_said("shipped") and not status_said("wc-completed")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_status_without_words_says_a_colleague_can_check(language: str) -> None:
    use_language(language)
    assert other_status_text("wc-completed", HEAD) == say("order_unknown_status", **HEAD)


async def _status_of(backends: Backends, store: SqliteStore, language: str, status: str) -> str:
    store.execute("UPDATE orders SET status = ? WHERE number = '10044'", (status,))
    d = await call_saying(backends, language, Dtmf("1"), Dtmf("10044#"))
    reply = await d.handle(Dtmf("1"))
    assert reply.action == "order_status_general", reply
    return reply.text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_caller_hears_on_hold_in_words(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    said = await _status_of(demo, store, language, "on-hold")
    assert say("order_status_on_hold") in said and "on-hold" not in said, said
    # The details are a key away, as for any status.
    assert say("order_details_colleague").strip() in said, said


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_status_without_words_names_the_colleague_once(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    said = await _status_of(demo, store, language, "wc-awaiting-fraud-check")
    assert "wc-" not in said and "fraud" not in said, said
    assert said.startswith(say("order_unknown_status", **HEAD)), said
    assert say("order_details_colleague").strip() not in said, said  # not twice
