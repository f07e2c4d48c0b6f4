"""Word error rate: what the recogniser wrote against what the caller said.

Both sides are lower-cased, stripped of punctuation and, with ``numbers``,
have every run of number words turned into digits by the language's own
grammar (bot/nlu/spoken_numbers.py), so "en nul nul fire fire" and "10044"
count as the same word: the recogniser writing digits is no error to the
bot, whose NLU reads both. Each digit string is split into single digits, so
"10044" against "10045" is one error, not one whole-number miss.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from bot.nlu.spoken_numbers import normalise_numbers, number_grammar

_WORD_RE = re.compile(r"[a-zæøåäöü]+|\d")


def words(text: str, *, language: str = "en", numbers: bool = True) -> list[str]:
    lowered = text.lower()
    if numbers:
        lowered = normalise_numbers(lowered, number_grammar(language))
    return _WORD_RE.findall(lowered)


def word_errors(said: list[str], heard: list[str]) -> int:
    """Substitutions, insertions and deletions (Levenshtein over words)."""
    row = list(range(len(heard) + 1))
    for i, a in enumerate(said, start=1):
        prev, row[0] = row[0], i
        for j, b in enumerate(heard, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (a != b))
    return row[-1]


@dataclass(frozen=True, slots=True)
class WerTally:
    """Errors over reference words, summed over lines (the usual corpus WER)."""

    errors: int = 0
    said_words: int = 0

    def add(self, said: str, heard: str, *, language: str, numbers: bool = True) -> WerTally:
        a = words(said, language=language, numbers=numbers)
        b = words(heard, language=language, numbers=numbers)
        return WerTally(self.errors + word_errors(a, b), self.said_words + len(a))

    @property
    def rate(self) -> float:
        return self.errors / self.said_words if self.said_words else 0.0


def closest(said: str, heard: str) -> float:
    """How alike two lines read (0-1), for reports."""
    return difflib.SequenceMatcher(None, said.lower(), heard.lower()).ratio()
