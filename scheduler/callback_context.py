"""What a callback tells the people on it: the customer's topic and the agent's hand-over.

A bot hand-over gives the agent the SPILLWAY_* variables and the
``SpillwayHandoff`` event; a callback gives the same, built here from the
request (its reason and the context its source stored), and the topic the
customer's announcement names ("returning your call about your order"). A request
with no summary of its own gets one in the shop's language (spillway/handover_words.py).
Pure: a request row's values in, the dial order's fields out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dialplan.sounds import callback_topic
from scheduler.joined_request import reason_parts
from spillway.call import HandoffContext
from spillway.handover_words import agent_words
from spillway.language_pack import DEFAULT_LANGUAGE


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
    request_id: int,
    reason: str | None,
    context: str | Mapping[str, Any] | None,
    language: str = DEFAULT_LANGUAGE,
) -> CallbackBrief:
    """The brief for a request, from its ``reason`` and stored ``context`` (JSON or a
    mapping); a summary the context does not carry is written in ``language``."""
    data = _context(context)
    # A CSV row that joined an open request added its reason after the open one's
    # ("order_status; Ny henvendelse"): the first with a topic names it.
    reasons = reason_parts(reason)
    topics = (callback_topic(part, data) for part in reasons or [""])
    topic = next((found for found in topics if found), "")
    intents = [i for i in data.get("intents") or [] if isinstance(i, str)]
    # The topic's intent when known, else what the request says it is.
    intent = (
        _text(data.get("topic"))
        or _text(data.get("intent"))
        or (intents[-1] if intents else "")
        or (reasons[0] if reasons else "")
    )
    case = _text(data.get("case_id")) or _text(data.get("order_number"))
    summary = _text(data.get("summary"))
    if not summary:
        words = agent_words(language)
        parts = [words.say("callback_request", callback=request_id)]
        others = [part for part in reasons if part != intent]
        if others:
            # An intent in the console's words; the intake's codes and a shop's text as stored.
            parts.append(words.say("request_reason", reason=words.intents(others)))
        order = _text(data.get("order_number"))
        if order:
            parts.append(words.say("order", order=order))
        summary = words.summary(parts, said=_text(data.get("last_caller_text")))
    return CallbackBrief(topic, HandoffContext(intent=intent, case_id=case, summary=summary))
