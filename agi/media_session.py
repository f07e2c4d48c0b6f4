"""What both media transports share: the inbound queues and the closed flag.

:class:`BaseMediaSession` implements :class:`spillway.media.MediaSession`
for chan_websocket (:mod:`agi.chan_websocket`) and AudioSocket
(:mod:`agi.audiosocket`); :mod:`agi.media_server` runs the listeners.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Callable

from spillway.audio import AudioFormat
from spillway.errors import ProtocolError
from spillway.media import MediaEnd


class BaseMediaSession(ABC):
    """Inbound queues and the closed flag, shared by both transports.

    Caller audio is kept in a bounded queue: if the consumer (speech recognition)
    falls behind by more than ``max_buffered_frames``, the oldest audio is dropped
    and counted rather than letting memory grow for as long as the call lasts.

    Caller audio is also rate-limited: a connection may send at most
    ``max_realtime`` times real time beyond a ``burst_s`` allowance; what is
    above that is dropped, and once ``flood_close_s`` of audio was dropped the
    connection is cut (:class:`~spillway.media.MediaEnd` ``FLOOD``), so one
    flooding peer cannot take the CPU every other call needs. A frame of an
    odd number of bytes keeps its last byte for the next frame: 16-bit samples
    stay aligned whatever the peer sends.
    """

    transport: str
    call_id: str
    format: AudioFormat
    closed: asyncio.Event
    end: MediaEnd | None

    def __init__(
        self,
        *,
        call_id: str,
        format: AudioFormat,
        max_buffered_frames: int = 500,
        max_realtime: float = 3.0,
        burst_s: float = 2.0,
        flood_close_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.call_id = call_id
        self.format = format
        self.closed = asyncio.Event()
        self.end = None
        self.dropped_frames = 0
        self.frames_received = 0
        self.flood_dropped_ms = 0.0
        self.max_realtime = max_realtime
        self.burst_s = burst_s
        self.flood_close_s = flood_close_s
        self._clock = clock
        self._allowance_ms = burst_s * 1000
        self._allowance_at = clock()
        self._carry = b""
        self._audio: deque[bytes] = deque(maxlen=max_buffered_frames)
        self._audio_ready = asyncio.Event()
        self._dtmf: asyncio.Queue[str | None] = asyncio.Queue()

    def _push_audio(self, audio: bytes) -> None:
        """One frame of caller audio from the wire (raises ProtocolError on a flood)."""
        if self._carry:
            audio, self._carry = self._carry + audio, b""
        if len(audio) % 2:
            audio, self._carry = audio[:-1], audio[-1:]
        if not audio:
            return
        if not self._within_rate(self.format.duration_ms(len(audio))):
            return
        self.frames_received += 1
        if len(self._audio) == self._audio.maxlen:
            self.dropped_frames += 1
        self._audio.append(audio)
        self._audio_ready.set()

    def _within_rate(self, duration_ms: float) -> bool:
        """Token bucket: real time times ``max_realtime``, plus the burst allowance."""
        now = self._clock()
        earned = (now - self._allowance_at) * 1000 * self.max_realtime
        self._allowance_ms = min(self._allowance_ms + earned, self.burst_s * 1000)
        self._allowance_at = now
        if duration_ms <= self._allowance_ms:
            self._allowance_ms -= duration_ms
            return True
        self.flood_dropped_ms += duration_ms
        if self.flood_dropped_ms >= self.flood_close_s * 1000:
            self._ended(MediaEnd.FLOOD)
            raise ProtocolError(
                f"{self.transport} peer sent audio far faster than real time "
                f"({self.flood_dropped_ms / 1000:.0f} s dropped): connection cut"
            )
        return False

    def _push_dtmf(self, digit: str) -> None:
        self._dtmf.put_nowait(digit)

    def _ended(self, end: MediaEnd) -> None:
        """Record why the leg ends; the first reason wins."""
        if self.end is None:
            self.end = end

    def _mark_closed(self, end: MediaEnd = MediaEnd.ERROR) -> None:
        """The leg is over; ``end`` counts only if no reason was recorded before."""
        self._ended(end)
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
