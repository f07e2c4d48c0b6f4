"""The opening hours a caller hears: the shop's own words (shop.opening_hours, said as
written), or, when none are set, the language pack's default in the language the bot
speaks; a Danish shop's caller never hears English hours by default."""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue.inputs import Dtmf
from bot.dialogue.machine import Dialogue, DialogueConfig
from bot.dialogue.prompts import use_language
from spillway.settings import Settings
from tests.dialogue_fixtures import demo, demo_now, demo_rules, fallback_nlu  # noqa: F401

DEFAULT = {"en": "Monday to Friday from nine to five", "da": "mandag til fredag fra ni til sytten"}


async def _hours(backends: Backends, language: str, hours: str | None) -> str:
    use_language(language)
    config = DialogueConfig(language=language, opening_hours=hours)
    d = Dialogue(fallback_nlu(language), backends, config, caller_id="4520123456")
    await d.start()
    reply = await d.handle(Dtmf("4"))  # the dialogue's own menu: 4 = opening hours
    assert reply.action == "opening_hours", reply
    return reply.text


@pytest.mark.parametrize("language", sorted(DEFAULT))
async def test_unset_hours_are_the_packs_in_the_bots_language(
    demo: Backends,  # noqa: F811
    language: str,
    english_after: None,
) -> None:
    text = await _hours(demo, language, None)
    assert DEFAULT[language] in text, text
    other = DEFAULT["en" if language == "da" else "da"]
    assert other not in text, text


@pytest.mark.parametrize("language", sorted(DEFAULT))
async def test_the_shops_own_hours_are_said_as_written(
    demo: Backends,  # noqa: F811
    language: str,
    english_after: None,
) -> None:
    text = await _hours(demo, language, "hverdage 10-18")
    assert "hverdage 10-18" in text and DEFAULT[language] not in text, text


def test_the_setting_is_unset_by_default() -> None:
    assert Settings().shop.opening_hours is None
