"""The caller's first words, before anything was done: a greeting or a goodbye.

A caller who answers the greeting with "hej" or "good morning" wants to be asked
again, not hung up on: the Danish pack once taught "hej" as a goodbye, and a
Rasa model trained before that was fixed still hears it so. A goodbye heard
first (most likely a misheard greeting) is asked about once: "Is there anything
I can help you with? ... If not, just hang up." So is a plain no ("nej tak",
the pack's ``answers.plain_no``), which was "sorry, I didn't understand".
:func:`first_turn_prompt` is a pure function of the words, the classifier's
intent and the pack's greetings (``grammar.yaml``, ``greetings``).
"""

from __future__ import annotations

import functools
import re

from bot.nlu.data import grammar_list
from bot.nlu.intents import Intent
from bot.types import ParsedIntent


@functools.cache
def greetings(language: str) -> frozenset[str]:
    """The greetings of ``language``'s pack, normalised (read once)."""
    return frozenset(_normal(w) for w in grammar_list(language, "greetings"))


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def first_turn_prompt(
    text: str, intent: ParsedIntent | None, greeting_words: frozenset[str], *, no: bool = False
) -> str | None:
    """The prompt id for the caller's first words, when they are a greeting alone
    (``greet_again``), a goodbye or a plain no (``no``: ``goodbye_first_turn``);
    None: the usual way."""
    if _normal(text) in greeting_words:
        return "greet_again"
    if no or (intent is not None and intent.name == Intent.GOODBYE):
        return "goodbye_first_turn"
    return None
