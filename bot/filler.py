"""A short "one moment" while a turn's reply is still being worked out.

A turn that looks something up in the shop's system (an order number, up to
``shop.api_timeout_s``) would otherwise leave the caller in silence until the
reply is ready. When the reply is not ready within :data:`FILLER_AFTER_MS`,
the voice bot plays a fixed filler from the pack (``filler_lookup``, played
from the prompt cache) once, then the reply when it is ready: the reply waits
for the filler to finish, never cutting into it.

A caller who talks over the filler ("okay", "mm") stops it, but not the answer
they are waiting for (a person saying "one moment" gets "okay" and then
answers): the reply plays at the caller's pause, and what they said is their
next turn after it. A key over the filler (0 for a colleague) acts at once, and
the reply is not played.

The threshold sits above a normal turn's whole decide step: the measured turn
latencies (docs/PERFORMANCE.md) are p50 about 400 ms and p95 under 900 ms
from the caller's endpoint to the reply's first audio, of which recognising
and rendering are most; a local look-up takes milliseconds. So a caller whose
reply is quick never hears a filler.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["FILLER_AFTER_MS", "with_filler"]

T = TypeVar("T")

FILLER_AFTER_MS = 700.0
"""How long a turn's reply may take before the caller hears the filler."""


async def with_filler(
    work: Awaitable[T], after_s: float, filler: Callable[[], Awaitable[object]]
) -> T:
    """``work``'s result; if it is not done within ``after_s``, ``filler()`` runs
    (to its end) while it goes on, and the result is returned after both.

    A filler that fails (the caller hung up) still lets ``work`` finish before
    the error is raised: the dialogue's turn may be writing (a case, a callback
    request) and must not be cut in half. Cancelling cancels ``work`` too.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _pending = await asyncio.wait({task}, timeout=after_s)
        if not done:
            try:
                await filler()
            except asyncio.CancelledError:
                raise
            except BaseException:
                with contextlib.suppress(Exception):
                    await task
                raise
        return await task
    except asyncio.CancelledError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        raise
