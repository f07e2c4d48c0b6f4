"""Whether what a caller says in the middle of a flow answers the step or leaves it (pure).

A caller asked for their order number who says "I'd rather return an item",
or asked when suits them for a callback who asks "do you have the blue jacket
in stock?", used to hear the step's question again: a topic was taken as an
answer when it was the flow's cousin (a return inside an order-status flow),
and any classifier guess above the NLU floor switched topic, so a caller's
"I don't have it with me", read as a complaint at 0.75, started a complaint.

:func:`turn_kind` decides from data alone:

- a request for a colleague leaves any step (it must always work);
- another topic leaves a step when the classifier is clearly sure of it
  (:data:`CLEAR_TOPIC`), it is not the flow's own topic, and the words do not
  answer the step (a number where a number is asked, a time where a time is:
  the machine says so in :attr:`Said.answers_step`);
- an out-of-scope *question* ("what is the meaning of life": three words or
  more, started as a question or a request, not a "hold on"; :func:`is_question`)
  gets the reply that says what the bot can do, at the menu and at the steps
  where such words cannot be an answer (:data:`OUT_OF_SCOPE_STEPS`);
- anything else is the step's to answer, with its own reprompt when it does not fit.

At the menu (``State.MAIN``, ``State.ANYTHING_ELSE``) there is nothing to
interrupt: every topic the NLU names starts its flow, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.dialogue.config import State
from bot.dialogue.pack_phrases import phrase_choice
from bot.nlu.fallback import clean_text
from bot.nlu.intents import TOPICS, Intent

# A topic leaves a flow only this sure (calibrated): the fallback reads "I'd rather
# return an item" at 0.92-0.99, while answers it misreads ("I don't have it with
# me" as a complaint, "at 2 pm" as an order) stay below 0.9.
CLEAR_TOPIC = 0.9
# An out-of-scope question this sure is one (below, the NLU is only unsure).
CLEAR_OUT_OF_SCOPE = 0.6
# Fewer words are a mumble or a filler ("øh", "hmm hmm"), not a question.
MIN_QUESTION_WORDS = 3

# The steps an out-of-scope question answers with what the bot can do. Not the steps
# that take free words (a product described, a time: "sometime after lunch would be
# nice" is read as out of scope), where the step's own reprompt helps more.
OUT_OF_SCOPE_STEPS = frozenset(
    {
        State.MAIN,
        State.ANYTHING_ELSE,
        State.ASK_ORDER,
        State.CONFIRM_ORDER,
        State.OFFER_ORDER,
        State.RETURN_LABEL,
        State.OFFER_HUMAN,
        State.ASK_PHONE,
        State.CONFIRM_PHONE,
        State.CONFIRM_ACTION,
    }
)
_MENU_STATES = frozenset({State.MAIN, State.ANYTHING_ELSE})


class Turn(StrEnum):
    """What the dialogue does with one caller turn."""

    ANSWER = "answer"  # the step's own handling (its reprompt when it does not fit)
    NEW_TOPIC = "new_topic"  # start the flow of the intent
    OUT_OF_SCOPE = "out_of_scope"  # say what the bot can do, and what to do next


@dataclass(frozen=True, slots=True)
class Step:
    """Where the caller is: the state, and the topic of the flow it belongs to
    (``Intent.CALLBACK_REQUEST`` while asked for a time; "" for none)."""

    state: State
    flow: str = ""


@dataclass(frozen=True, slots=True)
class Said:
    """One caller turn as the decision needs it."""

    intent: str
    confidence: float
    # The words answer the step's question (a number, a time, a product ...).
    answers_step: bool = False
    # An out-of-scope question, not a filler or a "hold on" (:func:`is_question`).
    question: bool = False


def turn_kind(step: Step, said: Said) -> Turn:
    """Whether ``said`` answers ``step``, starts another topic, or is out of scope."""
    if said.intent == Intent.HUMAN_AGENT:
        return Turn.NEW_TOPIC  # a colleague, at any step
    if step.state in _MENU_STATES and said.intent in TOPICS:
        return Turn.NEW_TOPIC
    if said.answers_step:
        return Turn.ANSWER
    if said.intent in TOPICS and said.intent != step.flow and said.confidence >= CLEAR_TOPIC:
        return Turn.NEW_TOPIC
    if (
        said.intent == Intent.OUT_OF_SCOPE
        and said.question
        and said.confidence >= CLEAR_OUT_OF_SCOPE
        and step.state in OUT_OF_SCOPE_STEPS
        # "A colleague will call you back on ..., is that right?" takes a time too.
        and not (step.state is State.CONFIRM_ACTION and step.flow == Intent.CALLBACK_REQUEST)
    ):
        return Turn.OUT_OF_SCOPE
    return Turn.ANSWER


def is_question(text: str, language: str) -> bool:
    """Whether ``text`` is a question or a request, not nonsense, a mumble or a "hold on,
    let me look" (the classifier reads all of them as out of scope): three words or more,
    the first a question's (the pack's ``question_openers``), none a "hold on" (``hold_on``)."""
    said = clean_text(text.replace("\u2019", "'"))
    if len(said.split()) < MIN_QUESTION_WORDS:
        return False
    if re.match(rf"(?:{phrase_choice(language, 'question_openers', clean_text)})\b", said) is None:
        return False
    return re.search(rf"\b(?:{phrase_choice(language, 'hold_on', clean_text)})\b", said) is None
