"""Handing a caller from the bot back to the humans, with what the bot learned.

The context travels three ways: as inherited channel variables
(``__SPILLWAY_INTENT`` ...), which Asterisk copies onto the channel that rings
the agent; as the ``SpillwayHandoff`` AMI UserEvent the dialplan sends; and in
the ``calls`` row. Values are cleaned here because a comma or a newline would
split a dialplan argument or an AMI header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agi.fastagi import AgiSession
from agi.overflow import RETURN_PRIORITY

MAX_SUMMARY_CHARS = 200
_UNSAFE = re.compile(r"[\x00-\x1f,|;\\\"'$\[\]{}()]+")


def clean_value(text: str | None, limit: int = 80) -> str:
    """A value safe inside a dialplan argument and an AMI header line."""
    if not text:
        return ""
    return " ".join(_UNSAFE.sub(" ", text).split())[:limit]


@dataclass(frozen=True, slots=True)
class HandoffContext:
    """What the agent should know when the call reaches them."""

    intent: str = ""
    case_id: str = ""
    summary: str = ""
    priority: int = RETURN_PRIORITY

    def channel_variables(self) -> dict[str, str]:
        """Inherited (``__``) variables: readable on the agent's channel too."""
        return {
            "__SPILLWAY_INTENT": clean_value(self.intent, 40),
            "__SPILLWAY_CASE_ID": clean_value(self.case_id, 40),
            "__SPILLWAY_SUMMARY": clean_value(self.summary, MAX_SUMMARY_CHARS),
            "SPILLWAY_PRIO": str(max(1, self.priority)),
        }


async def apply_handoff(session: AgiSession, context: HandoffContext) -> None:
    """Set the context on the caller's channel; the dialplan's ``handoff`` does the rest."""
    for name, value in context.channel_variables().items():
        await session.set_variable(name, value)
