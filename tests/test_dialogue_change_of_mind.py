"""A caller who declines an offer and at once says "actually yes" gets it (en and da).

The caller audit: "no" to the return label, then "actually yes send the label" heard
"What else can I help you with?" and no label came. The pure decision is
:func:`bot.dialogue.change_of_mind.changes_mind`; the calls run on each pack's
classifier over the demo shop, with text messages reaching the caller.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.backends.demo_data import DEMO_CALLER
from bot.dialogue.change_of_mind import changes_mind
from bot.dialogue.machine import Dialogue
from spillway.storage import SqliteStore
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")

RETURN = {
    "en": ["I want to return my boots", "yes", "no"],
    "da": ["jeg vil returnere mine støvler", "ja", "nej"],
}
STATUS = {"en": ["where is my order", "yes", "no"], "da": ["hvor er min pakke", "ja", "nej"]}


@pytest.mark.parametrize(
    ("language", "said", "changed"),
    [
        ("en", "actually yes send the label", True),
        ("en", "On second thought, yes please.", True),
        ("en", "actually, where is my order", False),  # a new question, not a yes
        ("en", "yes", False),  # "yes, something else"
        ("da", "ja alligevel, send etiketten", True),
        ("da", "faktisk ja tak", True),
        ("da", "ja", False),
        ("da", "faktisk vil jeg høre om min ordre", False),
    ],
)
def test_a_marker_and_a_yes_change_the_mind(language: str, said: str, changed: bool) -> None:
    assert changes_mind(said, language) is changed


def _actions(d: Dialogue) -> list[str]:
    return [t.reply.action for t in d.turns]


def _sms(store: SqliteStore) -> list[str]:
    return [r["body"] for r in store.query("SELECT body FROM sms_outbox")]


@pytest.mark.parametrize(
    ("language", "again"),
    [("en", "actually yes send the label"), ("da", "ja alligevel, send etiketten")],
)
async def test_actually_yes_after_declining_the_label_sends_it(
    demo: Backends, store: SqliteStore, language: str, again: str
) -> None:
    d = await call_saying(demo, language, *RETURN[language], again, caller_id=DEMO_CALLER)
    assert _actions(d)[-2:] == ["anything_else", "return_label_sent"]
    assert any("10046" in body for body in _sms(store))


@pytest.mark.parametrize(
    ("language", "again"),
    [("en", "actually yes, send it please"), ("da", "faktisk ja tak, send den alligevel")],
)
async def test_actually_yes_after_declining_the_tracking_sms_sends_it(
    demo: Backends, store: SqliteStore, language: str, again: str
) -> None:
    d = await call_saying(demo, language, *STATUS[language], again, caller_id=DEMO_CALLER)
    assert _actions(d)[-2:] == ["tracking_read", "tracking_sms_sent"]
    assert len(_sms(store)) == 1


@pytest.mark.parametrize(("language", "yes"), [("en", "yes"), ("da", "ja")])
async def test_a_plain_yes_after_declining_is_something_else(
    demo: Backends, store: SqliteStore, language: str, yes: str
) -> None:
    d = await call_saying(demo, language, *RETURN[language], yes, caller_id=DEMO_CALLER)
    assert _actions(d)[-1] == "ask_topic" and _sms(store) == []
