"""What every voice shares: a synthesis pool, sentence-by-sentence streaming.

A voice (:class:`bot.speech.piper_tts.PiperTts`, :class:`bot.speech.espeak_tts.EspeakTts`)
renders text into s16le mono at its ``output_format`` in :meth:`synthesize_pcm`
(blocking); this base runs that in the voice's bounded thread pool so the event
loop never waits on it, and streams a reply piece by piece
(:func:`split_for_speech`): the first piece is returned as soon as it is ready
while the next one renders.

The pool runs the piece whose caller needs it soonest
(:class:`~bot.speech.priority_pool.PriorityPool` ordered by deadline). A
reply's first piece is due at once: its caller is waiting in silence. A later
piece is due when the piece before it has played, so it has that piece's
playing time (a second or more) to render in, and other calls' first pieces
go ahead of it meanwhile; it is never starved, because its deadline comes.
With ten calls at once and pieces in arrival order, first pieces waited
behind other calls' later pieces: 1.6 s median (docs/PERFORMANCE.md, "Ten
callers at once").
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from bot.speech.piece_cache import PieceCache
from bot.speech.priority_pool import PriorityPool
from spillway.audio import AudioChunk, AudioFormat

# Sentence ends: ., !, ? (and runs of them) followed by whitespace.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


# Clause ends inside a sentence: , ; : followed by whitespace.
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")
# A first sentence at least this long is spoken clause first (see split_for_speech).
FIRST_CLAUSE_SPLIT_MIN_CHARS = 20
# Pieces rendered ahead at start-up are due this far off: every caller's piece first.
WARM_PIECE_SLACK_S = 3600.0


def split_sentences(text: str) -> list[str]:
    """Split a reply into sentences so the first can be spoken early."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def split_for_speech(text: str) -> list[str]:
    """Sentences, with the first one's first clause on its own.

    What the caller waits for is the first piece's synthesis, which grows with
    its length: "Sorry," renders in a fraction of "Sorry, I didn't
    understand." and the rest renders while it plays. Only the first sentence
    is split, so the rest of the reply keeps Piper's whole-sentence prosody.
    """
    pieces = split_sentences(text)
    if pieces and len(pieces[0]) >= FIRST_CLAUSE_SPLIT_MIN_CHARS:
        head = _CLAUSE_END.split(pieces[0], maxsplit=1)
        if len(head) == 2 and head[0] and head[1]:
            pieces[0:1] = head
    return pieces


def fixed_pieces(templates: Sequence[str]) -> list[str]:
    """The pieces (:func:`split_for_speech`) of reply templates that hold no placeholder:
    "You'd like a colleague to call you back." of "... back. We'd call you on
    {phone}...". Spoken word for word in every reply made from the template, so
    they can be rendered once, before any caller waits for them."""
    found = dict.fromkeys(
        piece for text in templates for piece in split_for_speech(text) if "{" not in piece
    )
    return list(found)


class ThreadedTts:
    """A voice whose blocking :meth:`synthesize_pcm` runs in its own priority pool."""

    voice_id: str
    output_format: AudioFormat
    _executor: PriorityPool
    # False when the pool is shared with the recogniser (its owner closes it).
    _owns_executor: bool = True
    # Rendered pieces reused across replies and calls (None: render every piece).
    pieces: PieceCache | None = None
    # Pieces render by deadline (False: in arrival order, as before; benchmarks
    # measure both).
    by_deadline: bool = True
    # A later piece is due after this share of the previous piece's playing time
    # (the rest is left for rendering it).
    SLACK_SHARE = 0.5

    def synthesize_pcm(self, text: str) -> bytes:
        """Blocking: the whole text as s16le at the output rate."""
        raise NotImplementedError

    async def synthesize(self, text: str) -> bytes:
        """The whole text, rendered in the synthesis pool (due now)."""
        return await asyncio.wrap_future(
            self._executor.submit(self.synthesize_pcm, text, priority=self._due(0.0))
        )

    def _due(self, slack_s: float) -> float:
        """A piece's place in the pool: its deadline (monotonic s), or arrival order."""
        return time.monotonic() + slack_s if self.by_deadline else 0.0

    async def stream(
        self,
        text: str,
        *,
        start_ms: float = 0.0,
        lead: Callable[[], Awaitable[bytes]] | None = None,
    ) -> AsyncIterator[AudioChunk]:
        """One chunk per piece (``split_for_speech``); the next renders while this one plays.

        Only one piece per reply waits in the shared synthesis pool at a time:
        queueing a whole reply at once would put every other call's first
        sentence behind it. ``lead`` is audio already rendered (a cached fixed
        opener, at this voice's output format): it is yielded first, while the
        first piece of ``text`` renders.
        """
        loop = asyncio.get_running_loop()
        pieces = split_for_speech(text)
        offset_ms = start_ms

        def submit(index: int, slack_s: float = 0.0) -> asyncio.Future[bytes] | None:
            """Piece ``index``, due ``slack_s`` from now (when the caller needs it)."""
            if index >= len(pieces):
                return None
            cache, piece = self.pieces, pieces[index]
            cached = cache.get(piece) if cache is not None else None
            if cached is not None:
                done: asyncio.Future[bytes] = loop.create_future()
                done.set_result(cached)
                return done
            future = asyncio.wrap_future(
                self._executor.submit(self.synthesize_pcm, piece, priority=self._due(slack_s))
            )
            if cache is not None:
                future.add_done_callback(
                    lambda f: (
                        cache.put(piece, f.result())
                        if not f.cancelled() and f.exception() is None
                        else None
                    )
                )
            return future

        future = submit(0)
        try:
            if lead is not None:
                pcm = await lead()
                yield AudioChunk(pcm, self.output_format, offset_ms)
                offset_ms += self.output_format.duration_ms(len(pcm))
            for index in range(len(pieces)):
                assert future is not None
                pcm = await future
                # Needed once this piece has played (it starts now, or later).
                playing_s = self.output_format.duration_ms(len(pcm)) / 1000
                future = submit(index + 1, self.SLACK_SHARE * playing_s)
                if pcm:
                    yield AudioChunk(pcm, self.output_format, offset_ms)
                    offset_ms += self.output_format.duration_ms(len(pcm))
        finally:
            # A barge-in stops the reply: drop the piece not yet started.
            if future is not None:
                future.cancel()

    async def warm_pieces(self, pieces: Sequence[str]) -> int:
        """Render ``pieces`` not yet in the piece cache into it, behind any caller's
        piece (due an hour from now), one at a time; how many were rendered."""
        cache = self.pieces
        if cache is None:
            return 0
        rendered = 0
        for piece in pieces:
            if cache.peek(piece):
                continue
            pcm = await asyncio.wrap_future(
                self._executor.submit(
                    self.synthesize_pcm, piece, priority=self._due(WARM_PIECE_SLACK_S)
                )
            )
            cache.put(piece, pcm)
            rendered += 1
        return rendered

    def time_to_first_audio_s(self, text: str) -> float:
        """Blocking: seconds until the first sentence's audio exists (benchmarks)."""
        started = time.perf_counter()
        first = split_for_speech(text)[0]
        self.synthesize_pcm(first)
        return time.perf_counter() - started

    def close(self) -> None:
        if self._owns_executor:
            self._executor.shutdown(wait=True, cancel_futures=True)
