"""faster-whisper as a second ASR engine: one transcription per utterance.

Whisper is not a streaming model, so the stream buffers the speech frames of
an utterance and transcribes them when the endpointer closes it (no partials).
CTranslate2 runs int8 on the CPU with a bounded number of threads; the model
is loaded once (:func:`load_whisper_model`) and shared by every call.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bot.speech.resample import pcm16_to_float, resample_float
from bot.types import Transcript
from spillway.audio import AudioChunk, AudioFormat
from spillway.errors import ModelError

ENGINE_NAME = "whisper"
WHISPER_RATE_HZ = 16000
_REQUIRED = ("model.bin", "config.json", "tokenizer.json")


def load_whisper_model(
    model_dir: Path,
    *,
    name: str = "",
    cpu_threads: int = 2,
    compute_type: str = "int8",
) -> Any:
    """Load a CTranslate2 Whisper model directory (as faster-whisper publishes them)."""
    name = name or model_dir.name
    missing = [rel for rel in _REQUIRED if not (model_dir / rel).is_file()]
    if missing:
        raise ModelError(
            f"Whisper model {name!r} at {model_dir} is missing or incomplete "
            f"({', '.join(missing)})",
            hint=f"run `spillway models fetch {name}`",
        )
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise ModelError(
            "the faster-whisper package is not installed", hint="pip install 'spillway[speech]'"
        ) from exc
    try:
        return WhisperModel(
            str(model_dir),
            device="cpu",
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            num_workers=1,
            local_files_only=True,
        )
    except Exception as exc:
        raise ModelError(
            f"Whisper model {name!r} at {model_dir} failed to load (corrupt?): {exc}",
            hint=f"run `spillway models fetch {name} --force`",
        ) from exc


class WhisperStream:
    """Buffers one utterance of speech frames; transcribes it at the endpoint."""

    def __init__(
        self,
        model: Any,
        executor: ThreadPoolExecutor,
        audio_format: AudioFormat,
        *,
        language: str | None,
        beam_size: int,
        prompt: str | None = None,
        timestamps: bool = True,
    ) -> None:
        self._model = model
        self._executor = executor
        self._format = audio_format
        self._language = language
        self._beam_size = beam_size
        self._prompt = prompt
        self._timestamps = timestamps
        self._chunks: list[AudioChunk] = []
        self._closed = False

    async def accept(self, chunk: AudioChunk, *, urgent: bool = False) -> list[Transcript]:
        if self._closed:
            raise RuntimeError("stream is closed")
        if chunk.format != self._format:
            raise ValueError(f"stream opened for {self._format}, got {chunk.format}")
        self._chunks.append(chunk)
        return []

    def _transcribe(self, audio: np.ndarray) -> tuple[str, float, float, float | None]:
        segments, _info = self._model.transcribe(
            audio,
            language=self._language,
            beam_size=self._beam_size,
            # The endpointer already cut the utterance; Whisper's own VAD
            # and cross-utterance conditioning would only add latency.
            vad_filter=False,
            condition_on_previous_text=False,
            # Segment times place the words in the utterance; without them
            # Whisper decodes fewer tokens (docs/PERFORMANCE.md has both).
            without_timestamps=not self._timestamps,
            # The words callers use with a shop: "stock" is then heard as
            # stock, not "star" (tests/test_spoken_call.py).
            initial_prompt=self._prompt,
        )
        parts = list(segments)
        if not parts:
            return "", 0.0, 0.0, None
        text = " ".join(p.text.strip() for p in parts).strip()
        logprob = float(np.mean([p.avg_logprob for p in parts]))
        return text, float(parts[0].start), float(parts[-1].end), float(np.exp(logprob))

    async def end_utterance(self) -> Transcript | None:
        if self._closed:
            raise RuntimeError("stream is closed")
        chunks, self._chunks = self._chunks, []
        if not chunks:
            return None
        pcm = b"".join(c.audio for c in chunks)
        audio = resample_float(pcm16_to_float(pcm), self._format.sample_rate_hz, WHISPER_RATE_HZ)
        loop = asyncio.get_running_loop()
        text, start_s, end_s, confidence = await loop.run_in_executor(
            self._executor, self._transcribe, audio
        )
        if not text:
            return None
        # Whisper's segment times are relative to the buffer; speech frames
        # of one utterance are contiguous, so offset by the first chunk.
        base_ms = chunks[0].start_ms
        return Transcript(
            text=text,
            is_final=True,
            start_ms=base_ms + start_s * 1000.0,
            end_ms=min(
                base_ms + end_s * 1000.0,
                chunks[-1].start_ms + self._format.duration_ms(len(chunks[-1].audio)),
            ),
            confidence=confidence,
            engine=ENGINE_NAME,
        )

    async def aclose(self) -> None:
        self._closed = True
        self._chunks = []


class WhisperEngine:
    """A shared Whisper model; ``max_workers`` utterances are transcribed at once."""

    name = ENGINE_NAME

    def __init__(
        self,
        model: Any,
        *,
        max_workers: int | None = None,
        language: str | None = "en",
        beam_size: int = 1,
        prompt: str | None = None,
        timestamps: bool = True,
    ) -> None:
        self._model = model
        self._prompt = prompt
        self._timestamps = timestamps
        workers = max_workers or max(1, (os.cpu_count() or 2) // 2)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="whisper")
        self._language = language
        self._beam_size = beam_size

    def open_stream(self, audio_format: AudioFormat) -> WhisperStream:
        return WhisperStream(
            self._model,
            self._executor,
            audio_format,
            language=self._language,
            beam_size=self._beam_size,
            prompt=self._prompt,
            timestamps=self._timestamps,
        )

    async def prewarm(
        self, utterances: Sequence[bytes], audio_format: AudioFormat, *, recognizers: int
    ) -> int:
        """Nothing to warm: Whisper keeps no per-call decoder state between utterances."""
        return 0

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
