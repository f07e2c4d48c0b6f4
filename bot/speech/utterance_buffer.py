"""One utterance's speech frames, held for a recogniser that decodes whole utterances.

Whisper (faster-whisper) and sherpa-onnx's offline recogniser are not
streaming models: their :class:`~bot.speech.asr.AsrStream` buffers the frames
the endpointer passes and decodes them when the utterance ends. What such a
stream owes the interface is the same for both, and lives here: refuse audio
once closed or in another format than the stream was opened for, hand the
utterance over once, and say where it ends in call time and as the model's
float samples.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bot.speech.resample import pcm16_to_float, resample_float
from spillway.audio import AudioChunk, AudioFormat


class UtteranceBuffer:
    """The speech frames of the utterance under way, in one audio format."""

    def __init__(self, audio_format: AudioFormat) -> None:
        self.format = audio_format
        self.chunks: list[AudioChunk] = []
        self.closed = False

    def check_open(self) -> None:
        if self.closed:
            raise RuntimeError("stream is closed")

    def add(self, chunk: AudioChunk) -> None:
        """Buffer one speech frame (refused once closed, or in another format)."""
        self.check_open()
        if chunk.format != self.format:
            raise ValueError(f"stream opened for {self.format}, got {chunk.format}")
        self.chunks.append(chunk)

    def take(self) -> list[AudioChunk]:
        """The utterance's frames; the buffer starts the next utterance empty."""
        self.check_open()
        chunks, self.chunks = self.chunks, []
        return chunks

    def close(self) -> None:
        self.closed = True
        self.chunks = []

    def end_ms(self, chunks: list[AudioChunk]) -> float:
        """Call time at which the last of ``chunks`` stops."""
        last = chunks[-1]
        return last.start_ms + self.format.duration_ms(len(last.audio))

    def samples(self, chunks: list[AudioChunk], rate_hz: int) -> npt.NDArray[np.float32]:
        """``chunks`` as float samples at the model's ``rate_hz`` (blocking: in a pool)."""
        pcm = b"".join(c.audio for c in chunks)
        return resample_float(pcm16_to_float(pcm), self.format.sample_rate_hz, rate_hz)
