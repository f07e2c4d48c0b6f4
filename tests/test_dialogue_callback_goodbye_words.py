"""The goodbye agrees with the time read back.

The audit heard "… after 5 | yes" close with "from five o'clock tomorrow, Monday 7
December … on Tuesday at the latest": two times for one call. A time of day the
caller agreed to is now the goodbye's only time when the request's deadline lies
inside it; days alone ("any day but Friday") still hear the day it will be by.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import TextTurn
from bot.dialogue.promise_words import promise_sentence
from bot.dialogue.prompts import use_language
from bot.dialogue.time_phrases import CallbackWindow
from scheduler.stored_promise import Promise
from tests import callback_dialogue_fixtures as fx

pytestmark = pytest.mark.usefixtures("english_after")

SUNDAY = fx.local(6, 10)  # Sunday 6 December 2026, 10:00: no calls on Sundays
LATEST = {"en": "at the latest", "da": "senest"}


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_deadline_inside_the_hours_agreed_is_not_said_again(language: str) -> None:
    # "From five o'clock tomorrow": the next possibility offered (window_refusal.py).
    window = CallbackWindow(fx.local(8, 17), None, "from five", day_key="tomorrow", start_hour=17)
    use_language(language)
    later = Promise(fx.local(9, 12), fx.CPH, likely=True)  # Wednesday: inside it
    assert promise_sentence(later, now=fx.MONDAY, window=window) == ""
    # No window of the caller's own: the day it will be by is said.
    assert LATEST[language] in promise_sentence(later, now=fx.MONDAY)


@pytest.mark.parametrize("language", ["en", "da"])
async def test_after_five_on_a_sunday_closes_with_one_time(demo: Backends, language: str) -> None:
    d = await fx.asked_when(demo, language, SUNDAY)
    offer = await d.handle(TextTurn({"en": "after 5", "da": "efter klokken fem"}[language]))
    assert offer.action == "callback_window_closed", offer.text
    done = await d.handle(TextTurn(fx.YES[language]))
    assert done.action == "callback_recorded", done.text
    assert LATEST[language] not in done.text, done.text
