"""The typed base of the dialogue's step mixins: the state and helpers they share.

:class:`bot.dialogue.machine.Dialogue` is built from mixins (the callback
flow, the confirmed actions) that call the machine's helpers (``_ask``,
``_transfer`` ...) and each other's steps. Each is declared here once, with its
signature, so that every mixin is type-checked against the same one; the
machine and the mixins provide the bodies (a test checks none is left over). What
the caller may hear of an order is decided here once, for every mixin
(:mod:`bot.dialogue.disclosure`).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.backends import Backends, Order, SmsMessage
from bot.dialogue.config import DialogueConfig, State
from bot.dialogue.disclosure import caller_owns, shown_to
from bot.dialogue.inputs import CallerInput
from bot.dialogue.plain_yes import Answer, Next
from bot.dialogue.result import DialogueContext, Outcome
from bot.dialogue.time_phrases import CallbackWindow
from bot.types import ParsedIntent, Reply


class DialogueSteps:
    """What one call's dialogue holds, and the helpers its steps call."""

    config: DialogueConfig
    backends: Backends
    clock: Callable[[], float]
    call_id: str
    caller_phone: str | None
    callback_id: int | None
    case_id: str | None
    intents: list[str]
    sms: list[SmsMessage]
    state: State
    _last_text: str
    _order: Order | None
    _return_order: Order | None
    _known_phone: str | None
    _callback_phone: str | None
    _callback_window: CallbackWindow | None
    # Why the window the caller named was not kept (no calling hours in it); "": none.
    _window_refusal: str
    _proposal: str
    # What a phone number asked for is for ("callback", "return_label", ...).
    _phone_purpose: str
    _declines: int
    _failures: int
    # Questions answered in this call (an order's status, stock, opening hours ...).
    _served: int
    # The offer the caller said no to on the last turn ("": none; change_of_mind.py).
    _declined: str

    # -- what the caller may hear of an order (bot.dialogue.disclosure) --------

    def _owns(self, order: Order) -> bool:
        """Whether the caller's number is the number on ``order``."""
        return caller_owns(self.caller_phone, order, self.config.country)

    def _shown(self, order: Order) -> Order:
        """``order`` as this caller may hear it: all of it for its customer, else its
        general state (no items, carrier or tracking number)."""
        return shown_to(self.caller_phone, order, self.config.country)

    # -- provided by the machine (bot.dialogue.machine.Dialogue) -------------

    def _ask(
        self,
        text: str,
        action: str,
        state: State | None = None,
        *,
        prompt: str = "",
        progress: bool = True,
    ) -> Reply:
        """Ask the next question; ``progress`` (the caller got further) clears the failures."""
        raise NotImplementedError

    def _anything_else(self, text: str, action: str = "anything_else") -> Reply:
        raise NotImplementedError

    def _transfer(self, text: str, action: str = "transfer", *, fixed: bool = False) -> Reply:
        raise NotImplementedError

    def _fail(self, text: str, action: str, state: State) -> Reply:
        """A turn that did not get the caller further (counts towards hand-over)."""
        raise NotImplementedError

    def _give_up(self) -> Reply:
        raise NotImplementedError

    def _number_refused(self, number: str) -> Reply:
        """A number given that callbacks may not dial: why, and a number asked for."""
        raise NotImplementedError

    def _finish(self, outcome: Outcome, reason: str) -> None:
        raise NotImplementedError

    def handover_context(self) -> DialogueContext:
        raise NotImplementedError

    def _question(self) -> str:
        """The last question, asked again (a yes/no one with its keys)."""
        raise NotImplementedError

    def _reprompt(self, *, silence: bool = False, unclear: bool = False) -> Reply:
        """Not understood (or not heard): the question again, a failure counted."""
        raise NotImplementedError

    async def _phone_given(self, phone: str) -> Reply:
        """Go on with what a phone number was asked for (a callback, an SMS)."""
        raise NotImplementedError

    # -- provided by the callback flow (bot.dialogue.callbacks.CallbackSteps) --

    async def _callback_number(self, phone: str, *, confirmed_when: bool = False) -> Reply:
        raise NotImplementedError

    def _callback_when(self, phone: str) -> str:
        raise NotImplementedError

    def _window_in(self, text: str) -> CallbackWindow | None:
        raise NotImplementedError

    def _take_window(self, window: CallbackWindow | None, said: str = "") -> None:
        raise NotImplementedError

    async def _with_phone(self, purpose: str) -> Reply:
        raise NotImplementedError

    def _answers_when(self, text: str) -> bool:
        raise NotImplementedError

    # -- provided by the confirmed actions (bot.dialogue.actions.ActionSteps) --

    def _plain_answer(
        self, event: CallerInput, intent: ParsedIntent | None, digits: str, *, acts: bool = True
    ) -> Answer:
        raise NotImplementedError

    def _plain_next(self, event: CallerInput, intent: ParsedIntent | None, digits: str) -> Next:
        raise NotImplementedError

    def _yes_unsure(self) -> Reply:
        raise NotImplementedError

    def _declined_guess(self) -> Reply:
        raise NotImplementedError

    def _menu_again(self, key: str) -> Reply:
        """Prompt ``key``, then the menu's question (no progress: it counts as before)."""
        raise NotImplementedError

    def _propose_on(self, order: Order, *, progress: bool = False) -> Reply:
        """The complaint about ``order``, read back for a yes."""
        raise NotImplementedError

    # -- provided by the change of mind (bot.dialogue.change_of_mind.ChangeOfMindSteps) --

    def _declined_offer(self, offer: str, text: str) -> Reply:
        """No to ``offer``: "anything else?", and the offer kept for one turn."""
        raise NotImplementedError

    # -- provided by the spoken phone number (bot.dialogue.spoken_phone.SpokenPhoneSteps) --

    def _spoken_number(self, raw: str) -> Reply:
        """A phone number read from the caller's words: read back for a yes first."""
        raise NotImplementedError


# The helpers above that something else must provide (a test checks Dialogue does).
PROVIDED_ELSEWHERE = (
    "_ask",
    "_anything_else",
    "_transfer",
    "_fail",
    "_give_up",
    "_number_refused",
    "_finish",
    "handover_context",
    "_question",
    "_reprompt",
    "_phone_given",
    "_callback_number",
    "_callback_when",
    "_window_in",
    "_take_window",
    "_with_phone",
    "_answers_when",
    "_plain_answer",
    "_plain_next",
    "_yes_unsure",
    "_declined_guess",
    "_menu_again",
    "_propose_on",
    "_spoken_number",
    "_declined_offer",
)
