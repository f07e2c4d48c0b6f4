"""Whether the caller swears (pure): the words are the pack's, per language.

A caller who swears hears the empathy line once; a second time, they are put
through to a colleague (:mod:`bot.dialogue.machine`). The words were English only,
in code, so a Danish caller saying "for helvede" or "det er noget lort" met
neither. The pack's ``grammar.yaml`` lists them as ``swear_words``: regular
expressions matched as whole words, without regard to case.
"""

from __future__ import annotations

import functools
import re

from bot.nlu.data import grammar_list


@functools.cache
def swear_pattern(language: str) -> re.Pattern[str]:
    """Any of the pack's swear words, as a whole word (read once)."""
    words = "|".join(grammar_list(language, "swear_words", "regular expressions"))
    return re.compile(rf"\b(?:{words})\b", re.IGNORECASE)


def swears(text: str, language: str) -> bool:
    """Whether ``text`` holds one of ``language``'s swear words."""
    return swear_pattern(language).search(text) is not None
