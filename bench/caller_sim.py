"""A simulated caller on the caller's side of a real Asterisk call (for bench_latency).

The caller's half of an originated Local channel runs ``AudioSocket()`` to a
server of ours (:class:`agi.media_server.MediaServer` with only its AudioSocket
listener), so what this module hears is what a phone on that call would hear,
after Asterisk's bridging, and what it says goes through Asterisk to the bot.

Each call: wait for the bot's greeting to finish, then for every turn speak a
question in real time (20 ms frames, paced), note when its last frame was
sent (end of caller speech), and timestamp the first non-silent frame that
comes back after it (first bot audio heard). The caller's line carries
silence frames between turns, like a phone without DTX. Every received frame
is kept with its arrival time, so audio gaps in the bot's replies can be
counted afterwards.
"""

from __future__ import annotations

import array
import asyncio
import itertools
import time
from dataclasses import dataclass, field

from spillway.media import MediaSession

LOUD_PEAK = 500  # s16 peak above which a frame counts as audio, not silence


def peak(frame: bytes) -> int:
    samples = array.array("h", frame[: len(frame) - len(frame) % 2])
    return max((abs(s) for s in samples), default=0)


def trim_silence(pcm: bytes, *, threshold: int = LOUD_PEAK) -> bytes:
    """Drop leading and trailing samples below ``threshold``, so speech ends at the buffer end."""
    samples = array.array("h", pcm[: len(pcm) - len(pcm) % 2])
    loud = [i for i, s in enumerate(samples) if abs(s) >= threshold]
    if not loud:
        return b""
    return samples[loud[0] : loud[-1] + 1].tobytes()


@dataclass(frozen=True, slots=True)
class Turn:
    """One question and the bot's first audio after it (monotonic seconds)."""

    speech_end_s: float
    first_audio_s: float | None  # None: no bot audio within the timeout

    @property
    def latency_ms(self) -> float | None:
        if self.first_audio_s is None:
            return None
        return (self.first_audio_s - self.speech_end_s) * 1000


@dataclass
class CallerRecord:
    """Everything one simulated caller saw."""

    call_id: str
    connected_s: float
    greeted: bool = False
    turns: list[Turn] = field(default_factory=list)
    # (arrival monotonic s, loud?) for every frame Asterisk sent us.
    frames: list[tuple[float, bool]] = field(default_factory=list)
    reply_windows: list[tuple[float, float]] = field(default_factory=list)
    error: str = ""

    def reply_gaps_ms(self) -> list[float]:
        """Largest frame inter-arrival inside each bot reply (first to last loud frame)."""
        gaps = []
        for start, end in self.reply_windows:
            times = [t for t, _ in self.frames if start <= t <= end]
            if len(times) >= 2:
                gaps.append(max(b - a for a, b in itertools.pairwise(times)) * 1000)
        return gaps


@dataclass(frozen=True, slots=True)
class CallerScript:
    questions: tuple[bytes, ...]  # s16le 8 kHz speech, silence trimmed
    turns: int = 2
    greeting_timeout_s: float = 8.0
    quiet_s: float = 0.7  # this long without bot audio = the bot stopped talking
    reply_timeout_s: float = 6.0
    reply_max_s: float = 20.0
    pause_s: float = 0.4  # between the bot's reply and the next question


class Caller:
    """Runs :class:`CallerScript` on one AudioSocket session."""

    def __init__(self, session: MediaSession, script: CallerScript) -> None:
        self.session = session
        self.script = script
        self.record = CallerRecord(session.call_id, time.monotonic())
        self._last_loud_s = 0.0
        self._loud = asyncio.Event()

    async def _receive(self) -> None:
        async for frame in self.session.frames():
            now = time.monotonic()
            loud = peak(frame) >= LOUD_PEAK
            self.record.frames.append((now, loud))
            if loud:
                self._last_loud_s = now
                self._loud.set()

    async def _wait_loud_after(self, since_s: float, timeout_s: float) -> float | None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for t, loud in reversed(self.record.frames):
                if t <= since_s:
                    break
                if loud:
                    # The earliest loud frame after since_s.
                    return min(x for x, ld in self.record.frames if ld and x > since_s)
            self._loud.clear()
            try:
                await asyncio.wait_for(self._loud.wait(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                break
            if self.session.closed.is_set():
                break
        return None

    async def _wait_quiet(self, first_s: float) -> float:
        """Wait until the bot has been silent for ``quiet_s``; return its last loud frame."""
        cap = first_s + self.script.reply_max_s
        while time.monotonic() < cap and not self.session.closed.is_set():
            if time.monotonic() - self._last_loud_s >= self.script.quiet_s:
                break
            await asyncio.sleep(0.05)
        return self._last_loud_s

    async def run(self) -> CallerRecord:
        script = self.script
        receiver = asyncio.create_task(self._receive())
        try:
            greeting = await self._wait_loud_after(0.0, script.greeting_timeout_s)
            if greeting is not None:
                self.record.greeted = True
                self.record.reply_windows.append((greeting, await self._wait_quiet(greeting)))
            for n in range(script.turns):
                if self.session.closed.is_set():
                    self.record.error = f"call ended before turn {n + 1}"
                    break
                await asyncio.sleep(script.pause_s)
                await self.session.play(script.questions[n % len(script.questions)])
                await self.session.wait_played()
                speech_end = time.monotonic()
                first = await self._wait_loud_after(speech_end, script.reply_timeout_s)
                self.record.turns.append(Turn(speech_end, first))
                if first is None:
                    continue
                self.record.reply_windows.append((first, await self._wait_quiet(first)))
        except (ConnectionError, OSError) as exc:
            self.record.error = f"{type(exc).__name__}: {exc}"
        finally:
            receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)
            await self.session.hangup()
        return self.record
