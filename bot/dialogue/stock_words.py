"""The product a caller asked about, in their own words, and the shop's products
closest to it (pure, no I/O).

The classifier names a product only when it is one it knows ("red kettle"); a product
the shop does not sell ("is the blue lamp in stock") came without one, and the bot
asked "which product?" again and again. Here the words of the stock question (the
pack's ``grammar.yaml`` ``stock_question_words``) are taken away, and what is left is
the name the caller said; :func:`closest_products` finds loose matches for it among the
shop's product names (a misspelling, another plural: "hedphones", "sofas").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from difflib import SequenceMatcher

from bot.dialogue.pack_phrases import phrase_choice, said_words

__all__ = ["closest_products", "product_words"]

# Words this alike ("hedphones"/"headphones", "tables"/"table") are the same word.
_WORD_RATIO = 0.8
# A word's stem (without its last two letters, at least this many left) inside a word
# of a name is a match too: "sofaer" in "grå sofa".
_STEM_CHARS = 4
# At most this many products are offered instead (more is a list nobody remembers).
MOST_OFFERED = 3


@functools.cache
def _question_words(language: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{phrase_choice(language, 'stock_question_words')})\b")


def product_words(text: str, language: str) -> str | None:
    """The caller's words without the stock question's ("is the blue lamp in stock" ->
    "blue lamp"); None when nothing is left."""
    left = _question_words(language).sub(" ", said_words(text))
    words = " ".join(left.split())[:60]
    return words or None


def _word_match(said: str, named: str) -> float:
    """How alike one said word and one word of a name are (0 to 1)."""
    ratio = SequenceMatcher(None, said, named).ratio()
    stem = said[: max(_STEM_CHARS, len(said) - 2)]
    if len(stem) >= _STEM_CHARS and stem in named:
        return max(ratio, _WORD_RATIO)
    return ratio


def closest_products(wanted: str, names: Iterable[str]) -> list[str]:
    """The product names that loosely match ``wanted`` (a word alike, a stem inside),
    the closest first, at most :data:`MOST_OFFERED`; [] when none does."""
    said = said_words(wanted).split()
    scored = []
    for name in names:
        words = said_words(name).split()
        best = max((_word_match(s, n) for s in said for n in words), default=0.0)
        if best >= _WORD_RATIO:
            scored.append((-best, name))
    return [name for _, name in sorted(scored)[:MOST_OFFERED]]
