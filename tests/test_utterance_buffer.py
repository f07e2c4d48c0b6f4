"""The utterance buffer Whisper's and sherpa-onnx's streams share (bot/speech/utterance_buffer.py).

Pure: real audio chunks, no model. It refuses audio in another format or
once closed, hands an utterance over once, and says where it ends and what
it sounds like at the model's rate.
"""

from __future__ import annotations

import numpy as np
import pytest

from bot.speech.asr import chunks_from_pcm
from bot.speech.utterance_buffer import UtteranceBuffer
from spillway.audio import SLIN8, SLIN16


def _pcm(seconds: float, rate_hz: int) -> bytes:
    samples = np.sin(np.arange(int(seconds * rate_hz)) / 5) * 8000
    return samples.astype("<i2").tobytes()


def test_an_utterance_is_handed_over_once_with_its_end_and_samples() -> None:
    buffer = UtteranceBuffer(SLIN8)
    chunks = list(chunks_from_pcm(_pcm(0.5, 8000), SLIN8, start_ms=1200.0))
    for chunk in chunks:
        buffer.add(chunk)
    taken = buffer.take()
    assert taken == chunks
    assert buffer.take() == [], "the next utterance starts empty"
    assert buffer.end_ms(taken) == 1700.0
    samples = buffer.samples(taken, 16000)
    assert samples.dtype == np.float32 and samples.size == 8000  # 0.5 s at 16 kHz
    # The same tone at twice the rate: its loudness (RMS of a sine, amplitude / sqrt 2) kept.
    rms = float(np.sqrt(np.mean(samples[1000:-1000] ** 2)))
    assert rms == pytest.approx(8000 / 32768 / np.sqrt(2), rel=0.05)


def test_another_format_and_a_closed_buffer_are_refused() -> None:
    buffer = UtteranceBuffer(SLIN8)
    wide = next(iter(chunks_from_pcm(_pcm(0.02, 16000), SLIN16)))
    with pytest.raises(ValueError, match="stream opened for"):
        buffer.add(wide)
    narrow = next(iter(chunks_from_pcm(_pcm(0.02, 8000), SLIN8)))
    buffer.add(narrow)
    buffer.close()
    assert buffer.chunks == []
    for refused in (lambda: buffer.add(narrow), buffer.take, buffer.check_open):
        with pytest.raises(RuntimeError, match="stream is closed"):
            refused()
