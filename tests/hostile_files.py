"""Helpers for the hostile-file tests: a call that may hang on a FIFO, run where it cannot
hang the suite."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def finishes(fn: Callable[[], T], timeout_s: float, *, fifo: Path | None = None) -> T | None:
    """``fn()`` run in a thread; its result, or None if it did not finish in ``timeout_s``.

    ``fifo``: a reader stuck on it is let go (a writer opens and closes it), so a
    hang fails the test instead of leaving a thread blocked for good.
    """
    result: list[T] = []
    thread = threading.Thread(target=lambda: result.append(fn()), daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        if fifo is not None:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        return None
    return result[0] if result else None
