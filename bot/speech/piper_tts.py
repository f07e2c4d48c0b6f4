"""Piper speech synthesis, resampled to the transport's rate.

One :class:`PiperTts` per process holds one loaded voice. ONNX Runtime runs
with a bounded number of intra-op threads (the default would take every core
and starve the decoders), ``speech.tts_workers`` renders share the one session
(Piper locks its espeak-ng phonemizer itself), and every render runs in the
voice's pool (ordered by deadline, :mod:`bot.speech.synthesis`) so the event
loop never waits on it.

Replies are synthesised sentence by sentence (:meth:`PiperTts.stream`, shared
with the espeak-ng voice in :mod:`bot.speech.synthesis`): the first sentence is
returned as soon as it is ready, and the next one is already being rendered
while the first plays.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.speech.priority_pool import PriorityPool
from bot.speech.resample import float_to_pcm16, resample_float
from bot.speech.synthesis import ThreadedTts, split_for_speech, split_sentences
from spillway.audio import SLIN8, AudioFormat
from spillway.errors import ModelError

__all__ = ["PiperTts", "VoiceFiles", "load_piper_voice", "split_for_speech", "split_sentences"]


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


class PiperTts(ThreadedTts):
    """A loaded Piper voice that renders s16le mono at ``output_format``'s rate."""

    def __init__(
        self,
        voice: Any,
        voice_id: str,
        *,
        output_format: AudioFormat = SLIN8,
        length_scale: float | None = None,
        workers: int = 1,
        executor: PriorityPool | None = None,
    ) -> None:
        from piper.config import SynthesisConfig

        self._voice = voice
        self.voice_id = voice_id
        self.output_format = output_format
        self.voice_rate_hz = int(voice.config.sample_rate)
        self._syn_config = SynthesisConfig(length_scale=length_scale)
        # ``workers`` renders at a time. Piper (>= 1.3) locks its espeak-ng
        # phonemizer itself, and an ONNX Runtime session runs from several
        # threads at once; with ten calls, two one-thread renders keep both
        # cores busy where one left a queue (docs/PERFORMANCE.md). ``executor``: a
        # pool shared with the recogniser instead (deadline priorities).
        self._owns_executor = executor is None
        self._executor = executor or PriorityPool(workers, thread_name_prefix="piper")

    @classmethod
    def load(
        cls,
        files: VoiceFiles,
        *,
        threads: int = 1,
        output_format: AudioFormat = SLIN8,
        length_scale: float | None = None,
        workers: int = 1,
        executor: PriorityPool | None = None,
    ) -> PiperTts:
        return cls(
            load_piper_voice(files, threads=threads),
            files.voice_id,
            output_format=output_format,
            length_scale=length_scale,
            workers=workers,
            executor=executor,
        )

    def synthesize_pcm(self, text: str) -> bytes:
        """Blocking: the whole text as s16le at the output rate."""
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
