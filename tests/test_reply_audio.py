"""A reply's fixed opener is played from the prompt cache while Piper renders the rest.

Real Piper, the real prompt cache and the real dialogue (fallback NLU, demo
shop): the reprompt after an utterance the bot did not understand starts
with fixed wording, which is stored once on disk; wording with caller data
(an order's status) never is.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.assembly import DialogueFactory, SpeechModels, build_nlu
from bot.backends.demo_data import seed_demo
from bot.dialogue.inputs import TextTurn
from bot.dialogue.prompts import REPROMPT_NOT_UNDERSTOOD
from bot.speech.piper_tts import split_for_speech
from bot.types import Reply
from bot.voice_bot import SpeechBot, VoiceBotConfig
from spillway.audio import AudioChunk
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.voice_caller import speech_models

__all__ = ["speech_models"]  # the fixture

pytestmark = [pytest.mark.speech]


@pytest.fixture
async def bot(tmp_path: Path, speech_models: SpeechModels) -> AsyncIterator[SpeechBot]:
    store = SqliteStore(tmp_path / "shop.db")
    store.migrate()
    seed_demo(store)
    nlu = build_nlu(Settings(), use_rasa=False)
    try:
        yield SpeechBot(
            speech_models, DialogueFactory.from_settings(Settings(), nlu, store), VoiceBotConfig()
        )
    finally:
        await nlu.aclose()
        store.close()


async def _chunks(bot: SpeechBot, reply: Reply) -> list[AudioChunk]:
    return [chunk async for chunk in bot._reply_audio(reply)]


async def test_reprompt_opener_comes_from_the_prompt_cache(bot: SpeechBot) -> None:
    dialogue = bot.dialogues(caller_id=None, call_id="reply-audio")
    await dialogue.start()
    reply = await dialogue.handle(TextTurn("purple elephants dancing on the moon"))
    assert reply.action == "reprompt"
    assert reply.cached_prefix == REPROMPT_NOT_UNDERSTOOD
    assert reply.text.startswith(REPROMPT_NOT_UNDERSTOOD)

    prompts = bot.models.prompts
    chunks = await _chunks(bot, reply)
    opener = await prompts.get(REPROMPT_NOT_UNDERSTOOD)
    assert prompts.path_for(REPROMPT_NOT_UNDERSTOOD).is_file()
    assert chunks[0].audio == opener  # first out: the cached opener, whole
    rest = reply.text[len(REPROMPT_NOT_UNDERSTOOD) :].strip()
    assert len(chunks) == 1 + len(split_for_speech(rest))
    # Pieces follow each other on the reply's clock.
    for before, after in itertools.pairwise(chunks):
        assert after.start_ms == pytest.approx(
            before.start_ms + before.format.duration_ms(len(before.audio))
        )
    renders = prompts.renders
    await _chunks(bot, reply)
    assert prompts.renders == renders  # the opener is not rendered again


async def test_reply_with_caller_data_is_never_cached(bot: SpeechBot) -> None:
    text = "Order one zero zero four two shipped with GLS. It arrives tomorrow."
    chunks = await _chunks(bot, Reply(text, "order_status"))
    assert len(chunks) == len(split_for_speech(text))
    prompts = bot.models.prompts
    for piece in [text, *split_for_speech(text)]:
        assert not prompts.path_for(piece).exists()


async def test_a_reply_that_is_only_its_opener(bot: SpeechBot) -> None:
    reply = Reply(REPROMPT_NOT_UNDERSTOOD, "reprompt", cached_prefix=REPROMPT_NOT_UNDERSTOOD)
    chunks = await _chunks(bot, reply)
    assert [c.audio for c in chunks] == [await bot.models.prompts.get(REPROMPT_NOT_UNDERSTOOD)]


async def test_fixed_hand_overs_and_goodbye_are_cacheable_case_numbers_are_not(
    bot: SpeechBot,
) -> None:
    dialogue = bot.dialogues(caller_id=None, call_id="reply-audio-2")
    await dialogue.start()
    reply = await dialogue.handle(TextTurn("purple elephants"))
    while not reply.transfer:
        reply = await dialogue.handle(TextTurn("purple elephants"))
    assert reply.action == "transfer_no_match" and reply.cached_prefix == reply.text
    bye = bot.dialogues(caller_id=None, call_id="reply-audio-3")
    await bye.start()
    # A goodbye at the first turn is asked about once (bot.dialogue.first_turn).
    asked = await bye.handle(TextTurn("goodbye"))
    assert asked.action == "goodbye_first_turn" and not asked.end_call
    goodbye = await bye.handle(TextTurn("goodbye"))
    assert goodbye.end_call and goodbye.cached_prefix == goodbye.text
    # A hand-over that names the caller's case is not fixed wording.
    dynamic = bye._transfer("I'm putting you through; your case is 4711.", "complaint_case")
    assert dynamic.cached_prefix == ""
