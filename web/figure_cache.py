"""The console's figures counted once a minute: the Overview's KPIs and the Pilot page's report.

Both count every request of a window (and the Pilot page bootstraps its
intervals on top), which on a large store takes seconds (docs/PERFORMANCE.md),
while a wallboard reloads all day. One :class:`FigureCache` per application
serves both pages: an entry is keyed by what the figures depend on (the kind
of figures, the window as the page was asked for it, the time zone) and is
reused for ``ttl_s``; the page says when its figures were counted.

Views that arrive while an entry is being counted wait for that count instead
of starting their own (one lock per key), so ten tabs opened at once count once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

# How long figures are reused: a minute, as a wallboard's figures need not be fresher.
FIGURE_CACHE_S = 60.0

Figures = dict[str, Any]


class FigureCache:
    """Figures per key, reused for ``ttl_s`` seconds after they were counted."""

    def __init__(self, ttl_s: float = FIGURE_CACHE_S) -> None:
        self.ttl_s = ttl_s
        self._figures: dict[Hashable, tuple[float, Figures]] = {}
        self._counting: dict[Hashable, asyncio.Lock] = {}

    def _fresh(self, key: Hashable, now: float) -> Figures | None:
        hit = self._figures.get(key)
        return hit[1] if hit is not None and 0 <= now - hit[0] <= self.ttl_s else None

    async def get(
        self, key: Hashable, now: float, count: Callable[[], Awaitable[Figures]]
    ) -> Figures:
        """The figures for ``key``: reused when counted within ``ttl_s`` of ``now``,
        else ``count()``-ed once (however many views wait) and kept with ``counted_at``."""
        hit = self._fresh(key, now)
        if hit is not None:
            return hit
        lock = self._counting.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                hit = self._fresh(key, now)  # counted while this view waited
                if hit is not None:
                    return hit
                figures = await count()
                figures["counted_at"] = now
                self._forget_stale(now)
                self._figures[key] = (now, figures)
        finally:
            if key not in self._figures and not lock.locked():  # the count failed
                self._counting.pop(key, None)
        return figures

    def _forget_stale(self, now: float) -> None:
        """Drop expired entries (a chosen range is its own key: they must not pile up)."""
        stale = [k for k, (at, _) in self._figures.items() if not 0 <= now - at <= self.ttl_s]
        for k in stale:
            del self._figures[k]
            lock = self._counting.get(k)
            if lock is not None and not lock.locked():
                del self._counting[k]
