"""How a call goes on once the voice bot is done with it: the bot's outcome.

A person takes over (with what the dialogue learned, for the agent's screen, in the
shop's language: spillway/handover_words.py), or the call is done, resolved or with a
callback request the dialogue recorded.
"""

from __future__ import annotations

from bot.dialogue.machine import Dialogue
from bot.nlu.intents import ANSWERS, Intent
from spillway.call import RETURN_PRIORITY, BotOutcome, CallOutcome, HandoffContext, Route
from spillway.handover_words import agent_words
from spillway.offer_reason import OFFER_PREFIX, OfferReason

__all__ = ["handoff", "handover", "keeps_waiting", "outcome"]


def handover(dialogue: Dialogue, reason: str) -> HandoffContext:
    """What the agent who takes over is told: the last intent, the case, and a summary
    in the language the bot spoke (the intent and case stay codes: machines read them)."""
    ctx = dialogue.handover_context()
    intents = [i for i in ctx.intents if i not in ANSWERS]
    words = agent_words(dialogue.config.language)
    parts = [words.say("bot", reason=words.reason(reason))]
    if ctx.order_number:
        parts.append(words.say("order", order=ctx.order_number))
    if intents:
        # The topics, not the yes and no answers in between: the agent reads them.
        parts.append(words.say("intents", intents=words.intents(intents[-5:])))
    if dialogue.callback_id is not None:
        # The agent must know the caller is still to be called back; taking the call
        # closes the request (agi/controller.py: agent), so they need not cancel it.
        parts.append(words.say("callback_held", callback=dialogue.callback_id))
    return HandoffContext(
        intent=intents[-1] if intents else (ctx.intents[-1] if ctx.intents else ""),
        case_id=ctx.case_id or "",
        summary=words.summary(parts, said=ctx.last_caller_text or ""),
        callback_id=dialogue.callback_id,
    )


def handoff(
    dialogue: Dialogue, reason: str, ended: CallOutcome = CallOutcome.HANDOFF
) -> BotOutcome:
    """A person takes over; ``ended`` says whether the bot chose to or failed."""
    return BotOutcome(
        Route.HANDOFF,
        handover(dialogue, reason),
        reason=reason,
        outcome=ended,
        callback_id=dialogue.callback_id,
    )


def keeps_waiting(dialogue: Dialogue, reason: OfferReason) -> BotOutcome:
    """The caller chose to keep waiting at the overflow offer (or gave no usable answer):
    back to the queue, with the offer's answer for whoever takes the call (in the shop's
    words; stored as its code)."""
    words = agent_words(dialogue.config.language)
    return BotOutcome(
        Route.WAIT,
        HandoffContext(
            summary=words.say("offer", reason=words.offer(reason)), priority=RETURN_PRIORITY
        ),
        reason=OFFER_PREFIX + reason.stored,
    )


def outcome(dialogue: Dialogue, reason: str = "") -> BotOutcome:
    """How the call continues after the dialogue ended, and what happened on it."""
    result = dialogue.hang_up()
    reason = reason or result.reason
    if result.outcome is CallOutcome.HANDOFF:
        handoff = handover(dialogue, result.reason)
        # A callback booked before the hand-over stays open: the call record names it.
        return BotOutcome(
            Route.HANDOFF,
            handoff,
            reason=reason,
            outcome=CallOutcome.HANDOFF,
            callback_id=result.callback_id,
        )
    if result.outcome is CallOutcome.CALLBACK:
        # The dialogue already recorded the request (callback_requests, source
        # 'bot'), or joined an open one; the dialplan's callback step would
        # record it a second time.
        return BotOutcome(
            Route.DONE,
            HandoffContext(
                intent=Intent.CALLBACK_REQUEST,
                summary=agent_words(dialogue.config.language).say(
                    "callback_recorded", callback=result.callback_id
                ),
            ),
            reason=f"callback {result.callback_id} recorded",
            outcome=CallOutcome.CALLBACK,
            callback_id=result.callback_id,
        )
    return BotOutcome(
        Route.DONE,
        HandoffContext(intent=result.intents[-1] if result.intents else ""),
        reason=reason,
        outcome=result.outcome,
    )
