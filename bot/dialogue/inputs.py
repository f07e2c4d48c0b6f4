"""What a caller can give the dialogue: words, keys, or nothing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TextTurn:
    """What the caller said (a final transcript) or typed.

    ``asr_confidence``: the recogniser's own confidence in the words (Whisper's
    mean token probability, Vosk's mean word confidence), None when typed.
    """

    text: str
    asr_confidence: float | None = None


@dataclass(frozen=True, slots=True)
class Silence:
    """The caller said nothing before the no-input timeout."""


@dataclass(frozen=True, slots=True)
class Dtmf:
    """Keys the caller pressed (``#`` terminates a number)."""

    digits: str


CallerInput = TextTurn | Silence | Dtmf
