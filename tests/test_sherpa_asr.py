"""The sherpa-onnx recogniser: its Danish model's download, its choice, and its engine.

* The registry's ``sherpa-onnx-whisper-small`` is fetched by the real download
  code from a local HTTP server that serves a stand-in archive at the
  upstream path (the real one is 600 MB and this machine reaches no release
  host): the tar.bz2 is unpacked, trimmed to the int8 files and installed,
  and a Danish shop's ``auto`` recogniser is then sherpa-onnx.
* Loading goes through the real sherpa-onnx package: missing files and a
  corrupt model are each one ModelError naming what to do.
* The engine's stream (buffering, resampling, time stamps, the thread pool)
  is run against a stand-in recogniser with sherpa-onnx's stream API, since
  no real sherpa-onnx model can be had here.
"""

from __future__ import annotations

import dataclasses
import io
import tarfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.speech.asr import chunks_from_pcm
from bot.speech.sherpa_asr import SHERPA_RATE_HZ, SherpaEngine, load_sherpa_whisper
from models.discover import require_model
from models.fetch import MANIFEST, fetch_model
from models.recogniser import choose_recogniser, installed_recogniser
from models.registry import ModelKind, get_spec
from spillway.audio import SLIN8
from spillway.errors import ModelError
from spillway.settings import SpeechSettings
from tests.test_models_fetch import Served
from tests.test_models_fetch import server as server  # the fixture

UPSTREAM = "https://github.com/k2-fsa/sherpa-onnx/releases/download/asr-models"
KEPT = ("small-decoder.int8.onnx", "small-encoder.int8.onnx", "small-tokens.txt")


def _archive() -> bytes:
    """sherpa-onnx's layout: one top folder, int8 and float32 models, tokens, a README."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:bz2") as tar:
        for name in (*KEPT, "small-encoder.onnx", "small-decoder.onnx", "README.md"):
            body = f"stand-in {name}".encode() * 50
            info = tarfile.TarInfo(f"sherpa-onnx-whisper-small/{name}")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return out.getvalue()


def test_the_danish_sherpa_model_is_fetched_and_then_chosen(
    server: tuple[str, Served], tmp_path: Path
) -> None:
    base, served = server
    spec = get_spec("sherpa-onnx-whisper-small")
    assert spec.kind is ModelKind.SHERPA and "MIT" in spec.licence
    [remote] = spec.files
    assert remote.url == f"{UPSTREAM}/sherpa-onnx-whisper-small.tar.bz2" and remote.is_archive
    path = remote.url.removeprefix(UPSTREAM)
    served.files[path] = _archive()
    models = tmp_path / "models"
    speech = SpeechSettings()
    assert installed_recogniser(speech, models, language="da").engine == "whisper"

    local = dataclasses.replace(spec, files=(dataclasses.replace(remote, url=f"{base}{path}"),))
    result = fetch_model(local, dest_root=models, download_root=tmp_path / "dl")

    assert result.verification == "unverified: no checksum or size published"
    installed = sorted(p.name for p in result.path.iterdir())
    assert installed == sorted((MANIFEST, *KEPT))
    assert require_model(spec.name, models).path == models / spec.name
    choice = installed_recogniser(speech, models, language="da")
    assert (choice.engine, choice.model) == ("sherpa", spec.name)
    # English keeps its own recogniser, whatever Danish models are fetched.
    assert installed_recogniser(speech, models).model == "whisper-tiny.en"


def test_a_named_sherpa_engine_is_taken() -> None:
    choice = choose_recogniser(SpeechSettings(asr_engine="sherpa"), lambda n: False, language="da")
    assert (choice.engine, choice.model) == ("sherpa", "sherpa-onnx-whisper-small")


def test_loading_names_missing_and_corrupt_files(tmp_path: Path) -> None:
    pytest.importorskip("sherpa_onnx")
    with pytest.raises(ModelError, match=r"is missing small-encoder\.int8\.onnx") as missing:
        load_sherpa_whisper(tmp_path, name="sherpa-onnx-whisper-small", language="da")
    assert "spillway models fetch sherpa-onnx-whisper-small" in str(missing.value.hint)
    for name in KEPT:
        (tmp_path / name).write_bytes(b"not a model")
    # sherpa-onnx itself would end the process on this tokens file: it is refused first.
    with pytest.raises(ModelError, match=r"small-tokens\.txt line 1 is not"):
        load_sherpa_whisper(tmp_path, name="sherpa-onnx-whisper-small", language="da")
    (tmp_path / "small-tokens.txt").write_text("IQ== 0\nIg== 1\n")
    with pytest.raises(ModelError, match="failed to load"):
        load_sherpa_whisper(tmp_path, name="sherpa-onnx-whisper-small", language="da")


@dataclasses.dataclass
class _Result:
    text: str


class _Stream:
    def __init__(self) -> None:
        self.rate_hz = 0
        self.samples = np.zeros(0, np.float32)
        self.result = _Result("")

    def accept_waveform(self, rate_hz: int, samples: Any) -> None:
        self.rate_hz, self.samples = rate_hz, np.asarray(samples)


class _Recogniser:
    """sherpa-onnx's OfflineRecognizer API: create_stream, decode_stream, stream.result.text."""

    def __init__(self) -> None:
        self.decoded: list[tuple[int, int, str]] = []

    def create_stream(self) -> _Stream:
        return _Stream()

    def decode_stream(self, stream: _Stream) -> None:
        stream.result = _Result(" hej med dig " if len(stream.samples) else "")
        self.decoded.append((stream.rate_hz, len(stream.samples), threading.current_thread().name))


async def test_the_engine_decodes_an_utterance_off_the_loop() -> None:
    recogniser = _Recogniser()
    engine = SherpaEngine(recogniser)
    try:
        stream = engine.open_stream(SLIN8)
        pcm = (np.sin(np.arange(8000) / 5) * 8000).astype("<i2").tobytes()  # 1 s at 8 kHz
        for chunk in chunks_from_pcm(pcm, SLIN8, start_ms=2000.0):
            assert await stream.accept(chunk) == []
        await stream.speculate(3000.0)
        result = await stream.end_utterance(speech_end_ms=3000.0)
        assert result is not None
        assert (result.text, result.engine, result.confidence) == ("hej med dig", "sherpa", None)
        assert (result.start_ms, result.end_ms) == (2000.0, 3000.0)
        [(rate_hz, samples, thread)] = recogniser.decoded
        assert rate_hz == SHERPA_RATE_HZ and samples == 16000 and thread.startswith("sherpa")
        # Nothing said: no decode and no transcript.
        assert await stream.end_utterance() is None
        await stream.aclose()
        with pytest.raises(RuntimeError):
            await stream.accept(next(iter(chunks_from_pcm(pcm, SLIN8))))
    finally:
        engine.close()
