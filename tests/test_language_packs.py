"""The language packs: the same prompt ids, placeholders and cache flags in every pack,
readings complete, and a clear error naming what is missing (spillway/languages/)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

import pytest

from bot.dialogue import prompts
from spillway import language_pack
from spillway.console_text import load_console_text
from spillway.errors import ConfigError
from spillway.language_pack import available_languages, load_pack
from tests.conftest import make_settings

PACKS = available_languages()


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    prompts.use_language("en")


def test_english_and_danish_are_shipped() -> None:
    assert {"en", "da"} <= set(PACKS)


@pytest.mark.parametrize(("a", "b"), list(combinations(PACKS, 2)))
def test_every_pack_has_every_prompt_with_the_same_placeholders(a: str, b: str) -> None:
    one, other = load_pack(a), load_pack(b)
    assert sorted(set(one.prompts) - set(other.prompts)) == [], f"missing in {b}"
    assert sorted(set(other.prompts) - set(one.prompts)) == [], f"missing in {a}"
    for key, prompt in one.prompts.items():
        theirs = other.prompts[key]
        assert prompt.placeholders() == theirs.placeholders(), key
        # Cached wording is cached in every language (and carries no caller data).
        assert prompt.fixed == theirs.fixed, key


@pytest.mark.parametrize(("a", "b"), list(combinations(PACKS, 2)))
def test_every_pack_names_the_same_countries_a_caller_is_told_we_call(a: str, b: str) -> None:
    """``reading.yaml`` ``countries``: "we can only call back numbers in Denmark"."""
    one, other = load_pack(a).reading.countries, load_pack(b).reading.countries
    assert sorted(one) == sorted(other) and "DK" in one and "NO" in one
    assert all(code.isupper() and len(code) == 2 for code in one)


@pytest.mark.parametrize("code", PACKS)
def test_pack_names_a_voice_and_recogniser(code: str) -> None:
    pack = load_pack(code)
    assert pack.voices.get("espeak"), "espeak-ng is the voice that always works"
    assert pack.voices.get("piper") and pack.recognisers.get("whisper")
    assert pack.locale.split("-")[0] == code


@pytest.mark.parametrize("code", PACKS)
def test_a_weak_recogniser_is_one_of_the_packs_with_its_note_in_every_admins_language(
    code: str,
) -> None:
    """pack.yaml names which recogniser is weak; why is a console key, so the doctor
    says it in the admin's language, whichever pack it is about."""
    pack = load_pack(code)
    if not pack.recogniser_weak:
        return
    assert pack.recogniser_weak in pack.recognisers
    notes = {load_console_text(admin)(f"cli.doctor.recogniser_weak_note.{code}") for admin in PACKS}
    assert len(notes) == len(PACKS) and all(notes), notes


def test_a_weak_recogniser_the_pack_does_not_have_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _copy_pack(tmp_path, monkeypatch)
    try:
        pack = root / "da" / "pack.yaml"
        pack.write_text(
            pack.read_text().replace("recogniser_weak: whisper", "recogniser_weak: vosk")
        )
        with pytest.raises(
            ConfigError, match="recogniser_weak 'vosk' is not one of its recognisers"
        ):
            load_pack("da")
    finally:
        load_pack.cache_clear()


def _copy_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "languages"
    shutil.copytree(Path(language_pack.__file__).parent / "languages", root)
    monkeypatch.setattr(language_pack, "_root", lambda: root)
    load_pack.cache_clear()
    return root


def test_a_pack_that_misses_a_key_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy_pack(tmp_path, monkeypatch)
    try:
        reading = root / "da" / "reading.yaml"
        reading.write_text(reading.read_text().replace("months:", "monthz:"))
        with pytest.raises(ConfigError, match=r"'da': reading.yaml: the key 'months' is missing"):
            load_pack("da")
        (root / "da" / "prompts.yaml").unlink()
        with pytest.raises(ConfigError, match=r"'da': prompts.yaml is missing"):
            load_pack("da")
        with pytest.raises(ConfigError, match="no language pack 'xx'"):
            load_pack("xx")
    finally:
        load_pack.cache_clear()


@pytest.mark.parametrize(
    ("code", "hours", "said"),
    [
        ("en", (0, 9, 12, 17, 23), ("twelve", "nine", "twelve", "five", "eleven")),
        ("da", (0, 9, 12, 17, 23), ("nul", "ni", "tolv", "sytten", "treogtyve")),
    ],
)
def test_a_pack_says_its_hours_on_its_own_clock(
    code: str, hours: tuple[int, ...], said: tuple[str, ...]
) -> None:
    """Danish phone systems say the 24-hour clock; English the 12-hour one (reading.yaml's
    ``clock``), for every hour the bot says (bot.dialogue.time_phrases.spoken_hour,
    phrasing.hour_text, the promise)."""
    reading = load_pack(code).reading
    assert reading.clock_hours == (24 if code == "da" else 12)
    assert tuple(reading.hour_word(h + 0.5) for h in hours) == said


def test_a_clock_its_hour_words_do_not_keep_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _copy_pack(tmp_path, monkeypatch)
    try:
        reading = root / "da" / "reading.yaml"
        reading.write_text(reading.read_text().replace("clock: 24", "clock: 12"))
        with pytest.raises(ConfigError, match=r"'da': reading.yaml: a 12-hour 'clock'"):
            load_pack("da")
        reading.write_text(reading.read_text().replace("clock: 12", "clock: 10"))
        with pytest.raises(ConfigError, match=r"'clock' must be 12 or 24"):
            load_pack("da")
    finally:
        load_pack.cache_clear()


def test_shop_language_is_checked_and_named() -> None:
    assert make_settings().shop.language == "en"
    assert make_settings(shop={"language": "da"}).shop.language == "da"


def test_a_bad_shop_language_names_the_key(tmp_path: Path) -> None:
    from spillway.config_file import load_settings

    config = tmp_path / "spillway.yaml"
    config.write_text("shop:\n  language: sv\n")
    with pytest.raises(ConfigError, match=r"shop\.language"):
        load_settings(config)


def test_say_follows_the_chosen_language() -> None:
    assert prompts.say("goodbye", shop="X") == "Thank you for calling X. Goodbye!"
    prompts.use_language("da")
    assert prompts.say("goodbye", shop="X") == "Tak, fordi du ringede til X. Farvel!"
    assert prompts.fixed_prompts()[0].startswith("Beklager, alle vores medarbejdere")


def test_a_demo_line_yaml_reads_as_a_boolean_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_pack("en").demo_conversation[1] == "yes"
    assert load_pack("da").recogniser_prompt.count("{products}") == 1
    assert load_pack("en").recogniser_prompt.count("{products}") == 1
    root = _copy_pack(tmp_path, monkeypatch)
    try:
        pack = root / "en" / "pack.yaml"
        pack.write_text(pack.read_text().replace('- "yes"', "- yes"))
        with pytest.raises(ConfigError, match="'demo_conversation' must list quoted lines"):
            load_pack("en")
    finally:
        load_pack.cache_clear()
