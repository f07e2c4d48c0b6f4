"""Which speech recogniser the bot uses: the configured one, or on ``auto`` one that
understands the bot's language.

``speech.asr_engine: auto`` (the default) takes an installed Vosk model of
the shop's language when there is one (streaming, cheapest per call), and
otherwise Whisper: ``speech.whisper_model`` when it hears that language, else
the language pack's Whisper model (English: tiny.en; Danish: base,
multilingual, forced to Danish, since no Vosk Danish model exists). A
language pack's sherpa-onnx model (Danish: Whisper small), once fetched, is
taken before Whisper. Pure:
the settings and a "which models are installed" lookup in, a
:class:`RecogniserChoice` out; `spillway doctor` and the bot's assembly use
the same answer. Why it was chosen is kept as words to say later (a
:class:`~spillway.wording.Wording`, ``speech_choice`` in console.yaml): the doctor
says it in the admin's language, a log line in English.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from models.discover import find_model
from models.registry import REGISTRY, ModelKind, get_spec
from spillway.errors import InputError
from spillway.language_pack import load_pack
from spillway.settings import SpeechSettings
from spillway.wording import Wording, worded

Engine = Literal["vosk", "whisper", "sherpa"]


@dataclass(frozen=True, slots=True)
class RecogniserChoice:
    engine: Engine
    model: str
    language: str  # the model's language ("en-US", "ko-KR", "en", "multi")
    why: Wording  # str(): in English


def _configured(engine: Engine) -> Wording:
    return worded("speech_choice.configured", engine=engine)


def _auto(why: Wording) -> Wording:
    return worded("speech_choice.auto", why=why)


def model_language(name: str) -> str:
    """A model's language from the registry; "unknown" for a model it does not list."""
    try:
        return get_spec(name).language
    except InputError:
        return "unknown"


def _vosk_models_for(language: str) -> list[str]:
    """Registered Vosk models for ``language`` ("en"), smallest first (as listed)."""
    return [
        spec.name
        for spec in REGISTRY
        if spec.kind is ModelKind.VOSK and same_language(spec.language, language)
    ]


def same_language(a: str, b: str) -> bool:
    """Whether two language tags name one language ("en-US", "en_US" and "en" do; "multi"
    matches all)."""
    if "multi" in (a, b) or "any" in (a, b):
        return True
    return a.replace("_", "-").split("-")[0].lower() == b.replace("_", "-").split("-")[0].lower()


def _whisper_for(name: str, language: str) -> str:
    """``name`` if it hears ``language``, else the language pack's Whisper model: tiny.en
    (the English default) hears no Danish, so a Danish shop gets the pack's base."""
    if same_language(model_language(name), language):
        return name
    return load_pack(language).recognisers.get("whisper", name)


def choose_recogniser(
    speech: SpeechSettings, installed: Callable[[str], bool], *, language: str = "en"
) -> RecogniserChoice:
    """The recogniser for these settings; ``installed(name)``: is that model here?"""
    if speech.asr_engine == "vosk":
        name = speech.vosk_model
        return RecogniserChoice("vosk", name, model_language(name), _configured("vosk"))
    if speech.asr_engine == "sherpa":
        name = speech.sherpa_model
        return RecogniserChoice("sherpa", name, model_language(name), _configured("sherpa"))
    if speech.asr_engine == "whisper":
        name = speech.whisper_model
        if "whisper_model" not in speech.model_fields_set:
            name = _whisper_for(name, language)
        return RecogniserChoice("whisper", name, model_language(name), _configured("whisper"))
    for name in _vosk_models_for(language):
        if installed(name):
            installed_here = _auto(worded("speech_choice.installed", model=name))
            return RecogniserChoice("vosk", name, model_language(name), installed_here)
    sherpa = load_pack(language).recognisers.get("sherpa")
    if sherpa and installed(sherpa):
        # Fetched on purpose: a stronger recogniser for the language than Whisper base.
        installed_here = _auto(worded("speech_choice.installed", model=sherpa))
        return RecogniserChoice("sherpa", sherpa, model_language(sherpa), installed_here)
    name = _whisper_for(speech.whisper_model, language)
    return RecogniserChoice(
        "whisper",
        name,
        model_language(name),
        _auto(worded("speech_choice.no_vosk", language=language, model=name)),
    )


def installed_recogniser(
    speech: SpeechSettings, models_dir: Path | None = None, *, language: str = "en"
) -> RecogniserChoice:
    """:func:`choose_recogniser` over the models installed here (packages, or ``models_dir``)."""
    return choose_recogniser(
        speech, lambda name: find_model(name, models_dir) is not None, language=language
    )
