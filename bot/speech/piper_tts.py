"""Piper speech synthesis, resampled to the transport's rate.

One :class:`PiperTts` per process holds one loaded voice. ONNX Runtime runs
with a bounded number of intra-op threads (the default would take every core
and starve the decoders), synthesis is serialised by a lock (one session, one
request at a time), and every call runs in a one-thread executor so the event
loop never waits on it.

Replies are synthesised sentence by sentence (:meth:`PiperTts.stream`): the
first sentence is returned as soon as it is ready, and the next one is already
being rendered while the first plays.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.speech.resample import float_to_pcm16, resample_float
from spillway.audio import SLIN8, AudioChunk, AudioFormat
from spillway.errors import ModelError

# Sentence ends: ., !, ? (and runs of them) followed by whitespace.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


# Clause ends inside a sentence: , ; : followed by whitespace.
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")
# A first sentence at least this long is spoken clause first (see split_for_speech).
FIRST_CLAUSE_SPLIT_MIN_CHARS = 20


def split_sentences(text: str) -> list[str]:
    """Split a reply into sentences so the first can be spoken early."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def split_for_speech(text: str) -> list[str]:
    """Sentences, with the first one's first clause on its own.

    What the caller waits for is the first piece's synthesis, which grows with
    its length: "Sorry," renders in a fraction of "Sorry, I didn't
    understand." and the rest renders while it plays. Only the first sentence
    is split, so the rest of the reply keeps Piper's whole-sentence prosody.
    """
    pieces = split_sentences(text)
    if pieces and len(pieces[0]) >= FIRST_CLAUSE_SPLIT_MIN_CHARS:
        head = _CLAUSE_END.split(pieces[0], maxsplit=1)
        if len(head) == 2 and head[0] and head[1]:
            pieces[0:1] = head
    return pieces


@dataclass(frozen=True, slots=True)
class VoiceFiles:
    """Where a Piper voice lives on disk."""

    voice_id: str
    model_path: Path
    config_path: Path

    @classmethod
    def from_model(cls, model_path: Path, voice_id: str = "") -> VoiceFiles:
        return cls(
            voice_id or model_path.name.removesuffix(".onnx"),
            model_path,
            model_path.with_name(model_path.name + ".json"),
        )


def load_piper_voice(files: VoiceFiles, *, threads: int = 1) -> Any:
    """Load a ``piper.PiperVoice`` with ``threads`` ONNX intra-op threads."""
    for path in (files.model_path, files.config_path):
        if not path.is_file():
            raise ModelError(
                f"Piper voice {files.voice_id!r}: {path} is missing",
                hint=f"run `spillway models fetch {files.voice_id}`",
            )
    try:
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig
    except ImportError as exc:
        raise ModelError(
            "the piper-tts package is not installed", hint="pip install 'spillway[speech]'"
        ) from exc
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        config = PiperConfig.from_dict(json.loads(files.config_path.read_text(encoding="utf-8")))
        # PiperVoice.load() always uses default session options, so the
        # session is built here with the thread limits and handed in.
        session = onnxruntime.InferenceSession(
            str(files.model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise ModelError(
            f"Piper voice {files.voice_id!r} at {files.model_path} failed to load (corrupt?): "
            f"{exc}",
            hint=f"run `spillway models fetch {files.voice_id} --force`",
        ) from exc
    return PiperVoice(session=session, config=config)


class PiperTts:
    """A loaded Piper voice that renders s16le mono at ``output_format``'s rate."""

    def __init__(
        self,
        voice: Any,
        voice_id: str,
        *,
        output_format: AudioFormat = SLIN8,
        length_scale: float | None = None,
    ) -> None:
        from piper.config import SynthesisConfig

        self._voice = voice
        self.voice_id = voice_id
        self.output_format = output_format
        self.voice_rate_hz = int(voice.config.sample_rate)
        self._syn_config = SynthesisConfig(length_scale=length_scale)
        self._lock = threading.Lock()
        # One worker: the lock would serialise more anyway, and a queue of
        # requests is cheaper than idle threads contending for it.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="piper")

    @classmethod
    def load(
        cls,
        files: VoiceFiles,
        *,
        threads: int = 1,
        output_format: AudioFormat = SLIN8,
        length_scale: float | None = None,
    ) -> PiperTts:
        return cls(
            load_piper_voice(files, threads=threads),
            files.voice_id,
            output_format=output_format,
            length_scale=length_scale,
        )

    def synthesize_pcm(self, text: str) -> bytes:
        """Blocking: the whole text as s16le at the output rate."""
        with self._lock:
            parts = [
                chunk.audio_float_array
                for chunk in self._voice.synthesize(text, syn_config=self._syn_config)
            ]
        if not parts:
            return b""
        audio = np.concatenate(parts)
        return float_to_pcm16(
            resample_float(audio, self.voice_rate_hz, self.output_format.sample_rate_hz)
        )

    async def synthesize(self, text: str) -> bytes:
        """The whole text, rendered in the synthesis thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.synthesize_pcm, text)

    async def stream(
        self,
        text: str,
        *,
        start_ms: float = 0.0,
        lead: Callable[[], Awaitable[bytes]] | None = None,
    ) -> AsyncIterator[AudioChunk]:
        """One chunk per piece (``split_for_speech``); the next renders while this one plays.

        Only one piece per reply waits in the shared synthesis pool at a time:
        queueing a whole reply at once would put every other call's first
        sentence behind it. ``lead`` is audio already rendered (a cached fixed
        opener, at this voice's output format): it is yielded first, while the
        first piece of ``text`` renders.
        """
        loop = asyncio.get_running_loop()
        pieces = split_for_speech(text)
        offset_ms = start_ms

        def submit(index: int) -> asyncio.Future[bytes] | None:
            if index >= len(pieces):
                return None
            return loop.run_in_executor(self._executor, self.synthesize_pcm, pieces[index])

        future = submit(0)
        try:
            if lead is not None:
                pcm = await lead()
                yield AudioChunk(pcm, self.output_format, offset_ms)
                offset_ms += self.output_format.duration_ms(len(pcm))
            for index in range(len(pieces)):
                assert future is not None
                pcm = await future
                future = submit(index + 1)
                if pcm:
                    yield AudioChunk(pcm, self.output_format, offset_ms)
                    offset_ms += self.output_format.duration_ms(len(pcm))
        finally:
            # A barge-in stops the reply: drop the piece not yet started.
            if future is not None:
                future.cancel()

    def time_to_first_audio_s(self, text: str) -> float:
        """Blocking: seconds until the first sentence's audio exists (benchmarks)."""
        started = time.perf_counter()
        first = split_for_speech(text)[0]
        self.synthesize_pcm(first)
        return time.perf_counter() - started

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
