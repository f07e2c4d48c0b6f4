"""The caller's hesitations left out of what the classifier reads (pure).

"Øh hej altså jeg har bestilt noget og det er ikke kommet endnu": each "øh" and
"altså" is a word the classifier never saw with an order, and two or three of
them pulled a plain order question under the confidence floor ("not understood",
three times a hand-over). Real callers talk like this; an agent hears past it.

The pack's ``grammar.yaml``, ``hesitations``: whole words, any case, with the comma
after them. Only the classifier's text (and the "is it a question?" check that reads
it) loses them: a yes is still judged on every word the caller said
(:mod:`bot.dialogue.plain_yes`), and a turn of hesitations alone ("øhm") is left as it
is, a mumble the step asks again about.
"""

from __future__ import annotations

import functools
import re

from bot.dialogue.pack_phrases import phrase_choice

__all__ = ["without_hesitations"]


@functools.cache
def _pattern(language: str) -> re.Pattern[str]:
    """The pack's hesitations as one whole-word pattern (read once)."""
    choice = phrase_choice(language, "hesitations")
    return re.compile(rf"(?<![\w'])(?:{choice})(?![\w'])[,.…]*", re.IGNORECASE)


def without_hesitations(text: str, language: str) -> str:
    """``text`` without ``language``'s hesitation words; ``text`` itself when nothing
    else is left (a mumble is still a mumble)."""
    kept = " ".join(_pattern(language).sub(" ", text).split())
    return kept or text
