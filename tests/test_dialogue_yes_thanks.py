"""A thanks, an "ok" or a "sure" to a yes/no question is a yes, in English and Danish.

The caller audit: "ok thanks" to "that's order number ..., is that right?" and
"thank you" to "shall I text you a return label?" ended the call (the classifier
reads a thanks as a goodbye), and "yeah sure" or "ok" was a yes at one question
and "was that a yes?" at the next. Only after "anything else?" does a thanks or
"no thanks" close the call. The dialogue runs on each pack's own classifier over
the demo shop (:mod:`tests.dialogue_fixtures`).
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.backends.demo_data import DEMO_CALLER
from bot.dialogue.machine import Dialogue
from bot.dialogue.result import Outcome
from spillway.storage import SqliteStore
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")


def _actions(d: Dialogue) -> list[str]:
    return [t.reply.action for t in d.turns]


def _sms(store: SqliteStore) -> list[str]:
    return [r["body"] for r in store.query("SELECT body FROM sms_outbox")]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", ["where's my order", "no", "10043", "ok thanks"]),
        ("en", ["where's my order", "no", "10043", "thank you"]),
        ("en", ["where's my order", "no", "10043", "I guess"]),
        ("da", ["hvor er min pakke", "nej", "10043", "okay tak"]),
        ("da", ["hvor er min pakke", "nej", "10043", "tak"]),
        ("da", ["hvor er min pakke", "nej", "10043", "ja tak"]),
    ],
)
async def test_a_thanks_to_is_that_right_hears_the_status(
    demo: Backends, language: str, said: list[str]
) -> None:
    d = await call_saying(demo, language, *said, caller_id=DEMO_CALLER)
    # 10043 is another demo customer's, so this caller hears its general state
    # (bot/dialogue/disclosure.py).
    assert _actions(d)[-1] == "order_status_general"
    assert not d.ended  # "anything else?" is asked: the call goes on


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", ["I want to return my boots", "yes", "thank you"]),
        ("en", ["I want to return my boots", "yes", "yeah sure"]),
        ("en", ["I want to return my boots", "yes", "please do"]),
        ("en", ["I want to return my boots", "yes", "go ahead"]),
        ("da", ["jeg vil returnere mine støvler", "ja", "ja tak"]),
        ("da", ["jeg vil returnere mine støvler", "ja", "okay tak"]),
        ("da", ["jeg vil returnere mine støvler", "ja", "det må du gerne"]),
        ("da", ["jeg vil returnere mine støvler", "ja", "fint"]),
    ],
)
async def test_a_thanks_or_a_sure_to_the_label_offer_sends_it(
    demo: Backends, store: SqliteStore, language: str, said: list[str]
) -> None:
    d = await call_saying(demo, language, *said, caller_id=DEMO_CALLER)
    assert _actions(d) == ["offer_order", "return_eligible", "return_label_sent"]
    assert any("10046" in body for body in _sms(store))


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", ["I want to return my boots", "yes", "no thanks"]),
        ("da", ["jeg vil returnere mine støvler", "ja", "nej ellers tak"]),
        ("da", ["jeg vil returnere mine støvler", "ja", "lad være"]),
    ],
)
async def test_a_no_thanks_to_the_offer_declines_without_ending(
    demo: Backends, store: SqliteStore, language: str, said: list[str]
) -> None:
    d = await call_saying(demo, language, *said, caller_id=DEMO_CALLER)
    assert _actions(d)[-1] == "anything_else"
    assert not d.ended and _sms(store) == []


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", ["what are your opening hours", "no thanks"]),
        ("en", ["what are your opening hours", "thanks"]),
        ("en", ["what are your opening hours", "that's all"]),
        ("da", ["hvornår har I åbent", "nej tak"]),
        ("da", ["hvornår har I åbent", "tak"]),
        ("da", ["hvornår har I åbent", "nej ellers tak"]),
    ],
)
async def test_after_anything_else_a_thanks_closes(
    demo: Backends, language: str, said: list[str]
) -> None:
    d = await call_saying(demo, language, *said, caller_id=DEMO_CALLER)
    assert _actions(d)[-1] == "goodbye"
    assert d.result is not None and d.result.outcome is Outcome.RESOLVED
