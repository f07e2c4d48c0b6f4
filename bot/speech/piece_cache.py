"""Rendered reply pieces kept in memory, least recently used dropped first.

Replies are spoken piece by piece (:func:`bot.speech.synthesis.split_for_speech`)
and many pieces recur word for word across calls: "Sorry,", "Is there anything
else I can help you with?", "Goodbye." Rendering such a piece once and reusing
its audio saves Piper's time on the caller's wait and a core's time under load.
Pieces with caller data (an order number, a date) simply miss and are rendered
as before; the prompt cache on disk (:mod:`bot.speech.prompt_cache`) still
holds whole fixed prompts.

The key is the piece's text; one cache belongs to one voice at one rate.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class PieceStats:
    """Characters asked for and characters that had to be rendered."""

    requested_chars: int = 0
    rendered_chars: int = 0

    @property
    def saved_share(self) -> float:
        """The share of asked-for characters served from the cache (0..1)."""
        if not self.requested_chars:
            return 0.0
        return 1.0 - self.rendered_chars / self.requested_chars


class PieceCache:
    """At most ``max_pieces`` rendered pieces (PCM), least recently used evicted."""

    def __init__(self, max_pieces: int) -> None:
        if max_pieces < 1:
            raise ValueError("max_pieces must be at least 1")
        self.max_pieces = max_pieces
        self._pieces: OrderedDict[str, bytes] = OrderedDict()
        self.stats = PieceStats()

    def __len__(self) -> int:
        return len(self._pieces)

    def get(self, text: str) -> bytes | None:
        """The piece's audio if cached (counted as asked for either way)."""
        self.stats.requested_chars += len(text)
        pcm = self._pieces.get(text)
        if pcm is None:
            self.stats.rendered_chars += len(text)
            return None
        self._pieces.move_to_end(text)
        return pcm

    def peek(self, text: str) -> bool:
        """Whether the piece is cached (not counted, nor made recent)."""
        return text in self._pieces

    def forget_where(self, drop: Callable[[str], bool]) -> int:
        """Drop the pieces whose text ``drop`` picks; how many went."""
        gone = [text for text in self._pieces if drop(text)]
        for text in gone:
            del self._pieces[text]
        return len(gone)

    def put(self, text: str, pcm: bytes) -> None:
        if not pcm:
            return
        self._pieces[text] = pcm
        self._pieces.move_to_end(text)
        while len(self._pieces) > self.max_pieces:
            self._pieces.popitem(last=False)
