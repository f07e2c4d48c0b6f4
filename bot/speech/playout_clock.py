"""How much silence a caller heard inside one reply, from when its pieces were queued.

The transport plays queued audio in real time. A reply goes out piece by
piece (a cached opener, then each rendered sentence); when a piece is queued
after the audio before it has already played out, the caller heard silence
in the middle of the reply. The bot reports that total with each spoken reply
(``stalled_ms``), so a change that makes first audio earlier by starving the
renders of the rest shows up (bench/bench_conversations.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class PlayoutClock:
    """The end of the audio queued so far, and the gaps before each later piece."""

    ends_at_s: float | None = None
    stalled_s: float = 0.0

    def queued(self, now_s: float, duration_s: float) -> float:
        """A piece of ``duration_s`` queued at ``now_s``; returns the gap before it (s)."""
        gap_s = 0.0 if self.ends_at_s is None else max(0.0, now_s - self.ends_at_s)
        self.stalled_s += gap_s
        start_s = now_s if self.ends_at_s is None else max(now_s, self.ends_at_s)
        self.ends_at_s = start_s + duration_s
        return gap_s
