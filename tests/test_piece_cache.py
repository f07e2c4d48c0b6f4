"""Rendered reply pieces are reused: a piece asked for again is not rendered again.

A stand-in voice counts its renders (no Piper needed); the cache is the real one.
"""

from __future__ import annotations

import pytest

from bot.dialogue.prompts import spoken_prompts, use_language
from bot.speech.piece_cache import PieceCache
from bot.speech.priority_pool import PriorityPool
from bot.speech.synthesis import ThreadedTts, fixed_pieces
from spillway.audio import SLIN8


class _CountingVoice(ThreadedTts):
    voice_id = "counting"
    output_format = SLIN8

    def __init__(self) -> None:
        self._executor = PriorityPool(1)
        self.rendered: list[str] = []

    def synthesize_pcm(self, text: str) -> bytes:
        self.rendered.append(text)
        return text.encode() * 2


async def _say(voice: ThreadedTts, text: str) -> bytes:
    return b"".join([chunk.audio async for chunk in voice.stream(text)])


async def test_a_repeated_piece_is_served_from_memory_and_counted() -> None:
    voice = _CountingVoice()
    voice.pieces = PieceCache(8)
    reply = "Sorry, I did not catch that. Is there anything else?"
    first = await _say(voice, reply)
    assert len(voice.rendered) == 3
    again = await _say(voice, "Order 10043 has shipped. Is there anything else?")
    assert again.endswith(b"Is there anything else?" * 2)
    # Only the new piece was rendered; the audio is the same as rendered before.
    assert voice.rendered[3:] == ["Order 10043 has shipped."]
    assert await _say(voice, reply) == first and len(voice.rendered) == 4
    stats = voice.pieces.stats
    pieces = ("Sorry,", "I did not catch that.", "Is there anything else?")
    reply_chars = sum(len(p) for p in pieces)
    order_chars = len("Order 10043 has shipped.")
    assert stats.requested_chars == 2 * reply_chars + order_chars + len("Is there anything else?")
    assert stats.rendered_chars == reply_chars + order_chars
    assert stats.saved_share == pytest.approx(1 - stats.rendered_chars / stats.requested_chars)
    voice.close()


async def test_without_a_cache_every_piece_is_rendered() -> None:
    voice = _CountingVoice()
    await _say(voice, "Goodbye.")
    await _say(voice, "Goodbye.")
    assert voice.rendered == ["Goodbye.", "Goodbye."]
    voice.close()


def test_the_least_recently_used_piece_goes_first() -> None:
    cache = PieceCache(2)
    cache.put("a", b"1")
    cache.put("b", b"2")
    assert cache.get("a") == b"1"  # "a" is now the most recent
    cache.put("c", b"3")
    assert cache.get("b") is None and cache.get("a") == b"1" and cache.get("c") == b"3"
    assert len(cache) == 2
    with pytest.raises(ValueError):
        PieceCache(0)


def test_pieces_can_be_forgotten_by_their_text() -> None:
    cache = PieceCache(8)
    for text in ("Goodbye.", "Order 1 0 0 4 2 has been shipped.", "Is that right?"):
        cache.put(text, b"pcm")
    assert cache.forget_where(lambda t: any(c.isdigit() for c in t)) == 1
    assert len(cache) == 2 and cache.get("Goodbye.") == b"pcm"
    assert cache.get("Order 1 0 0 4 2 has been shipped.") is None


def test_the_fixed_pieces_of_templates_are_those_without_a_placeholder() -> None:
    templates = [
        "You'd like a colleague to call you back. We'd call you on {phone}, is that right?",
        "Order {order} has shipped. Is there anything else?",
        "Sorry, the {product} is sold out. Is there anything else?",
    ]
    assert fixed_pieces(templates) == [
        "You'd like a colleague to call you back.",
        "Is there anything else?",
        "Sorry,",
    ]


async def test_warmed_pieces_are_not_rendered_when_a_caller_needs_them() -> None:
    voice = _CountingVoice()
    voice.pieces = PieceCache(8)
    warm = fixed_pieces(["You'd like a colleague to call you back. We'd call you on {phone}."])
    assert await voice.warm_pieces(warm) == 1
    assert await voice.warm_pieces(warm) == 0  # already there
    voice.rendered.clear()
    await _say(voice, "You'd like a colleague to call you back. We'd call you on 20 12 34 56.")
    assert voice.rendered == ["We'd call you on 20 12 34 56."]  # only the caller's data


def test_every_spoken_template_of_each_pack_has_fixed_pieces_to_warm() -> None:
    for language in ("en", "da"):
        use_language(language)
        try:
            pieces = fixed_pieces(spoken_prompts())
        finally:
            use_language("en")
        assert pieces and not any("{" in p for p in pieces)
        assert not any(p.startswith("Vi har også set") for p in pieces)  # explanations: read
