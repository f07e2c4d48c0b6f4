"""Whether the caller asks to hear the last question again (pure).

"What?", "sorry?", "can you repeat that?", "hvad?", "undskyld?", "kan du
gentage?": a caller who did not catch the question is no misunderstanding. At a
yes/no question these were read as an unclear answer, and two of them handed the
caller over. The dialogue repeats the last question, with its instructions and
keys, and counts nothing against the caller (:mod:`bot.dialogue.machine`).

Whole answers only: the pack's ``grammar.yaml``, ``repeat_requests``, compared
without punctuation or case ("Sorry, what?" is one too: a request may be made of
several of the phrases). "Sorry, I meant the other order" is not.

What is repeated is what the caller missed (:func:`repeated`): after an answer (a
tracking number, the stock) that answer and then "anything else?", which alone
left a caller who asked "repeat that" without the number. A thanks that opened the
question ("Thank you. That's order number ...") was for the caller's last words,
not these: it is not read again (the pack's ``repeat_skip_openers``), nor is a greeting
("Hello! How can I help you?"), whether the question is repeated on request or asked
again after silence or a turn not understood (:func:`without_opener`, used where the
dialogue builds the question asked again). Asked again
after a turn not understood, a question that opens with an apology ("Sorry, I couldn't
find an order ...") loses it after "Sorry, I didn't understand." (:func:`one_apology`,
the pack's ``apologies``).
"""

from __future__ import annotations

import functools
import re

from bot.dialogue.pack_phrases import phrase_choice, said_words
from bot.nlu.data import grammar_list


@functools.cache
def repeat_pattern(language: str) -> re.Pattern[str]:
    """One or more of the pack's repeat requests and nothing else (read once)."""
    one = phrase_choice(language, "repeat_requests")
    return re.compile(rf"(?:{one})(?: (?:{one}))*")


def asks_repeat(text: str, language: str) -> bool:
    """Whether ``text`` is only a request to hear the last question again."""
    return repeat_pattern(language).fullmatch(said_words(text)) is not None


@functools.cache
def _opener_pattern(language: str) -> re.Pattern[str]:
    openers = "|".join(re.escape(o) for o in grammar_list(language, "repeat_skip_openers"))
    return re.compile(rf"^(?:(?:{openers})\s+)+", re.IGNORECASE)


def without_opener(question: str, language: str) -> str:
    """``question`` asked again: without the thanks or greeting it opened with."""
    return _opener_pattern(language).sub("", question.strip(), count=1)


def repeated(answer: str, question: str, language: str) -> str:
    """What "say that again" hears: the last answer (if the question followed one),
    then the question, without a thanks it opened with."""
    said = f"{answer.strip()} {question}" if answer.strip() else question
    return without_opener(said, language)


@functools.cache
def _apology_pattern(language: str) -> re.Pattern[str]:
    apologies = "|".join(re.escape(a) for a in grammar_list(language, "apologies"))
    return re.compile(rf"^(?:{apologies})\s*", re.IGNORECASE)


def one_apology(opener: str, question: str, language: str) -> str:
    """``opener`` ("Sorry, I didn't understand.") and the question asked again, with one
    apology: "Sorry, I couldn't find an order ..." loses its own "Sorry," after it."""
    rest = _apology_pattern(language).sub("", question, count=1)
    if rest != question and rest:
        question = rest[0].upper() + rest[1:]
    return f"{opener} {question}"
