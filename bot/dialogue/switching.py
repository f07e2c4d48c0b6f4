"""The dialogue's side of a change of topic: what flow a step is in, whether the words
answer it, and the reply to a question the bot cannot help with.

A mixin of :class:`bot.dialogue.machine.Dialogue`. The decision itself is the
pure :func:`bot.dialogue.interruption.turn_kind`; this mixin gathers its data
from the call (the state, the order or phone purpose, the words) and words the
out-of-scope reply: what the bot can do and what to do next the first time
("I can't help with that here; I can check an order ... or press 0"), a
colleague the second time, as after words not understood.
"""

from __future__ import annotations

from bot.dialogue.actions import CALLBACK, COMPLAINT, TRACKING_SMS
from bot.dialogue.config import State
from bot.dialogue.interruption import Said, Step, Turn, is_question, turn_kind
from bot.dialogue.number_at_hand import number_not_at_hand
from bot.dialogue.prompts import say
from bot.dialogue.steps import DialogueSteps
from bot.nlu.intents import Intent
from bot.types import ParsedIntent, Reply

_ORDER_STATES = (State.ASK_ORDER, State.CONFIRM_ORDER, State.OFFER_ORDER)
# What the order flow is for -> its topic ("status" otherwise).
_ORDER_FLOWS = {"return": Intent.RETURN_ITEM, COMPLAINT: Intent.COMPLAINT}
# What a phone number asked for is for -> the topic of its flow.
_PHONE_FLOWS = {
    CALLBACK: Intent.CALLBACK_REQUEST,
    TRACKING_SMS: Intent.ORDER_STATUS,
    "return_label": Intent.RETURN_ITEM,
}
_PROPOSAL_FLOWS = {
    COMPLAINT: Intent.COMPLAINT,
    CALLBACK: Intent.CALLBACK_REQUEST,
    TRACKING_SMS: Intent.ORDER_STATUS,
}
_STATE_FLOWS = {
    State.ASK_PRODUCT: Intent.STOCK_CHECK,
    State.RETURN_LABEL: Intent.RETURN_ITEM,
    State.CONFIRM_CALLBACK: Intent.CALLBACK_REQUEST,
    State.CONFIRM_PLAIN: Intent.CALLBACK_REQUEST,
}


class TopicSwitchSteps(DialogueSteps):
    """Topic changes and out-of-scope questions; state and helpers in DialogueSteps."""

    # "status" or "return": what the order is wanted for (bot.dialogue.orders).
    _purpose: str
    # Out-of-scope questions asked in this call (the second goes to a colleague).
    _out_of_scope_asked: int = 0

    def _turn_kind(self, intent: ParsedIntent) -> Turn:
        """What to do with ``intent`` at the current step (:func:`turn_kind`)."""
        said = Said(
            intent.name,
            intent.confidence,
            answers_step=self._answers_state(intent),
            question=is_question(intent.text, self.config.language),
        )
        return turn_kind(Step(self.state, self._flow_topic()), said)

    def _flow_topic(self) -> str:
        """The topic of the flow the current step belongs to ("" at the menu)."""
        if self.state in _ORDER_STATES:
            return _ORDER_FLOWS.get(self._purpose, Intent.ORDER_STATUS)
        if self.state in (State.ASK_PHONE, State.CONFIRM_PHONE):
            return _PHONE_FLOWS.get(self._phone_purpose, "")
        if self.state is State.CONFIRM_ACTION:
            return _PROPOSAL_FLOWS.get(self._proposal, "")
        return _STATE_FLOWS.get(self.state, "")

    def _answers_state(self, intent: ParsedIntent) -> bool:
        """Whether ``intent`` is an answer to the current question, not a new topic."""
        if self.state is State.ASK_ORDER:
            # "I don't have it with me" answers "what is your order number?" too (the
            # classifier read it as a complaint).
            return "order_number" in intent.entities or number_not_at_hand(
                intent.text, self.config.language
            )
        if self.state in _ORDER_STATES:
            # "Order 1 0 0 4 2, is that right?": an order topic is about that order.
            return "order_number" in intent.entities or intent.name in (
                Intent.ORDER_STATUS,
                Intent.RETURN_ITEM,
            )
        if self.state is State.ASK_PRODUCT:
            return "product" in intent.entities
        if self.state is State.CONFIRM_CALLBACK and self._answers_when(intent.text):
            # "This afternoon is best" answers "when suits you?", whatever the
            # classifier makes of it (it read it as a complaint).
            return True
        if (
            self.state is State.CONFIRM_ACTION
            and self._proposal == COMPLAINT
            and "order_number" in intent.entities
        ):
            # "You'd like to report a problem ..., is that right?" "10043": the order
            # the problem is about, not an order-status question.
            return True
        if (
            self.state is State.CONFIRM_ACTION
            and self._proposal == CALLBACK
            and self._window_in(intent.text) is not None
        ):
            # ... and "a colleague will call you back on ..., is that right?" too.
            return True
        if self.state in (State.ASK_PHONE, State.CONFIRM_PHONE, State.CONFIRM_CALLBACK) or (
            self.state is State.CONFIRM_ACTION and self._proposal in _PHONE_FLOWS
        ):
            # A number said aloud ("20 12 34 56"), which the classifier reads as an order;
            # also to "we'd call you on 99 88 77 66, is that right?" (another number).
            return "phone" in intent.entities or "order_number" in intent.entities
        return False

    def _out_of_scope(self) -> Reply:
        """A question the bot cannot help with: what it can do and what to do next; the
        second time (or after too many turns not understood), a colleague."""
        self._out_of_scope_asked += 1
        self._failures += 1
        if self._out_of_scope_asked > 1 or self._failures > self.config.max_reprompts:
            return self._transfer(say("transfer_out_of_scope"), "transfer_out_of_scope", fixed=True)
        if self.state in (State.MAIN, State.ANYTHING_ELSE):
            return self._menu_again("out_of_scope")
        # In a flow: the same, and the step's question again (with its keys).
        return Reply(say("out_of_scope_in_flow", question=self._question()), "out_of_scope")
