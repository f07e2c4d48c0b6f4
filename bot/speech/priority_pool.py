"""A bounded thread pool that runs the most urgent job first.

Why: the recognisers of every call share a few decode threads. When several
callers talk at once the queue holds a job per call, and FIFO order makes a
caller who has just stopped talking (whose reply everyone is waiting for)
queue behind callers who are still mid-sentence, whose decoding can lag
without anyone noticing. Jobs here carry a priority (lower runs first; FIFO
within one priority), so the end of an utterance jumps the queue. A priority
may also be a deadline in seconds (earliest first: the synthesis pool);
a pool shared by the recogniser and the voice takes deadlines on one clock
(:func:`due_in`), so a render due in 0.3 s runs before a decode that comes
later, and a decode due now before a render due later.

Jobs submitted with :meth:`PriorityPool.submit_batched` are run together: a
worker that takes one also takes the next queued jobs of the same batch
function (up to ``max_batch``) and runs them as one call. Why: a Whisper
decode of one utterance reads the decoder's weights once per token for one
sequence; ten callers who stop talking at once decode cheaper per caller as
one batch (docs/PERFORMANCE.md, "Batched decodes").

Same contract as ``concurrent.futures.ThreadPoolExecutor`` where used:
``submit`` returns a ``concurrent.futures.Future`` (wrap it with
``asyncio.wrap_future``), ``shutdown(wait, cancel_futures)``, and submitting
after shutdown raises RuntimeError.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar, cast

T = TypeVar("T")

URGENT = 0
NORMAL = 1

_Job = tuple[float, int, Future[Any], Callable[..., Any], tuple[Any, ...]]
# The args of a batched job: its item, and a marker that fn takes a list of items.
_BATCHED = object()


def due_in(seconds: float) -> float:
    """A deadline priority: ``seconds`` from now on the monotonic clock."""
    return time.monotonic() + seconds


def _batched(job: _Job) -> bool:
    return bool(job[4]) and job[4][0] is _BATCHED


class PriorityPool:
    """``max_workers`` threads taking the lowest (priority, arrival) job first."""

    def __init__(
        self, max_workers: int, *, thread_name_prefix: str = "prio", max_batch: int = 1
    ) -> None:
        if max_workers < 1 or max_batch < 1:
            raise ValueError("max_workers and max_batch must be >= 1")
        self._max_batch = max_batch
        self._heap: list[_Job] = []
        self._order = itertools.count()
        self._ready = threading.Condition()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"{thread_name_prefix}_{i}", daemon=True)
            for i in range(max_workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., T], /, *args: Any, priority: float = NORMAL) -> Future[T]:
        future: Future[T] = Future()
        with self._ready:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            heapq.heappush(self._heap, (priority, next(self._order), future, fn, args))
            self._ready.notify()
        return future

    def submit_batched(
        self, run_batch: Callable[[list[Any]], list[T]], item: Any, *, priority: float = NORMAL
    ) -> Future[T]:
        """``run_batch([item, ...])`` with other queued items of the same ``run_batch``;
        it returns one result per item, in order."""
        future: Future[T] = self.submit(
            cast(Callable[..., T], run_batch), _BATCHED, item, priority=priority
        )
        return future

    def _take(self) -> list[_Job] | None:
        """The most urgent job, and the queued jobs that batch with it (None: closed)."""
        with self._ready:
            while not self._heap and not self._closed:
                self._ready.wait()
            if not self._heap:
                return None  # closed and drained
            first = heapq.heappop(self._heap)
            taken: list[_Job] = [first]
            passed: list[_Job] = []
            if _batched(first):
                while self._heap and len(taken) < self._max_batch:
                    job = heapq.heappop(self._heap)
                    # Another function's job, or a plain one, stays queued.
                    (taken if job[3] == first[3] and _batched(job) else passed).append(job)
            for job in passed:
                heapq.heappush(self._heap, job)
            return taken

    def _work(self) -> None:
        while (taken := self._take()) is not None:
            # Cancelled while queued: not run.
            jobs = [job for job in taken if job[2].set_running_or_notify_cancel()]
            if not jobs:
                continue
            fn = jobs[0][3]
            try:
                if _batched(jobs[0]):
                    results = fn([job[4][1] for job in jobs])
                else:
                    results = [fn(*jobs[0][4])]
            except BaseException as exc:
                for job in jobs:
                    job[2].set_exception(exc)
            else:
                for job, result in zip(jobs, results, strict=True):
                    job[2].set_result(result)

    def queued(self) -> int:
        with self._ready:
            return len(self._heap)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._ready:
            self._closed = True
            if cancel_futures:
                for _, _, future, _, _ in self._heap:
                    future.cancel()
                self._heap.clear()
            self._ready.notify_all()
        if wait:
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join()
