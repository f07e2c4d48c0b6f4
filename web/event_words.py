"""A call's events as its page says them: each stored field in the console's words.

An event's data is stored as the component that reported it wrote it (JSON with field
names such as ``elapsed_ms`` and codes such as ``"dtmf"``). The call's page says each
field by its name in the pack (``event_data.<field>``), a code by the pack's word for it,
a span in seconds or minutes as call lengths are written ("1,2 sek.", "2 min. 5 sek."),
a share as a percentage, yes/no in words, and free text with any phone number masked.
A field the pack does not name is left out of the words: an admin sees every field as
stored in the page's clearly labelled stored-data view.

Pure: the event's data and the console's words in, :class:`Said` pairs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spillway.console_text import ConsoleText
from spillway.logs import mask_numbers
from web.pages import word

# Fields whose value is a stored code the pack names, and the group naming it.
CODED = {
    "stage": "stage",
    "dialplan_stage": "stage",
    "route": "route",
    "at": "route",  # where the bot listened: "offer"
    "intent": "intent",
    "outcome": "outcome",
    "by": "barge_by",
}
# Yes/no fields.
FLAGS = frozenset({"barged", "merged", "closed"})
# Free text a caller, a rule or an error wrote: shown as written, numbers masked.
FREE_TEXT = frozenset({"reason", "why", "error", "text", "early", "engine", "action", "transport"})
# Shares between 0 and 1.
SHARES = frozenset({"confidence"})
# Stored ids, shown as they are (no thousands mark: an id is not a count).
IDS = frozenset({"callback_id", "request_id"})


@dataclass(frozen=True, slots=True)
class Said:
    """One field of an event as the page says it: "afspillet i: 1,2 sek."."""

    label: str
    value: str


def field_value(text: ConsoleText, name: str, value: Any) -> str | None:
    """``value`` of field ``name`` in words; None when the page does not say this field."""
    if name.endswith("_ms") and isinstance(value, int | float):
        return text.elapsed(value / 1000)
    if name in CODED:
        return word(text, CODED[name], value)
    if name in FLAGS:
        return text("common.yes" if value else "common.no")
    if name in SHARES and isinstance(value, int | float):
        return text.percent(value)
    if name in IDS:
        return str(value)
    if name in FREE_TEXT:
        return mask_numbers(str(value))
    if name == "entities" and isinstance(value, dict):
        return ", ".join(f"{k}: {mask_numbers(str(v))}" for k, v in value.items())
    return None


def event_words(text: ConsoleText, data: dict[str, Any]) -> list[Said]:
    """An event's stored fields the pack names, in words, in their stored order; empty
    values (None, "", an empty mapping) are not said."""
    said = []
    for name, value in data.items():
        if value is None or value == "" or value == {} or f"event_data.{name}" not in text.strings:
            continue
        shown = field_value(text, name, value)
        if shown is not None:
            said.append(Said(text(f"event_data.{name}"), shown))
    return said
