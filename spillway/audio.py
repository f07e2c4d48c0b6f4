"""The audio that crosses between the media transports and the bot: format and chunks.

Signed 16-bit little-endian mono PCM throughout; units are in the field names
(``_hz``, ``_ms``). Plain frozen dataclasses, so they cross thread-pool
boundaries and can be logged.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """Signed 16-bit little-endian mono PCM at a given rate."""

    sample_rate_hz: int = 8000
    channels: int = 1
    sample_width_bytes: int = 2

    @property
    def bytes_per_ms(self) -> int:
        return self.sample_rate_hz * self.channels * self.sample_width_bytes // 1000

    def frame_bytes(self, duration_ms: int = 20) -> int:
        """Bytes in one frame of ``duration_ms`` (320 for 20 ms at 8 kHz)."""
        return self.bytes_per_ms * duration_ms

    def duration_ms(self, n_bytes: int) -> float:
        return n_bytes / self.bytes_per_ms


SLIN8 = AudioFormat(8000)
SLIN16 = AudioFormat(16000)


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """A piece of audio with its format and its start offset in the stream."""

    audio: bytes
    format: AudioFormat
    start_ms: float = 0.0
