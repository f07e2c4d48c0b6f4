"""Whether the caller withdraws the callback just booked (pure).

"No thanks", "forget it", "never mind"; in Danish "nej tak", "glem det", "lad
være": said when asked when suits them, or to confirm the time read back, by a
caller whose request was already recorded (it is recorded as soon as the number
is confirmed, so that a caller who hangs up keeps it). The request is then
cancelled (:mod:`bot.dialogue.callbacks`) and the caller hears so. Patterns in
each language pack (``grammar.yaml``, ``callback_cancel``), whole words.
"""

from __future__ import annotations

import functools
import re

from bot.nlu.data import grammar_list


@functools.cache
def cancel_pattern(language: str) -> re.Pattern[str]:
    """The pack's ``callback_cancel`` patterns, as one case-blind alternation (read once)."""
    patterns = grammar_list(language, "callback_cancel", "the words that cancel a callback")
    alternatives = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(rf"(?<![\w'])(?:{alternatives})(?![\w'])", re.IGNORECASE)


def cancels_callback(text: str, language: str) -> bool:
    """Whether ``text`` withdraws the callback ("no thanks, bye", "nej tak, glem det")."""
    return cancel_pattern(language).search(text.replace("\u2019", "'")) is not None
