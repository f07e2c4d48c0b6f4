"""The decode pool's order: urgent jobs first, arrival order within a priority."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.speech.priority_pool import NORMAL, URGENT, PriorityPool


def _blocked_pool() -> tuple[PriorityPool, threading.Event, threading.Event]:
    """A one-thread pool whose worker is busy until ``release`` is set."""
    pool = PriorityPool(1, thread_name_prefix="test")
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(5)

    pool.submit(hold)
    assert started.wait(5)
    return pool, started, release


def test_urgent_jobs_overtake_queued_normal_ones() -> None:
    pool, _, release = _blocked_pool()
    ran: list[str] = []
    futures = [
        pool.submit(ran.append, "mid-sentence a", priority=NORMAL),
        pool.submit(ran.append, "mid-sentence b", priority=NORMAL),
        pool.submit(ran.append, "utterance ended", priority=URGENT),
        pool.submit(ran.append, "mid-sentence c"),
    ]
    assert pool.queued() == 4
    release.set()
    for future in futures:
        future.result(5)
    pool.shutdown()
    assert ran == ["utterance ended", "mid-sentence a", "mid-sentence b", "mid-sentence c"]


def test_results_exceptions_and_cancelled_jobs() -> None:
    pool, _, release = _blocked_pool()
    ok = pool.submit(lambda x: x * 2, 21)
    boom = pool.submit(lambda: 1 // 0)
    skipped = pool.submit(lambda: pytest.fail("a cancelled job ran"))
    assert skipped.cancel()
    release.set()
    assert ok.result(5) == 42
    with pytest.raises(ZeroDivisionError):
        boom.result(5)
    pool.shutdown()


def test_shutdown_cancels_queued_jobs_and_refuses_new_ones() -> None:
    pool, _, release = _blocked_pool()
    queued = pool.submit(lambda: "never")
    release.set()
    pool.shutdown(wait=True, cancel_futures=True)
    assert queued.cancelled() or queued.result(5) == "never"  # may have started first
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(lambda: None)
    with pytest.raises(ValueError):
        PriorityPool(0)


async def test_awaited_from_asyncio_and_cancellation_reaches_a_queued_job() -> None:
    pool, _, release = _blocked_pool()
    waiting = asyncio.ensure_future(asyncio.wrap_future(pool.submit(lambda: "late")))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert pool.queued() == 1  # still in the heap, but its future is cancelled
    release.set()
    done = await asyncio.wrap_future(pool.submit(lambda: "next", priority=URGENT))
    assert done == "next"
    pool.shutdown()
