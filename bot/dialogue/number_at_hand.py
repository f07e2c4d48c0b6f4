"""Whether a caller asked for their order number says they do not have it (pure).

"I don't have it with me", "I don't have it": the classifier read these as a
complaint (0.39-0.75) or nothing it knew, so the caller heard "Sorry, I didn't
understand" and the same question, and a second time was handed over without
having chosen to be (the caller audit of December 2026). Only a plain "no" or "det
har jeg ikke", read as a no, was offered what the bot offers a caller without the
number: a colleague, who can find the order without it (:mod:`bot.dialogue.machine`).

Whole answers only: the pack's ``grammar.yaml``, ``number_not_at_hand``, one or more
of its phrases ("no, sorry, I don't have it with me"), compared without punctuation,
case or hesitations. "I don't have it, it never arrived" is not one: that is about
the parcel, and the classifier's.
"""

from __future__ import annotations

import functools
import re

from bot.dialogue.hesitation import without_hesitations
from bot.dialogue.pack_phrases import phrase_choice, said_words

__all__ = ["number_not_at_hand"]


@functools.cache
def _pattern(language: str) -> re.Pattern[str]:
    """One or more of the pack's "I don't have it" phrases and nothing else (read once)."""
    one = phrase_choice(language, "number_not_at_hand")
    return re.compile(rf"(?:{one})(?: (?:{one}))*")


def number_not_at_hand(text: str, language: str) -> bool:
    """Whether ``text`` is only "I don't have it" (or "I don't know it") to a question
    for the order number."""
    said = said_words(without_hesitations(text, language))
    return _pattern(language).fullmatch(said) is not None
