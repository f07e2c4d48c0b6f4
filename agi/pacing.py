"""A deadline-based pacer for real-time audio frames.

AudioSocket plays every frame we send the moment it arrives, so we must send one
20 ms frame every 20 ms. Sleeping ``frame_ms`` after each send drifts (every
sleep overshoots a little and the errors add up); instead frame *n* of a run is
due at ``start + n * frame_ms`` on the monotonic clock, so an overshoot on one
frame is taken back on the next. A small lead (send a frame or two before it is
due) absorbs event-loop jitter without queueing so much that barge-in lags.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class FramePacer:
    """Hands out send slots at absolute deadlines ``frame_ms`` apart."""

    def __init__(
        self,
        *,
        frame_ms: int = 20,
        lead_frames: int = 2,
        max_lag_frames: int = 5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if frame_ms <= 0 or lead_frames < 0 or max_lag_frames < 1:
            raise ValueError("frame_ms must be > 0, lead_frames >= 0, max_lag_frames >= 1")
        self.frame_s = frame_ms / 1000
        self.lead_s = lead_frames * self.frame_s
        self.max_lag_s = max_lag_frames * self.frame_s
        self._clock = clock
        self._sleep = sleep
        # Deadline (play-out start) of the next frame; None = no run in progress.
        self._next: float | None = None
        self.rebases = 0

    def reset(self) -> None:
        """Forget the current run (after a flush); the next frame starts a new one."""
        self._next = None

    async def wait_turn(self) -> float:
        """Sleep until the next frame may be sent; return its play-out deadline."""
        now = self._clock()
        if self._next is None or now - self._next > self.max_lag_s:
            # A new run, or we fell so far behind (a long stall) that catching up
            # would burst many frames at once: start a fresh run from now.
            if self._next is not None:
                self.rebases += 1
            self._next = now
        deadline = self._next
        delay = deadline - self.lead_s - now
        if delay > 0:
            await self._sleep(delay)
        self._next = deadline + self.frame_s
        return deadline

    async def wait_drained(self) -> None:
        """Sleep until the frames already sent have been played out."""
        if self._next is None:
            return
        delay = self._next - self._clock()
        if delay > 0:
            await self._sleep(delay)
        self._next = None
