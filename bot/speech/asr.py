"""The speech-recognition interface every engine implements.

An :class:`AsrEngine` is created once per process around one loaded model and
opens one :class:`AsrStream` per call. The call loop feeds a stream only the
frames the endpointer marked as speech (so silence costs no decoding), asks it
for the final result when the endpointer says the utterance ended, and closes
it when the call ends. Decoding always happens in the engine's bounded thread
pool, never on the event loop.

Timestamps in the returned :class:`~bot.types.Transcript` are call time in
milliseconds: the stream maps the engine's "audio fed so far" clock back onto
the ``start_ms`` of the chunks it was given, so gaps where silence was not fed
are accounted for.
"""

from __future__ import annotations

import bisect
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.types import Transcript
from spillway.audio import AudioChunk, AudioFormat


@runtime_checkable
class AsrStream(Protocol):
    """Recognition state for one call (one recogniser, one audio format)."""

    async def accept(self, chunk: AudioChunk, *, urgent: bool = False) -> list[Transcript]:
        """Feed a speech chunk; return any partial (or engine-final) results.

        ``urgent``: the utterance has ended and its final result is awaited
        (engines with a shared decode queue run it ahead of other calls).
        """
        ...

    async def speculate(self, speech_end_ms: float) -> None:
        """The caller paused after speech ending at ``speech_end_ms`` (call time).

        An engine that decodes only at the endpoint may start on what it has;
        a streaming engine has nothing to do.
        """
        ...

    async def end_utterance(self, *, speech_end_ms: float | None = None) -> Transcript | None:
        """The endpointer closed the utterance: return its final result (None if empty).

        ``speech_end_ms`` is where the utterance's speech ended; when a
        speculation started at a pause with the same speech end, the caller
        said nothing after it and its result is the final one.
        """
        ...

    async def aclose(self) -> None:
        """Release the recogniser; the stream cannot be used afterwards."""
        ...


@runtime_checkable
class AsrEngine(Protocol):
    """A loaded recogniser model shared by every call of the process."""

    name: str

    def open_stream(self, audio_format: AudioFormat) -> AsrStream:
        """A new per-call stream for audio in ``audio_format``."""
        ...

    async def prewarm(
        self, utterances: Sequence[bytes], audio_format: AudioFormat, *, recognizers: int
    ) -> int:
        """Spend start-up CPU so the first calls decode as cheaply as later ones.

        Returns how many per-call recognisers were warmed (0 for engines with
        nothing to warm).
        """
        ...

    def close(self) -> None:
        """Shut down the engine's thread pool (the model is freed with the engine)."""
        ...


@dataclass
class StreamClock:
    """Maps engine time (ms of audio fed) to call time (ms since the call started).

    Every fed chunk records where it sits in both clocks; between records the
    mapping is linear because the chunks are contiguous in fed audio.
    """

    _fed_ms: list[float]
    _call_ms: list[float]
    fed_total_ms: float = 0.0

    @classmethod
    def new(cls) -> StreamClock:
        return cls([], [])

    def add(self, chunk: AudioChunk) -> None:
        """Record a chunk about to be fed to the engine."""
        expected_call_ms = (
            self._call_ms[-1] + (self.fed_total_ms - self._fed_ms[-1]) if self._fed_ms else None
        )
        # Only a discontinuity (silence skipped) needs a new anchor.
        if expected_call_ms is None or abs(expected_call_ms - chunk.start_ms) > 0.5:
            self._fed_ms.append(self.fed_total_ms)
            self._call_ms.append(chunk.start_ms)
        self.fed_total_ms += chunk.format.duration_ms(len(chunk.audio))

    def to_call_ms(self, fed_ms: float) -> float:
        """Call time of a point ``fed_ms`` into the fed audio."""
        if not self._fed_ms:
            return fed_ms
        i = max(bisect.bisect_right(self._fed_ms, fed_ms) - 1, 0)
        return self._call_ms[i] + (fed_ms - self._fed_ms[i])


def chunks_from_pcm(
    pcm: bytes, audio_format: AudioFormat, *, frame_ms: int = 20, start_ms: float = 0.0
) -> Iterable[AudioChunk]:
    """Cut a PCM buffer into transport-sized frames with their call-time offsets."""
    step = audio_format.frame_bytes(frame_ms)
    for offset in range(0, len(pcm), step):
        yield AudioChunk(
            pcm[offset : offset + step],
            audio_format,
            start_ms + audio_format.duration_ms(offset),
        )


async def transcribe(stream: AsrStream, chunks: Iterable[AudioChunk]) -> AsyncIterator[Transcript]:
    """Feed every chunk as one utterance; yield partials, then the final result."""
    for chunk in chunks:
        for result in await stream.accept(chunk):
            yield result
    final = await stream.end_utterance()
    if final is not None:
        yield final
