"""A language pack's phrase list as one regular-expression choice (pure).

Hesitations, "I don't mind", "say that again", "hold on", the first words of a
question, "I don't have it": each is a list in the pack's ``grammar.yaml`` that a
dialogue module matches the caller's words against, and each module built the same
choice from it on its own (cleaned, without duplicates or empty phrases, escaped,
the longest first so that "i don't know" is tried before "i don't"). They are built
here, once per language and key.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from bot.nlu.data import grammar_list

__all__ = ["phrase_choice", "said_words"]


def said_words(text: str) -> str:
    """``text`` as a phrase list is compared with it: lower case, a typographic
    apostrophe made plain, punctuation a space, single spaces."""
    return " ".join(re.sub(r"[^\w' ]+", " ", text.replace("\u2019", "'").lower()).split())


@functools.cache
def phrase_choice(language: str, key: str, clean: Callable[[str], str] = said_words) -> str:
    """The pack's phrases ``key``, each passed through ``clean`` (as the words they are
    matched against are), as one alternation: escaped, the longest first (read once)."""
    phrases = {clean(p) for p in grammar_list(language, key)} - {""}
    return "|".join(re.escape(p) for p in sorted(phrases, key=lambda p: (-len(p), p)))
