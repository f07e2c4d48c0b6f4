"""Stopping a helper task without swallowing the caller's own cancellation."""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait until it has finished.

    The task's own CancelledError is expected and not re-raised; but if the
    task calling this is cancelled while waiting, that cancellation propagates
    (``contextlib.suppress(CancelledError)`` around ``await task`` would eat it).
    """
    task.cancel()
    await asyncio.wait([task])
