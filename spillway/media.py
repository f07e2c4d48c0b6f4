"""What a bot sees of one call's media leg, whichever transport carries it.

Asterisk streams the call's audio over chan_websocket or AudioSocket
(``agi/``); the bot only ever sees this protocol: caller audio in
(:meth:`MediaSession.frames`), DTMF digits, and ``play``/``wait_played``/
``flush``/``hangup`` for what it says back. Test doubles implement it too
(``tests/fakes.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Protocol

from spillway.audio import AudioFormat


class MediaEnd(StrEnum):
    """Why a media leg ended. Only ``HANGUP`` means the caller is gone."""

    HANGUP = "hangup"  # the caller hung up: Asterisk said so, or closed the leg cleanly
    LOCAL = "local"  # we ended the leg (the bot is done, or Spillway is stopping)
    ERROR = "error"  # a protocol error or a broken connection
    IDLE = "idle"  # nothing from Asterisk for too long: a half-open connection
    FLOOD = "flood"  # far more audio than real time: the connection was cut


class MediaSession(Protocol):
    """One call's media stream."""

    transport: str
    call_id: str
    format: AudioFormat
    closed: asyncio.Event
    # Set when the leg ends (``closed``); None while it runs.
    end: MediaEnd | None

    def frames(self) -> AsyncIterator[bytes]:
        """Caller audio as PCM chunks (20 ms each normally); ends when the call does."""
        ...

    async def next_dtmf(self) -> str | None:
        """The next DTMF digit the caller pressed; ``None`` once the call has ended."""
        ...

    async def play(self, audio: bytes) -> None:
        """Queue PCM (in ``format``) for the caller; returns once it is queued."""
        ...

    async def wait_played(self) -> None:
        """Return once everything queued has been played (or flushed, or the call ended)."""
        ...

    async def flush(self) -> None:
        """Barge-in: drop every bit of queued audio not yet played."""
        ...

    async def hangup(self) -> None:
        """End the media leg (and with it the bot's part of the call)."""
        ...
