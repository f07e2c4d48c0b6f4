"""Whether the caller swears (pure): the words are the pack's, per language.

A caller who swears hears the empathy line once; a second time, they are put
through to a colleague (:mod:`bot.dialogue.machine`). Mid-call, an oath the step
did not understand as an answer ("this is bullshit, it was supposed to arrive
friday" to "shall I text you the tracking number?") met "Sorry, was that a yes?":
the caller now hears the empathy line and is offered a colleague instead
(:func:`offers_colleague`, :class:`SwearingSteps`). The words were English only,
in code, so a Danish caller saying "for helvede" or "det er noget lort" met
neither. The pack's ``grammar.yaml`` lists them as ``swear_words``: regular
expressions matched as whole words, without regard to case.
"""

from __future__ import annotations

import functools
import re

from bot.dialogue.config import State
from bot.dialogue.prompts import say
from bot.dialogue.steps import DialogueSteps
from bot.nlu.data import grammar_list
from bot.types import Reply

# The replies to a turn that was not understood as an answer (asked again).
NOT_UNDERSTOOD = frozenset({"yes_unsure", "reprompt", "reprompt_unclear"})


@functools.cache
def swear_pattern(language: str) -> re.Pattern[str]:
    """Any of the pack's swear words, as a whole word (read once)."""
    words = "|".join(grammar_list(language, "swear_words", "regular expressions"))
    return re.compile(rf"\b(?:{words})\b", re.IGNORECASE)


def swears(text: str, language: str) -> bool:
    """Whether ``text`` holds one of ``language``'s swear words."""
    return swear_pattern(language).search(text) is not None


def offers_colleague(action: str) -> bool:
    """Whether an upset caller's turn, answered with ``action``, is met with a colleague
    offered instead: it was not understood, and asking again would only add to it."""
    return action in NOT_UNDERSTOOD


class SwearingSteps(DialogueSteps):
    """The empathy line before the reply to an upset caller, or a colleague offered."""

    def _soothed(self, reply: Reply) -> Reply:
        if offers_colleague(reply.action):
            offer = say("upset_offer_colleague")
            text = say("empathy") + offer
            return self._ask(text, "upset_offer_colleague", State.OFFER_HUMAN, prompt=offer)
        # The empathy line goes first; the reply's own cached opener is no longer its start.
        return Reply(say("empathy") + reply.text, reply.action, reply.end_call, reply.transfer)
