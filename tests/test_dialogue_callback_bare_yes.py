"""A bare "yes" to the open "When suits you best?" is no preference, read back first.

The audit heard "yes" there book an "any time" callback silently (the caller may
have meant "yes, the number is right", or "yes, call me"). Now it is read back as
"as soon as we can, within our calling hours" and kept after a second yes; a no
asks when again, and the time then named is the one kept.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue import prompts
from bot.dialogue.inputs import Dtmf, TextTurn
from bot.dialogue.machine import State
from bot.dialogue.plain_callback import asks_plain_callback
from spillway.storage import SqliteStore
from tests import callback_dialogue_fixtures as fx

pytestmark = pytest.mark.usefixtures("english_after")

READ_BACK = {"en": "as soon as we can, within our calling hours", "da": "så snart vi kan"}
MORNING = {"en": "tomorrow morning", "da": "i morgen formiddag"}


@pytest.mark.parametrize(("language", "second"), [("en", "yes"), ("da", "ja"), ("en", "no")])
async def test_a_bare_yes_is_read_back_and_kept_only_after_another(
    demo: Backends, store: SqliteStore, language: str, second: str
) -> None:
    d = await fx.asked_when(demo, language)
    check = await d.handle(TextTurn(fx.YES[language]))
    assert check.action == "callback_check_when" and READ_BACK[language] in check.text
    assert not d.ended and d.state is State.CONFIRM_CALLBACK
    reply = await d.handle(TextTurn(second))
    if second == fx.YES[language]:
        assert reply.action == "callback_recorded" and d.ended
        assert fx.stored_window(store) == (None, None)
        return
    # A no asks when again, and the time then named is the one kept.
    assert reply.action == "callback_ask_when" and not d.ended, reply.text
    done = await d.handle(TextTurn(MORNING[language]))
    assert done.action == "callback_recorded"
    assert fx.stored_window(store) == (fx.local(8, 8), fx.local(8, 12))


# -- the note that the model picks the time: plain words, said once -----------------

SAY_PLAIN = {"en": "just call me whenever", "da": "ring bare når som helst"}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_the_timing_note_is_plain_words_said_once(demo: Backends, language: str) -> None:
    d = await fx.asked_when(demo, language)
    note = prompts.say("callback_timing_note")
    assert note in d.turns[-1].reply.text and "plain callback" not in note
    # What the note tells the caller to say is heard as a plain callback.
    assert SAY_PLAIN[language] in note and asks_plain_callback(SAY_PLAIN[language])
    # Another number typed: asked when again, without the note again.
    again = await d.handle(Dtmf("20123457#"))
    assert again.action == "callback_confirm" and note not in again.text, again.text
