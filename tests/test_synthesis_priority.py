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


SECOND_8K = b"\x00\x00" * 8000


async def _race(
    first_piece_pcm: bytes, *, gap_s: float = 0.0, by_deadline: bool = True
) -> list[str]:
    """Call A's second piece waits in the pool (its first, cached, plays for as long as
    ``first_piece_pcm``); ``gap_s`` later call B's first piece is queued behind it; the
    one worker is then freed. Returns the order the pieces were rendered in."""
    tts = _Recording()
    tts.by_deadline = by_deadline
    tts.pieces = PieceCache(8)
    tts.pieces.put("Your order has shipped.", first_piece_pcm)
    try:
        hold = asyncio.ensure_future(tts.synthesize("HOLD"))  # the one worker is busy
        await asyncio.to_thread(tts.started.wait, 5)
        call_a = tts.stream("Your order has shipped. It arrives on Friday.")
        await anext(call_a)  # A's first piece plays; "It arrives on Friday." waits
        await asyncio.sleep(gap_s)
        call_b = asyncio.ensure_future(anext(tts.stream("Sorry, which order?")))
        await asyncio.sleep(0.05)  # B's first piece is queued after A's second
        tts.release.set()
        await call_b
        await anext(call_a)
        await hold
        return tts.order
    finally:
        tts.close()


async def test_a_first_piece_goes_ahead_of_a_later_piece_that_can_wait() -> None:
    # A's first piece plays for 2 s: its second is due in about a second.
    order = await _race(2 * SECOND_8K)
    # B's caller waits in silence; A's caller is still hearing its first piece.
    assert order == ["HOLD", "Sorry, which order?", "It arrives on Friday."]


async def test_a_later_piece_whose_time_has_come_is_not_starved() -> None:
    # A's first piece plays for 0.1 s: its second is due in 0.05 s; 0.2 s later A's
    # caller would hear a gap.
    order = await _race(SECOND_8K[: len(SECOND_8K) // 10], gap_s=0.2)
    assert order == ["HOLD", "It arrives on Friday.", "Sorry, which order?"]


async def test_in_arrival_order_when_deadlines_are_off() -> None:
    # As before (the benchmark's "before"): A's second piece was queued first.
    order = await _race(2 * SECOND_8K, by_deadline=False)
    assert order == ["HOLD", "It arrives on Friday.", "Sorry, which order?"]
