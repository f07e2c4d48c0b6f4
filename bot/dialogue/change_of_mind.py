"""A caller who declined an offer and takes it up at once: "actually yes, send the label".

The caller audit: "no" to "shall I text you a return label?", then "actually yes send
the label" at "anything else?" heard "What else can I help you with?" and got no
label: the yes was read as "yes, something else". Right after a declined offer (the
return label, the tracking number by SMS, a colleague) an answer that says the caller
changed their mind (a marker from the pack's ``grammar.yaml`` ``change_of_mind``:
"actually", "on second thought", "alligevel", "faktisk") with a yes in it
(``answers.plain_yes`` or ``answers.thanks``) takes the offer up again. A plain
"yes" to "anything else?" still means "yes, something else"; one turn later the
offer is gone. :func:`changes_mind` is the pure decision; :class:`ChangeOfMindSteps`
is a mixin of :class:`bot.dialogue.machine.Dialogue`.
"""

from __future__ import annotations

import functools
import re

from bot.dialogue.config import State
from bot.dialogue.inputs import CallerInput, TextTurn
from bot.dialogue.pack_phrases import phrase_choice, said_words
from bot.dialogue.plain_yes import plain_answers
from bot.dialogue.prompts import say
from bot.dialogue.steps import DialogueSteps
from bot.types import Reply

# The offers a caller may take back a no to: "return_label", TRACKING_SMS (both carried
# out by ``_with_phone``) and "transfer".
TRANSFER = "transfer"


@functools.cache
def _marker(language: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{phrase_choice(language, 'change_of_mind')})\b")


@functools.cache
def _yes(language: str) -> re.Pattern[str]:
    answers = plain_answers(language)
    return re.compile(rf"\b(?:{'|'.join(re.escape(p) for p in answers.yes_phrases)})\b")


def changes_mind(text: str, language: str) -> bool:
    """Whether ``text`` says "I changed my mind: yes" (a marker and a yes, anywhere)."""
    words = said_words(text)
    return bool(_marker(language).search(words) and _yes(language).search(words))


class ChangeOfMindSteps(DialogueSteps):
    """The offer declined on the last turn, and taking it up again."""

    _declined: str = ""

    def _declined_offer(self, offer: str, text: str) -> Reply:
        """No to ``offer``: "anything else?", and the offer kept for one turn."""
        reply = self._anything_else(text)
        self._declined = offer
        return reply

    async def _changed_mind(self, event: CallerInput) -> Reply | None:
        """The declined offer carried out, if the caller now says yes to it (else None;
        either way the offer is gone)."""
        offer, self._declined = self._declined, ""
        if not offer or self.state is not State.ANYTHING_ELSE or not isinstance(event, TextTurn):
            return None
        if not changes_mind(event.text, self.config.language):
            return None
        if offer == TRANSFER:
            return self._transfer(say("transfer_confirmed"), fixed=True)
        return await self._with_phone(offer)
