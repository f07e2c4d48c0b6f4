"""The answer to "please type your phone number": keys, or a number said aloud.

A mixin of :class:`bot.dialogue.machine.Dialogue`. Keys are the caller's own
act and are used at once. A caller who says the number instead ("20 12 34 56",
"tyve tolv fireogtredive seksoghalvtreds", "two zero one two ...") was taken
at the recogniser's word and called back or texted on a guess; now the number
read from the words (:mod:`bot.nlu.spoken_numbers`, through the NLU's entities)
is read back and used only after a plain yes (:mod:`bot.dialogue.plain_yes`).
A no, no clear yes twice, or words without a number ask for the keypad, the
sure way.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.dialogue.config import State
from bot.dialogue.inputs import CallerInput, TextTurn
from bot.dialogue.phrasing import phone_text
from bot.dialogue.plain_yes import Next
from bot.dialogue.prompts import say
from bot.dialogue.steps import DialogueSteps
from bot.nlu.intents import Intent
from bot.types import ParsedIntent, Reply

# Fewer keys are a yes (1), a no (2) or a colleague (0), not a number typed.
_MIN_TYPED_DIGITS = 6


def said_number(entities: Mapping[str, str]) -> str:
    """The number the NLU read from the caller's words, "" for none: a phone number, or
    the digits it took for an order number ("2 0 1 2 3 4 5 6" as the recogniser writes
    a number said aloud)."""
    return entities.get("phone") or entities.get("order_number") or ""


class SpokenPhoneSteps(DialogueSteps):
    """A phone number typed or said; state and helpers in DialogueSteps."""

    # The number read from the caller's words, read back and waiting for a yes.
    _spoken_phone: str | None = None

    async def _phone_answer(
        self, event: CallerInput, intent: ParsedIntent | None, digits: str
    ) -> Reply | None:
        """Keys: the number. Words: a number in them read back, else the keypad asked for."""
        if intent is not None and intent.name == Intent.DENY:
            # No number to give (after a no to the callback): nothing is done.
            return self._declined_guess()
        if digits:
            return await self._typed_phone(digits)
        if not isinstance(event, TextTurn) or intent is None:
            return None
        raw = said_number(intent.entities)
        if not raw:
            return self._type_it("phone_type_it")
        return self._spoken_number(raw)

    async def _typed_phone(self, digits: str) -> Reply:
        # Premium-rate, shared-cost and the like are refused like a bad number.
        phone = self.config.callable(digits)
        if phone is None:
            return self._number_refused(digits)
        return await self._phone_given(phone)

    def _spoken_number(self, raw: str) -> Reply:
        """A number read from words: why it cannot be used, or read back for a yes."""
        phone = self.config.callable(raw)
        if phone is None:
            return self._number_refused(raw)
        self._spoken_phone = phone
        return self._ask(
            say("confirm_spoken_phone", phone=phone_text(phone, self.config.country)),
            "confirm_spoken_phone",
            State.CONFIRM_PHONE,
            # Misheard again and again, it must still end with a colleague.
            progress=False,
        )

    async def _confirm_phone(
        self, event: CallerInput, intent: ParsedIntent | None, digits: str
    ) -> Reply:
        """The answer to "I heard 20 12 34 56, is that right?"."""
        if len(digits) >= _MIN_TYPED_DIGITS:
            return await self._typed_phone(digits)  # typed after all: their own act
        said = intent.entities if intent is not None and isinstance(event, TextTurn) else {}
        other = said_number(said)
        if other and self.config.callable(other) != self._spoken_phone:
            return self._spoken_number(other)  # "no, 20 12 34 57"
        step = self._plain_next(event, intent, digits)
        if step is Next.ASK_AGAIN:
            return self._yes_unsure()
        phone, self._spoken_phone = self._spoken_phone, None
        if step is Next.ACT and phone is not None:
            return await self._phone_given(phone)
        # A no, or still no clear yes: the keypad is the sure way.
        return self._type_it("phone_type_instead")

    def _type_it(self, opener: str) -> Reply:
        """Why (prompt ``opener``), then the keypad asked for (a turn that did not get
        the caller further: it counts towards a colleague)."""
        self._failures += 1
        if self._failures > self.config.max_reprompts:
            return self._give_up()
        keypad = say("phone_type_keypad")
        text = f"{say(opener)} {keypad}"
        return self._ask(text, opener, State.ASK_PHONE, prompt=keypad, progress=False)
