"""sherpa-onnx as a recogniser behind the same :class:`~bot.speech.asr.AsrEngine` interface.

A sherpa-onnx *offline* recogniser (here Whisper small exported to ONNX, the
Danish model a deployment fetches: ``spillway models fetch
sherpa-onnx-whisper-small``) decodes one whole utterance at a time, so the
stream buffers the speech frames the endpointer passes and decodes them when
the utterance ends, in a bounded thread pool (never on the event loop). The
recogniser object is created once per process and shared: sherpa-onnx
creates a fresh decoding stream per utterance, so calls share no state.

The sherpa-onnx package is optional (``pip install sherpa-onnx``, in the
``speech`` extra); without it, or without the model's files, loading is one
:class:`~spillway.errors.ModelError` naming what to install.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bot.speech.utterance_buffer import UtteranceBuffer
from bot.types import Transcript
from spillway.audio import AudioChunk, AudioFormat
from spillway.errors import ModelError

ENGINE_NAME = "sherpa"
SHERPA_RATE_HZ = 16000


def whisper_files(model_dir: Path, size: str = "small") -> tuple[Path, Path, Path]:
    """(encoder, decoder, tokens) of a sherpa-onnx Whisper export, int8 preferred."""
    encoder = model_dir / f"{size}-encoder.int8.onnx"
    decoder = model_dir / f"{size}-decoder.int8.onnx"
    tokens = model_dir / f"{size}-tokens.txt"
    return encoder, decoder, tokens


def load_sherpa_whisper(
    model_dir: Path, *, name: str, language: str, threads: int = 2, size: str = "small"
) -> Any:
    """A sherpa-onnx offline Whisper recogniser forced to ``language``."""
    files = whisper_files(model_dir, size)
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise ModelError(
            f"sherpa-onnx model {name!r} at {model_dir} is missing {', '.join(missing)}",
            hint=f"run `spillway models fetch {name}`",
        )
    try:
        import sherpa_onnx
    except ImportError as exc:
        raise ModelError(
            "the sherpa-onnx package is not installed", hint="pip install 'spillway[speech]'"
        ) from exc
    encoder, decoder, tokens = files
    _check_tokens(tokens, name)
    try:
        return sherpa_onnx.OfflineRecognizer.from_whisper(
            encoder=str(encoder),
            decoder=str(decoder),
            tokens=str(tokens),
            language=language,
            task="transcribe",
            num_threads=threads,
        )
    except Exception as exc:  # sherpa-onnx raises RuntimeError/ValueError on bad files
        raise ModelError(
            f"sherpa-onnx model {name!r} at {model_dir} failed to load (corrupt?): {exc}",
            hint=f"run `spillway models fetch {name} --force`",
        ) from exc


def _check_tokens(path: Path, name: str) -> None:
    """Each line "<token> <id>": sherpa-onnx ends the whole process (exit -1) on a tokens
    file it cannot read, where a bad ONNX file is an exception; so it is checked first."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"sherpa-onnx model {name!r}: cannot read {path.name}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        parts = line.split()
        if line.strip() and (len(parts) != 2 or not parts[1].isdigit()):
            raise ModelError(
                f"sherpa-onnx model {name!r}: {path.name} line {number} is not '<token> <id>' "
                "(corrupt?)",
                hint=f"run `spillway models fetch {name} --force`",
            )


def decode_utterance(recogniser: Any, audio: Any) -> str:
    """Blocking: one utterance of 16 kHz float audio to text (a fresh sherpa stream)."""
    stream = recogniser.create_stream()
    stream.accept_waveform(SHERPA_RATE_HZ, audio)
    recogniser.decode_stream(stream)
    return str(stream.result.text).strip()


class SherpaStream:
    """Buffers one utterance of speech frames; decodes it when the utterance ends."""

    def __init__(
        self, recogniser: Any, executor: ThreadPoolExecutor, audio_format: AudioFormat
    ) -> None:
        self._recogniser = recogniser
        self._executor = executor
        self._buffer = UtteranceBuffer(audio_format)

    async def accept(self, chunk: AudioChunk, *, urgent: bool = False) -> list[Transcript]:
        self._buffer.add(chunk)
        return []

    async def speculate(self, speech_end_ms: float) -> None:
        """Nothing: an offline decode of part of an utterance would be thrown away."""
        self._buffer.check_open()

    def _decode(self, chunks: list[AudioChunk]) -> str:
        """In the pool: resample and decode (neither belongs on the event loop)."""
        return decode_utterance(self._recogniser, self._buffer.samples(chunks, SHERPA_RATE_HZ))

    async def end_utterance(self, *, speech_end_ms: float | None = None) -> Transcript | None:
        chunks = self._buffer.take()
        if not chunks:
            return None
        text = await asyncio.wrap_future(self._executor.submit(self._decode, chunks))
        if not text:
            return None
        return Transcript(
            text=text,
            is_final=True,
            start_ms=chunks[0].start_ms,
            end_ms=self._buffer.end_ms(chunks),
            # sherpa-onnx's offline Whisper reports no score: no confidence, not a made-up one.
            confidence=None,
            engine=ENGINE_NAME,
        )

    async def aclose(self) -> None:
        self._buffer.close()


class SherpaEngine:
    """One shared sherpa-onnx offline recogniser; ``max_workers`` utterances at once."""

    name = ENGINE_NAME

    def __init__(self, recogniser: Any, *, max_workers: int = 1) -> None:
        self._recogniser = recogniser
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="sherpa")

    def open_stream(self, audio_format: AudioFormat) -> SherpaStream:
        return SherpaStream(self._recogniser, self._executor, audio_format)

    async def prewarm(
        self, utterances: Sequence[bytes], audio_format: AudioFormat, *, recognizers: int
    ) -> int:
        """Nothing to warm: each utterance gets a fresh sherpa stream."""
        return 0

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
