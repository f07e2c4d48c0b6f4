"""Fixed prompts: rendered once by the real Piper voice, then served from disk."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.speech.piper_tts import PiperTts, VoiceFiles
from bot.speech.prompt_cache import PromptCache, prompt_key
from models.discover import require_model
from spillway.audio import SLIN8, SLIN16

pytestmark = pytest.mark.speech
pytest.importorskip("piper")

GREETING = "Thanks for calling. All our agents are busy."


@pytest.fixture(scope="module")
def tts8() -> PiperTts:
    voice = require_model("en_US-joe-medium")
    return PiperTts.load(VoiceFiles.from_model(voice.path / "en_US-joe-medium.onnx"))


class CountingTts:
    """Wraps the real voice to count how often synthesis actually runs."""

    def __init__(self, tts: PiperTts) -> None:
        self._tts = tts
        self.voice_id = tts.voice_id
        self.output_format = tts.output_format
        self.calls: list[str] = []

    async def synthesize(self, text: str) -> bytes:
        self.calls.append(text)
        return await self._tts.synthesize(text)


def test_key_covers_voice_text_and_rate() -> None:
    base = prompt_key("en_US-joe-medium", GREETING, 8000)
    assert base == prompt_key("en_US-joe-medium", f"  {GREETING}\n", 8000)
    assert base != prompt_key("en_US-joe-medium", GREETING + "!", 8000)
    assert base != prompt_key("en_US-joe-medium", GREETING, 16000)
    assert base != prompt_key("da_DK-talesyntese-medium", GREETING, 8000)
    assert "/" not in prompt_key("../../etc/x", GREETING, 8000)


async def test_rendered_once_then_read_from_disk(tts8: PiperTts, tmp_path: Path) -> None:
    counting = CountingTts(tts8)
    cache = PromptCache(tmp_path, counting)
    first = await cache.get(GREETING)
    assert len(first) > SLIN8.frame_bytes(1000)  # over a second of 8 kHz audio
    second = await cache.get(GREETING)
    assert second == first and counting.calls == [GREETING]

    # A new process (new cache object, same directory) does not render again.
    again = CountingTts(tts8)
    assert await PromptCache(tmp_path, again).get(GREETING) == first
    assert again.calls == []
    [stored] = list(tmp_path.iterdir())  # noqa: ASYNC240
    assert stored.name.endswith(".s16le") and stored.read_bytes() == first


async def test_concurrent_first_requests_render_once(tts8: PiperTts, tmp_path: Path) -> None:
    counting = CountingTts(tts8)
    cache = PromptCache(tmp_path, counting)
    results = await asyncio.gather(*(cache.get("Please hold.") for _ in range(4)))
    assert len(set(results)) == 1 and counting.calls == ["Please hold."]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # noqa: ASYNC240


async def test_rate_change_renders_afresh(tts8: PiperTts, tmp_path: Path) -> None:
    wide = PiperTts(tts8._voice, tts8.voice_id, output_format=SLIN16)
    try:
        narrow_pcm = await PromptCache(tmp_path, tts8).get("Goodbye.")
        wide_cache = PromptCache(tmp_path, wide)
        wide_pcm = await wide_cache.get("Goodbye.")
    finally:
        wide.close()
    assert wide_cache.renders == 1
    # Twice the bytes per second; Piper's sampled durations differ a little per render.
    assert len(wide_pcm) / len(narrow_pcm) == pytest.approx(2.0, rel=0.15)
    assert len(list(tmp_path.iterdir())) == 2  # noqa: ASYNC240


async def test_warm_renders_only_missing(tts8: PiperTts, tmp_path: Path) -> None:
    counting = CountingTts(tts8)
    cache = PromptCache(tmp_path, counting)
    await cache.get("One moment.")
    rendered = await cache.warm(["One moment.", "Press one for a callback.", "Goodbye."])
    assert rendered == 2
    assert counting.calls == ["One moment.", "Press one for a callback.", "Goodbye."]
