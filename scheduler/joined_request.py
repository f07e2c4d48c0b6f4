"""A request that joins an open one for the same number: what the open one keeps of it.

Two doors differ. The bot, the keypad menu and the API speak for a customer who
asks again: their latest word on when to call replaces the open request's
(:func:`scheduler.intake.record`), so a merge never calls them earlier than they
last asked. A CSV row is another entry in a shop's list (a CRM's new case for a
customer who already waits): both must be served by the one call, so nothing of
either is lost (:data:`COVERING_SOURCES`):

- the reasons are kept side by side in ``reason`` (:func:`joined_reason`,
  "Levering; Ny henvendelse"), each worded on its own where shown
  (:func:`reason_parts`);
- the window covers both (:func:`covering`): it opens at the earlier start and
  closes at the later end (no start or no end on either side: none), the expiry
  is the later one and the deadline the earlier one. A customer whose open request
  asked for Monday 09-12 and whose new row asks for any time is called from now
  until the later expiry, not only on Monday morning.

Pure: the stored values in, the joined ones out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scheduler.requests import RequestSource

# The doors whose rows join an open request by covering both (see the module's text).
COVERING_SOURCES = frozenset({RequestSource.CSV})
JOINED_BY = "; "
# The reason column holds this much; the merge history in the context keeps every word.
MAX_REASON_CHARS = 1000


def reason_parts(stored: str | None) -> list[str]:
    """The reasons a stored reason holds, in the order they came (pure)."""
    return [part.strip() for part in (stored or "").split(JOINED_BY) if part.strip()]


def joined_reason(held: str | None, new: str | None) -> str:
    """``held`` with ``new`` after it, unless it holds it already (pure): "a; b"."""
    parts = reason_parts(held)
    for part in reason_parts(new):
        if part not in parts:
            parts.append(part)
    return JOINED_BY.join(parts)[:MAX_REASON_CHARS]


@dataclass(frozen=True, slots=True)
class Span:
    """When a request may be called (UNIX seconds): its window, its deadline, its expiry.

    ``not_before`` None: from now; ``not_after`` None: until the expiry."""

    not_before: float | None
    not_after: float | None
    deadline: float
    expires_at: float


def covering(held: Span, new: Span) -> Span:
    """The span that covers both (pure): the earlier start, the later end, the later
    expiry, the earlier deadline (the promise that comes first is the one to keep)."""
    return Span(
        not_before=_either(min, held.not_before, new.not_before),
        not_after=_either(max, held.not_after, new.not_after),
        deadline=min(held.deadline, new.deadline),
        expires_at=max(held.expires_at, new.expires_at),
    )


def _either(
    pick: Callable[[float, float], float], a: float | None, b: float | None
) -> float | None:
    # None is open-ended: the side without a limit has none when joined either.
    return None if a is None or b is None else pick(a, b)
