"""How a call goes on once the voice bot is done with it: the bot's outcome.

A person takes over (with what the dialogue learned, for the agent's screen),
or the call is done, resolved or with a callback request the dialogue recorded.
"""

from __future__ import annotations

from bot.dialogue.machine import Dialogue
from bot.nlu.intents import ANSWERS, Intent
from spillway.call import BotOutcome, CallOutcome, HandoffContext, Route

__all__ = ["handoff", "handover", "outcome"]


def handover(dialogue: Dialogue, reason: str) -> HandoffContext:
    """What the agent who takes over is told: the last intent, the case, a summary."""
    ctx = dialogue.handover_context()
    intents = [i for i in ctx.intents if i not in ANSWERS]
    parts = [f"bot: {reason}"]
    if ctx.order_number:
        parts.append(f"order {ctx.order_number}")
    if ctx.intents:
        parts.append("intents " + ",".join(ctx.intents[-5:]))
    if dialogue.callback_id is not None:
        # The agent must know the caller is still to be called back; taking the call
        # closes the request (agi/controller.py: agent), so they need not cancel it.
        parts.append(f"callback {dialogue.callback_id} booked, closed if you take the call")
    if ctx.last_caller_text:
        parts.append(f"said: {ctx.last_caller_text}")
    return HandoffContext(
        intent=intents[-1] if intents else (ctx.intents[-1] if ctx.intents else ""),
        case_id=ctx.case_id or "",
        summary="; ".join(parts),
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
                summary=f"callback request {result.callback_id} recorded by the bot",
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
