"""Whether the caller asks for a plain callback, without AI timing (pure).

"Just call me at any time", "a normal callback", "don't use the prediction":
the words of a caller who would rather be called as soon as possible than
at the hour the contact model picks. It is a guess from words, so the
dialogue confirms it before the request is changed
(:mod:`bot.dialogue.callbacks`). "Any time" alone stays what it was, a
window with no limit.

The words are patterns in each language pack (``grammar.yaml``,
``plain_callback``); a caller is heard in every pack's words, as a Dane who
says "a normal callback" still means it.
"""

from __future__ import annotations

import functools
import re

from bot.nlu.data import grammar_list
from spillway.language_pack import available_languages


@functools.cache
def plain_callback_pattern(language: str) -> re.Pattern[str]:
    """The pack's ``plain_callback`` patterns, as one case-blind alternation (read once)."""
    patterns = grammar_list(language, "plain_callback", "the patterns of a plain callback")
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def asks_plain_callback(text: str) -> bool:
    """Whether ``text`` asks for a plain callback rather than one timed by the model."""
    return any(plain_callback_pattern(code).search(text) for code in available_languages())
