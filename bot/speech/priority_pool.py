"""A bounded thread pool that runs the most urgent job first.

Why: the recognisers of every call share a few decode threads. When several
callers talk at once the queue holds a job per call, and FIFO order makes a
caller who has just stopped talking (whose reply everyone is waiting for)
queue behind callers who are still mid-sentence, whose decoding can lag
without anyone noticing. Jobs here carry a priority (lower runs first; FIFO
within one priority), so the end of an utterance jumps the queue. A priority
may also be a deadline in seconds (earliest first: the synthesis pool).

Same contract as ``concurrent.futures.ThreadPoolExecutor`` where used:
``submit`` returns a ``concurrent.futures.Future`` (wrap it with
``asyncio.wrap_future``), ``shutdown(wait, cancel_futures)``, and submitting
after shutdown raises RuntimeError.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

URGENT = 0
NORMAL = 1

_Job = tuple[float, int, Future[Any], Callable[..., Any], tuple[Any, ...]]


class PriorityPool:
    """``max_workers`` threads taking the lowest (priority, arrival) job first."""

    def __init__(self, max_workers: int, *, thread_name_prefix: str = "prio") -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be >= 1")
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

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._heap and not self._closed:
                    self._ready.wait()
                if not self._heap:
                    return  # closed and drained
                _, _, future, fn, args = heapq.heappop(self._heap)
            if not future.set_running_or_notify_cancel():
                continue  # cancelled while queued
            try:
                result = fn(*args)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

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
