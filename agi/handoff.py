"""Handing a caller from the bot back to the humans, with what the bot learned.

The context travels three ways: as inherited channel variables
(``__SPILLWAY_INTENT`` ...), which Asterisk copies onto the channel that rings
the agent; as the ``SpillwayHandoff`` AMI UserEvent the dialplan sends; and in
the ``calls`` row. Values are cleaned here because a comma or a newline would
split a dialplan argument or an AMI header.
"""

from __future__ import annotations

from agi.fastagi import AgiSession
from spillway.call import HandoffContext


async def apply_handoff(session: AgiSession, context: HandoffContext) -> None:
    """Set the context on the caller's channel; the dialplan's ``handoff`` does the rest."""
    for name, value in context.channel_variables().items():
        await session.set_variable(name, value)
