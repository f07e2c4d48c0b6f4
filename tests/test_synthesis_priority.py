"""A reply's first piece renders before other calls' later pieces (bot/speech/synthesis.py)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

from bot.speech.piece_cache import PieceCache
from bot.speech.priority_pool import PriorityPool
from bot.speech.synthesis import ThreadedTts
from spillway.audio import SLIN8, AudioChunk


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


SECOND_8K = b"\x00\x00" * 8000


async def _later_piece_waiting(
    tts: _Recording, first_piece_pcm: bytes
) -> tuple[asyncio.Future[bytes], AsyncIterator[AudioChunk]]:
    """Hold the one worker; call A plays its cached first piece, its second waits."""
    assert tts.pieces is not None
    tts.pieces.put("Your order has shipped.", first_piece_pcm)
    hold = asyncio.ensure_future(tts.synthesize("HOLD"))
    await asyncio.to_thread(tts.started.wait, 5)
    call_a = tts.stream("Your order has shipped. It arrives on Friday.")
    await anext(call_a)  # A's first piece plays; "It arrives on Friday." waits in the pool
    return hold, call_a


async def test_a_first_piece_goes_ahead_of_a_later_piece_that_can_wait() -> None:
    tts = _Recording()
    tts.pieces = PieceCache(8)
    try:
        # A's first piece plays for 2 s: its second is due in about a second.
        hold, call_a = await _later_piece_waiting(tts, 2 * SECOND_8K)
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


async def test_a_later_piece_whose_time_has_come_is_not_starved() -> None:
    tts = _Recording()
    tts.pieces = PieceCache(8)
    try:
        # A's first piece plays for 0.1 s: its second is due in 0.05 s.
        hold, call_a = await _later_piece_waiting(tts, SECOND_8K[: len(SECOND_8K) // 10])
        await asyncio.sleep(0.2)  # A's caller would now hear a gap
        call_b = asyncio.ensure_future(anext(tts.stream("Sorry, which order?")))
        await asyncio.sleep(0.05)
        tts.release.set()
        await call_b
        await anext(call_a)
        await hold
        assert tts.order == ["HOLD", "It arrives on Friday.", "Sorry, which order?"]
    finally:
        tts.close()


async def test_in_arrival_order_when_deadlines_are_off() -> None:
    tts = _Recording()
    tts.by_deadline = False  # as before (the benchmark's "before")
    tts.pieces = PieceCache(8)
    try:
        hold, call_a = await _later_piece_waiting(tts, 2 * SECOND_8K)
        call_b = asyncio.ensure_future(anext(tts.stream("Sorry, which order?")))
        await asyncio.sleep(0.05)
        tts.release.set()
        await call_b
        await anext(call_a)
        await hold
        assert tts.order == ["HOLD", "It arrives on Friday.", "Sorry, which order?"]
    finally:
        tts.close()
