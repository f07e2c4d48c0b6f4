"""What a callback tells the people on it: the customer's topic and the agent's hand-over.

A bot hand-over gives the agent the SPILLWAY_* variables and the
``SpillwayHandoff`` event; a callback gives the same, built here from the
request (its reason and the context its source stored), and the topic the
customer's announcement names ("returning your call about your order").
Pure: a request row's values in, the dial order's fields out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dialplan.sounds import callback_topic
from spillway.call import HandoffContext


@dataclass(frozen=True, slots=True)
class CallbackBrief:
    """The topic for the announcement and the context for the agent."""

    topic: str = ""
    handoff: HandoffContext = field(default_factory=HandoffContext)


def _context(raw: str | Mapping[str, Any] | None) -> Mapping[str, Any]:
    if isinstance(raw, Mapping):
        return raw
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def callback_brief(
    request_id: int, reason: str | None, context: str | Mapping[str, Any] | None
) -> CallbackBrief:
    """The brief for a request, from its ``reason`` and stored ``context`` (JSON or a mapping)."""
    data = _context(context)
    reason = reason or ""
    topic = callback_topic(reason, data)
    intents = [i for i in data.get("intents") or [] if isinstance(i, str)]
    # The topic's intent when known, else what the request says it is.
    intent = (
        _text(data.get("topic"))
        or _text(data.get("intent"))
        or (intents[-1] if intents else "")
        or reason
    )
    case = _text(data.get("case_id")) or _text(data.get("order_number"))
    summary = _text(data.get("summary"))
    if not summary:
        parts = [f"callback request {request_id}"]
        if reason and reason != intent:
            parts.append(reason)
        order = _text(data.get("order_number"))
        if order:
            parts.append(f"order {order}")
        said = _text(data.get("last_caller_text"))
        if said:
            parts.append(f'said "{said}"')
        summary = "; ".join(parts)
    return CallbackBrief(topic, HandoffContext(intent=intent, case_id=case, summary=summary))
