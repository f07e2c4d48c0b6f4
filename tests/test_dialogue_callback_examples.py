"""On a Saturday evening the callback's "when suits you best?" offers times it then keeps.

The admin's call, Saturday 19:25 in Copenhagen: "Please call me back", "Yes",
and the bot offered "this afternoon, tomorrow morning"; the caller said "tomorrow
morning" and heard "we don't make calls on Sundays". Now the examples are the
first parts of the day the calling rules allow (Monday's), and a caller who says
any of them back is recorded with it, in English and Danish, over the demo shop.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import TextTurn
from bot.dialogue.machine import Dialogue, State
from bot.dialogue.time_examples import open_examples
from scheduler.rules import CallingRules
from spillway.storage import SqliteStore
from tests.callback_dialogue_fixtures import RULES, started, stored_window

pytestmark = pytest.mark.usefixtures("english_after")

CPH = "Europe/Copenhagen"
SATURDAY_EVENING = datetime(2026, 12, 5, 19, 25, tzinfo=ZoneInfo(CPH)).timestamp()
MONDAY = datetime(2026, 12, 7, tzinfo=ZoneInfo(CPH)).date()
ASK = {"en": "please call me back", "da": "jeg vil gerne ringes op"}
YES = {"en": "yes", "da": "ja"}
SUNDAY = {"en": "tomorrow morning", "da": "i morgen formiddag"}


@pytest.fixture
def demo_now() -> float:
    """The demo shop is seeded, and its back-ends read the clock, on the Saturday evening."""
    return SATURDAY_EVENING


@pytest.fixture
def demo_rules() -> CallingRules:
    return RULES


async def _asked_when(demo: Backends, language: str) -> Dialogue:
    d = await started(demo, language, SATURDAY_EVENING)
    await d.handle(TextTurn(ASK[language]))
    reply = await d.handle(TextTurn(YES[language]))
    assert reply.action == "callback_confirm" and d.state is State.CONFIRM_CALLBACK, reply.text
    return d


@pytest.mark.parametrize("language", ["en", "da"])
async def test_the_offer_names_mondays_times_not_sundays(language: str, demo: Backends) -> None:
    d = await _asked_when(demo, language)
    text = d.turns[-1].reply.text
    examples = open_examples(SATURDAY_EVENING, RULES, CPH, language)
    assert len(examples) == 2 and all(e in text for e in examples), text
    assert SUNDAY[language] not in text, text


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize("which", [0, 1])
async def test_an_example_said_back_is_kept(
    language: str, which: int, demo: Backends, store: SqliteStore
) -> None:
    d = await _asked_when(demo, language)
    said = open_examples(SATURDAY_EVENING, RULES, CPH, language)[which]
    assert said in d.turns[-1].reply.text
    reply = await d.handle(TextTurn(said))
    assert reply.action == "callback_recorded" and reply.end_call, reply.text
    assert said in reply.text, reply.text  # read back as offered, not refused
    start, end = stored_window(store)
    assert start is not None and end is not None
    assert datetime.fromtimestamp(start, ZoneInfo(CPH)).date() == MONDAY
    assert RULES.window(MONDAY) is not None
