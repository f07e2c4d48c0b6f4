"""A caller told they may return an order, who declines the label by SMS, was answered:
the call ends resolved (the Danish caller audit of December 2026, group 13: it ended as
"hangup", where a caller who declined a colleague after the same answer without SMS
ended "resolved").

English and Danish, on each pack's fallback classifier and the demo shop.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.backends.demo_data import DEMO_CALLER
from bot.dialogue.result import Outcome
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")

# Return the boots (order 10046, delivered 5 days ago), yes it is that order, no label,
# nothing else.
TURNS = {
    "en": ["I want to return my boots", "yes", "no", "no thanks"],
    "da": ["jeg vil returnere mine støvler", "ja", "nej", "nej tak"],
}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_declined_return_label_ends_resolved(demo: Backends, language: str) -> None:
    d = await call_saying(demo, language, *TURNS[language], caller_id=DEMO_CALLER)
    actions = [turn.reply.action for turn in d.turns]
    assert actions == ["offer_order", "return_eligible", "anything_else", "goodbye"], actions
    assert d.sms == []  # no label was sent
    assert d.result is not None and d.result.outcome is Outcome.RESOLVED, actions
