"""Handing a caller from the bot back to the humans, with what the bot learned.

The context travels three ways: as inherited channel variables
(``__SPILLWAY_INTENT`` ...), which Asterisk copies onto the channel that rings
the agent; as the ``SpillwayHandoff`` AMI UserEvent the dialplan sends; and in
the ``calls`` row. A callback the caller booked before the hand-over travels with it
(:func:`held_callback`): the agent sees it, and the controller closes it when an agent
takes the call. Values are cleaned here because a comma or a newline would
split a dialplan argument or an AMI header.
"""

from __future__ import annotations

from agi.fastagi import AgiSession
from spillway.call import BotOutcome, HandoffContext, Route


async def apply_handoff(session: AgiSession, context: HandoffContext) -> None:
    """Set the context on the caller's channel; the dialplan's ``handoff`` does the rest."""
    for name, value in context.channel_variables().items():
        await session.set_variable(name, value)


def held_callback(route: Route, outcome: BotOutcome | None) -> int | None:
    """The callback a hand-over leaves open, to close when an agent takes the call.

    Only a hand-over carries it (the dialplan's ``handoff`` step, which asks the
    controller's ``agent`` route from the queue); a caller sent back to the queue any
    other way keeps the callback whatever happens there: never closed on a guess.
    """
    if route is not Route.HANDOFF or outcome is None:
        return None
    return outcome.handoff.callback_id
