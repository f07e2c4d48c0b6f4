"""The caller walk: every caller always knows what to do next, in English and Danish.

Pure checks of what the bot and the menus say at the places where a walk through
the sandbox found a caller left without instructions or in the wrong language: a
caller the recogniser cannot make out twice; the queue's announcement in Danish; a
called-back customer who presses nothing when no colleague is free.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue import prompts
from bot.dialogue.inputs import TextTurn
from bot.dialogue.machine import Dialogue, DialogueConfig, State
from bot.types import ParsedIntent
from dialplan.render import render_spillway
from dialplan.sounds import SOUND_KEYS, sound_dirs
from spillway.language_pack import load_pack
from spillway.settings import Settings
from tests.conftest import make_settings
from tests.test_pbx_sounds import extensions

pytestmark = pytest.mark.usefixtures("english_after")

LANGUAGES = ("en", "da")
# How each pack names the keypad in its questions.
PRESS = {"en": "press 1", "da": "trykke 1"}


class _Anything:
    """Never consulted for an unsure transcript; a stand-in for the NLU."""

    async def parse(self, text: str) -> ParsedIntent:
        return ParsedIntent("nlu_fallback", 0.1, {}, "test", text)


def _dialogue(demo: Backends, language: str) -> Dialogue:
    config = DialogueConfig(language=language, min_asr_confidence=0.37)
    return Dialogue(_Anything(), demo, config, call_id="walk", clock=lambda: 1_750_000_000.0)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_caller_unclear_twice_hears_the_question_and_its_keys(
    demo: Backends, language: str
) -> None:
    d = _dialogue(demo, language)
    await d.start()
    pack = load_pack(language)
    mumble = TextTurn("mm hm grmbl", asr_confidence=0.1)
    first = await d.handle(mumble)
    assert first.text == pack.say("reprompt_unclear")  # "could you say that again?"
    # Said again, still unclear: not the same "say that again", but the question
    # and how to answer it on the keypad (the caller's speech is not getting through).
    second = await d.handle(mumble)
    assert second.text != first.text
    assert second.text.startswith(pack.say("reprompt_unclear_again"))
    assert pack.say("greet_reprompt") in second.text and PRESS[language] in second.text
    assert second.cached_prefix == pack.say("reprompt_unclear_again")
    assert not second.transfer and d.state is State.MAIN
    # A third: a colleague, and the caller is told so.
    third = await d.handle(mumble)
    assert third.transfer and third.text == pack.say("transfer_no_match")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_second_unclear_opener_is_rendered_at_start_up(language: str) -> None:
    prompts.use_language(language)
    assert load_pack(language).say("reprompt_unclear_again") in prompts.fixed_prompts()


# -- the queue: what everyone waiting hears every 30 s ---------------------------------


def _queues(settings: Settings) -> str:
    [text] = [
        f.text
        for f in render_spillway(settings, ami_secret=None)
        if f.name == "queues_spillway.conf"
    ]
    return text


def test_a_danish_queue_announces_in_danish_not_asterisks_english() -> None:
    # A Danish caller kept in the queue by the menu, and a called-back Danish customer
    # waiting for a colleague, heard Asterisk's English "all of our representatives
    # are busy" every 30 s.
    settings = make_settings(shop={"language": "da"})
    [announce] = [
        line.split("=", 1)[1].strip()
        for line in _queues(settings).splitlines()
        if line.startswith("periodic-announce =")
    ]
    assert announce == f"{sound_dirs(settings).pbx}/queue_still_busy"
    assert "queue_still_busy" in SOUND_KEYS  # rendered at `dialplan install`
    said = load_pack("da").say("queue_still_busy", shop="Butikken")
    assert "optaget" in said and "Bliv ved telefonen" in said and "plads i køen" in said
    # English keeps Asterisk's own words, which every Asterisk has.
    english = _queues(make_settings(shop={"language": "en"}))
    assert "periodic-announce = queue-periodic-announce\n" in english


# -- the called-back customer when no colleague comes ---------------------------------


def _connect_step(language: str) -> list[str]:
    """The dialplan lines a called-back customer goes through (comments left out)."""
    text = extensions(make_settings(shop={"language": language}))
    step = text[
        text.index("[spillway-callback-connect]") : text.index("[spillway-callback-reached]")
    ]
    return [line.strip() for line in step.splitlines() if line.startswith((" same", "exten"))]


def _after(lines: list[str], marker: str) -> list[str]:
    return lines[next(i for i, line in enumerate(lines) if marker in line) + 1 :]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_called_back_customer_who_presses_nothing_is_called_again_and_told_so(
    language: str,
) -> None:
    # They heard "press 1 and we'll call you back, press 2 to keep waiting" twice and
    # pressed nothing: the dialplan said "sorry we couldn't connect you, goodbye" and
    # hung up, and the request's fate was left to the scheduler (closed for good when
    # that was its last attempt). Now: a request through the spool, as key 1 makes,
    # and the goodbye says so.
    lines = _connect_step(language)
    no_key = _after(lines, "GotoIf($[${SPILLWAY_TRIES} < 2]?sorry)")
    # No hang-up before the request is taken: the next steps are the spool's.
    taken = next(i for i, line in enumerate(no_key) if "AGI(" in line and "callback-spool" in line)
    assert not any("Hangup()" in line for line in no_key[:taken]), no_key[:taken]
    assert "Set(SPILLWAY_AGAIN_SAY=callback_no_agent_goodbye)" in no_key[0]
    # What is said once the request is in: the prompt that was chosen (key 1: thanks).
    spoken = [line for line in no_key[taken:] if "spillway-say,s,1(${SPILLWAY_AGAIN_SAY}," in line]
    assert spoken, no_key[taken:]
    assert any("Set(SPILLWAY_AGAIN_SAY=callback_again_recorded)" in line for line in lines[:3])
    pack = load_pack(language)
    goodbye = pack.say("callback_no_agent_goodbye", shop="Shop")
    assert {"en": "call you back", "da": "ringer dig op igen"}[language] in goodbye
    # Key 1 still thanks them for choosing.
    assert {"en": "call you back", "da": "ringer dig op"}[language] in pack.say(
        "callback_again_recorded", shop="Shop"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_called_back_customer_who_presses_another_key_is_told_it_is_not_offered(
    language: str,
) -> None:
    # "Press 1 ... press 2": a 5 used to bring the same prompt again without a word.
    lines = _connect_step(language)
    wrong = _after(lines, "Set(SPILLWAY_TRIES=$[${SPILLWAY_TRIES} + 1])")
    told = wrong[0]
    assert '"${SPILLWAY_CHOICE}" != ""' in told and "/menu_key_not_offered)" in told, told
    assert "?sorry)" in wrong[1]  # then the choices again
    assert "menu_key_not_offered" in SOUND_KEYS
    assert {"en": "isn't in the menu", "da": "menuen"}[language] in load_pack(language).say(
        "menu_key_not_offered", shop="Shop"
    )


# -- the callback step that takes no request -------------------------------------------


def _callback_step(language: str) -> list[str]:
    text = extensions(make_settings(shop={"language": language}))
    step = text[text.index("exten => callback,1") : text.index("exten => callback-spool,1")]
    return [line.strip() for line in step.splitlines() if line.startswith((" same", "exten"))]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_caller_whose_callback_cannot_be_taken_is_told_and_keeps_their_place(
    language: str,
) -> None:
    # Key 3 from a withheld number (or one the calling rules never dial): the controller
    # takes no request, and the dialplan put the caller back in the queue without a
    # word. They had asked to be called back: told nothing, they hang up and wait for
    # a call that never comes.
    lines = _callback_step(language)
    empty = [line for line in lines if '"${SPILLWAY_CALLBACK_ID}" = ""' in line]
    assert len(empty) == 2, empty  # after the controller, and after the spool
    assert all(line.endswith("?not-taken)") for line in empty), empty
    told = _after(lines, "(not-taken)")
    [not_taken] = [line for line in lines if "(not-taken)" in line]
    assert "spillway-say,s,1(callback_not_taken," in not_taken
    assert told[0] == "same => n,Goto(wait,1)"
    assert "callback_not_taken" in SOUND_KEYS
    said = load_pack(language).say("callback_not_taken", shop="Shop")
    can_not, keep = {
        "en": ("can't call you back", "keep your place in the queue"),
        "da": ("kan ikke ringe dig op", "beholder din plads i køen"),
    }[language]
    assert can_not in said and keep in said
