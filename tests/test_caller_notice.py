"""A caller is told, before they say anything, that the call is written down and kept.

GDPR Art. 13: the bot keeps every caller turn in ``transcript_turns``
(``gdpr.call_times_months``), so its greeting, and its overflow offer, say so in one
short sentence, and where to read more when ``gdpr.privacy_url`` is set;
``gdpr.caller_notice: false`` leaves it out. The greeting and the offer are played
from the prompt cache, keyed by their text: the cached ones carry the notice, and a
changed setting is a different key. The record of processing says how callers are
informed. English and Danish.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from bot.assembly import SpeechModels
from bot.backends import Backends
from bot.dialogue.caller_notice import spoken_address
from bot.dialogue.config import DialogueConfig
from bot.dialogue.machine import Dialogue
from bot.speech.prompt_cache import prompt_key
from bot.voice_bot import SpeechBot
from cli.pbx_sounds import sound_texts
from spillway.config_file import load_settings
from spillway.errors import ConfigError
from spillway.language_pack import load_pack
from spillway.processing_record import processing_record
from spillway.settings import Settings
from tests.dialogue_fixtures import NOW, fallback_nlu

pytestmark = pytest.mark.usefixtures("english_after")

LANGUAGES = ("en", "da")
# What a caller of each pack hears, as a person reads it (not the pack's own text).
NOTICE = {
    "en": "This call is transcribed and kept to help you.",
    "da": "Samtalen skrives ned og gemmes, så vi kan hjælpe dig.",
}
READ_MORE = {"en": "Read more at shop.dk/privatliv.", "da": "Læs mere på shop.dk/privatliv."}
URL = "https://www.shop.dk/privatliv/"


def _dialogue(backends: Backends, config: DialogueConfig) -> Dialogue:
    return Dialogue(
        fallback_nlu(config.language), backends, config, call_id="n1", clock=lambda: NOW
    )


async def _greeting(backends: Backends, **config: Any) -> str:
    return (await _dialogue(backends, DialogueConfig(**config)).start()).text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_greeting_says_the_call_is_kept_by_default(language: str, demo: Backends) -> None:
    text = await _greeting(demo, language=language)
    # After who is speaking, before what the bot can do and before the caller's first words.
    who = {"en": "I'm the automated assistant.", "da": "Jeg er den automatiske assistent."}
    assert f"{who[language]} {NOTICE[language]} " in text, text
    assert text.index(NOTICE[language]) < text.index("?")
    assert READ_MORE[language] not in text
    # The first sentence is still the shop's name (the spoken Danish call checks it).
    pack = load_pack(language)
    assert (
        text.split(".")[0] == pack.say("greet", shop="Spillway Demo Shop", notice="").split(".")[0]
    )


@pytest.mark.parametrize("language", LANGUAGES)
async def test_off_the_greeting_is_as_before(language: str, demo: Backends) -> None:
    text = await _greeting(demo, language=language, caller_notice=False)
    assert NOTICE[language] not in text
    assert "  " not in text and ". ." not in text
    off = DialogueConfig(language=language, caller_notice=False, privacy_url=URL)
    assert (await _dialogue(demo, off).start()).text == text  # no page without the notice


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_page_to_read_more_follows_the_notice(language: str, demo: Backends) -> None:
    text = await _greeting(demo, language=language, privacy_url=URL)
    assert f"{NOTICE[language]} {READ_MORE[language]} " in text, text
    assert "https" not in text and "www" not in text


def test_an_address_is_said_without_what_a_caller_need_not_type() -> None:
    assert spoken_address("https://www.shop.dk/privatliv/") == "shop.dk/privatliv"
    assert spoken_address("http://shop.dk") == "shop.dk"
    assert spoken_address("https://shop.dk/p?lang=da") == "shop.dk/p?lang=da"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_settings_reach_the_dialogue(language: str) -> None:
    default = DialogueConfig.from_settings(Settings(shop={"language": language}))
    assert default.caller_notice and default.privacy_url is None
    assert default.notice() == f" {NOTICE[language]}"
    configured = Settings(
        shop={"language": language}, gdpr={"caller_notice": False, "privacy_url": URL}
    )
    config = DialogueConfig.from_settings(configured)
    assert (config.caller_notice, config.privacy_url, config.notice()) == (False, URL, "")
    paged = DialogueConfig.from_settings(Settings(gdpr={"privacy_url": URL}))
    assert paged.notice().endswith(READ_MORE["en"])


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("gdpr:\n  privacy_url: shop.dk/privatliv\n", "gdpr.privacy_url = 'shop.dk/privatliv'"),
        ("gdpr:\n  caller_notice: sometimes\n", "gdpr.caller_notice = 'sometimes'"),
    ],
)
def test_a_bad_value_is_an_error_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "spillway.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert key in str(info.value)


class _NoModels:
    """fixed_prompts asks the dialogue only; the speech models are never touched."""


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_cached_greeting_and_offer_carry_the_notice(
    language: str, demo: Backends
) -> None:
    async def texts(config: DialogueConfig) -> list[str]:
        def dialogues(*, caller_id: str | None, call_id: str) -> Dialogue:
            return _dialogue(demo, config)

        bot = SpeechBot(cast(SpeechModels, _NoModels()), dialogues)
        return await bot.fixed_prompts()

    on = await texts(DialogueConfig(language=language))
    off = await texts(DialogueConfig(language=language, caller_notice=False))
    paged = await texts(DialogueConfig(language=language, privacy_url=URL))
    pack = load_pack(language)
    offer = pack.say("offer", notice=f" {NOTICE[language]}")
    # What start-up renders into the cache is what callers hear: greeting first, the offer too.
    assert on[0] == await _greeting(demo, language=language) and NOTICE[language] in on[0]
    assert offer in on and NOTICE[language] not in " ".join(off)
    assert READ_MORE[language] in paged[0] and READ_MORE[language] in " ".join(paged[1:])
    # The cache is keyed by the text: a changed setting renders the greeting afresh.
    keys = {prompt_key("voice", t[0], 16000) for t in (on, off, paged)}
    assert len(keys) == 3


@pytest.mark.parametrize("language", LANGUAGES)
def test_asterisks_sound_files_carry_no_notice(language: str) -> None:
    # The DTMF menu records keys, never words: its files stay as they are (no re-render,
    # nothing stale for `spillway doctor`).
    def texts(**gdpr: object) -> dict[str, str]:
        return sound_texts(Settings(shop={"language": language}, gdpr=gdpr))

    assert texts() == texts(caller_notice=False) == texts(privacy_url=URL)
    assert not any(NOTICE[language] in t for t in texts().values())


@pytest.mark.parametrize(
    ("language", "on", "page", "off"),
    [
        (
            "en",
            "tell callers before they speak that the conversation is written down and kept",
            f"to read more at {URL}",
            "turned off (`gdpr.caller_notice: false`)",
        ),
        (
            "da",
            "før vedkommende siger noget, at samtalen bliver skrevet ned og gemt",
            f"læse mere på {URL}",
            "slået fra (`gdpr.caller_notice: false`)",
        ),
    ],
)
def test_the_record_of_processing_says_how_callers_are_informed(
    language: str, on: str, page: str, off: str
) -> None:
    default = processing_record(Settings(), language)
    assert "Art. 13" in default or "art. 13" in default
    assert on in default and "`gdpr.caller_notice`" in default and "`gdpr.privacy_url`" in default
    assert page not in default
    assert page in processing_record(Settings(gdpr={"privacy_url": URL}), language)
    turned_off = processing_record(Settings(gdpr={"caller_notice": False}), language)
    assert off in turned_off and on not in turned_off
