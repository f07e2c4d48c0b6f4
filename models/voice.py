"""Which voice the bot speaks a language with: the pack's Piper voice, else espeak-ng.

A language pack (``spillway/languages/<code>/pack.yaml``) names a Piper voice
and an espeak-ng voice. The neural Piper voice is used where it is installed;
otherwise espeak-ng, which every install has (Debian's package) but which
sounds robotic: a *weak* voice, which ``spillway doctor`` warns about. For the
shop's language ``speech.piper_voice`` is used when it speaks that language
(the English default, en_US-joe-medium, ships as a pip package); that one is
required: missing, it is the error ``spillway serve`` falls back to the DTMF
menu for, as for any configured model. Why a voice was chosen is kept as words
to say later (``speech_choice`` in console.yaml), as for the recogniser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from models.discover import find_model
from models.recogniser import model_language, same_language
from spillway.language_pack import load_pack
from spillway.settings import SpeechSettings
from spillway.wording import Wording, worded

VoiceEngine = Literal["piper", "espeak"]


@dataclass(frozen=True, slots=True)
class VoiceChoice:
    language: str  # the pack's code ("da")
    engine: VoiceEngine
    voice: str  # a Piper model name, or an espeak-ng voice ("da")
    why: Wording  # str(): in English
    piper: str = ""  # the Piper voice the language would rather use ("": the pack names none)

    @property
    def voice_id(self) -> str:
        """The name the voice's renderings are cached under (a Piper model's own name)."""
        return self.voice if self.engine == "piper" else f"espeak-ng:{self.voice}"

    @property
    def weak(self) -> bool:
        """Robotic: callers understand it, but it is no voice to greet customers with."""
        return self.engine == "espeak"


def choose_voice(
    language: str, speech: SpeechSettings, installed: Callable[[str], bool]
) -> VoiceChoice:
    """The voice for ``language``; ``installed(name)``: is that Piper model here?"""
    pack = load_pack(language)
    configured = speech.piper_voice
    # A voice the registry does not list speaks the language its name starts with
    # (Piper's names are <locale>-<speaker>-<quality>: "en_US-joe-medium").
    spoken = model_language(configured)
    if spoken == "unknown":
        spoken = configured.split("-", 1)[0]
    piper = configured if same_language(spoken, language) else pack.voices.get("piper", "")
    if piper and installed(piper):
        installed_here = worded("speech_choice.installed", model=piper)
        return VoiceChoice(language, "piper", piper, installed_here, piper)
    if piper and piper == configured:
        # The admin's own voice for this language (speech.piper_voice): a missing one is
        # an error to fix (the bot answers with the DTMF menu and names the model), never
        # a silent change to a robotic voice.
        missing = worded("speech_choice.not_installed", model=piper)
        return VoiceChoice(language, "piper", piper, missing, piper)
    espeak = pack.voices["espeak"]
    if piper:
        missing = worded("speech_choice.not_installed", model=piper)
    else:
        missing = worded("speech_choice.no_piper", language=language)
    why = worded("speech_choice.espeak", missing=missing, voice=espeak)
    return VoiceChoice(language, "espeak", espeak, why, piper)


def installed_voice(
    language: str, speech: SpeechSettings, models_dir: Path | None = None
) -> VoiceChoice:
    """:func:`choose_voice` over the models installed here (packages, or ``models_dir``)."""
    return choose_voice(language, speech, lambda name: find_model(name, models_dir) is not None)
