"""A call's turns as the Calls page shows them: recognition, understanding and the reply, in ms.

Pure: the call's events in, :class:`Turn` rows out. A turn starts when the
caller stops talking (``endpoint``); the recogniser's final text is the
``recognised`` stage, the intent the ``understood`` stage, and the turn ends
with the first audio of the reply (``first_audio``). A part whose event is
missing (the DTMF menu, a caller who hung up) is None.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Turn:
    ended_speech_at: float
    recognition_ms: float | None  # end of speech to the recogniser's final text
    understanding_ms: float | None  # final text to the intent
    reply_ms: float | None  # intent to the first audio of the reply (dialogue and synthesis)
    total_ms: float | None  # end of speech to the first audio
    heard: str = ""


def event_data(raw: str | None) -> dict[str, Any]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _ms(start: float | None, end: float | None) -> float | None:
    return round((end - start) * 1000.0, 1) if start is not None and end is not None else None


def turns(events: list[dict[str, Any]]) -> list[Turn]:
    """The turns of one call from its ``call_events`` rows (``at``, ``kind``, ``data``)."""
    found: list[Turn] = []
    start: float | None = None
    marks: dict[str, float] = {}
    heard = ""

    def close(first_audio: float | None) -> None:
        if start is None:
            return
        recognised, understood = marks.get("recognised"), marks.get("understood")
        found.append(
            Turn(
                ended_speech_at=start,
                recognition_ms=_ms(start, recognised),
                understanding_ms=_ms(recognised, understood),
                reply_ms=_ms(understood, first_audio),
                total_ms=_ms(start, first_audio),
                heard=heard,
            )
        )

    for e in sorted(events, key=lambda e: float(e["at"])):
        at, kind = float(e["at"]), e["kind"]
        if kind == "endpoint":
            if start is not None and marks:
                close(None)  # a turn the bot never answered
                marks, heard = {}, ""
            start = at  # a new turn, or the caller went on talking: it starts at their last stop
        elif kind == "stage" and start is not None:
            data = event_data(e.get("data"))
            stage = data.get("stage")
            if stage in ("recognised", "understood") and stage not in marks:
                marks[str(stage)] = at
                if stage == "recognised":
                    heard = str(data.get("text", ""))
        elif kind == "first_audio" and start is not None:
            close(at)
            start, marks, heard = None, {}, ""
    if start is not None and marks:
        close(None)
    return found
