"""What both media transports share: the inbound queues and the closed flag.

:class:`BaseMediaSession` implements :class:`spillway.media.MediaSession`
for chan_websocket (:mod:`agi.chan_websocket`) and AudioSocket
(:mod:`agi.audiosocket`); :mod:`agi.media_server` runs the listeners.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator

from spillway.audio import AudioFormat


class BaseMediaSession(ABC):
    """Inbound queues and the closed flag, shared by both transports.

    Caller audio is kept in a bounded queue: if the consumer (speech recognition)
    falls behind by more than ``max_buffered_frames``, the oldest audio is dropped
    and counted rather than letting memory grow for as long as the call lasts.
    """

    transport: str
    call_id: str
    format: AudioFormat
    closed: asyncio.Event

    def __init__(
        self, *, call_id: str, format: AudioFormat, max_buffered_frames: int = 500
    ) -> None:
        self.call_id = call_id
        self.format = format
        self.closed = asyncio.Event()
        self.dropped_frames = 0
        self.frames_received = 0
        self._audio: deque[bytes] = deque(maxlen=max_buffered_frames)
        self._audio_ready = asyncio.Event()
        self._dtmf: asyncio.Queue[str | None] = asyncio.Queue()

    def _push_audio(self, audio: bytes) -> None:
        self.frames_received += 1
        if len(self._audio) == self._audio.maxlen:
            self.dropped_frames += 1
        self._audio.append(audio)
        self._audio_ready.set()

    def _push_dtmf(self, digit: str) -> None:
        self._dtmf.put_nowait(digit)

    def _mark_closed(self) -> None:
        if not self.closed.is_set():
            self.closed.set()
            self._audio_ready.set()
            self._dtmf.put_nowait(None)

    async def frames(self) -> AsyncIterator[bytes]:
        while True:
            while self._audio:
                yield self._audio.popleft()
            if self.closed.is_set():
                return
            self._audio_ready.clear()
            await self._audio_ready.wait()

    async def next_dtmf(self) -> str | None:
        if self.closed.is_set() and self._dtmf.empty():
            return None
        digit = await self._dtmf.get()
        if digit is None:
            self._dtmf.put_nowait(None)  # every later caller sees the end too
        return digit

    @abstractmethod
    async def handshake(self) -> None:
        """Read the transport's opening message (call id, format)."""

    @abstractmethod
    async def run(self) -> None:
        """Pump the connection until the call ends; closes it on the way out."""

    @abstractmethod
    async def play(self, audio: bytes) -> None:
        """Queue PCM (in ``format``) for the caller; returns once it is queued."""

    @abstractmethod
    async def wait_played(self) -> None:
        """Return once everything queued has been played (or flushed, or the call ended)."""

    @abstractmethod
    async def flush(self) -> None:
        """Barge-in: drop every bit of queued audio not yet played."""

    @abstractmethod
    async def hangup(self) -> None:
        """End the media leg (and with it the bot's part of the call)."""
