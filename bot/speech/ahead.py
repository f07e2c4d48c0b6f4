"""A reply's audio whose first piece starts rendering before anyone plays it.

The voice bot prepares its reply at the caller's pause (:mod:`bot.turn_taking`);
the first piece renders while the endpoint's silence runs out, and the reply
then plays at once, or is dropped (:meth:`RenderedAhead.aclose`) when the
caller went on speaking.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import cast

from spillway.audio import AudioChunk


class RenderedAhead:
    """A reply's audio whose first piece renders now, before it is played (or dropped)."""

    def __init__(self, pieces: AsyncIterator[AudioChunk]) -> None:
        self._pieces = cast(AsyncGenerator[AudioChunk, None], pieces)
        self._first = asyncio.ensure_future(_first_piece(self._pieces))

    async def stream(self) -> AsyncGenerator[AudioChunk, None]:
        chunk = await self._first
        if chunk is None:
            return
        yield chunk
        async for chunk in self._pieces:
            yield chunk

    async def aclose(self) -> None:
        self._first.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._first
        await self._pieces.aclose()


async def _first_piece(pieces: AsyncGenerator[AudioChunk, None]) -> AudioChunk | None:
    try:
        return await anext(pieces)
    except StopAsyncIteration:
        return None
