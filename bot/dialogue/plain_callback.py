"""Whether the caller asks for a plain callback, without AI timing (pure).

"Just call me at any time", "a normal callback", "don't use the prediction":
the words of a caller who would rather be called as soon as possible than
at the hour the contact model picks. It is a guess from words, so the
dialogue confirms it before the request is changed
(:mod:`bot.dialogue.callbacks`). "Any time" alone stays what it was, a
window with no limit.
"""

from __future__ import annotations

import re

_PLAIN_RE = re.compile(
    r"\b(?:plain|normal|regular|ordinary|traditional|conventional|simple|usual)\s+call\s*back"
    r"|\bwithout\s+(?:the\s+)?(?:ai|a\.i\.|prediction|predicting|algorithm)"
    r"|\b(?:don'?t|do\s+not|no)\s+(?:use\s+)?(?:the\s+)?(?:ai|a\.i\.|prediction|algorithm)\b"
    r"|\bjust\s+call\s+(?:me\s+)?(?:back\s+)?(?:at\s+)?(?:any\s*time|whenever)",
    re.IGNORECASE,
)


# The same in Danish, as the Danish pack's note invites it ("sig almindeligt opkald").
_PLAIN_DA_RE = re.compile(
    r"\b(?:almindeligt?|normalt?|helt\s+almindeligt?)\s+(?:opkald|tilbageopkald)"
    r"|\buden\s+(?:ai|a\.i\.|forudsigelse)"
    r"|\bring\s+(?:bare\s+)?(?:til\s+mig\s+)?(?:op\s+)?(?:når\s+som\s+helst|hvornår\s+som\s+helst)",
    re.IGNORECASE,
)


def asks_plain_callback(text: str) -> bool:
    """Whether ``text`` asks for a plain callback rather than one timed by the model."""
    return bool(_PLAIN_RE.search(text) or _PLAIN_DA_RE.search(text))
