"""Warm Vosk recognisers kept from one call to the next.

Why a pool: Vosk's small models decode with a lookahead graph (``HCLr.fst``
composed with ``Gr.fst`` while decoding). Each ``KaldiRecognizer`` composes
the graph on the fly and caches the composed states it visits, for as long
as the recogniser lives. A fresh recogniser therefore costs several times
the CPU of one that has heard a few utterances (docs/PERFORMANCE.md, "Warm
recognisers"): a recogniser per call paid that cold cost on every call, and
that was most of the speech bot's CPU. The pool hands a finished call's
recogniser to the next call instead. Models with a static ``HCLG.fst`` have
no such cache; for them the pool only saves construction.

What carries over, and why it is acceptable: after ``FinalResult()`` Vosk
starts a new decoder (no words, partials or language-model state survive);
the feature pipeline continues as it does between utterances of one long
stream: online CMVN over a sliding window and the i-vector statistics,
which Kaldi caps (``max-remembered-frames``) so the next caller's own speech
takes over within seconds. Vosk's word times keep counting from the
recogniser's first sample, so a lease records where its audio starts
(:attr:`PooledRecognizer.fed_ms`). That count is exact only if every
utterance was closed with ``FinalResult()`` (``Reset()`` drops undecoded
frames): the stream does that before it gives a recogniser back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BYTES_PER_SAMPLE = 2  # signed 16-bit linear


@dataclass(slots=True)
class PooledRecognizer:
    """One ``KaldiRecognizer`` and how much audio it has decoded since it was made."""

    recognizer: Any
    sample_rate_hz: int
    fed_samples: int = 0
    calls: int = 0

    @property
    def fed_ms(self) -> float:
        return self.fed_samples * 1000.0 / self.sample_rate_hz

    def count(self, audio: bytes) -> None:
        self.fed_samples += len(audio) // BYTES_PER_SAMPLE


@dataclass(frozen=True, slots=True)
class PoolStats:
    idle: int
    created: int
    reused: int
    dropped: int


class RecognizerPool:
    """Idle recognisers per sample rate, most recently used first.

    ``max_idle`` bounds memory: a warm recogniser's graph cache is tens to
    about a hundred MiB with the Korean small model (bench_speech.py), and a
    recogniser given back while the pool is full is freed. 0 disables reuse.
    """

    def __init__(self, factory: Callable[[int], Any], *, max_idle: int) -> None:
        if max_idle < 0:
            raise ValueError("max_idle must be >= 0")
        self._factory = factory
        self.max_idle = max_idle
        self._idle: dict[int, list[PooledRecognizer]] = {}
        # Streams give recognisers back from the event loop while prewarming
        # threads take and return them: a plain lock keeps the lists whole.
        self._lock = threading.Lock()
        self._created = 0
        self._reused = 0
        self._dropped = 0

    def acquire(self, sample_rate_hz: int) -> PooledRecognizer:
        """The warmest idle recogniser for this rate, or a new one."""
        with self._lock:
            idle = self._idle.get(sample_rate_hz)
            if idle:
                self._reused += 1
                pooled = idle.pop()
                pooled.calls += 1
                return pooled
            self._created += 1
        return PooledRecognizer(self._factory(sample_rate_hz), sample_rate_hz, calls=1)

    def release(self, pooled: PooledRecognizer) -> bool:
        """Keep ``pooled`` for the next call; False when the pool is full (it is freed)."""
        with self._lock:
            if sum(len(v) for v in self._idle.values()) >= self.max_idle:
                self._dropped += 1
                return False
            self._idle.setdefault(pooled.sample_rate_hz, []).append(pooled)
            return True

    def stats(self) -> PoolStats:
        with self._lock:
            idle = sum(len(v) for v in self._idle.values())
            return PoolStats(idle, self._created, self._reused, self._dropped)

    def clear(self) -> None:
        with self._lock:
            self._idle.clear()
