"""Whether the caller asks to hear the last question again (pure).

"What?", "sorry?", "can you repeat that?", "hvad?", "undskyld?", "kan du
gentage?": a caller who did not catch the question is no misunderstanding. At a
yes/no question these were read as an unclear answer, and two of them handed the
caller over. The dialogue repeats the last question, with its instructions and
keys, and counts nothing against the caller (:mod:`bot.dialogue.machine`).

Whole answers only: the pack's ``grammar.yaml``, ``repeat_requests``, compared
without punctuation or case ("Sorry, what?" is one too: a request may be made of
several of the phrases). "Sorry, I meant the other order" is not.
"""

from __future__ import annotations

import functools
import re

from bot.dialogue.pack_phrases import phrase_choice, said_words


@functools.cache
def repeat_pattern(language: str) -> re.Pattern[str]:
    """One or more of the pack's repeat requests and nothing else (read once)."""
    one = phrase_choice(language, "repeat_requests")
    return re.compile(rf"(?:{one})(?: (?:{one}))*")


def asks_repeat(text: str, language: str) -> bool:
    """Whether ``text`` is only a request to hear the last question again."""
    return repeat_pattern(language).fullmatch(said_words(text)) is not None
