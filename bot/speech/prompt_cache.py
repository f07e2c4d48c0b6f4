"""Fixed prompts rendered once and kept on disk.

Greetings, menus and hand-over lines never change between calls, so they are
synthesised once per (voice, text, rate) and stored as raw s16le files. The
key covers all three: a new voice or transport rate renders afresh instead of
playing stale audio. Files are written to a temporary name and renamed, so a
crash never leaves a half-written prompt that would later play as truncated.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from spillway.atomic_file import write_atomically
from spillway.audio import AudioFormat

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class Synthesizer(Protocol):
    """What the cache needs from a TTS engine (PiperTts satisfies it)."""

    voice_id: str
    output_format: AudioFormat

    async def synthesize(self, text: str) -> bytes: ...


def prompt_key(voice_id: str, text: str, rate_hz: int) -> str:
    """Stable file name for one rendering: voice, rate and a hash of the text."""
    digest = hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:32]
    return f"{_UNSAFE.sub('_', voice_id)}-{rate_hz}-{digest}.s16le"


class PromptCache:
    """Disk cache of rendered prompts in ``cache_dir``."""

    def __init__(self, cache_dir: Path, tts: Synthesizer) -> None:
        self.cache_dir = cache_dir
        self._tts = tts
        self._locks: dict[str, asyncio.Lock] = {}
        self.renders = 0

    def path_for(self, text: str) -> Path:
        rate = self._tts.output_format.sample_rate_hz
        return self.cache_dir / prompt_key(self._tts.voice_id, text, rate)

    async def get(self, text: str) -> bytes:
        """The prompt's audio, rendering and storing it the first time."""
        path = self.path_for(text)
        # Concurrent first calls for one prompt render it once.
        lock = self._locks.setdefault(path.name, asyncio.Lock())
        async with lock:
            data = await asyncio.to_thread(_read_if_exists, path)
            if data is not None:
                return data
            pcm = await self._tts.synthesize(text)
            self.renders += 1
            await asyncio.to_thread(write_atomically, path, pcm)
            return pcm

    async def warm(self, texts: Iterable[str]) -> int:
        """Render every prompt not yet cached; returns how many were rendered."""
        before = self.renders
        for text in texts:
            await self.get(text)
        return self.renders - before


def _read_if_exists(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
