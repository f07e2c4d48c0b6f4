"""Typed messages passed between the stages of a call (stt -> intent -> tts).

Units are in the field names (``_hz``, ``_ms``). These are plain frozen
dataclasses so that they can cross thread-pool boundaries and be logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Transcript:
    """A partial or final recognition result."""

    text: str
    is_final: bool
    start_ms: float = 0.0
    end_ms: float = 0.0
    confidence: float | None = None
    engine: str = ""


@dataclass(frozen=True, slots=True)
class ParsedIntent:
    """What the caller wants, as the NLU understood it."""

    name: str
    confidence: float
    entities: dict[str, str] = field(default_factory=dict)
    engine: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says back, and what it does next.

    ``cached_prefix``: the start of ``text`` when it is fixed wording (no caller
    data, so it may be stored on disk): played from the prompt cache while the
    rest is synthesised.
    """

    text: str
    action: str = ""
    end_call: bool = False
    transfer: bool = False
    cached_prefix: str = ""
