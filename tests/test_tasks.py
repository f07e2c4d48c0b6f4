"""cancel_and_wait stops a helper task but never eats the caller's own cancellation."""

from __future__ import annotations

import asyncio

import pytest

from spillway.tasks import cancel_and_wait


async def test_helper_is_cancelled_and_awaited() -> None:
    cleaned = asyncio.Event()

    async def helper() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            cleaned.set()

    task = asyncio.create_task(helper())
    await asyncio.sleep(0)
    await cancel_and_wait(task)  # does not raise the helper's CancelledError
    assert task.cancelled() and cleaned.is_set()


async def test_the_callers_cancellation_propagates() -> None:
    async def stubborn() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.sleep(0.2)  # slow to stop, so the caller is cancelled meanwhile
            raise

    helper = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    reached_after = False

    async def caller() -> None:
        nonlocal reached_after
        await cancel_and_wait(helper)
        reached_after = True

    outer = asyncio.create_task(caller())
    await asyncio.sleep(0.05)
    outer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outer
    assert not reached_after
    await asyncio.wait([helper])
