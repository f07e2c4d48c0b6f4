"""`spillway doctor` after an upgrade: the prompts Asterisk plays are all there and say
this version's words in this voice (missing: a failure, stale: a warning, with the
command that renders them again); and why each recogniser and voice was chosen is said
in the admin's language. No Asterisk, nothing synthesised: a temporary sounds folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.admin_words import admin_words
from cli.doctor import check_recognisers, check_sounds, check_voices
from cli.pbx_sounds import expected_sounds
from dialplan.sounds import sound_dirs, sound_status, write_sounds
from models.recogniser import choose_recogniser
from models.voice import choose_voice
from spillway.settings import Settings, SpeechSettings
from tests.conftest import host_settings, make_settings

PCM = b"\x01\x00" * 80


def test_the_sound_status_names_missing_and_stale_files(tmp_path: Path) -> None:
    texts = {"menu_offer": "Press 2.", "menu_no_input": "Sorry.", "call_goodbye": "Bye."}
    assert sound_status(tmp_path, texts, "joe").missing == list(texts)  # nothing rendered
    write_sounds(tmp_path, {k: (t, PCM) for k, t in texts.items()}, "joe")
    current = sound_status(tmp_path, texts, "joe")
    assert current.current and (current.missing, current.stale) == ([], [])
    # The new version words one prompt differently and adds another.
    upgraded = {**texts, "menu_offer": "Press 3.", "menu_callback_timing": "Tomorrow."}
    after = sound_status(tmp_path, upgraded, "joe")
    assert (after.missing, after.stale, after.current) == (
        ["menu_callback_timing"],
        ["menu_offer"],
        False,
    )
    # Another voice: every file speaks with the old one.
    assert sound_status(tmp_path, texts, "amy").stale == list(texts)
    (tmp_path / "menu_no_input.wav").unlink()
    gone = sound_status(tmp_path, texts, "joe")
    assert (gone.missing, gone.stale) == (["menu_no_input"], [])


def _render_all(settings: Settings) -> tuple[Path, dict[str, str], str]:
    """Every prompt "rendered" (silence) into the folder the PBX reads, as install would."""
    folder = sound_dirs(settings).local
    texts, voice = expected_sounds(settings)
    write_sounds(folder, {k: (t, PCM) for k, t in texts.items()}, voice)
    return folder, texts, voice


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            {
                "name": "prompts Asterisk plays (en)",
                "ok": "there, rendered from this version's words and voice",
                "missing": "2 prompts missing (menu_offer, menu_no_input)",
                "and": ", and 1 prompt rendered from older words or another voice (call_goodbye)",
                "fail": "the dialplan plays Asterisk's own sounds (or a beep) in their place",
                "stale": "prompts rendered from older words or another voice",
                "more": "and 2 more)",
                "warn": "callers hear the old words",
            },
        ),
        (
            "da",
            {
                "name": "lydfiler, Asterisk afspiller (da)",
                "ok": "findes og er lavet med denne versions ord og stemme",
                "missing": "2 lydfiler mangler (menu_offer, menu_no_input)",
                "and": ", og 1 lydfil er lavet med ældre ord eller en anden stemme (call_goodbye)",
                "fail": "afspiller dialplanen Asterisks egne lyde (eller et bip) i stedet",
                "stale": "lydfiler er lavet med ældre ord eller en anden stemme",
                "more": "og 2 til)",
                "warn": "hører dem, der ringer, de gamle ord",
            },
        ),
    ],
)
def test_the_doctor_checks_a_host_pbxs_sounds_in_the_admins_language(
    tmp_path: Path, language: str, words: dict[str, str]
) -> None:
    settings = host_settings(
        pbx={"sounds_dir": str(tmp_path)},
        shop={"language": language},
        paths={"cache_dir": str(tmp_path / "cache")},
    )
    folder, texts, voice = _render_all(settings)
    assert folder == tmp_path / "spillway" / language
    ok = check_sounds(settings)
    assert ok.name == words["name"]
    assert ok.ok and not ok.warning and not ok.fix
    assert f"{folder}: " in ok.detail and str(len(texts)) in ok.detail and words["ok"] in ok.detail

    # An upgrade: five prompts say other words now (as if the pack changed them).
    changed = ["menu_offer", "menu_no_input", "call_goodbye", "callback_intro", "queue_still_busy"]
    write_sounds(folder, {k: (f"old {texts[k]}", PCM) for k in changed}, voice)
    stale = check_sounds(settings)
    assert stale.ok and stale.warning and stale.fix == "spillway dialplan install"
    assert f"5 {words['stale']} (menu_offer, menu_no_input, call_goodbye {words['more']}" in (
        stale.detail
    )
    assert words["warn"] in stale.detail

    # Two of them are gone too (a prompt the new version adds is missing the same way).
    (folder / "menu_offer.wav").unlink()
    (folder / "menu_no_input.wav").unlink()
    write_sounds(folder, {k: (texts[k], PCM) for k in changed[3:]}, voice)
    failed = check_sounds(settings)
    assert not failed.ok and failed.fix == "spillway dialplan install"
    assert words["missing"] + words["and"] in failed.detail
    assert words["fail"] in failed.detail


def test_the_sandboxs_sounds_are_its_own_folder_and_rendered_by_sandbox_up(tmp_path: Path) -> None:
    settings = make_settings(paths={"cache_dir": str(tmp_path)}, shop={"language": "da"})
    before = check_sounds(settings)  # the sandbox was never brought up
    assert not before.ok and before.fix == "spillway pbx sandbox up"
    assert str(sound_dirs(settings).local) in before.detail
    folder, _texts, _voice = _render_all(settings)
    assert folder.is_relative_to(tmp_path / "pbx")
    assert check_sounds(settings).ok


def test_why_a_recogniser_or_voice_was_chosen_is_said_in_each_language() -> None:
    whisper = choose_recogniser(SpeechSettings(), lambda name: False, language="da")
    english, danish = (
        admin_words(make_settings()),
        admin_words(make_settings(shop={"language": "da"})),
    )
    assert whisper.why.said(english) == (
        "auto: no da Vosk model installed, so Whisper (whisper-base)"
    )
    assert whisper.why.said(danish) == (
        "auto: der er ingen Vosk-model til da installeret, så Whisper (whisper-base) bruges"
    )
    assert str(whisper.why) == whisper.why.said(english)  # what a log line says
    named = choose_recogniser(SpeechSettings(asr_engine="vosk"), lambda name: True)
    assert named.why.said(danish) == "speech.asr_engine er vosk"
    voice = choose_voice("da", SpeechSettings(), lambda name: False)
    assert voice.why.said(danish) == (
        "da_DK-talesyntese-medium er ikke installeret, så espeak-ng (da) bruges"
    )
    assert str(voice.why) == "da_DK-talesyntese-medium is not installed, so espeak-ng (da)"


@pytest.mark.parametrize(
    ("language", "heard", "weak", "spoken", "not_said"),
    [
        (
            "da",
            "ingen Vosk-model til da",
            "; svag: Whisper base hører de fleste danske ord forkert (bench/bench_asr_da.py)",
            "er ikke installeret, så espeak-ng",
            "installed",
        ),
        (
            "en",
            "no da Vosk model installed",
            "; weak: Whisper base hears most Danish words wrong (bench/bench_asr_da.py)",
            "is not installed, so espeak-ng",
            "installeret",
        ),
    ],
)
def test_the_doctors_recogniser_and_voice_lines_speak_the_admins_language(
    tmp_path: Path, language: str, heard: str, weak: str, spoken: str, not_said: str
) -> None:
    # An empty models directory: Danish has neither its Vosk model nor its Piper voice. A
    # Danish shop, its admin reading the CLI in ``language`` (web.language).
    settings = make_settings(
        paths={"cache_dir": str(tmp_path)}, shop={"language": "da"}, web={"language": language}
    )
    t = admin_words(settings)
    shop = " (shop.language)"
    recogniser = {c.name: c for c in check_recognisers(settings)}
    voice = {c.name: c for c in check_voices(settings)}
    danish_ears = recogniser[t("cli.doctor.recogniser", language="da") + shop].detail
    danish_voice = voice[t("cli.doctor.voice", language="da") + shop].detail
    assert heard in danish_ears and not_said not in danish_ears, danish_ears
    # The Danish pack's note on its weak recogniser is worded in the admin's language.
    assert danish_ears.endswith(weak), danish_ears
    assert spoken in danish_voice and not_said not in danish_voice, danish_voice
