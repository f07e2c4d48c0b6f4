"""Whether an answer to "is that right?" is a plain yes, and what follows from it (pure).

Before a case, an SMS or a callback (or turning one into a plain callback) the bot
says what it understood and asks. The classifier alone is no judge of the answer:
noise heard as "ah yes the" or "so yeah" was read as a sure yes, and a case or a
callback followed. So
only a plain yes acts: key 1, or an answer made wholly of the language pack's
plain yes phrases (``grammar.yaml``, ``answers.plain_yes``: "yes", "yes that's
right", "ja tak"), or of such a yes followed only by words that say again what is
being agreed to (``answers.restatements``: "ja det er mit nummer", "yes send it"),
heard by the recogniser at least as surely as
``speech.min_asr_confidence`` and not read by the classifier as another request
(the classifier alone, ``nlu.min_yes_confidence`` sure, is a yes only where
nothing is done on it but a look-up).
A thanks is a yes here ("ok thanks", "thank you", "tak", "okay tak": the pack's
``answers.thanks``): the classifier reads it as a goodbye, and the call ended
on a caller who had just accepted the offer. Only after "anything else?" does a
thanks close the call. The same reading serves every yes/no question
(:func:`answer_to_question`): "yeah sure" or "ok" is a yes to an order number,
to a phone number and to an SMS alike. A plain no (key 2, the pack's
``answers.plain_no`` or the classifier's no) declines. A yes carrying anything
else ("ja men det er den forkerte", "yes but not today") is no plain yes: a
correction or a no is never read as agreement. Anything else is unclear:
asked again once with clear instructions ("please say yes or no, or press
1 ..."), then the safe path, where nothing is done (:mod:`bot.dialogue.actions`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.nlu.data import grammar_doc, grammar_path
from bot.nlu.fallback import clean_text
from bot.nlu.intents import Intent
from bot.types import ParsedIntent
from spillway.errors import NluError

# Unclear answers to one question before the safe path: one re-ask, no more.
MAX_UNCLEAR = 1


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    UNCLEAR = "unclear"


class Next(StrEnum):
    """What the dialogue does with an answer to a question that leads to a side effect."""

    ACT = "act"  # the plain yes: carry the proposal out
    DECLINE = "decline"  # no: nothing done, the caller is asked what they want
    ASK_AGAIN = "ask_again"  # "please say yes or no, or press 1 for yes and 2 for no"
    SAFE_PATH = "safe_path"  # unclear twice: nothing done, a colleague or the words read out


@dataclass(frozen=True, slots=True)
class PlainAnswers:
    """One language's plain yes and no phrases (its pack's ``grammar.yaml``, ``answers``),
    and the restatements a yes may be followed by ("det er mit nummer", "send it")."""

    yes_phrases: tuple[str, ...]
    no_phrases: tuple[str, ...]
    restatements: tuple[str, ...] = ()

    @classmethod
    def from_lists(
        cls,
        yes: Iterable[str],
        no: Iterable[str],
        thanks: Iterable[str] = (),
        restatements: Iterable[str] = (),
    ) -> PlainAnswers:
        # A thanks, alone or with a yes ("yes thank you"), is one more way to say yes.
        yes_phrases = _cleaned([*yes, *thanks], "answers.plain_yes")
        no_phrases = _cleaned(no, "answers.plain_no")
        again = tuple(sorted({clean_text(str(p)) for p in restatements} - {""}))
        return cls(yes_phrases, no_phrases, again)

    def plain(self, text: str) -> Answer:
        """YES if all of ``text`` is plain yes phrases, or a yes and then restatements of
        what is agreed to; NO if all of it is plain no phrases; else UNCLEAR.

        A yes comes first: it is what agrees, so a restatement alone ("det er mit
        nummer") is not enough, and any word outside the lists ("men", "ikke", "nej",
        "forkerte") leaves the answer unclear."""
        words = clean_text(text.replace("\u2019", "'")).split()
        yes = _ends(words, _split(self.yes_phrases), {0})
        if len(words) in yes:
            return Answer.YES
        if yes and len(words) in _ends(words, _split(self.yes_phrases + self.restatements), yes):
            return Answer.YES
        if len(words) in _ends(words, _split(self.no_phrases), {0}):
            return Answer.NO
        return Answer.UNCLEAR


def _cleaned(phrases: Iterable[str], key: str) -> tuple[str, ...]:
    """The phrases as the recogniser's words are cleaned, longest first."""
    cleaned = sorted({clean_text(str(p)) for p in phrases} - {""}, key=len, reverse=True)
    if not cleaned:
        raise NluError(f"grammar {key} must list at least one phrase")
    return tuple(cleaned)


@functools.cache
def _split(phrases: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(p.split()) for p in phrases)


def _ends(words: list[str], phrases: tuple[tuple[str, ...], ...], starts: set[int]) -> set[int]:
    """Where a run of one or more ``phrases`` that begins at one of ``starts`` can end
    (word positions): the words read one phrase after another, every way at once, so a
    long answer costs its length times the phrases, never more ("please please ...")."""
    ends: set[int] = set()
    todo = sorted(starts)
    seen = set(todo)
    while todo:
        at = todo.pop()
        for phrase in phrases:
            end = at + len(phrase)
            if tuple(words[at:end]) == phrase:
                ends.add(end)
                if end not in seen:
                    seen.add(end)
                    todo.append(end)
    return ends


@functools.cache
def plain_answers(language: str) -> PlainAnswers:
    """The plain answers of ``language``'s pack (read once); a bad pack names its key."""
    path, doc = grammar_path(language), grammar_doc(language)
    answers = doc.get("answers")
    if not isinstance(answers, dict):
        raise NluError(f"{path}: grammar answers must be a table with plain_yes and plain_no")
    for key in ("plain_yes", "plain_no", "thanks", "restatements"):
        if not isinstance(answers.get(key), list):
            raise NluError(f"{path}: grammar answers.{key} must be a list of phrases")
    return PlainAnswers.from_lists(
        answers["plain_yes"], answers["plain_no"], answers["thanks"], answers["restatements"]
    )


def plain_no(text: str, language: str) -> bool:
    """Whether all of ``text`` is ``language``'s plain no phrases ("nej tak", "no thanks"):
    to an open question ("what can I help you with?") that is nothing more wanted."""
    return plain_answers(language).plain(text) is Answer.NO


@dataclass(frozen=True, slots=True)
class Heard:
    """One answer as it reached the dialogue: keys, or words with what was made of them."""

    digits: str = ""
    text: str = ""
    intent: ParsedIntent | None = None
    asr_confidence: float | None = None  # the recogniser's own; None: typed or not given


def answer_to_proposal(heard: Heard, answers: PlainAnswers, *, min_asr_confidence: float) -> Answer:
    """The caller's answer to a question that leads to a side effect.

    The words decide, not the classifier's confidence: the whole answer must be the
    pack's yes (or thanks) phrases, which noise never is ("so yeah"), and "ok" or
    "det må du gerne" were asked again for a classifier only 0.86 sure. The classifier
    may still veto: a listed phrase it reads as another request is unclear.
    """
    if heard.digits == "1":
        return Answer.YES
    if heard.digits == "2":
        return Answer.NO
    intent = heard.intent
    if intent is None or heard.digits:
        return Answer.UNCLEAR
    plain = answers.plain(heard.text)
    if plain is Answer.NO or intent.name == Intent.DENY:
        return Answer.NO  # a no acts on nothing, so the classifier's no is enough
    faint = heard.asr_confidence is not None and heard.asr_confidence < min_asr_confidence
    if plain is Answer.YES and not faint and intent.name in _YES_READINGS:
        return Answer.YES
    return Answer.UNCLEAR


# What the classifier may make of a plain yes: a yes, a goodbye (a thanks), or nothing
# it knows ("i guess"); any other request vetoes it.
_YES_READINGS = (Intent.AFFIRM, Intent.GOODBYE, Intent.OUT_OF_SCOPE)


def answer_to_question(
    heard: Heard, answers: PlainAnswers, *, min_asr_confidence: float, min_yes_confidence: float
) -> Answer:
    """The caller's answer to a yes/no question with no side effect ("is that your order?").

    The plain reading first, so that a thanks is a yes here too; then the classifier's
    own sure yes ("yes it's that one"), as nothing is done on it but a look-up.
    """
    answer = answer_to_proposal(heard, answers, min_asr_confidence=min_asr_confidence)
    intent = heard.intent
    if answer is Answer.UNCLEAR and intent is not None and not heard.digits:
        if intent.name == Intent.AFFIRM and intent.confidence >= min_yes_confidence:
            return Answer.YES
    return answer


def next_step(answer: Answer, unclear_before: int) -> Next:
    """What follows ``answer``, given how many unclear answers this question already had."""
    if answer is Answer.YES:
        return Next.ACT
    if answer is Answer.NO:
        return Next.DECLINE
    return Next.ASK_AGAIN if unclear_before < MAX_UNCLEAR else Next.SAFE_PATH
