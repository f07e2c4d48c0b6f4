"""Turn-taking: whether the bot may answer at the caller's first pause.

The endpointer closes an utterance after ``speech.endpoint_silence_ms`` of
silence (300 ms); at the first pause (``speech.speculate_pause_ms``, 150 ms)
the recogniser already has a speculative transcript. When that transcript is
a complete answer on its own, the bot need not wait out the rest of the
silence: "yes", "no thanks", "goodbye", an order number of the shop's
length (``speech.early_order_digits``), or a finished question about one of
the shop's topics ("Where is my package?": the recogniser's question mark,
a sure intent). A statement is not finished by its full stop ("I bought
some boots from you." goes on "I want to return them."), so it waits for
the endpoint as before, as does anything less sure (its reply is still
prepared at the pause). A question whose answer would act on a real person
(a hand-over, a case) never gets here: the dialogue refuses it at the pause.

If the caller goes on speaking after all, the bot stops at once, the
dialogue is rewound (:mod:`bot.dialogue.rewind`) and the turn continues as
one utterance; ``bench/bench_conversations.py`` counts how often the bot
talked over a caller who had not finished.

Only a plain decision over data here (no audio, no sockets):
:func:`answer_early` is tested in ``tests/test_turn_taking.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.nlu.intents import TOPICS, Intent
from spillway.settings import Settings

_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]+")


class EarlyReason(StrEnum):
    """Why an utterance is complete at its first pause."""

    YES_NO = "yes_no"
    CLOSING = "closing"
    ORDER_NUMBER = "order_number"
    QUESTION = "question"


@dataclass(frozen=True, slots=True)
class EarlyAnswerRules:
    """When a pause is enough; built from ``speech.*`` by :meth:`from_settings`."""

    enabled: bool = True
    # An order number of exactly this many digits is complete (0: never early).
    order_digits: int = 5
    # The NLU's confidence a short answer needs (the dialogue's own yes floor).
    min_confidence: float = 0.9
    # "yes", "yes please", "no thanks goodbye": a short answer has at most this many words.
    max_words: int = 3
    # A finished question on a topic ("Where is my package?") is answered at the pause.
    questions: bool = True
    # ... when it has at least this many words ("Where?" alone is not a request).
    min_question_words: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> EarlyAnswerRules:
        return cls(
            enabled=settings.speech.early_answer,
            order_digits=settings.speech.early_order_digits,
            min_confidence=settings.nlu.min_yes_confidence,
            questions=settings.speech.early_questions,
        )


@dataclass(frozen=True, slots=True)
class TurnSoFar:
    """The speculative transcript at the first pause and what the NLU made of it."""

    text: str
    intent: str | None
    confidence: float
    # The order number the NLU found in it, if any (entities["order_number"]).
    order_number: str | None = None


_SHORT_ANSWERS = {
    Intent.AFFIRM: EarlyReason.YES_NO,
    Intent.DENY: EarlyReason.YES_NO,
    Intent.GOODBYE: EarlyReason.CLOSING,
}


def answer_early(turn: TurnSoFar, rules: EarlyAnswerRules) -> EarlyReason | None:
    """Why the bot may answer ``turn`` now, at the pause; None: wait for the endpoint."""
    if not rules.enabled or turn.intent is None or not turn.text.strip():
        return None
    words = _WORD.findall(turn.text)
    digits = _DIGIT.findall(turn.text)
    number = "".join(_DIGIT.findall(turn.order_number or ""))
    if (
        rules.order_digits > 0
        and len(number) == rules.order_digits
        # The number is the whole utterance, give or take "it's" / "order"; its
        # length is the evidence (a bare number's intent is rarely sure).
        and len(digits) == rules.order_digits
        and len(words) <= rules.max_words
    ):
        return EarlyReason.ORDER_NUMBER
    if turn.confidence < rules.min_confidence:
        return None
    reason = _SHORT_ANSWERS.get(Intent(turn.intent)) if turn.intent in set(Intent) else None
    if reason is not None and not digits and 0 < len(words) <= rules.max_words:
        return reason
    if (
        rules.questions
        and turn.intent in TOPICS
        and turn.text.rstrip().endswith("?")
        and len(words) >= rules.min_question_words
    ):
        return EarlyReason.QUESTION
    return None
