"""PCM conversions and sample-rate changes (soxr) shared by the speech stages.

Everything on the wire is signed 16-bit little-endian mono; the engines want
floats at their own rate. These helpers are the one place that converts.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr

_INT16_SCALE = 32768.0


def pcm16_to_float(pcm: bytes) -> npt.NDArray[np.float32]:
    """s16le bytes to float32 samples in [-1, 1)."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / _INT16_SCALE


def float_to_pcm16(samples: npt.NDArray[np.floating]) -> bytes:
    """float samples (clipped to [-1, 1]) to s16le bytes."""
    clipped = np.clip(samples, -1.0, 32767.0 / _INT16_SCALE)
    return (clipped * _INT16_SCALE).astype("<i2").tobytes()


def resample_float(
    samples: npt.NDArray[np.floating], in_rate_hz: int, out_rate_hz: int
) -> npt.NDArray[np.float32]:
    """Whole-buffer resampling (soxr "HQ"); a no-op when the rates match."""
    data = np.asarray(samples, dtype=np.float32)
    if in_rate_hz == out_rate_hz or data.size == 0:
        return data
    return np.asarray(soxr.resample(data, in_rate_hz, out_rate_hz, quality="HQ"), np.float32)


def resample_pcm16(pcm: bytes, in_rate_hz: int, out_rate_hz: int) -> bytes:
    """s16le at one rate to s16le at another (whole buffer)."""
    if in_rate_hz == out_rate_hz:
        return pcm
    return float_to_pcm16(resample_float(pcm16_to_float(pcm), in_rate_hz, out_rate_hz))


class StreamResampler:
    """Frame-by-frame resampling that keeps filter state across frames.

    Resampling each 20 ms frame on its own would click at every frame edge;
    soxr's stream object carries the filter history instead.
    """

    def __init__(self, in_rate_hz: int, out_rate_hz: int) -> None:
        self.in_rate_hz = in_rate_hz
        self.out_rate_hz = out_rate_hz
        self._stream: soxr.ResampleStream | None = (
            None
            if in_rate_hz == out_rate_hz
            else soxr.ResampleStream(in_rate_hz, out_rate_hz, 1, dtype="float32", quality="HQ")
        )

    def process(self, pcm: bytes, *, last: bool = False) -> npt.NDArray[np.float32]:
        """Feed s16le bytes, get float32 samples at the output rate."""
        samples = pcm16_to_float(pcm)
        if self._stream is None:
            return samples
        return np.asarray(self._stream.resample_chunk(samples, last=last), np.float32)
