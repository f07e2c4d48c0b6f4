"""A reply's first piece renders before other calls' later pieces (bot/speech/synthesis.py)."""

from __future__ import annotations

import asyncio
import threading

from bot.speech.piece_cache import PieceCache
from bot.speech.priority_pool import PriorityPool
from bot.speech.synthesis import ThreadedTts
from spillway.audio import SLIN8


class _Recording(ThreadedTts):
    """A voice that records the order it renders in; "HOLD" blocks until released."""

    def __init__(self) -> None:
        self.voice_id = "recording"
        self.output_format = SLIN8
        self._executor = PriorityPool(1, thread_name_prefix="test-tts")
        self.release = threading.Event()
        self.started = threading.Event()
        self.order: list[str] = []

    def synthesize_pcm(self, text: str) -> bytes:
        if text == "HOLD":
            self.started.set()
            self.release.wait(5)
        self.order.append(text)
        return b"\x00\x00" * 80


async def test_a_first_piece_jumps_ahead_of_another_calls_later_piece() -> None:
    tts = _Recording()
    # Call A's first piece is cached, so its second is queued as soon as A plays.
    tts.pieces = PieceCache(8)
    tts.pieces.put("Your order has shipped.", b"\x00\x00" * 80)
    try:
        hold = asyncio.ensure_future(tts.synthesize("HOLD"))  # the one worker is busy
        await asyncio.to_thread(tts.started.wait, 5)
        call_a = tts.stream("Your order has shipped. It arrives on Friday.")
        await anext(call_a)  # A's first piece plays; "It arrives on Friday." waits in the pool
        call_b = asyncio.ensure_future(anext(tts.stream("Sorry, which order?")))
        await asyncio.sleep(0.05)  # B's first piece is queued after A's second
        tts.release.set()
        await call_b
        await anext(call_a)
        await hold
        # B's caller waits in silence; A's caller is still hearing its first piece.
        assert tts.order == ["HOLD", "Sorry, which order?", "It arrives on Friday."]
    finally:
        tts.close()


async def test_whole_texts_render_behind_first_pieces() -> None:
    tts = _Recording()
    try:
        hold = asyncio.ensure_future(tts.synthesize("HOLD"))
        await asyncio.to_thread(tts.started.wait, 5)
        prompt = asyncio.ensure_future(tts.synthesize("A prompt for the cache."))
        await asyncio.sleep(0.05)
        reply = asyncio.ensure_future(anext(tts.stream("Yes.")))
        await asyncio.sleep(0.05)
        tts.release.set()
        await asyncio.gather(hold, prompt, reply)
        assert tts.order == ["HOLD", "Yes.", "A prompt for the cache."]
    finally:
        tts.close()
