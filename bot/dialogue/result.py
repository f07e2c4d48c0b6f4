"""How a conversation ended, and where it stood: for the voice bot, the chat and a person."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bot.backends import SmsMessage
from bot.dialogue.inputs import CallerInput
from bot.types import ParsedIntent, Reply
from spillway.call import CallOutcome

# The dialogue ends in the call's own vocabulary (resolved, handoff, callback,
# hangup): what `spillway chat` reports is what the call record says.
Outcome = CallOutcome


@dataclass(frozen=True, slots=True)
class DialogueResult:
    """How the call ended, and what the bot did on the way."""

    outcome: Outcome
    case_id: str | None = None
    callback_id: int | None = None
    sms: tuple[SmsMessage, ...] = ()
    intents: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True, slots=True)
class DialogueContext:
    """The hand-over context: where the conversation stood, for a person or the scheduler.

    Stored as JSON with a case or a callback request (:meth:`as_json`).
    """

    call_id: str
    caller: str | None = None
    intents: tuple[str, ...] = ()
    order_number: str | None = None
    case_id: str | None = None
    last_caller_text: str = ""
    state: str = ""

    def as_json(self) -> dict[str, Any]:
        """Plain JSON-able data (the intents as a list)."""
        return {**asdict(self), "intents": list(self.intents)}


@dataclass(frozen=True, slots=True)
class DialogueTurn:
    """One caller input, how it was understood and the bot's answer."""

    caller: CallerInput
    intent: ParsedIntent | None
    reply: Reply


def result_summary(result: DialogueResult) -> dict[str, Any]:
    """The result as plain JSON-able data."""
    return {
        "outcome": str(result.outcome),
        "case_id": result.case_id,
        "callback_id": result.callback_id,
        "sms": [{"to": m.phone, "body": m.body} for m in result.sms],
    }
