"""The decode pool's order: urgent jobs first, arrival order within a priority, and batches."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

import pytest

from bot.speech.priority_pool import NORMAL, URGENT, PriorityPool


def _blocked_pool(max_batch: int = 1) -> tuple[PriorityPool, threading.Event, threading.Event]:
    """A one-thread pool whose worker is busy until ``release`` is set."""
    pool = PriorityPool(1, thread_name_prefix="test", max_batch=max_batch)
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


class _Decoder:
    """Records each batch it is given; an item "bad" fails its whole batch."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def run(self, items: list[str]) -> list[str]:
        self.batches.append(items)
        if "bad" in items:
            raise ValueError("bad audio")
        return [item.upper() for item in items]


def test_queued_jobs_of_one_batch_function_run_together_most_urgent_first() -> None:
    pool, _, release = _blocked_pool(max_batch=3)
    decoder = _Decoder()
    ran: list[str] = []
    futures: list[Future[Any]] = [
        pool.submit_batched(decoder.run, "a", priority=NORMAL),
        pool.submit(ran.append, "plain job"),
        pool.submit_batched(decoder.run, "b", priority=NORMAL),
        pool.submit_batched(decoder.run, "ended", priority=URGENT),
        pool.submit_batched(decoder.run, "c", priority=NORMAL),
        pool.submit_batched(decoder.run, "d", priority=NORMAL),
    ]
    cancelled = pool.submit_batched(decoder.run, "gone", priority=NORMAL)
    assert cancelled.cancel()
    release.set()
    results = [future.result(5) for future in futures]
    pool.shutdown()
    # Up to max_batch at once, the most urgent first; the plain job waits its turn
    # and is not given to the batch function; a cancelled job is never decoded.
    assert decoder.batches == [["ended", "a", "b"], ["c", "d"]]
    assert ran == ["plain job"]
    assert results == ["A", None, "B", "ENDED", "C", "D"]


def test_a_failing_batch_fails_each_of_its_jobs_and_only_those() -> None:
    pool, _, release = _blocked_pool(max_batch=2)
    decoder = _Decoder()
    failing = [pool.submit_batched(decoder.run, item) for item in ("x", "bad")]
    fine = pool.submit_batched(decoder.run, "y")
    release.set()
    for future in failing:
        with pytest.raises(ValueError, match="bad audio"):
            future.result(5)
    assert fine.result(5) == "Y"
    pool.shutdown()


def test_without_max_batch_each_job_runs_alone() -> None:
    pool, _, release = _blocked_pool()
    decoder = _Decoder()
    futures = [pool.submit_batched(decoder.run, item) for item in ("a", "b")]
    release.set()
    assert [f.result(5) for f in futures] == ["A", "B"]
    pool.shutdown()
    assert decoder.batches == [["a"], ["b"]]
