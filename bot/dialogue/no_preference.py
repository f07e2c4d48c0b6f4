"""Whether the caller's answer to "when suits you?" is "I don't mind" (pure).

"Det ved jeg ikke", "det er lige meget", "I don't know": the classifier reads these as
a no, and a no to "we'll call you on 20 12 34 56; when suits you best? If the number is
wrong, type the right one" asked for the phone number again, the one just confirmed
(the caller audit of December 2026). They are no preference: the request stands without
a time, as after silence, and the goodbye says when to expect the call
(:mod:`bot.dialogue.callbacks`).

Whole answers only: the pack's ``grammar.yaml``, ``no_preference``, compared without
punctuation, case or hesitations ("øh, det ved jeg ikke"), nor the words that only soften
it (``no_preference_softeners``: "det ved jeg ikke rigtig", "I don't really know"); "I
don't know if tomorrow works" is not one.
"""

from __future__ import annotations

import functools
import re

from bot.dialogue.hesitation import without_hesitations
from bot.dialogue.pack_phrases import phrase_choice, said_words

__all__ = ["no_preference"]


@functools.cache
def _pattern(language: str) -> re.Pattern[str]:
    """One of the pack's no-preference answers and nothing else (read once)."""
    return re.compile(phrase_choice(language, "no_preference"))


@functools.cache
def _softeners(language: str) -> re.Pattern[str]:
    """The pack's softening words, whole words (read once)."""
    return re.compile(rf"\b(?:{phrase_choice(language, 'no_preference_softeners')})\b")


def no_preference(text: str, language: str) -> bool:
    """Whether ``text`` is only "I don't know" or "I don't mind" to a question of when."""
    words = said_words(without_hesitations(text, language))
    if _pattern(language).fullmatch(words) is not None:
        return True
    plain = " ".join(_softeners(language).sub(" ", words).split())
    return _pattern(language).fullmatch(plain) is not None
